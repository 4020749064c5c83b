"""Fixtures for the synth tests: toy 2-D records, a tiny VAE with its data and recipe, and the
FID fixtures.

FID: no download here: a session fixture writes stand-in Inception weights of the
right shapes where pytorch-fid looks ($TORCH_HOME/hub/checkpoints/…), so the real code path of
both pytorch-fid and ours runs. Values computed with them prove exactness and plumbing, never
image quality. Inception costs ~0.1–1 s per image on these CPUs, so the images are few and tiny
and the expensive numbers are computed once per session."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F


@pytest.fixture(scope="session")
def records():
    """90 toy 2-D records (16×20), three classes of class-dependent peaks plus noise."""
    from synth.data.toy_records import peak_records

    return peak_records()


class TinyVAE:
    """A 5-feature VAE (latent 2), 96 seeded rows and a linear-warm-up recipe: what the
    checkpoint and run-directory tests train and fingerprint."""

    @staticmethod
    def data(n=96):
        import numpy as np
        import torch
        from torch.utils.data import TensorDataset

        return TensorDataset(torch.from_numpy(np.random.default_rng(0).random((n, 5), dtype=np.float32)))

    @staticmethod
    def vae(seed=0, latent_dim=2):
        import torch

        from synth.models.autoencoder import Autoencoder, AutoencoderConfig

        torch.manual_seed(seed)
        return Autoencoder(AutoencoderConfig(variational=True, input_shape=(5,), latent_dim=latent_dim))

    @staticmethod
    def recipe():
        from synth.models.autoencoder import AutoencoderRecipe
        from synth.training.schedules import KLSchedule

        return AutoencoderRecipe(KLSchedule("linear", beta_max=0.01, warmup_epochs=3), variational=True)


@pytest.fixture(scope="session")
def tiny():
    return TinyVAE


# ---------------------------------------------------------------- FID
NOTE = "(stand-in Inception weights: proves exactness/plumbing, not image quality)"


@pytest.fixture
def offline_torch_home(fid_torch_home, monkeypatch) -> Path:
    """TORCH_HOME pointing at the stand-in weights for this test (pytorch-fid's own lookup)."""
    monkeypatch.setenv("TORCH_HOME", str(fid_torch_home))
    return fid_torch_home


@pytest.fixture(scope="session")
def inception(fid_weights):
    """One pytorch-fid InceptionV3 (stand-in weights) for the session; CPU."""
    from synth.metrics.fid import InceptionExtractor

    return InceptionExtractor(fid_weights, device="cpu")


def write_pngs(folder: Path, images: np.ndarray, *, mode: str | None = None) -> Path:
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for i, image in enumerate(images):
        Image.fromarray(image, mode=mode).save(folder / f"{i:03d}.png")
    return folder


def two_distributions(n: int, size: int = 16, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(n, size, size, 3) uint8 each: uniform noise vs darker noise (u^2.5): far apart in features."""
    rng = np.random.default_rng(seed)
    real = (rng.random((n, size, size, 3)) * 255).astype(np.uint8)
    gen = (rng.random((n, size, size, 3)) ** 2.5 * 255).astype(np.uint8)
    return real, gen


@pytest.fixture(scope="session")
def fid_folders(tmp_path_factory) -> tuple[Path, Path]:
    """real/ and gen/: 10 PNGs of 16×16 RGB each."""
    root = tmp_path_factory.mktemp("fid_images")
    real, gen = two_distributions(10)
    return write_pngs(root / "real", real), write_pngs(root / "gen", gen)


@pytest.fixture(scope="session")
def folder_stats(fid_folders, inception):
    """Our streamed FeatureStats of both folders (computed once)."""
    from synth.metrics.fid import feature_stats

    return tuple(feature_stats(folder, extractor=inception) for folder in fid_folders)


class PoolFeatures:
    """A cheap stand-in extractor for plumbing tests: the same 299×299 bilinear resize as
    pytorch-fid's Inception, then 4×4 average pooling → 48 features per image."""

    id = "test-pool-48"
    device = "cpu"
    official = False

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(batch, size=(299, 299), mode="bilinear", align_corners=False)
        return F.adaptive_avg_pool2d(x, (4, 4)).flatten(1)


@pytest.fixture
def pool_features() -> PoolFeatures:
    return PoolFeatures()
