"""DCGAN and WGAN-GP, plain or class-conditional (the kinds ``dcgan``, ``wgan-gp``,
``cdcgan``, ``cwgan-gp``): networks, the recipe that trains them, defaults and kinds.

Sizes and hyper-parameters follow the synthetic-data project report (VAE, DCGAN and
WGAN-GP on Iris, ADHD-200, MNIST and Flowers-102): §4.3.2 "Deep Convolutional GAN",
§4.3.3 "Wasserstein GAN with Gradient Penalty" and Table 4.1 "Hyperparameters Used
Across Models".

Generator: noise z (n, latent_dim) [+ a label embedding] → dense → a small
start map (channels × h₀ × w₀) → stride-2 transposed convolutions with
BatchNorm + LeakyReLU (ReLU for WGAN-GP, as the report's Flowers-102 model) → a 5×5
conv to C channels → tanh, mapped to [0, 1] (the model space of
``synth.data``). The start size comes from halving H and W until they are
at most 8 (at least once): 28 → 14 → 7 gives the report's 7×7×256 MNIST start,
64 → 32 → 16 → 8 its 8×8×256 Flowers start, 8×8 digits start at 4×4.
Odd sizes are reached exactly with per-axis output padding.

Discriminator / critic: the mirror image, stride-2 convolutions with
LeakyReLU and no normalisation (a WGAN-GP critic must not batch-normalise:
the gradient penalty is per sample, Gulrajani et al. 2017), flatten, one linear score.
Conditional variants add a projection term ⟨embed(y), φ(x)⟩ (Miyato & Koyama 2018),
so ``cluster=`` asks a GAN for a class.

A GAN has no encoder: its latent is the generator's noise, its clusters are its
classes (one cluster "all" when unconditional) and each cluster's Gaussian is the
prior N(0, I), so every generator method walks the noise space.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.utils.data import TensorDataset

from synth.errors import ConfigError
from synth.latent_clusters import LatentClusters, label_partition, prior_clusters
from synth.models.kind import ModelKind
from synth.training.loop import TrainConfig
from synth.training.losses import (
    discriminator_loss,
    generator_loss,
    gradient_penalty,
    wasserstein_critic_loss,
    wasserstein_generator_loss,
)

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
    Training steps them separately (``GANRecipe``)."""

    def __init__(self, config: GANConfig):
        super().__init__()
        self.config = config
        self.generator = Generator(config)
        self.discriminator = Discriminator(config)
        self.apply(_init_weights)

    def decode(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """The facade's decoder: noise (n, latent_dim) [+ class codes] → images (n, C, H, W) in [0, 1]."""
        return self.generator(z, labels)


# How a GAN takes one training step: two modules, two Adam optimisers. Each batch of real
# images gets ``critic_steps`` discriminator/critic updates (fresh noise each time, the same
# real batch, as the Keras WGAN-GP example the report follows) and then one generator update.
# All noise comes from the loop's ``torch.Generator``; a conditional GAN's fakes use the real
# batch's class codes, so classes stay balanced as in the data.
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
        # separate modules so Ray Train can DDP-wrap each one
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


# Table 4.1 of the report (DCGAN: 100-d noise, lr 2e-4, β₁ 0.5, batch 128; WGAN-GP: 128-d noise,
# lr 1e-4, λ = 10, 5 critic steps, batch 64). The report gives no Adam betas for WGAN-GP:
# (0.5, 0.9) as in Gulrajani et al.'s released code.
_SHARED = dict(gan_channels=256, val_fraction=0.0, epochs=60)
GAN_DEFAULTS = {
    "dcgan": dict(latent_dim=100, lr=2e-4, adam_betas=(0.5, 0.999), batch_size=128, critic_steps=1, **_SHARED),
    "wgan-gp": dict(latent_dim=128, lr=1e-4, adam_betas=(0.5, 0.9), batch_size=64, critic_steps=5, **_SHARED),
}


class GANKind(ModelKind):
    family = "gan"
    data_kinds = ("image",)
    network_type = GANConfig
    module_type = GAN

    def __init__(self, name: str, *, base: str, conditional: bool):
        self.name, self.base, self.conditional = name, base, conditional
        what = {
            "dcgan": "DCGAN (non-saturating loss, BatchNorm + LeakyReLU)",
            "wgan-gp": "WGAN-GP (Wasserstein loss, gradient penalty, critic without BatchNorm)",
        }[base]
        self.description = f"class-conditional {what}, projection discriminator" if conditional else what

    def defaults(self, config) -> dict:
        if config.val_fraction:
            raise ConfigError(
                f"{self.name} has no validation loss to monitor; leave val_fraction unset (GANs train "
                "on every row they are given)"
            )
        return GAN_DEFAULTS[self.base]

    def network_config(self, config, input_shape, *, n_classes: int = 0) -> GANConfig:
        if len(input_shape) != 3:
            raise ConfigError(f"{self.name} takes images (C, H, W), got data of shape {tuple(input_shape)}")
        if self.conditional and n_classes < 2:
            raise ConfigError(
                f"{self.name} is class-conditional and needs labelled images with at least 2 classes "
                f"(got {n_classes}); pass labels, or use {self.base} for unlabelled data"
            )
        return GANConfig(
            input_shape=tuple(input_shape),
            latent_dim=config.latent_dim,
            n_classes=n_classes if self.conditional else 0,
            channels=config.gan_channels,
            activation="relu" if self.base == "wgan-gp" else "leaky_relu",
        )

    def network_from_dict(self, obj: dict) -> GANConfig:
        return GANConfig(**obj)

    def recipe(self, config, network: GANConfig) -> GANRecipe:
        return GANRecipe(
            objective="wasserstein" if self.base == "wgan-gp" else "standard",
            latent_dim=network.latent_dim,
            conditional=network.conditional,
            critic_steps=config.critic_steps,
            gp_weight=config.gp_weight,
            betas=config.adam_betas,
        )

    def training_sets(self, X, labels, *, network, val_fraction, seed) -> tuple[TensorDataset, None]:
        """Every row (a GAN has no validation loss); class codes ride along for a conditional GAN."""
        X = torch.from_numpy(np.ascontiguousarray(X))
        if network.conditional:
            return TensorDataset(X, torch.from_numpy(label_partition(labels).labels_)), None
        return TensorDataset(X), None

    def fit_clusters(self, X, labels, *, encode, network, config, seed) -> LatentClusters:
        return prior_clusters(
            labels,
            len(X),
            dim=network.latent_dim,
            conditional=network.conditional,
            q=config.q,
            seed=seed,
            model=self.name,
        )

    def decode(self, module, z, codes):
        labels = torch.from_numpy(np.asarray(codes, np.int64)) if module.config.conditional else None
        return module.decode(z, labels)


KINDS = (
    GANKind("dcgan", base="dcgan", conditional=False),
    GANKind("wgan-gp", base="wgan-gp", conditional=False),
    GANKind("cdcgan", base="dcgan", conditional=True),
    GANKind("cwgan-gp", base="wgan-gp", conditional=True),
)
