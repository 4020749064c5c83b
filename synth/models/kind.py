"""``ModelKind``: what one entry of the model zoo (vae, dcgan, double-ae, …) provides.

A kind builds its network from the config (a frozen dataclass that travels to
model.json and to Ray Train workers), names the recipe that trains it and the
defaults it brings, and says what its latent is. Its *family* is one of two:

- ``"autoencoder"`` (ae, vae, double-ae, and the closed-form identity and pca): an
  encoder maps rows to latents; the latents of the training rows are partitioned
  (labels, or polarized hierarchical clustering) and each cluster gets a Gaussian.
- ``"gan"`` (dcgan, wgan-gp and their class-conditional variants): there is no
  encoder, so the latent is the generator's noise and each cluster's Gaussian is its
  prior N(0, I); clusters are the classes of a conditional GAN, one cluster "all" else.

The defaults below are the autoencoder family's; the GAN kinds override them.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np
import torch
from torch import nn
from torch.utils.data import TensorDataset

from synth.errors import ConfigError
from synth.latent_clusters import LatentClusters, fit_latent_clusters


def network_to_dict(network_config) -> dict:
    """A network config dataclass as JSON (tuples as lists)."""
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(network_config).items()}


def _tensor(X: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(X))


class ModelKind:
    """Base of every model kind; subclasses set the class attributes and the builders."""

    name: str
    description: str = ""
    family: str = "autoencoder"
    data_kinds: tuple[str, ...] = ("tabular", "image")
    network_type: type  # the frozen dataclass that builds the network
    module_type: type[nn.Module]  # built as module_type(network config)
    closed_form: bool = False  # fitted in one step by ``fit_closed_form``, not by the loop

    @property
    def has_encoder(self) -> bool:
        return self.family == "autoencoder"

    # --- the network and how it trains
    def defaults(self, config) -> dict:
        """{config field: value} filled where the user left the field unset (``SynthConfig.resolve``)."""
        return {}

    def network_config(self, config, input_shape: tuple[int, ...], *, n_classes: int = 0):
        """The network dataclass for data of ``input_shape``; ``n_classes``: labelled classes (0: none)."""
        raise NotImplementedError

    def network_from_dict(self, obj: dict):
        """Inverse of ``network_to_dict``."""
        return self.network_type(**{k: tuple(v) if isinstance(v, list) else v for k, v in obj.items()})

    def build(self, network) -> nn.Module:
        return self.module_type(network)

    def recipe(self, config, network):
        """The recipe the training loop drives (``synth.training.loop.Recipe``)."""
        raise ConfigError(f"model {self.name!r} is fitted in closed form; it has no training recipe")

    def fit_closed_form(self, module: nn.Module, train, val) -> tuple[list[dict], dict]:
        raise ConfigError(f"model {self.name!r} is trained by the loop, not in closed form")

    # --- the data it trains on, and its latent clusters
    def training_sets(
        self, X: np.ndarray, labels: np.ndarray | None, *, network, val_fraction: float, seed: int
    ) -> tuple[TensorDataset, TensorDataset | None]:
        """A seeded validation split of ``val_fraction`` of the rows (for early stopping)."""
        n = len(X)
        n_val = int(math.floor(n * val_fraction))
        order = np.random.default_rng(np.random.SeedSequence([seed, 1])).permutation(n)
        X = _tensor(X)
        train = TensorDataset(X[np.sort(order[n_val:])])
        return train, (TensorDataset(X[np.sort(order[:n_val])]) if n_val >= 1 else None)

    def fit_clusters(
        self,
        X: np.ndarray,
        labels: np.ndarray | None,
        *,
        encode: Callable[[np.ndarray], np.ndarray],
        network,
        config,
        seed: int,
    ) -> LatentClusters:
        """Encode every training row and fit the clusters on those latents."""
        return fit_latent_clusters(encode(X), labels, config=config, seed=seed)

    def decode(self, module: nn.Module, z: torch.Tensor, codes: np.ndarray) -> torch.Tensor:
        """Latents (n, d) → model-space output; ``codes`` (n,) matter to a conditional GAN only."""
        return module.decode(z)

    def require_encoder(self, what: str) -> None:
        if not self.has_encoder:
            raise ConfigError(
                f"{what} needs an encoder, and a GAN has none (its latent is the generator's noise); "
                "use an autoencoder model (ae, vae, double-ae) for it"
            )

    def __repr__(self) -> str:
        return f"<model kind {self.name!r}>"
