"""Distance to closest record (DCR), a memorisation check for synthetic data.

For each synthetic row, the Euclidean distance to its nearest training row.
Distances are only comparable on a common scale, so the caller passes
features already scaled (min-max to [0, 1], fitted on the training data).

Interpretation: DCR alone has no natural unit, so it is compared with the
same distance for fresh real rows that the model never saw (a holdout set):

    dcr_ratio = median DCR(synthetic → train) / median DCR(holdout → train)

≈ 1   synthetic rows are no closer to training rows than new real rows are —
      what a model that learned the distribution (not the records) gives;
≪ 1   synthetic rows sit on top of training rows: memorisation, a privacy risk;
> 1   synthetic rows are farther away than real ones (often lower fidelity).

`exact_copies` (share of synthetic rows at distance < 1e-8 from a training
row) flags verbatim leaks directly, whatever the ratio.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from synth.errors import DataError

__all__ = ["EXACT_COPY_TOL", "distance_to_closest_record"]

EXACT_COPY_TOL = 1e-8


def feature_matrix(X, name: str, n_features: int | None = None, *, flatten: bool = False) -> np.ndarray:
    """A finite float64 (n, p) matrix of ``X`` or a DataError naming ``name``; ``flatten`` reads
    (n, ...) arrays, such as images, as one row each."""
    X = X.to_numpy(float) if hasattr(X, "to_numpy") else np.asarray(X, dtype=np.float64)
    if X.ndim != 2 and not (flatten and X.ndim > 2):
        raise DataError(f"{name} must be a 2-D array (n, p); got shape {X.shape}")
    if X.shape[0] == 0:
        raise DataError(f"{name} has no rows")
    X = X.reshape(len(X), -1)
    if n_features is not None and X.shape[1] != n_features:
        raise DataError(f"{name} has {X.shape[1]} features but X_train has {n_features}; use the same feature columns")
    if not np.isfinite(X).all():
        raise DataError(f"{name} contains NaN or infinite values; impute or drop them first")
    return X


def _summary(distances: np.ndarray) -> dict:
    return {
        "min": float(distances.min()),
        "p05": float(np.percentile(distances, 5)),
        "median": float(np.median(distances)),
        "mean": float(distances.mean()),
        "exact_copies": float(np.mean(distances < EXACT_COPY_TOL)),
        "n": int(distances.size),
    }


def distance_to_closest_record(X_syn, X_train, *, X_holdout=None) -> dict:
    """Nearest-training-row distances of synthetic (and optionally holdout) rows.

    X_syn: (m, p), X_train: (n, p), X_holdout: (h, p) or None — numeric,
    scaled features (see the module docstring).

    Returns {"synthetic": stats, "holdout": stats | None, "dcr_ratio": float | None}
    where stats = {"min", "p05", "median", "mean", "exact_copies", "n"}
    (p05 = 5th percentile, exact_copies = share of rows at distance < 1e-8).
    dcr_ratio = synthetic median / holdout median; None without a holdout,
    or when the holdout median is 0 (holdout rows duplicated in train).
    """
    X_train = feature_matrix(X_train, "X_train")
    p = X_train.shape[1]
    X_syn = feature_matrix(X_syn, "X_syn", p)
    tree = cKDTree(X_train)
    synthetic = _summary(tree.query(X_syn, k=1)[0])

    holdout, ratio = None, None
    if X_holdout is not None:
        X_holdout = feature_matrix(X_holdout, "X_holdout", p)
        holdout = _summary(tree.query(X_holdout, k=1)[0])
        if holdout["median"] > 0:
            ratio = synthetic["median"] / holdout["median"]
    return {"synthetic": synthetic, "holdout": holdout, "dcr_ratio": ratio}
