"""Cluster adherence rate (CAR), doi 10.1109/access.2026.3692685.

A generated sample adheres to its target cluster k when its decoded-then-
re-encoded latent is both assigned to k by the cluster model and inside k's
χ² region (Mahalanobis D² ≤ χ²_d(q)). The cluster model is duck-typed: any
`predict(Z) -> (n,) int` and `in_region(Z, k) -> (n,) bool`, e.g. the bound
methods of a fitted `ClusterGaussians`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from synth.errors import DataError

__all__ = ["cluster_adherence_rate"]


def _as_codes(codes, n: int) -> np.ndarray:
    codes = np.asarray(codes)
    if codes.shape != (n,):
        raise DataError(f"target_codes must have shape ({n},) to match the latents; got {codes.shape}")
    if codes.dtype.kind in "iu":
        return codes.astype(np.int64)
    if codes.dtype.kind == "f" and np.isfinite(codes).all() and (codes == np.round(codes)).all():
        return codes.astype(np.int64)
    raise DataError(
        f"target_codes must be integer cluster codes; got dtype {codes.dtype} "
        "(map cluster names to their integer codes first)"
    )


def _checked(result, n: int, what: str) -> np.ndarray:
    result = np.asarray(result)
    if result.shape != (n,):
        raise DataError(f"{what} returned shape {result.shape}; expected ({n},)")
    return result


def cluster_adherence_rate(
    Z_reencoded,
    target_codes,
    *,
    predict: Callable[[np.ndarray], np.ndarray],
    in_region: Callable[[np.ndarray, int], np.ndarray],
) -> dict:
    """Share of generated samples whose re-encoded latent stays in its target cluster.

    Z_reencoded: (n, d) re-encoded latents of generated samples, n ≥ 1.
    target_codes: (n,) int, the cluster each sample was generated for.
    predict: Z (m, d) -> (m,) int codes (the cluster model's assignment).
    in_region: (Z (m, d), k) -> (m,) bool, inside cluster k's χ² region.

    Returns a dict:
        car            share assigned to the target AND inside its region,
        per_cluster    {code: CAR among the samples targeted at that code},
        assigned_rate  share assigned to the target (whatever the region),
        in_region_rate share inside the target's region (whatever the assignment),
        n              number of samples.
    """
    Z = np.asarray(Z_reencoded, dtype=np.float64)
    if Z.ndim != 2:
        raise DataError(f"Z_reencoded must be a 2-D array (n, d); got shape {Z.shape}")
    n = Z.shape[0]
    if n == 0:
        raise DataError("no generated samples: CAR needs at least one re-encoded latent")
    codes = _as_codes(target_codes, n)

    assigned = _checked(predict(Z), n, "predict").astype(np.int64) == codes
    inside = np.zeros(n, dtype=bool)
    for k in np.unique(codes):
        rows = codes == k
        inside[rows] = _checked(in_region(Z[rows], int(k)), int(rows.sum()), "in_region")

    adheres = assigned & inside
    per_cluster = {int(k): float(adheres[codes == k].mean()) for k in np.unique(codes)}
    return {
        "car": float(adheres.mean()),
        "per_cluster": per_cluster,
        "assigned_rate": float(assigned.mean()),
        "in_region_rate": float(inside.mean()),
        "n": int(n),
    }
