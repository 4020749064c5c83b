"""Per-cluster Gaussians and missing rates from mergeable sums of encoded latents.

Per cluster k the sums n, Σy, Σyyᵀ of the shifted latents y = z − cₖ are FID's
``FeatureStats`` (the same merge law: sums of disjoint blocks add up). The shift
cₖ (e.g. the cluster's mean on a seeded sample) only keeps the sums well
conditioned; the means and covariances do not depend on it beyond round-off.
The Ledoit–Wolf intensity (Ledoit & Wolf 2004), ``ClusterGaussians``' default
rule, needs the fourth moments of the centred latents, so Σ(y∘y)yᵀ and
Σ(y∘y)(y∘y)ᵀ are summed as well and expanded about the mean. With them
``ClusterGaussians.fit_moments`` gives what ``ClusterGaussians.fit`` gives on
all the latents, to float64 round-off. The per-cluster counts of missing cells
per column give ``missing.missing_rates`` exactly (integer counts).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cluster.gaussians import ClusterGaussians
from synth.errors import DataError
from synth.metrics.feature_stats import FeatureStats

EXTRACTOR = "encoder latents"


@dataclass(frozen=True, eq=False)
class ClusterMoments:
    """stats: one FeatureStats of y = z − shift[k] per cluster; p21: (K, d, d) Σ(y∘y)yᵀ;
    p22: (K, d, d) Σ(y∘y)(y∘y)ᵀ; missing: (C, K) missing cells of each named column."""

    shift: np.ndarray
    stats: tuple
    p21: np.ndarray
    p22: np.ndarray
    columns: tuple = ()
    missing: np.ndarray | None = None

    @classmethod
    def from_block(cls, Z, codes, shift, *, missing: dict | None = None) -> ClusterMoments:
        """Sums of one block: Z (n, d) latents, codes (n,) in 0..K−1, shift (K, d); ``missing``:
        column → (n,) bool mask of its missing cells."""
        Z = np.asarray(Z, dtype=np.float64)
        codes = np.asarray(codes, dtype=np.int64)
        shift = np.asarray(shift, dtype=np.float64)
        K, d = shift.shape
        if Z.ndim != 2 or Z.shape[1] != d or len(codes) != len(Z):
            raise DataError(f"latents {Z.shape} and codes {codes.shape} do not match {d}-d shifts")
        if len(codes) and (codes.min() < 0 or codes.max() >= K):
            raise DataError(f"cluster codes must lie in 0..{K - 1}")
        stats, p21, p22 = [], np.zeros((K, d, d)), np.zeros((K, d, d))
        for k in range(K):
            Y = Z[codes == k] - shift[k]
            stats.append(FeatureStats.from_features(Y, extractor=EXTRACTOR))
            Y2 = Y * Y
            p21[k], p22[k] = Y2.T @ Y, Y2.T @ Y2
        columns = tuple(missing or ())
        hits = np.array([np.bincount(codes, weights=np.asarray(missing[c], float), minlength=K) for c in columns])
        return cls(shift, tuple(stats), p21, p22, columns, hits.reshape(len(columns), K))

    def merge(self, other: ClusterMoments) -> ClusterMoments:
        if not np.array_equal(self.shift, other.shift) or self.columns != other.columns:
            raise DataError("cluster sums with different shifts or columns do not merge")
        stats = tuple(a.merge(b) for a, b in zip(self.stats, other.stats))
        return ClusterMoments(
            self.shift, stats, self.p21 + other.p21, self.p22 + other.p22, self.columns, self.missing + other.missing
        )

    @property
    def counts(self) -> np.ndarray:
        return np.array([s.n for s in self.stats], dtype=np.int64)

    def moments(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(means (K, d), maximum-likelihood covariances (K, d, d), Ledoit–Wolf intensities (K,))."""
        K, d = self.shift.shape
        means, scatters, lw = np.empty((K, d)), np.empty((K, d, d)), np.zeros(K)
        for k, s in enumerate(self.stats):
            if s.n < 2:
                raise DataError(f"cluster {k} has {s.n} row(s); a Gaussian needs at least 2")
            m = s.total / s.n
            means[k] = self.shift[k] + m
            scatter = s.outer / s.n - np.outer(m, m)
            scatters[k] = scatter
            lw[k] = _ledoit_wolf(s.n, m, s.total, s.outer, self.p21[k], self.p22[k], scatter)
        return means, scatters, lw

    def gaussians(self, **params) -> ClusterGaussians:
        """``ClusterGaussians(**params)`` fitted from these sums."""
        means, scatters, lw = self.moments()
        n = self.counts.sum()
        total = sum(s.total + s.n * c for s, c in zip(self.stats, self.shift))
        square = sum(np.diag(s.outer) + 2 * c * s.total + s.n * c * c for s, c in zip(self.stats, self.shift))
        pooled = float(np.mean(square / n - (total / n) ** 2))
        return ClusterGaussians(**params).fit_moments(self.counts, means, scatters, ledoit_wolf=lw, pooled_scale=pooled)

    def missing_rates(self) -> dict[str, list[float]]:
        """``missing.missing_rates`` of the summed rows: per column the share missing per cluster."""
        sizes = self.counts.astype(float)
        overall = self.missing.sum(axis=1) / max(sizes.sum(), 1.0)
        return {
            c: [float(h / s) if s else float(overall[i]) for h, s in zip(self.missing[i], sizes)]
            for i, c in enumerate(self.columns)
        }


def _ledoit_wolf(n, m, q1, outer, p21, p22, scatter) -> float:
    """``cluster.gaussians.ledoit_wolf_shrinkage`` from sums of y about m: Σ over i, j of
    Σₙ (yᵢ − mᵢ)²(yⱼ − mⱼ)² expanded in Σy²ᵢy²ⱼ, Σy²ᵢyⱼ, Σyᵢyⱼ, Σy²ᵢ and Σyᵢ."""
    d = len(m)
    if d == 1:
        return 0.0
    q2 = np.diag(outer)
    mi, mj = m[:, None], m[None, :]
    b = (
        p22
        - 2 * mj * p21
        - 2 * mi * p21.T
        + mj**2 * q2[:, None]
        + mi**2 * q2[None, :]
        + 4 * mi * mj * outer
        - 2 * mi * mj**2 * q1[:, None]
        - 2 * mi**2 * mj * q1[None, :]
        + n * mi**2 * mj**2
    )
    beta_ = b.sum()
    emp_cov_trace = np.diag(scatter)
    mu = emp_cov_trace.sum() / d
    delta_ = np.sum((scatter * n) ** 2) / n**2
    beta = (beta_ / n - delta_) / (d * n)
    delta = (delta_ - 2.0 * mu * emp_cov_trace.sum() + d * mu**2) / d
    if delta <= 0.0:
        return 0.0
    return float(np.clip(min(beta, delta) / delta, 0.0, 1.0))
