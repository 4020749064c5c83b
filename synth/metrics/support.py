"""Support metrics: are synthetic samples inside the real data's support, and do they cover it?

α-precision, β-recall, authenticity (Alaa, van Breugel, Saveliev & van der Schaar 2022,
"How faithful is your synthetic data?", ICML), computed as synthcity's ``AlphaPrecision``
computes its "naive" variant: in the given feature space, around the mean of the real rows,

    α-precision curve  P(α) = share of synthetic rows inside the real α-quantile ball
    β-recall curve     R(β) = share of real rows whose nearest synthetic row is closer
                              than their nearest other real row AND lies inside the
                              β-quantile ball of those nearest synthetic rows
    Δ = 1 − Σ_α |α − curve(α)| / Σ_α α     (30 evenly spaced α in [0, 1]; 1 = ideal)
    authenticity       share of synthetic rows farther from their nearest real row than
                       that real row is from its own nearest other real row
                       (0 = every sample is a copy)

Difference from synthcity: synthcity also reports these in the embedding of a
one-class Deep SVDD network it trains on the real data ("_OC"); here only the
direct feature space is used (scaled table features, or image features), which
is synthcity's ``*_naive`` figure, and sets of unequal size are cut to the same
size (seeded) instead of rejected. Authenticity follows the paper's per-sample
rule (each synthetic row against its nearest real row); synthcity's code pairs
real row i's nearest synthetic distance with the real-neighbour distance of the
real row that has the synthetic row's index, which only coincides with the
paper's rule by chance.

PRDC (precision, recall, density, coverage; Naeem, Oh, Uh, Choi & Yoo 2020,
"Reliable fidelity and diversity metrics for generative models", ICML) is the
authors' ``prdc`` package, called on the same features with ``nearest_k``.
"""

from __future__ import annotations

import contextlib
import io

import numpy as np
from sklearn.neighbors import NearestNeighbors

from synth.errors import ConfigError, DataError

__all__ = ["N_ALPHAS", "alpha_precision", "prdc", "support_metrics"]

N_ALPHAS = 30  # synthcity's number of α steps


def _pair(X_real, X_syn, *, min_rows: int) -> tuple[np.ndarray, np.ndarray]:
    real = X_real.to_numpy(float) if hasattr(X_real, "to_numpy") else np.asarray(X_real, dtype=np.float64)
    syn = X_syn.to_numpy(float) if hasattr(X_syn, "to_numpy") else np.asarray(X_syn, dtype=np.float64)
    if real.ndim < 2 or syn.ndim < 2:
        raise DataError(f"support metrics need (n, p) feature rows; got shapes {real.shape} and {syn.shape}")
    real, syn = real.reshape(len(real), -1), syn.reshape(len(syn), -1)
    if real.shape[1] != syn.shape[1]:
        raise DataError(
            f"real rows have {real.shape[1]} features but synthetic rows {syn.shape[1]}; use the same feature space"
        )
    if min(len(real), len(syn)) < min_rows:
        raise DataError(
            f"support metrics need at least {min_rows} real and synthetic rows; got {len(real)} and {len(syn)}"
        )
    if not (np.isfinite(real).all() and np.isfinite(syn).all()):
        raise DataError("support metrics need finite features; impute or drop NaN / infinite values first")
    return real, syn


def _equal_size(real, syn, random_state) -> tuple[np.ndarray, np.ndarray]:
    n = min(len(real), len(syn))
    rng = np.random.default_rng(random_state)
    pick = lambda X: X if len(X) == n else X[np.sort(rng.choice(len(X), n, replace=False))]  # noqa: E731
    return pick(real), pick(syn)


def _delta(alphas: np.ndarray, curve: np.ndarray) -> float:
    return float(1.0 - np.abs(alphas - curve).sum() / alphas.sum())


def alpha_precision(X_real, X_syn, *, random_state=0) -> dict:
    """α-precision, β-recall (Δ areas) and authenticity of ``X_syn`` (m, p) against ``X_real`` (n, p).

    Returns {"alpha_precision", "beta_recall", "authenticity", "alphas", "alpha_precision_curve",
    "beta_recall_curve", "n"} (n = rows per set after cutting both to the smaller size)."""
    real, syn = _pair(X_real, X_syn, min_rows=3)
    real, syn = _equal_size(real, syn, random_state)
    alphas = np.linspace(0.0, 1.0, N_ALPHAS)
    center = real.mean(axis=0)
    radii = np.quantile(np.linalg.norm(real - center, axis=1), alphas)
    syn_to_center = np.linalg.norm(syn - center, axis=1)

    real_to_real = NearestNeighbors(n_neighbors=2).fit(real).kneighbors(real)[0][:, 1]  # nearest *other* real row
    real_to_syn, nearest_syn = NearestNeighbors(n_neighbors=1).fit(syn).kneighbors(real)
    real_to_syn, nearest_syn = real_to_syn[:, 0], nearest_syn[:, 0]
    # β balls are centred on the synthetic mean, over the synthetic rows nearest to each real row
    closest_to_syn_center = np.linalg.norm(syn[nearest_syn] - syn.mean(axis=0), axis=1)
    beta_radii = np.quantile(closest_to_syn_center, alphas)

    precision_curve = np.array([np.mean(syn_to_center <= r) for r in radii])
    recall_curve = np.array([np.mean((real_to_syn <= real_to_real) & (closest_to_syn_center <= r)) for r in beta_radii])
    syn_to_real, nearest_real = NearestNeighbors(n_neighbors=1).fit(real).kneighbors(syn)
    authentic = syn_to_real[:, 0] > real_to_real[nearest_real[:, 0]]
    return {
        "alpha_precision": _delta(alphas, precision_curve),
        "beta_recall": _delta(alphas, recall_curve),
        "authenticity": float(np.mean(authentic)),
        "alphas": alphas.tolist(),
        "alpha_precision_curve": precision_curve.tolist(),
        "beta_recall_curve": recall_curve.tolist(),
        "n": int(len(real)),
    }


def prdc(X_real, X_syn, *, nearest_k: int = 5) -> dict:
    """Precision, recall, density, coverage from the ``prdc`` package (k-NN balls of ``nearest_k``).
    X_real: (n, p), X_syn: (m, p), each with more than ``nearest_k`` rows."""
    from prdc import compute_prdc

    if not isinstance(nearest_k, (int, np.integer)) or nearest_k < 1:
        raise ConfigError(f"nearest_k must be an integer ≥ 1, got {nearest_k!r}")
    real, syn = _pair(X_real, X_syn, min_rows=nearest_k + 1)
    with contextlib.redirect_stdout(io.StringIO()):  # compute_prdc prints the set sizes
        values = compute_prdc(real_features=real, fake_features=syn, nearest_k=int(nearest_k))
    return {**{k: float(v) for k, v in values.items()}, "nearest_k": int(nearest_k)}


def support_metrics(X_real, X_syn, *, nearest_k: int = 5, random_state=0, feature_space: str = "scaled features"):
    """α-precision / β-recall / authenticity and PRDC on the same features, with the name of the
    space they were computed in: {"feature_space", "alpha_precision", "beta_recall",
    "authenticity", "prdc": {"precision", "recall", "density", "coverage", "nearest_k"}, "n"}."""
    alpha = alpha_precision(X_real, X_syn, random_state=random_state)
    return {
        "feature_space": feature_space,
        "alpha_precision": alpha["alpha_precision"],
        "beta_recall": alpha["beta_recall"],
        "authenticity": alpha["authenticity"],
        "prdc": prdc(X_real, X_syn, nearest_k=nearest_k),
        "n": alpha["n"],
    }
