"""Fixtures for the GAN / double-AE / record tests: a synthetic 2-D record set."""
from __future__ import annotations

import numpy as np
import pytest


def peak_records(n_per_class: int = 30, *, classes: int = 3, shape=(16, 20), noise: float = 0.02,
                 seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Class-dependent Gaussian peaks on an H×W grid (a stand-in for GC-IMS spectra, seed 003):
    class c has one peak at a class-specific (row, column) with jittered position and height,
    plus white noise. Returns (records (N, H, W) float64 ≥ 0, labels (N,) 'c0', 'c1', …)."""
    rng = np.random.default_rng(seed)
    h, w = shape
    rows, cols = np.mgrid[:h, :w]
    out, labels = [], []
    for c in range(classes):
        for _ in range(n_per_class):
            r0 = (c + 1) * h / (classes + 1) + rng.normal(0, 0.6)
            c0 = (classes - c) * w / (classes + 1) + rng.normal(0, 0.6)
            peak = (1 + 0.15 * rng.standard_normal()) * np.exp(-((rows - r0) ** 2 + (cols - c0) ** 2) / 5.0)
            out.append(np.abs(peak + noise * rng.standard_normal((h, w))))
            labels.append(f"c{c}")
    return np.array(out), np.array(labels)


@pytest.fixture(scope="session")
def records():
    return peak_records()
