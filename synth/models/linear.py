"""Linear latent learners ``identity`` and ``pca``: the baselines a learned latent space has to
beat (benchmarks/results/benchmark.md compares them with ae and vae).

``identity``: the scaled feature space itself is the latent (z = x flattened,
x = z reshaped) — the cluster Gaussians then sit directly on the MinMax-scaled
rows or pixels. ``pca``: a linear autoencoder z = (x − m) W, x̂ = z Wᵀ + m with
the ``latent_dim`` leading principal axes W (D, d) of the training rows,
fitted in closed form (one symmetric eigendecomposition, no gradient steps).

Both are plain ``nn.Module``s with the autoencoder's ``encode``/``decode``;
PCA keeps its mean and axes as float64 buffers, so they travel in weights.pt
like any state dict, and identity has no state at all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from synth.models.kind import ModelKind


@dataclass(frozen=True)
class LinearLatentConfig:
    """Everything that builds the module; stored in model.json beside the weights."""

    kind: str = "pca"  # "identity" | "pca"
    input_shape: tuple[int, ...] = (4,)  # (features,) for rows, (C, H, W) for images
    latent_dim: int = 4  # identity: always prod(input_shape)

    @property
    def n_features(self) -> int:
        return math.prod(self.input_shape)


class IdentityLatent(nn.Module):
    """z = x flattened; exact in both directions (no arithmetic at all)."""

    def __init__(self, config: LinearLatentConfig):
        super().__init__()
        self.config = config

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """x: (n, *input_shape) → z: (n, D)."""
        return x.flatten(1)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """z: (n, D) → (n, *input_shape)."""
        return z.reshape(-1, *self.config.input_shape)


class PCALatent(nn.Module):
    """Linear autoencoder on the leading principal axes; ``fit`` sets the buffers."""

    def __init__(self, config: LinearLatentConfig):
        super().__init__()
        self.config = config
        D, d = config.n_features, config.latent_dim
        self.register_buffer("mean", torch.zeros(D, dtype=torch.float64))
        self.register_buffer("components", torch.eye(D, d, dtype=torch.float64))  # W: (D, d), orthonormal columns
        self.register_buffer("explained_variance", torch.zeros(d, dtype=torch.float64))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """x: (n, *input_shape) → z: (n, d) float64."""
        return (x.flatten(1).double() - self.mean) @ self.components

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """z: (n, d) → (n, *input_shape) float32, like the autoencoders' output."""
        x = z.double() @ self.components.T + self.mean
        return x.float().reshape(-1, *self.config.input_shape)

    @torch.no_grad()
    def fit(self, X: np.ndarray) -> PCALatent:
        """X: (n, *input_shape) model-space rows/images. Mean and the d leading eigenvectors of
        the covariance; when d exceeds the rank the trailing axes are still an orthonormal
        completion (eigh returns a full basis), so d = D reconstructs every row exactly."""
        mean, axes, variance = principal_axes(np.asarray(X, np.float64).reshape(len(X), -1), self.config.latent_dim)
        self.mean.copy_(torch.from_numpy(mean))
        self.components.copy_(torch.from_numpy(axes))
        self.explained_variance.copy_(torch.from_numpy(variance))
        return self


def principal_axes(X: np.ndarray, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """X: (n, D) float64 → mean (D,), axes W (D, d) with orthonormal columns in order of
    decreasing variance, and those variances (d,). Signs are fixed (largest |entry| of each
    axis positive) so the same data always gives the same latent."""
    mean = X.mean(axis=0)
    centred = X - mean
    cov = centred.T @ centred / max(len(X) - 1, 1)
    values, vectors = np.linalg.eigh((cov + cov.T) / 2.0)
    order = np.argsort(values, kind="stable")[::-1][:d]
    values, vectors = np.clip(values[order], 0.0, None), vectors[:, order]
    signs = np.sign(vectors[np.abs(vectors).argmax(axis=0), np.arange(vectors.shape[1])])
    return mean, vectors * np.where(signs == 0, 1.0, signs), values


@torch.no_grad()
def fit_linear_latent(module: nn.Module, train, val) -> tuple[list[dict], dict]:
    """The closed-form "training" of identity/PCA. ``train``/``val``: TensorDatasets of
    model-space rows. Returns (history, summary) like ``fit_local``: one history row
    with the reconstruction error (per-sample sum of squares, the AE's ``recon``)."""
    X = train.tensors[0]
    if isinstance(module, PCALatent):
        module.fit(X.numpy())

    def recon(data) -> float:
        x = data.tensors[0]
        return float((module.decode(module.encode(x)).double() - x.double()).pow(2).flatten(1).sum(1).mean())

    row = {"epoch": 1, "loss": recon(train), "recon": recon(train)}
    if val is not None and len(val):
        row.update(val_loss=recon(val), val_recon=recon(val))
    summary = {"closed_form": True, "epochs_run": 1}
    if isinstance(module, PCALatent):
        variance = module.explained_variance.numpy()
        total = float(np.var(X.numpy().reshape(len(X), -1).astype(np.float64), axis=0, ddof=1).sum())
        summary["explained_variance_ratio"] = float(variance.sum() / total) if total > 0 else 1.0
    return [row], summary


class LinearKind(ModelKind):
    """``identity`` and ``pca``: fitted in closed form, no training loop."""

    network_type = LinearLatentConfig
    closed_form = True

    def __init__(self, name: str, module_type: type[nn.Module], description: str):
        self.name, self.module_type, self.description = name, module_type, description

    def network_config(self, config, input_shape, *, n_classes: int = 0) -> LinearLatentConfig:
        n_features = math.prod(input_shape)
        # identity's latent is the feature space; PCA cannot have more axes than features
        latent_dim = n_features if self.name == "identity" else min(config.latent_dim, n_features)
        return LinearLatentConfig(kind=self.name, input_shape=tuple(input_shape), latent_dim=latent_dim)

    def fit_closed_form(self, module: nn.Module, train, val) -> tuple[list[dict], dict]:
        return fit_linear_latent(module, train, val)


KINDS = (
    LinearKind("identity", IdentityLatent, "baseline: the scaled feature space is the latent (no learning)"),
    LinearKind("pca", PCALatent, "baseline: linear autoencoder on the latent_dim leading principal axes (closed form)"),
)
