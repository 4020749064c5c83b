"""One polarized split: first principal axis, exact 1-D 2-means, optional hard-EM refinement
of the two poles in the node's full space, BIC test.

Math only, arrays in and out; ``PolarizedHierarchical`` (polarized.py) grows
the tree by calling ``polarized_split`` on its leaves.
"""

from __future__ import annotations

import numpy as np

from .refine import hard_em


def two_means_1d(x) -> tuple[float, float, int] | None:
    """Exact 2-means of points on a line. x: (n,) float.

    Sorts x and scans every cut between two distinct neighbouring values,
    with prefix sums giving each cut's within-pole sum of squares in O(1);
    the first minimum wins, so the result is deterministic.
    Returns (threshold, within_ss, n_left) with the left pole x ≤ threshold,
    or None when x has fewer than two distinct values.
    """
    xs = np.sort(np.asarray(x, dtype=np.float64).ravel())
    n = xs.size
    if n < 2 or xs[0] == xs[-1]:
        return None
    c = xs - xs.mean()  # centring keeps the prefix sums of squares accurate
    s1, s2 = np.cumsum(c)[:-1], np.cumsum(c**2)[:-1]
    n_left = np.arange(1, n)
    sse = (s2 - s1**2 / n_left) + ((s2[-1] + c[-1] ** 2 - s2) - (s1[-1] + c[-1] - s1) ** 2 / (n - n_left))
    sse = np.where(xs[1:] > xs[:-1], sse, np.inf)  # a cut between equal values separates nothing
    j = int(np.argmin(sse))
    threshold = xs[j] + 0.5 * (xs[j + 1] - xs[j])
    if not xs[j] <= threshold < xs[j + 1]:  # adjacent floats: the midpoint rounded up
        threshold = xs[j]
    return float(threshold), float(max(sse[j], 0.0)), j + 1


def _gaussian_loglik(S: np.ndarray, n: int, ridge_abs: float) -> float:
    """Log-likelihood of n points at their own mean under N(mean, S + ridge_abs·I).

    S: (d, d) the points' MLE covariance. With eigenvalues e of S,
    Σ log N = −n/2 (d log 2π + Σ log(e + λ) + Σ e / (e + λ)).
    """
    e = np.clip(np.linalg.eigvalsh(S), 0.0, None)
    return -0.5 * n * (e.size * np.log(2 * np.pi) + np.log(e + ridge_abs).sum() + (e / (e + ridge_abs)).sum())


def _mle_cov(X: np.ndarray) -> np.ndarray:
    centred = X - X.mean(axis=0)
    return centred.T @ centred / X.shape[0]


def polarized_split(Z, *, min_size: int, ridge: float, refine: int = 0, n_axes: int = 1) -> dict | None:
    """Candidate split of one node. Z: (n, d) float64.

    The poles start as the two sides of the exact 2-means cut of one of the node's
    ``n_axes`` leading principal axes; ``refine`` > 0 then runs up to that many
    two-cluster hard-EM steps (``refine.hard_em``) in the node's full space, so a pole
    boundary need not be a hyperplane orthogonal to one axis. The axes are tried in
    order of variance and the first accepted split is returned (else the first axis's):
    the next axis matters only when two leading eigenvalues are close and the first
    axis mixes a gap with noise.
    Returns None if the node cannot be split (constant along every axis),
    else a dict with ``axis`` (d,), ``threshold`` (on z @ axis: the initial cut),
    ``left`` (n,) bool (the poles after refinement), ``moved`` (rows the refinement
    moved), ``bic_gain`` = BIC(one) − BIC(two) and ``accepted``.
    The ridge is ``ridge`` times the node's mean variance, the same for the
    node and both poles, so the comparison does not depend on the scale of Z.
    """
    n, d = Z.shape
    mean = Z.mean(axis=0)
    S = _mle_cov(Z)
    mean_var = np.trace(S) / d
    if mean_var <= 0.0:
        return None
    values, vectors = np.linalg.eigh(S)
    lam = ridge * mean_var
    loglik_one = _gaussian_loglik(S, n, lam)
    best = None
    for j in range(1, min(n_axes, d) + 1):
        if values[-j] <= 0.0:
            break
        axis = vectors[:, -j]
        axis = axis * np.sign(axis[np.argmax(np.abs(axis))])  # largest component positive
        found = _split_on_axis(Z, mean, axis, loglik_one, lam=lam, min_size=min_size, refine=refine)
        if found is not None and found["accepted"]:
            return found
        best = best or found
    return best


def _split_on_axis(Z, mean, axis, loglik_one, *, lam, min_size, refine) -> dict | None:
    n, d = Z.shape
    projection = (Z - mean) @ axis
    found = two_means_1d(projection)
    if found is None:
        return None
    threshold, _, _ = found
    left = projection <= threshold
    moved = 0
    if refine > 0 and min(left.sum(), n - left.sum()) >= max(min_size, 2):
        codes, _, record = hard_em(Z, (~left).astype(np.int64), max_iter=refine, min_size=min_size)
        left, moved = codes == 0, record["moved"]
    n_params = d + d * (d + 1) // 2
    loglik_two = 0.0
    for pole in (Z[left], Z[~left]):
        m = pole.shape[0]
        loglik_two += m * np.log(m / n) + _gaussian_loglik(_mle_cov(pole), m, lam)
    bic_one = -2.0 * loglik_one + n_params * np.log(n)
    bic_two = -2.0 * loglik_two + (2 * n_params + 1) * np.log(n)
    gain = float(bic_one - bic_two)
    smaller = int(min(left.sum(), n - left.sum()))
    return {
        "axis": axis,
        "threshold": float(threshold + mean @ axis),
        "left": left,
        "moved": moved,
        "bic_gain": gain,
        "accepted": smaller >= min_size and gain > 0.0,
    }
