"""The fitted latent-cluster state, as one object: which clusters there are, how many
training rows each had, how they were found, one Gaussian per cluster and the anchors
that ``morph`` and ``crossover`` mix.

Fitted from latents (Feyiz & Ozkazanc, doi 10.1109/access.2026.3692685, components
2-3): labelled rows give one cluster per label, unlabelled ones are partitioned by
polarized hierarchical clustering; each cluster gets a shrunk Gaussian and, by
default, micro-centroid anchors (means of ≥ ``anchor_size`` encoded rows, so no single
training record is stored). A GAN has no encoder, so its clusters are its classes and
each Gaussian is the noise prior N(0, I) (``prior_clusters``).

``to_dict`` / ``to_arrays`` are what an artifact stores (model.json's ``clusters`` and
clusters.npz); ``from_saved`` reads them back. Shapes: Z (n, d), anchors (m_k, d).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from cluster import ClusterGaussians, LabelPartition, PolarizedHierarchical, micro_centroids
from synth.errors import DataError, UnknownClusterError

PRIOR_ANCHORS = 64  # fixed prior draws per GAN class that morph/crossover mix
_GAUSS = "gauss_"


@dataclass
class LatentClusters:
    names: list  # cluster names: label values, polarized leaf codes 0..K-1, or ["all"]
    sizes: list[int]  # training rows per cluster
    partition_kind: str  # "label" | "polarized" | "single"
    partition: LabelPartition | PolarizedHierarchical | None  # the tree for "polarized"
    gaussians: ClusterGaussians  # one N(μₖ, Σₖ) per cluster
    anchors: list[np.ndarray]  # per cluster (m_k, d)
    anchor_source: str  # "micro_centroids" | "latents" | "prior"

    @property
    def n_clusters(self) -> int:
        return len(self.names)

    def code(self, name) -> int:
        """Index of a cluster given its name (int and str spellings both work)."""
        for k, known in enumerate(self.names):
            if str(known) == str(name):
                return k
        raise UnknownClusterError(f"unknown cluster {name!r}; this model has clusters {self.names}")

    def name_of(self, codes: np.ndarray) -> np.ndarray:
        """Cluster names of cluster indices, as an object array."""
        return np.array([self.names[c] for c in codes], dtype=object)

    def to_dict(self) -> dict:
        """The JSON part (model.json's ``clusters``)."""
        tree = self.partition.to_json() if self.partition_kind == "polarized" else None
        return {
            "names": list(self.names),
            "sizes": [int(s) for s in self.sizes],
            "partition": self.partition_kind,
            "tree": tree,
            "anchors": self.anchor_source,
        }

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The array part (clusters.npz): the Gaussians' arrays and the anchors, concatenated."""
        arrays = {f"{_GAUSS}{k}": v for k, v in self.gaussians.to_arrays().items()}
        arrays["anchors"] = np.concatenate(self.anchors)
        arrays["anchor_counts"] = np.array([len(a) for a in self.anchors])
        return arrays

    @classmethod
    def from_saved(cls, obj: dict, arrays: dict[str, np.ndarray]) -> LatentClusters:
        """Inverse of ``to_dict`` + ``to_arrays``; ValueError/KeyError on inconsistent input."""
        gaussians = ClusterGaussians.from_arrays(
            {k[len(_GAUSS) :]: v for k, v in arrays.items() if k.startswith(_GAUSS)}
        )
        kind = obj["partition"]
        partition = PolarizedHierarchical.from_json(obj["tree"]) if kind == "polarized" else None
        bounds = np.cumsum(arrays["anchor_counts"])[:-1]
        out = cls(
            names=list(obj["names"]),
            sizes=[int(s) for s in obj["sizes"]],
            partition_kind=kind,
            partition=partition,
            gaussians=gaussians,
            anchors=np.split(arrays["anchors"], bounds),
            anchor_source=str(obj.get("anchors", "micro_centroids")),
        )
        if len(out.anchors) != out.n_clusters or gaussians.n_clusters_ != out.n_clusters:
            raise ValueError(f"{out.n_clusters} cluster names but {gaussians.n_clusters_} Gaussians")
        return out


def check_label_counts(labels: np.ndarray | None) -> None:
    """Every label needs ≥ 2 rows: each cluster gets its own Gaussian."""
    if labels is None:
        return
    names, counts = np.unique(labels.astype(str), return_counts=True)
    small = {str(n): int(c) for n, c in zip(names, counts) if c < 2}
    if small:
        raise DataError(f"clusters need at least 2 rows after cleaning; these labels have fewer: {small}")


def label_partition(labels) -> LabelPartition:
    """Classes in LabelPartition's order (sorted) and each row's code, without latents."""
    return LabelPartition().fit(np.zeros((len(labels), 1)), labels)


def fit_latent_clusters(Z: np.ndarray, labels: np.ndarray | None, *, config, seed: int) -> LatentClusters:
    """Partition ``Z`` (by ``labels``, or by polarized hierarchical clustering when None), one
    Gaussian per cluster (``config.shrinkage``, ``config.q``) and each cluster's anchors."""
    if labels is not None:
        partition, kind = LabelPartition().fit(Z, labels), "label"
        names = list(partition.classes_)
    else:
        partition = PolarizedHierarchical(config.n_clusters, min_size=config.min_cluster_size, random_state=seed)
        partition, kind = partition.fit(Z), "polarized"
        names = list(range(partition.n_clusters_))
    codes = partition.labels_
    gaussians = ClusterGaussians(shrinkage=config.shrinkage, q=config.q).fit(Z, codes)
    return assemble_clusters(names, kind, partition, gaussians, Z, codes, config=config, seed=seed)


def assemble_clusters(names, kind, partition, gaussians, Z, codes, *, config, seed: int) -> LatentClusters:
    """``LatentClusters`` of fitted Gaussians, with each cluster's anchors drawn from its rows of
    ``Z`` (all latents, or a sample's): micro-centroids, or the latents themselves with
    ``keep_latents``; a cluster without rows in ``Z`` gets its mean as its one anchor."""
    anchors = []
    for k in range(len(names)):
        members = Z[codes == k]
        if not len(members):
            anchors.append(gaussians.means_[k][None].copy())
        elif config.keep_latents:
            anchors.append(members.copy())
        else:
            rng = np.random.default_rng([seed, 2, k])
            anchors.append(micro_centroids(members, min_size=config.anchor_size, random_state=rng))
    return LatentClusters(
        names=list(names),
        sizes=[int(c) for c in gaussians.counts_],
        partition_kind=kind,
        partition=partition,
        gaussians=gaussians,
        anchors=anchors,
        anchor_source="latents" if config.keep_latents else "micro_centroids",
    )


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


def prior_clusters(
    labels: np.ndarray | None, n_rows: int, *, dim: int, conditional: bool, q: float, seed: int, model: str
) -> LatentClusters:
    """A GAN's clusters: its classes (conditional) or one cluster "all", each N(0, I_dim), with
    PRIOR_ANCHORS seeded prior draws as anchors (convex mixes of N(0, I) draws have a smaller
    norm than typical draws; the generator still maps them to images)."""
    if conditional:
        partition = label_partition(labels)
        kind, names = "label", list(partition.classes_)
        counts = np.bincount(partition.labels_, minlength=len(names))
    else:
        if labels is not None:
            warnings.warn(
                f"{model} is unconditional: the labels were ignored (use c{model} for one cluster per class)",
                stacklevel=4,
            )
        partition, kind, names, counts = None, "single", ["all"], np.array([n_rows])
    anchors = [np.random.default_rng([seed, 2, k]).standard_normal((PRIOR_ANCHORS, dim)) for k in range(len(counts))]
    return LatentClusters(
        names=names,
        sizes=[int(c) for c in counts],
        partition_kind=kind,
        partition=partition,
        gaussians=prior_gaussians(counts, dim, q=q),
        anchors=anchors,
        anchor_source="prior",
    )
