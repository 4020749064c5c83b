"""How a GAN takes one training step (the loop in synth/train.py drives it).

Two modules, two Adam optimisers (seed 001 Table 4.1: DCGAN lr 2e-4, β₁ 0.5;
WGAN-GP lr 1e-4 for both, λ = 10, 5 critic steps). Each batch of real images
gets ``critic_steps`` discriminator/critic updates (fresh noise each time, the
same real batch, as Keras' WGAN-GP example that seed 001 follows) and then one
generator update. All noise comes from the loop's ``torch.Generator``; a
conditional GAN's fakes use the real batch's class codes, so classes stay
balanced as in the data.
"""

from __future__ import annotations

import torch
from torch import nn

from synth.losses import (
    discriminator_loss,
    generator_loss,
    gradient_penalty,
    wasserstein_critic_loss,
    wasserstein_generator_loss,
)
from synth.train import TrainConfig


class GANRecipe:
    """``objective``: "standard" (non-saturating DCGAN loss) or "wasserstein" (WGAN-GP)."""

    def __init__(
        self,
        *,
        objective: str,
        latent_dim: int,
        conditional: bool,
        critic_steps: int,
        gp_weight: float,
        betas: tuple[float, float],
    ):
        if objective not in ("standard", "wasserstein"):
            raise ValueError(f"objective must be 'standard' or 'wasserstein', got {objective!r}")
        self.objective, self.latent_dim, self.conditional = objective, latent_dim, conditional
        self.critic_steps, self.gp_weight, self.betas = critic_steps, gp_weight, tuple(betas)

    def modules(self, model: nn.Module) -> dict[str, nn.Module]:
        # separate modules so Ray Train can DDP-wrap each one (issue 5)
        return {"generator": model.generator, "discriminator": model.discriminator}

    def make_optimizers(self, modules, config: TrainConfig):
        return {
            name: torch.optim.Adam(m.parameters(), lr=config.lr, betas=self.betas, weight_decay=config.weight_decay)
            for name, m in modules.items()
        }

    def _labels(self, batch):
        return batch[1] if self.conditional else None

    def _noise(self, n: int, generator: torch.Generator, device) -> torch.Tensor:
        return torch.randn(n, self.latent_dim, generator=generator).to(device)

    def _critic_loss(self, D, real, fake, labels, generator):
        real_scores, fake_scores = D(real, labels), D(fake, labels)
        if self.objective == "standard":
            loss = discriminator_loss(real_scores, fake_scores)
            return loss, {"d_loss": float(loss.detach())}
        w_loss = wasserstein_critic_loss(real_scores, fake_scores)
        mix = torch.rand(len(real), generator=generator).to(real.device)
        gp = gradient_penalty(D, real, fake, mix=mix, labels=labels)
        loss = w_loss + self.gp_weight * gp
        return loss, {"d_loss": float(loss.detach()), "wasserstein": float(-w_loss.detach()), "gp": float(gp.detach())}

    def _generator_loss(self, fake_scores):
        return generator_loss(fake_scores) if self.objective == "standard" else wasserstein_generator_loss(fake_scores)

    def train_step(self, modules, batch, optimizers, *, epoch, total_epochs, generator):
        real, labels = batch[0], self._labels(batch)
        G, D = modules["generator"], modules["discriminator"]
        opt_g, opt_d = optimizers["generator"], optimizers["discriminator"]
        parts = []
        for _ in range(self.critic_steps):
            with torch.no_grad():
                fake = G(self._noise(len(real), generator, real.device), labels)
            loss, logs = self._critic_loss(D, real, fake, labels, generator)
            opt_d.zero_grad(set_to_none=True)
            loss.backward()
            opt_d.step()
            parts.append(logs)
        fake = G(self._noise(len(real), generator, real.device), labels)
        g_loss = self._generator_loss(D(fake, labels))
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
        logs = {k: sum(p[k] for p in parts) / len(parts) for k in parts[0]}
        return {**logs, "g_loss": float(g_loss.detach())}

    def eval_step(self, modules, batch, *, epoch, total_epochs):
        """Both losses on held-out images with noise seeded by the epoch (GANs train without
        a validation split by default; this is here for users who ask for one)."""
        real, labels = batch[0], self._labels(batch)
        generator = torch.Generator().manual_seed(epoch)
        fake = modules["generator"](self._noise(len(real), generator, real.device), labels)
        D = modules["discriminator"]
        real_scores, fake_scores = D(real, labels), D(fake, labels)
        d_loss = (
            discriminator_loss(real_scores, fake_scores)
            if self.objective == "standard"
            else wasserstein_critic_loss(real_scores, fake_scores)
        )
        return {"d_loss": float(d_loss), "g_loss": float(self._generator_loss(fake_scores))}

    def epoch_logs(self, epoch, total_epochs):
        return {}

    @property
    def settled_epoch(self) -> int:
        return 0
