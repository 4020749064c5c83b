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


# --- adversarial objectives (Goodfellow et al. 2014; Gulrajani et al. 2017).
# Scores are raw logits / critic values (n,).


def discriminator_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """Standard GAN discriminator loss: −log σ(D(x)) − log(1 − σ(D(G(z)))), mean over the batch."""
    return torch.nn.functional.softplus(-real_scores).mean() + torch.nn.functional.softplus(fake_scores).mean()


def generator_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    """Non-saturating generator loss −log σ(D(G(z))) (Goodfellow et al. 2014, §3)."""
    return torch.nn.functional.softplus(-fake_scores).mean()


def wasserstein_critic_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """E[C(G(z))] − E[C(x)]: the critic minimises it, so −loss estimates the Wasserstein-1 distance."""
    return fake_scores.mean() - real_scores.mean()


def wasserstein_generator_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    return -fake_scores.mean()


def gradient_penalty(
    critic, real: torch.Tensor, fake: torch.Tensor, *, mix: torch.Tensor, **critic_kwargs
) -> torch.Tensor:
    """WGAN-GP penalty E[(‖∇ₓ̂ C(x̂)‖₂ − 1)²] at x̂ = ε·real + (1 − ε)·fake (Gulrajani et al. 2017, Alg. 1).

    real, fake: (n, …); mix: ε of shape (n,) in [0, 1], drawn by the caller (who owns the RNG);
    ``critic_kwargs`` (class labels) go to the critic unchanged. Differentiable (create_graph)."""
    eps = mix.reshape(-1, *([1] * (real.dim() - 1))).to(real.dtype)
    point = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    scores = critic(point, **critic_kwargs)
    (grad,) = torch.autograd.grad(scores.sum(), point, create_graph=True)
    return (grad.flatten(1).norm(2, dim=1) - 1.0).pow(2).mean()
