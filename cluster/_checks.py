"""Input checks shared by the cluster estimators.

One place turns bad arrays and arguments into ``ValueError`` messages a user
can act on: what was wrong, with which value, and what to do.
"""

from __future__ import annotations

import numbers

import numpy as np


def as_latents(Z, *, name: str = "Z", n_features: int | None = None, min_rows: int = 1) -> np.ndarray:
    """Return ``Z`` as a finite float64 (n, d) array or raise ``ValueError``."""
    try:
        arr = np.asarray(Z, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a numeric (n, d) array; converting it to float64 failed ({exc}).") from None
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D with shape (n, d), got ndim={arr.ndim} (shape {arr.shape}); "
            "reshape a single point with z.reshape(1, -1)."
        )
    if arr.shape[1] == 0:
        raise ValueError(f"{name} has shape {arr.shape}: it needs at least one feature column.")
    if arr.shape[0] < min_rows:
        raise ValueError(f"{name} has {arr.shape[0]} rows; at least {min_rows} are needed.")
    finite = np.isfinite(arr)
    if not finite.all():
        row, col = np.argwhere(~finite)[0]
        raise ValueError(
            f"{name} contains NaN or inf (first at row {row}, column {col}, value {arr[row, col]}); "
            "drop or impute those rows first."
        )
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(
            f"{name} has {arr.shape[1]} features but the model was fitted on {n_features}; "
            "pass latents from the same encoder."
        )
    return arr


def as_codes(labels, *, n_rows: int, name: str = "labels") -> np.ndarray:
    """Return integer cluster codes (n,) int64, all >= 0, or raise ``ValueError``."""
    arr = np.asarray(labels)
    if arr.ndim != 1 or arr.shape[0] != n_rows:
        raise ValueError(f"{name} must have shape ({n_rows},) to match the rows of Z, got shape {arr.shape}.")
    if arr.dtype.kind not in "iu":
        raise ValueError(
            f"{name} must be integer cluster codes 0..K-1, got dtype {arr.dtype}; "
            "encode arbitrary labels with LabelPartition first."
        )
    if n_rows and arr.min() < 0:
        raise ValueError(f"{name} must be codes 0..K-1, found the negative code {int(arr.min())}.")
    return arr.astype(np.int64, copy=False)


def check_int(value, *, name: str, minimum: int) -> int:
    """Return ``value`` as a Python int >= ``minimum`` or raise ``ValueError``."""
    # bool is an Integral, but True clusters are always a caller's mistake
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}.")
    return int(value)


def check_float(
    value, *, name: str, low: float, high: float = np.inf, low_open: bool = False, high_open: bool = False
) -> float:
    """Return ``value`` as a float within [low, high] (ends open on request)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}.")
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if too_low or too_high:
        lo, hi = ("(" if low_open else "["), (")" if high_open else "]")
        raise ValueError(f"{name} must lie in {lo}{low}, {high}{hi}, got {value}.")
    return float(value)


def check_random_state(random_state) -> np.random.Generator:
    """Turn an int seed, ``None`` or a ``numpy.random.Generator`` into a Generator.

    A passed Generator is used as is (not copied), so a caller threading one
    Generator through several steps gets one reproducible stream.
    """
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or (isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool)):
        if random_state is not None and random_state < 0:
            raise ValueError(f"random_state must be a non-negative int seed, got {random_state}.")
        return np.random.default_rng(random_state)
    raise ValueError(f"random_state must be an int seed, None or a numpy.random.Generator, got {random_state!r}.")
