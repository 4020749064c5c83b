"""DCGAN and WGAN-GP networks, plain or class-conditional (seed 001 §4.3.2–4.3.3).

Generator: noise z (n, latent_dim) [+ a label embedding] → dense → a small
start map (channels × h₀ × w₀) → stride-2 transposed convolutions with
BatchNorm + LeakyReLU (ReLU for WGAN-GP, as in seed 001 §4.4.3) → a 5×5
conv to C channels → tanh, mapped to [0, 1] (the model space of
``synth.data``). The start size comes from halving H and W until they are
at most 8 (at least once): 28 → 14 → 7 gives seed 001's 7×7×256 MNIST start,
64 → 32 → 16 → 8 its 8×8×256 Flowers start, 8×8 digits start at 4×4.
Odd sizes are reached exactly with per-axis output padding.

Discriminator / critic: the mirror image, stride-2 convolutions with
LeakyReLU and no normalisation (a WGAN-GP critic must not batch-normalise,
seed 001 §4.4.3), flatten, one linear score. Conditional variants add a
projection term ⟨embed(y), φ(x)⟩ (Miyato & Koyama 2018), so ``cluster=``
asks a GAN for a class. Modules know nothing of losses or optimisers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from synth.errors import ConfigError

MIN_SIZE = 4


@dataclass(frozen=True)
class GANConfig:
    """Everything that builds the networks; stored in model.json beside the weights."""

    input_shape: tuple[int, int, int] = (1, 28, 28)  # (C, H, W)
    latent_dim: int = 100  # noise size (DCGAN 100, WGAN-GP 128)
    n_classes: int = 0  # 0: unconditional
    channels: int = 256  # generator's first feature map
    embed_dim: int = 32  # label embedding fed to the generator
    activation: str = "leaky_relu"  # generator: "leaky_relu" (DCGAN) or "relu" (WGAN-GP)

    def __post_init__(self):
        object.__setattr__(self, "input_shape", tuple(int(s) for s in self.input_shape))
        if len(self.input_shape) != 3 or self.input_shape[0] not in (1, 3):
            raise ConfigError(f"GANs take images (C, H, W) with 1 or 3 channels, got {self.input_shape}")
        if min(self.input_shape[1:]) < MIN_SIZE:
            raise ConfigError(f"GANs need images of at least {MIN_SIZE}×{MIN_SIZE}, got {self.input_shape[1:]}")
        if self.activation not in ("leaky_relu", "relu"):
            raise ConfigError(f"activation must be 'leaky_relu' or 'relu', got {self.activation!r}")

    @property
    def conditional(self) -> bool:
        return self.n_classes > 0


def _levels(size: int) -> list[int]:
    """Feature-map sizes from the image down to the start: 28 → [28, 14, 7], 8 → [8, 4]."""
    sizes = [size]
    while sizes[-1] > 8 or len(sizes) == 1:
        sizes.append(math.ceil(sizes[-1] / 2))
    return sizes


def _plan(config: GANConfig):
    """(H levels, W levels, stages, widths): level i has ``widths[i]`` channels, i = 0 at the
    start map; the shorter axis repeats its last size (stride 1 on the extra stages)."""
    _, h, w = config.input_shape
    hs, ws = _levels(h), _levels(w)
    stages = max(len(hs), len(ws)) - 1
    hs += [hs[-1]] * (stages + 1 - len(hs))
    ws += [ws[-1]] * (stages + 1 - len(ws))
    floor = min(32, config.channels)
    widths = [max(config.channels // 2**i, floor) for i in range(stages + 1)]
    return hs, ws, stages, widths


def _activation(name: str) -> nn.Module:
    return nn.LeakyReLU(0.2) if name == "leaky_relu" else nn.ReLU()


class Generator(nn.Module):
    def __init__(self, config: GANConfig):
        super().__init__()
        hs, ws, stages, widths = _plan(config)
        self.start = (widths[0], hs[-1], ws[-1])
        self.embed = nn.Embedding(config.n_classes, config.embed_dim) if config.conditional else None
        n_in = config.latent_dim + (config.embed_dim if config.conditional else 0)
        self.project = nn.Sequential(
            nn.Linear(n_in, math.prod(self.start), bias=False),
            nn.BatchNorm1d(math.prod(self.start)),
            _activation(config.activation),
        )
        layers = []
        for i in range(stages):  # level (stages − i) → (stages − i − 1), i.e. towards the image
            src, dst = stages - i, stages - i - 1
            stride = (2 if hs[dst] != hs[src] else 1, 2 if ws[dst] != ws[src] else 1)
            # k=5, p=2: out = 2·in − 1 + output_padding, so odd and even targets both come out exact
            pad = tuple(
                t - 2 * s + 1 if st == 2 else 0
                for t, s, st in ((hs[dst], hs[src], stride[0]), (ws[dst], ws[src], stride[1]))
            )
            layers += [
                nn.ConvTranspose2d(
                    widths[i], widths[i + 1], 5, stride=stride, padding=2, output_padding=pad, bias=False
                ),
                nn.BatchNorm2d(widths[i + 1]),
                _activation(config.activation),
            ]
        layers.append(nn.Conv2d(widths[stages], config.input_shape[0], 5, padding=2))
        self.body = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """z: (n, latent_dim), labels: (n,) int64 class codes (conditional) → (n, C, H, W) in [0, 1]."""
        if self.embed is not None:
            if labels is None:
                raise ConfigError("a conditional generator needs class labels")
            z = torch.cat([z, self.embed(labels)], dim=1)
        h = self.project(z).view(-1, *self.start)
        return (torch.tanh(self.body(h)) + 1.0) / 2.0


class Discriminator(nn.Module):
    """Also the WGAN-GP critic: no normalisation layer anywhere (the gradient penalty is per sample)."""

    def __init__(self, config: GANConfig):
        super().__init__()
        hs, ws, stages, widths = _plan(config)
        layers, width = [], config.input_shape[0]
        for j in range(stages):  # level j → j + 1, towards the start size
            stride = (2 if hs[j + 1] != hs[j] else 1, 2 if ws[j + 1] != ws[j] else 1)
            out = widths[stages - j - 1]
            layers += [nn.Conv2d(width, out, 5, stride=stride, padding=2), nn.LeakyReLU(0.2)]
            width = out
        self.body = nn.Sequential(*layers, nn.Flatten())
        features = width * hs[-1] * ws[-1]
        self.score = nn.Linear(features, 1)
        self.embed = nn.Embedding(config.n_classes, features) if config.conditional else None

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """x: (n, C, H, W) in [0, 1] → (n,) raw scores (logits for DCGAN, critic values for WGAN-GP)."""
        phi = self.body(x * 2.0 - 1.0)
        out = self.score(phi).squeeze(1)
        if self.embed is not None:
            if labels is None:
                raise ConfigError("a conditional discriminator needs class labels")
            out = out + (self.embed(labels) * phi).sum(dim=1)
        return out


def _init_weights(module: nn.Module) -> None:
    """DCGAN initialisation (Radford et al. 2016 §4): N(0, 0.02) weights, BN γ ~ N(1, 0.02)."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class GAN(nn.Module):
    """The pair; one state dict (``generator.*``, ``discriminator.*``) for the artifact.
    Training steps them separately (``synth.gan_recipes``)."""

    def __init__(self, config: GANConfig):
        super().__init__()
        self.config = config
        self.generator = Generator(config)
        self.discriminator = Discriminator(config)
        self.apply(_init_weights)

    def decode(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """The facade's decoder: noise (n, latent_dim) [+ class codes] → images (n, C, H, W) in [0, 1]."""
        return self.generator(z, labels)
