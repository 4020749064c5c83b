"""A toy labelled 2-D record set for tests, benchmarks and trying the double autoencoder:
class-dependent Gaussian peaks on an H×W grid plus noise (a stand-in for the double-autoencoder paper's
GC-IMS spectra, which cannot ship with the package)."""

from __future__ import annotations

import numpy as np


def peak_records(
    n_per_class: int = 30, *, classes: int = 3, shape=(16, 20), noise: float = 0.02, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Class c has one peak at a class-specific (row, column), its position jittered by
    N(0, 0.6²) cells and its height by 15 %, plus white noise of σ = ``noise``; values are
    made non-negative (intensities). Returns (records (N, H, W) float64, labels (N,) 'c0', …)."""
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
