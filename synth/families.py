"""What each model family means for ``LatentSynthesizer`` (one strategy per family).

autoencoder (ae, vae, double-ae): train on the rows (a validation split for
    early stopping), encode every row, partition the latents (labels, or
    polarized hierarchical clustering), fit one Gaussian per cluster, keep
    micro-centroid anchors (SPEC §5).
gan (dcgan, wgan-gp, cdcgan, cwgan-gp): there is no encoder, so the latent is
    the generator's noise z. Clusters are the classes of a conditional GAN
    (one cluster "all" for an unconditional one), and each cluster's Gaussian
    is the prior N(0, I) the generator was trained on — so ``random``,
    ``ellipsoid_walk`` and ``random_walk`` walk the noise space and the χ²
    gate works as for any Gaussian. ``morph`` and ``crossover`` mix *anchors*:
    PRIOR_ANCHORS fixed prior draws per cluster, seeded by the model's
    random_state and stored in the artifact (convex mixes of N(0, I) draws have
    a smaller norm than typical draws; the generator still maps them to images).
    Decoding is G(z, class). Anything that needs an encoder (encode,
    back-projection, CAR) is a ConfigError for a GAN.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch
from torch.utils.data import TensorDataset

from cluster import ClusterGaussians, LabelPartition, PolarizedHierarchical, micro_centroids
from synth.errors import ConfigError

PRIOR_ANCHORS = 64


def label_partition(labels) -> LabelPartition:
    """Classes in LabelPartition's order (sorted) and each row's code, without latents."""
    return LabelPartition().fit(np.zeros((len(labels), 1)), labels)


def prior_gaussians(counts, dim: int, *, q: float) -> ClusterGaussians:
    """K copies of N(0, I_dim) as a fitted ClusterGaussians (counts: rows per class, for allocation)."""
    k = len(counts)
    eye = np.broadcast_to(np.eye(dim), (k, dim, dim)).copy()
    return ClusterGaussians.from_arrays(
        {
            "means": np.zeros((k, dim)),
            "covariances": eye,
            "cholesky": eye.copy(),
            "counts": np.asarray(counts, np.int64),
            "shrinkage": np.zeros(k),
            "jitter": np.zeros(k),
            "q": np.asarray(q),
            "ridge": np.asarray(0.0),
            "shrinkage_method": np.asarray("none"),
        }
    )


def _tensor(X: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(X))


class AutoencoderFamily:
    name = "autoencoder"
    has_encoder = True

    def datasets(self, syn, data, seed: int) -> tuple[TensorDataset, TensorDataset | None]:
        """A seeded validation split of ``val_fraction`` of the rows (for early stopping)."""
        n = len(data.X)
        n_val = int(math.floor(n * syn.config_.val_fraction))
        order = np.random.default_rng(np.random.SeedSequence([seed, 1])).permutation(n)
        X = _tensor(data.X)
        train = TensorDataset(X[np.sort(order[n_val:])])
        return train, (TensorDataset(X[np.sort(order[:n_val])]) if n_val >= 1 else None)

    def fit_clusters(self, syn, data, seed: int) -> None:
        self.fit_latent_clusters(syn, syn._encode_model(data.X), data.labels, seed)

    def fit_latent_clusters(self, syn, Z: np.ndarray, labels: np.ndarray | None, seed: int) -> None:
        """Partition, per-cluster Gaussians and anchors from given latents (Ray Tune's probe
        refits them on the encoder in training)."""
        cfg = syn.config_
        if labels is not None:
            syn.partition_, syn.partition_kind_ = LabelPartition().fit(Z, labels), "label"
            syn.cluster_names_ = list(syn.partition_.classes_)
        else:
            syn.partition_ = PolarizedHierarchical(
                cfg.n_clusters, min_size=cfg.min_cluster_size, random_state=seed
            ).fit(Z)
            syn.partition_kind_ = "polarized"
            syn.cluster_names_ = list(range(syn.partition_.n_clusters_))
        codes = syn.partition_.labels_
        syn.gaussians_ = ClusterGaussians(shrinkage=cfg.shrinkage, q=cfg.q).fit(Z, codes)
        syn.cluster_sizes_ = [int(c) for c in syn.gaussians_.counts_]
        syn.anchors_ = []
        for k in range(len(syn.cluster_names_)):
            members = Z[codes == k]
            syn.anchors_.append(
                members.copy()
                if cfg.keep_latents
                else micro_centroids(
                    members, min_size=cfg.anchor_size, random_state=np.random.default_rng([seed, 2, k])
                )
            )

    def decode(self, module, z: torch.Tensor, codes: np.ndarray) -> torch.Tensor:
        return module.decode(z)

    def require_encoder(self, what: str) -> None:
        return None


class GANFamily:
    name = "gan"
    has_encoder = False

    def datasets(self, syn, data, seed: int) -> tuple[TensorDataset, None]:
        """Every row (a GAN has no validation loss); class codes ride along for a conditional GAN."""
        X = _tensor(data.X)
        if syn.network_.conditional:
            return TensorDataset(X, torch.from_numpy(label_partition(data.labels).labels_)), None
        return TensorDataset(X), None

    def fit_clusters(self, syn, data, seed: int) -> None:
        d = syn.network_.latent_dim
        if syn.network_.conditional:
            syn.partition_ = label_partition(data.labels)
            syn.partition_kind_, syn.cluster_names_ = "label", list(syn.partition_.classes_)
            counts = np.bincount(syn.partition_.labels_, minlength=len(syn.cluster_names_))
        else:
            if data.labels is not None:
                warnings.warn(
                    f"{syn.config_.model} is unconditional: the labels were ignored "
                    f"(use c{syn.config_.model} for one cluster per class)",
                    stacklevel=3,
                )
            syn.partition_, syn.partition_kind_, syn.cluster_names_ = None, "single", ["all"]
            counts = np.array([len(data.X)])
        syn.gaussians_ = prior_gaussians(counts, d, q=syn.config_.q)
        syn.cluster_sizes_ = [int(c) for c in counts]
        syn.anchors_ = [
            np.random.default_rng([seed, 2, k]).standard_normal((PRIOR_ANCHORS, d)) for k in range(len(counts))
        ]

    def decode(self, module, z: torch.Tensor, codes: np.ndarray) -> torch.Tensor:
        labels = torch.from_numpy(np.asarray(codes, np.int64)) if module.config.conditional else None
        return module.decode(z, labels)

    def require_encoder(self, what: str) -> None:
        raise ConfigError(
            f"{what} needs an encoder, and a GAN has none (its latent is the generator's noise); "
            "use an autoencoder model (ae, vae, double-ae) for it"
        )


FAMILIES = {"autoencoder": AutoencoderFamily(), "gan": GANFamily()}


def family_of(kind) -> AutoencoderFamily | GANFamily:
    return FAMILIES[kind.family]
