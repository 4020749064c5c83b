"""FID over epochs (the VAE/GAN/FID report's FID-by-epoch plot): a training callback for image models.

Every ``every`` epochs it decodes ``n`` images from the model in training and
logs their FID against ``n`` of the training images as ``fid`` in that epoch's
logs, so it lands in history.csv and in the history plot. The decoder is fed
from one Gaussian fitted to the current latents of those training images: the
method's own sampler with a single cluster (the per-cluster Gaussians exist
only once training ends). A GAN (decode only) is fed its own prior: N(0, I)
noise and, when class-conditional, classes drawn uniformly. Other models pass
``sampler=``.

It draws from its own seeded generator, never from the loop's, so training
takes exactly the same steps with or without it.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import torch

from synth.errors import ConfigError
from synth.metrics.fid import InceptionExtractor, feature_stats, fid_from_stats
from synth.training.loop import Callback

CHUNK = 256


@torch.no_grad()
def latent_gaussian_sampler(
    model: torch.nn.Module, images: torch.Tensor, n: int, generator: torch.Generator
) -> torch.Tensor:
    """Decode n latents drawn from N(mean, cov) of ``model.encode(images)``.
    images: (m, C, H, W) in [0, 1] → (n, C, H, W) float32 clipped to [0, 1]."""
    if not (hasattr(model, "encode") and hasattr(model, "decode")):
        raise ConfigError(f"{type(model).__name__} has no encode/decode; pass FIDCallback(sampler=...)")
    Z = torch.cat([model.encode(part) for part in images.split(CHUNK)]).double()
    d = Z.shape[1]
    centered = Z - Z.mean(dim=0)
    cov = centered.T @ centered / max(len(Z) - 1, 1) + 1e-6 * torch.eye(d, dtype=torch.float64)
    noise = torch.randn(n, d, generator=generator, dtype=torch.float64)
    latents = (Z.mean(dim=0) + noise @ torch.linalg.cholesky(cov).T).float()
    return torch.cat([model.decode(part) for part in latents.split(CHUNK)]).clamp(0, 1)


@torch.no_grad()
def gan_prior_sampler(model: torch.nn.Module, images: torch.Tensor, n: int, generator: torch.Generator) -> torch.Tensor:
    """A GAN's own prior: N(0, I) noise, and uniform classes for a class-conditional one."""
    config = model.config
    noise = torch.randn(n, config.latent_dim, generator=generator)
    labels = torch.randint(config.n_classes, (n,), generator=generator) if config.n_classes else None
    parts = [
        model.decode(z, None if labels is None else labels[i : i + CHUNK])
        for i, z in zip(range(0, n, CHUNK), noise.split(CHUNK))
    ]
    return torch.cat(parts).clamp(0, 1)


def default_sampler(model: torch.nn.Module, images: torch.Tensor, n: int, generator: torch.Generator) -> torch.Tensor:
    """A GAN (a generator, no encoder) samples its prior; an autoencoder its latent Gaussian."""
    if hasattr(model, "generator") and not hasattr(model, "encode"):
        return gan_prior_sampler(model, images, n, generator)
    return latent_gaussian_sampler(model, images, n, generator)


class FIDCallback(Callback):
    """Log ``fid`` every ``every`` epochs (rank 0 only under Ray Train).

    n: images on each side; reference: precomputed FeatureStats of the real side
    (default: n training images, chosen with ``seed``); weights/device/batch_size:
    as ``synth.metrics.fid.fid_score``; extractor: replaces pytorch-fid's Inception.
    """

    def __init__(
        self,
        *,
        every: int,
        n: int = 200,
        batch_size: int = 50,
        weights=None,
        device: str | None = None,
        seed: int = 0,
        reference=None,
        extractor=None,
        sampler: Callable[[torch.nn.Module, torch.Tensor, int, torch.Generator], torch.Tensor] | None = None,
    ):
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ConfigError(f"FID every K epochs needs an integer K ≥ 1, got {every!r}")
        if n < 2:
            raise ConfigError(f"FID needs at least 2 images per side, got n={n}")
        self.every, self.n, self.batch_size, self.seed = every, n, batch_size, seed
        self.weights, self.device, self.reference, self.extractor = weights, device, reference, extractor
        self.sampler = sampler or default_sampler
        self.images = None

    def on_train_begin(self, loop) -> None:
        if loop.rank != 0:
            return
        images = loop.train.tensors[0]
        if images.ndim != 4:
            raise ConfigError("FID needs image data; this model trains on rows (drop --fid-every)")
        if self.extractor is None:
            self.extractor = InceptionExtractor(self.weights, device=self.device)
        order = torch.randperm(len(images), generator=torch.Generator().manual_seed(self.seed))
        self.images = images[order[: self.n]].clamp(0, 1)
        if self.reference is None:
            with _all_cores():
                self.reference = feature_stats(self.images, extractor=self.extractor, batch_size=self.batch_size)

    def on_epoch_end(self, loop, logs: dict) -> None:
        if loop.rank != 0 or logs["epoch"] % self.every:
            return
        model = loop.model
        was_training = model.training
        model.eval()
        try:
            generated = self.sampler(model, self.images, self.n, torch.Generator().manual_seed(self.seed))
        finally:
            model.train(was_training)
        with _all_cores():
            stats = feature_stats(generated.detach().cpu(), extractor=self.extractor, batch_size=self.batch_size)
        logs["fid"] = fid_from_stats(self.reference, stats)


class _all_cores:
    """Inception wants every core; the loop may have pinned small models to one thread."""

    def __enter__(self):
        self.previous = torch.get_num_threads()
        torch.set_num_threads(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count())

    def __exit__(self, *exc):
        torch.set_num_threads(self.previous)
