"""Per-cluster marginal calibration of decoded samples.

A decoder trained on a few hundred rows maps a cluster's Gaussian onto features whose
one-dimensional distributions are off: an image's background comes out as faint grey instead of
black, a bounded column piles up short of its edges, a skewed one comes out symmetric. A detector
needs nothing more to tell such samples from real ones. The repair is the one a Gaussian copula
makes (Nelsen 2006, *An Introduction to Copulas*; SDV's GaussianCopula fits each column's own
distribution): after decoding, each continuous model-space feature j of cluster k goes through the
monotone map

    x ↦ F_real⁻¹(F_model(x))

with F_model the distribution of feature j in decoded draws of cluster k's Gaussian and F_real
that of cluster k's training rows. A monotone map per feature keeps the order of the samples in
every feature, so the dependence the latent model carries stays; each feature gets the marginal of
the real rows of its cluster. One-hot and missing-indicator features are left as decoded.

Both distributions are stored as quantiles on one grid of levels. The real side is the
piecewise-linear quantile function through one quantile per ``anchor_size`` rows of the cluster
(at most the grid's size), so, in the spirit of the micro-centroid anchors of the latent method
(doi 10.1109/access.2026.3692685), a column's values are kept as one summary per group of rows, not
one per row (a quantile can still fall on a row's own value, as the column minimum and maximum that
the scaling keeps do). Arrays in, arrays out: the caller decodes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["MarginalCalibration", "calibrate_synthesizer", "fit_marginal_calibration", "value_features"]

MAX_LEVELS = 101  # quantiles every 1 %
MAX_STORED = 4_000_000  # quantiles per side (K clusters × levels × features): caps wide images
PREFIX = "marginals_"


@dataclass
class MarginalCalibration:
    """Quantile tables of K clusters over the calibrated features (shapes below); ``apply`` maps."""

    features: np.ndarray  # (p_c,) int64 flat model-space indices that are calibrated
    levels: np.ndarray  # (L,) float64, 0 … 1 increasing
    model_quantiles: np.ndarray  # (K, L, p_c) float64: decoded draws of each cluster's Gaussian
    real_quantiles: np.ndarray  # (K, L, p_c) float64: the cluster's training rows

    def apply(self, X: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """X: (n, …) model-space decoder output, codes: (n,) cluster indices → X with every
        calibrated feature mapped through its cluster's F_real⁻¹ ∘ F_model (same shape and dtype;
        the column scaling's clip to the seen range comes after, in the inverse transform).
        Row by row: a row's output never depends on the other rows."""
        flat = np.array(X, dtype=np.float64).reshape(len(X), -1)
        codes = np.asarray(codes, np.int64)
        for k in np.unique(codes):
            rows = np.flatnonzero(codes == k)
            model, real = self.model_quantiles[k], self.real_quantiles[k]
            for i, j in enumerate(self.features):
                low, high = model[0, i], model[-1, i]
                if high <= low:  # the decoder gives one value here: nothing to rank
                    continue
                x = flat[rows, j]
                mapped = np.interp(np.interp(x, model[:, i], self.levels), self.levels, real[:, i])
                # beyond the draws' range the map goes on linearly (the ranges' ratio as its slope), so
                # the outermost samples, an ellipsoid walk's say, stay apart instead of piling up at the ends
                slope = (real[-1, i] - real[0, i]) / (high - low)
                mapped = np.where(x > high, real[-1, i] + (x - high) * slope, mapped)
                flat[rows, j] = np.where(x < low, real[0, i] + (x - low) * slope, mapped)
        return flat.reshape(np.shape(X)).astype(np.asarray(X).dtype, copy=False)

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {
            f"{PREFIX}features": self.features,
            f"{PREFIX}levels": self.levels,
            f"{PREFIX}model": self.model_quantiles,
            f"{PREFIX}real": self.real_quantiles,
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> MarginalCalibration | None:
        """Inverse of ``to_arrays``; None when the arrays hold no calibration (older artifacts)."""
        if f"{PREFIX}levels" not in arrays:
            return None
        out = cls(
            features=np.asarray(arrays[f"{PREFIX}features"], np.int64),
            levels=np.asarray(arrays[f"{PREFIX}levels"], np.float64),
            model_quantiles=np.asarray(arrays[f"{PREFIX}model"], np.float64),
            real_quantiles=np.asarray(arrays[f"{PREFIX}real"], np.float64),
        )
        expected = (out.model_quantiles.shape[0], len(out.levels), len(out.features))
        if out.model_quantiles.shape != expected or out.real_quantiles.shape != expected:
            raise ValueError(f"marginal calibration arrays disagree in shape: expected (K, L, p) = {expected}")
        return out


def grid_size(n_clusters: int, n_features: int) -> int:
    """Levels of the quantile grid: every 1 %, fewer when K × p features would store too much."""
    return int(np.clip(MAX_STORED // max(1, n_clusters * n_features), 3, MAX_LEVELS))


def real_quantiles(values: np.ndarray, levels: np.ndarray, *, anchor_size: int) -> np.ndarray:
    """values: (m,) one feature of one cluster's rows → (L,) its quantile function on ``levels``,
    piecewise linear through one quantile per ``anchor_size`` rows (at least the minimum and maximum)."""
    coarse = np.linspace(0.0, 1.0, int(np.clip(len(values) // anchor_size + 1, 2, len(levels))))
    return np.interp(levels, coarse, np.quantile(values, coarse))


def fit_marginal_calibration(
    X_real: np.ndarray,
    codes: np.ndarray,
    n_clusters: int,
    *,
    draw: Callable[[int, int], np.ndarray],
    features: np.ndarray,
    indicators: np.ndarray | None = None,
    anchor_size: int = 5,
    n_draws: int = 1000,
) -> MarginalCalibration:
    """Quantile tables of ``features`` for every cluster.

    X_real: (n, p) model-space training rows; codes: (n,) their clusters; draw(k, m) → (m, p)
    decoded draws of cluster k's Gaussian (the model side). indicators: (p_c,) the column of each
    feature's missing indicator, −1 for none; only the cells it marks present count on the real
    side. A cluster with no present value of a feature keeps that feature as decoded (its real
    table is set equal to its model table)."""
    features = np.asarray(features, np.int64)
    indicators = np.full(len(features), -1) if indicators is None else np.asarray(indicators, np.int64)
    levels = np.linspace(0.0, 1.0, grid_size(n_clusters, len(features)))
    model_q = np.empty((n_clusters, len(levels), len(features)))
    real_q = np.empty_like(model_q)
    for k in range(n_clusters):
        decoded = np.asarray(draw(k, n_draws), np.float64).reshape(n_draws, -1)[:, features]
        model_q[k] = np.quantile(decoded, levels, axis=0)
        rows = X_real[codes == k]
        for i, (j, gap) in enumerate(zip(features, indicators)):
            values = rows[:, j] if gap < 0 else rows[rows[:, gap] < 0.5, j]
            real_q[k, :, i] = (
                real_quantiles(values.astype(np.float64), levels, anchor_size=anchor_size)
                if len(values)
                else model_q[k, :, i]
            )
    return MarginalCalibration(features, levels, model_q, real_q)


def value_features(transformer) -> tuple[np.ndarray, np.ndarray]:
    """(features, indicators) of a fitted ``TabularTransformer``: the model-space index of each numeric
    or datetime column's value and of its missing indicator (−1 for a column without gaps)."""
    features, indicators, i = [], [], 0
    for s in transformer.columns_:
        if s.kind in ("numeric", "datetime"):
            features.append(i)
            indicators.append(i + 1 if s.missing else -1)
        i += s.width
    return np.array(features, np.int64), np.array(indicators, np.int64)


def calibrate_synthesizer(syn, X: np.ndarray, codes=None, *, seed: int) -> MarginalCalibration | None:
    """The calibration of a fitted ``LatentSynthesizer`` from its model-space training rows ``X``
    (n, …) with cluster ``codes`` (n,; default: its partition's, or 0 without one), against seeded
    decoded draws of each cluster's Gaussian; None when ``syn.config_.calibrate`` is off or no
    feature is continuous."""
    if not syn.config_.calibrate:
        return None
    if codes is None:
        partition = syn.clusters_.partition
        codes = partition.labels_ if partition is not None else np.zeros(len(X), np.int64)
    X = np.asarray(X).reshape(len(X), -1)
    tabular = syn.data_kind_ == "tabular"
    features, indicators = value_features(syn.transformer_) if tabular else (np.arange(X.shape[1]), None)
    if not len(features):
        return None
    means, chols = syn.gaussians_.means_, syn.gaussians_.cholesky_
    rng = np.random.default_rng([seed, 5])

    def draw(k: int, m: int) -> np.ndarray:
        z = means[k] + rng.standard_normal((m, means.shape[1])) @ chols[k].T
        return syn.decode_features(z, np.full(m, k, np.int64)).reshape(m, -1)

    return fit_marginal_calibration(
        X,
        np.asarray(codes, np.int64),
        len(means),
        draw=draw,
        features=features,
        indicators=indicators,
        anchor_size=syn.config_.anchor_size,
    )
