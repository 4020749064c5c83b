"""Plain and variational autoencoders (the kinds ``ae`` and ``vae``): the networks,
MLP for rows and conv for images, the recipe that trains them, and the kinds.

The conv pair halves H×W with stride-2 convolutions until it is at most 4×4 and
mirrors that exactly (output padding chosen per axis), so any H×W from 8×8 digits
to 64×64 flowers round-trips. The modules know nothing about optimisers or losses;
``AutoencoderRecipe`` takes the steps (reconstruction loss, or the negative ELBO
with KL weight β(t) for a VAE; see ``synth.training.losses`` and ``schedules``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from synth.models.kind import ModelKind
from synth.training.loop import TrainConfig
from synth.training.losses import elbo_loss
from synth.training.schedules import KLSchedule


@dataclass(frozen=True)
class AutoencoderConfig:
    """Everything that builds the network; stored in model.json beside the weights."""

    variational: bool = True
    input_shape: tuple[int, ...] = (4,)  # (features,) for rows, (C, H, W) for images
    latent_dim: int = 5
    hidden: tuple[int, ...] = (16, 8)  # MLP encoder widths (decoder mirrors them)
    channels: tuple[int, ...] = (32, 64)  # conv widths, one per stride-2 stage (extra stages reuse the last)
    output: str = "linear"  # "linear" (unbounded reconstruction) or "sigmoid" ([0, 1])

    @property
    def is_image(self) -> bool:
        return len(self.input_shape) == 3


def _halvings(size: int) -> list[int]:
    """Spatial sizes after each stride-2 conv until ≤ 4: 28 → [28, 14, 7, 4]."""
    sizes = [size]
    while sizes[-1] > 4:
        sizes.append(math.ceil(sizes[-1] / 2))
    return sizes


class MLPEncoder(nn.Module):
    def __init__(self, n_in: int, hidden: tuple[int, ...], latent_dim: int, variational: bool):
        super().__init__()
        layers, width = [], n_in
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        self.body = nn.Sequential(*layers)
        self.mean = nn.Linear(width, latent_dim)
        self.logvar = nn.Linear(width, latent_dim) if variational else None

    def forward(self, x):
        h = self.body(x)
        return self.mean(h), (self.logvar(h) if self.logvar is not None else None)


class MLPDecoder(nn.Module):
    def __init__(self, latent_dim: int, hidden: tuple[int, ...], n_out: int, output: str):
        super().__init__()
        layers, width = [], latent_dim
        for h in reversed(hidden):
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        layers.append(nn.Linear(width, n_out))
        if output == "sigmoid":
            layers.append(nn.Sigmoid())
        self.body = nn.Sequential(*layers)

    def forward(self, z):
        return self.body(z)


class ConvEncoder(nn.Module):
    def __init__(self, shape: tuple[int, int, int], channels: tuple[int, ...], latent_dim: int, variational: bool):
        super().__init__()
        c, h, w = shape
        hs, ws = _halvings(h), _halvings(w)
        stages = max(len(hs), len(ws)) - 1
        widths = [channels[min(i, len(channels) - 1)] for i in range(stages)]
        layers, width = [], c
        for i, out in enumerate(widths):
            stride = (2 if i < len(hs) - 1 else 1, 2 if i < len(ws) - 1 else 1)
            layers += [nn.Conv2d(width, out, 3, stride=stride, padding=1), nn.LeakyReLU(0.2)]
            width = out
        self.body = nn.Sequential(*layers, nn.Flatten())
        flat = width * hs[-1] * ws[-1]
        self.mean = nn.Linear(flat, latent_dim)
        self.logvar = nn.Linear(flat, latent_dim) if variational else None

    def forward(self, x):
        h = self.body(x)
        return self.mean(h), (self.logvar(h) if self.logvar is not None else None)


class ConvDecoder(nn.Module):
    def __init__(self, shape: tuple[int, int, int], channels: tuple[int, ...], latent_dim: int, output: str):
        super().__init__()
        c, h, w = shape
        hs, ws = _halvings(h), _halvings(w)
        stages = max(len(hs), len(ws)) - 1
        widths = [channels[min(i, len(channels) - 1)] for i in range(stages)]
        self.start = (widths[-1] if widths else c, hs[-1], ws[-1])
        self.project = nn.Sequential(nn.Linear(latent_dim, math.prod(self.start)), nn.LeakyReLU(0.2))
        layers = []
        for i in reversed(range(stages)):
            out = widths[i - 1] if i > 0 else c
            sh = (2 if i < len(hs) - 1 else 1, 2 if i < len(ws) - 1 else 1)
            # exact inverse of the encoder's ceil-halving: one extra row/column where the size was even
            pad = tuple(sizes[i] - 2 * sizes[i + 1] + 1 if s == 2 else 0 for sizes, s in ((hs, sh[0]), (ws, sh[1])))
            layers.append(nn.ConvTranspose2d(widths[i], out, 3, stride=sh, padding=1, output_padding=pad))
            if i > 0:
                layers.append(nn.LeakyReLU(0.2))
        if output == "sigmoid":
            layers.append(nn.Sigmoid())
        self.body = nn.Sequential(*layers)

    def forward(self, z):
        return self.body(self.project(z).view(-1, *self.start))


class Autoencoder(nn.Module):
    """encode → (mean, logvar); a VAE's latent is its mean."""

    def __init__(self, config: AutoencoderConfig):
        super().__init__()
        self.config = config
        if config.is_image:
            self.encoder = ConvEncoder(config.input_shape, config.channels, config.latent_dim, config.variational)
            self.decoder = ConvDecoder(config.input_shape, config.channels, config.latent_dim, config.output)
        else:
            (n,) = config.input_shape
            self.encoder = MLPEncoder(n, config.hidden, config.latent_dim, config.variational)
            self.decoder = MLPDecoder(config.latent_dim, config.hidden, n, config.output)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """x: (n, *input_shape) → z: (n, latent_dim), the posterior mean for a VAE."""
        return self.encoder(x)[0]

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def forward(self, x: torch.Tensor, noise: torch.Tensor | None = None):
        """Returns (reconstruction, mean, logvar). ``noise`` ~ N(0, I) of the latent's shape
        drives the reparameterisation; the caller owns the RNG (no global state here)."""
        mean, logvar = self.encoder(x)
        z = mean
        if logvar is not None and noise is not None:
            z = mean + torch.exp(0.5 * logvar) * noise
        return self.decoder(z), mean, logvar


class AutoencoderRecipe:
    """AE: reconstruction loss. VAE: negative ELBO, recon + β(t)·KL, with β(t) from a KL schedule."""

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


class AutoencoderKind(ModelKind):
    """``ae`` (reconstruction loss) and ``vae`` (ELBO with a KL schedule)."""

    network_type = AutoencoderConfig
    module_type = Autoencoder

    def __init__(self, name: str, *, variational: bool):
        self.name, self.variational = name, variational
        self.description = (
            "variational autoencoder (ELBO, KL schedule)" if variational else "autoencoder (reconstruction loss)"
        )

    def network_config(self, config, input_shape, *, n_classes: int = 0) -> AutoencoderConfig:
        return AutoencoderConfig(
            variational=self.variational,
            input_shape=tuple(input_shape),
            latent_dim=config.latent_dim,
            hidden=config.hidden,
            channels=config.channels,
            output=config.output,
        )

    def recipe(self, config, network) -> AutoencoderRecipe:
        kl = KLSchedule(config.kl_schedule, config.beta_max, config.warmup_epochs, config.kl_cycles)
        return AutoencoderRecipe(kl, variational=self.variational, betas=config.adam_betas or (0.9, 0.999))


KINDS = (AutoencoderKind("ae", variational=False), AutoencoderKind("vae", variational=True))
