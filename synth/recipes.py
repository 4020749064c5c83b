"""Recipes: how each model kind takes one training step (the loop in synth/train.py drives them)."""

from __future__ import annotations

import torch
from torch import nn

from synth.losses import elbo_loss
from synth.schedules import KLSchedule
from synth.train import TrainConfig


class AutoencoderRecipe:
    """AE: reconstruction loss. VAE: negative ELBO with KL weight β(t) (seed 001 §4.4.1)."""

    def __init__(self, kl: KLSchedule, *, variational: bool, betas: tuple[float, float] = (0.9, 0.999)):
        self.kl, self.variational, self.betas = kl, variational, tuple(betas)

    def modules(self, model: nn.Module) -> dict[str, nn.Module]:
        return {"autoencoder": model}

    def make_optimizers(self, modules, config: TrainConfig):
        return {
            "autoencoder": torch.optim.Adam(
                modules["autoencoder"].parameters(), lr=config.lr, betas=self.betas, weight_decay=config.weight_decay
            )
        }

    def beta(self, epoch: int, total_epochs: int) -> float:
        return self.kl(epoch, total_epochs) if self.variational else 0.0

    def train_step(self, modules, batch, optimizers, *, epoch, total_epochs, generator):
        x = batch[0]
        net, opt = modules["autoencoder"], optimizers["autoencoder"]
        noise = None
        if self.variational:
            latent_dim = _latent_dim(net)
            noise = torch.randn(len(x), latent_dim, generator=generator).to(x.device)
        recon, mean, logvar = net(x, noise)
        loss, parts = elbo_loss(recon, x, mean, logvar, beta=self.beta(epoch, total_epochs))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return {"loss": float(loss.detach()), **parts}

    def eval_step(self, modules, batch, *, epoch, total_epochs):
        x = batch[0]
        recon, mean, logvar = modules["autoencoder"](x, None)
        loss, parts = elbo_loss(recon, x, mean, logvar, beta=self.beta(epoch, total_epochs))
        return {"loss": float(loss), **parts}

    def epoch_logs(self, epoch, total_epochs):
        return {"beta": self.beta(epoch, total_epochs)} if self.variational else {}

    @property
    def settled_epoch(self) -> int:
        return self.kl.settled_epoch if self.variational else 0


def _latent_dim(net: nn.Module) -> int:
    inner = getattr(net, "module", net)  # DDP keeps the model in .module
    return inner.config.latent_dim
