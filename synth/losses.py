"""Objectives as plain functions (STYLE: the loop drives them, modules don't know them).

Shapes: x, recon (n, …); mean, logvar (n, d). Losses are per-sample sums
averaged over the batch — the Gaussian log-likelihood with unit variance up
to constants — so the KL term has the same scale whatever the feature count.
"""
from __future__ import annotations

import torch


def reconstruction_loss(recon: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Σ over features of squared error, mean over the batch."""
    return (recon - x).pow(2).flatten(1).sum(dim=1).mean()


def kl_to_standard_normal(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mean, exp(logvar)) ‖ N(0, I)), summed over latent dims, mean over the batch."""
    return 0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar).sum(dim=1).mean()


def elbo_loss(recon, x, mean, logvar, *, beta: float) -> tuple[torch.Tensor, dict[str, float]]:
    """Negative ELBO with KL weight β: recon + β·KL. Returns (loss, parts for logging)."""
    rec = reconstruction_loss(recon, x)
    if logvar is None:  # plain autoencoder
        return rec, {"recon": float(rec.detach())}
    kl = kl_to_standard_normal(mean, logvar)
    loss = rec + beta * kl
    return loss, {"recon": float(rec.detach()), "kl": float(kl.detach())}
