"""Fixtures for the synth tests: toy 2-D records, and a tiny VAE with its data and recipe."""

from __future__ import annotations

import pytest


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
