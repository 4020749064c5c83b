"""Latent learners: plain and variational autoencoders, MLP for rows, conv for images.

Seed 001 §4.3.1 sizes are the MLP defaults (encoder 16-8, latent 5, decoder
8-16, linear output). The conv pair halves H×W with stride-2 convolutions
until it is at most 4×4 and mirrors that exactly (output padding chosen per
axis), so any H×W from 8×8 digits to 64×64 flowers round-trips. The modules
know nothing about optimisers or losses (see ``synth.losses``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class AutoencoderConfig:
    """Everything that builds the network; stored in model.json beside the weights."""

    variational: bool = True
    input_shape: tuple[int, ...] = (4,)  # (features,) for rows, (C, H, W) for images
    latent_dim: int = 5
    hidden: tuple[int, ...] = (16, 8)  # MLP encoder widths (decoder mirrors them)
    channels: tuple[int, ...] = (32, 64)  # conv widths, one per stride-2 stage (extra stages reuse the last)
    output: str = "linear"  # "linear" (seed 001) or "sigmoid"

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
    """encode → (mean, logvar); a VAE's latent is its mean (SPEC §4)."""

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
