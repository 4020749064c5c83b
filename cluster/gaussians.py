"""Per-cluster Gaussians of the latent space (Feyiz & Ozkazanc 2026, doi 10.1109/access.2026.3692685, component 3).

Each cluster k gets a mean μₖ and a shrunk covariance Σₖ = Lₖ Lₖᵀ (Cholesky
factor kept), from which follow the Mahalanobis distance D², the Gaussian
log-density, and the χ² gate "accept z when D²(z) ≤ χ²_d(q)".

Covariance rule, with S the maximum-likelihood covariance (divisor nₖ, as in
``sklearn.covariance.ledoit_wolf``) and μ = tr(S)/d its mean variance:

- ``"ledoit_wolf"``: Σ = (1 − s) S + s μ I with the Ledoit–Wolf (2004)
  intensity s ∈ [0, 1] (``shrinkage_[k] = s``);
- ``"ridge"``:       Σ = S + ridge · μ I (``shrinkage_[k] = ridge``);
- ``"none"``:        Σ = S (``shrinkage_[k] = 0``);

and always + ``jitter_[k]`` · I with jitter = 1e-10 · μ, so Σ is positive
definite even for nₖ = 2 < d or a cluster of identical rows (then μ is taken
from the pooled data, or 1.0 if all of Z is constant).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

import numpy as np
from scipy import stats

from ._checks import as_codes, as_latents, check_float

SHRINKAGE_METHODS = ("ledoit_wolf", "ridge", "none")
# Relative to the mean variance: far above float64 rounding of S (≈ d·1e-16),
# far below any variance that matters.
JITTER = 1e-10
_ARRAY_KEYS = ("means", "covariances", "cholesky", "counts", "shrinkage", "jitter", "q", "ridge", "shrinkage_method")


def mahalanobis_sq(Z: np.ndarray, mean: np.ndarray, chol: np.ndarray) -> np.ndarray:
    """D² = ‖L⁻¹(z − μ)‖² per row. Z: (n, d), mean: (d,), chol: (d, d) lower → (n,).

    ``np.einsum`` with a cached L⁻¹, not a BLAS triangular solve: multi-threaded BLAS
    changes last bits with the thread count, and D² decides the χ² gate and travels in
    provenance, which must be bit-identical in every process (a Ray Serve replica runs one
    BLAS thread, a notebook several). einsum never calls BLAS; it is also faster for small n.
    """
    chol = np.ascontiguousarray(chol, dtype=np.float64)
    inverse = _lower_inverse(chol.tobytes(), chol.shape[0])
    y = np.einsum("nj,ij->ni", np.asarray(Z, dtype=np.float64) - mean, inverse)
    return np.einsum("ni,ni->n", y, y)


@functools.lru_cache(maxsize=512)
def _lower_inverse(chol_bytes: bytes, d: int) -> np.ndarray:
    """L⁻¹ by forward substitution on the identity (einsum only, so the same bits everywhere)."""
    L = np.frombuffer(chol_bytes).reshape(d, d)
    inverse = np.zeros((d, d))
    for i in range(d):
        row = -np.einsum("j,jk->k", L[i, :i], inverse[:i])
        row[i] += 1.0
        inverse[i] = row / L[i, i]
    inverse.flags.writeable = False
    return inverse


@functools.lru_cache(maxsize=1024)
def chi2_quantile(q: float, d: int) -> float:
    """χ²_d quantile at level q (scipy's ppf costs ~1 ms a call; the gate asks it per draw)."""
    return float(stats.chi2.ppf(q, d))


def ledoit_wolf_shrinkage(X: np.ndarray) -> float:
    """Ledoit–Wolf intensity s for the rows of X: (n, d) float64, centred here.

    Same formula as ``sklearn.covariance.ledoit_wolf_shrinkage`` (without its
    block splitting): s = min(β, δ) / δ, β the variance of the entries of
    S, δ the squared distance of S to μI, both per feature.
    """
    n, d = X.shape
    if d == 1:  # S already is a multiple of the identity
        return 0.0
    X = X - X.mean(axis=0)
    X2 = X**2
    emp_cov_trace = X2.sum(axis=0) / n
    mu = emp_cov_trace.sum() / d
    beta_ = np.sum(X2.T @ X2)
    delta_ = np.sum((X.T @ X) ** 2) / n**2
    beta = (beta_ / n - delta_) / (d * n)
    delta = (delta_ - 2.0 * mu * emp_cov_trace.sum() + d * mu**2) / d
    if delta <= 0.0:  # S == μI exactly: nothing to shrink
        return 0.0
    return float(np.clip(min(beta, delta) / delta, 0.0, 1.0))


class ClusterGaussians:
    """One full-covariance Gaussian per cluster code, with shrinkage.

    Parameters
    ----------
    shrinkage : {"ledoit_wolf", "ridge", "none"}
        Covariance rule (see the module docstring).
    ridge : float >= 0
        Multiple of the mean variance added to the diagonal when
        ``shrinkage="ridge"``; unused otherwise.
    q : float in (0, 1)
        Default χ² gate level for ``chi2_threshold`` and ``in_region``.

    Learned: ``means_`` (K, d), ``covariances_`` (K, d, d), ``cholesky_``
    (K, d, d) lower-triangular with Σₖ = Lₖ Lₖᵀ, ``counts_`` (K,) int64,
    ``shrinkage_`` (K,) intensity used, ``jitter_`` (K,) diagonal jitter,
    ``n_features_in_`` d, ``n_clusters_`` K.
    """

    def __init__(self, *, shrinkage: str = "ledoit_wolf", ridge: float = 1e-6, q: float = 0.95):
        self.shrinkage = shrinkage
        self.ridge = ridge
        self.q = q

    def _check_params(self) -> None:
        if self.shrinkage not in SHRINKAGE_METHODS:
            raise ValueError(f"shrinkage must be one of {list(SHRINKAGE_METHODS)}, got {self.shrinkage!r}.")
        check_float(self.ridge, name="ridge", low=0.0)
        check_float(self.q, name="q", low=0.0, high=1.0, low_open=True, high_open=True)

    def fit(self, Z, labels) -> ClusterGaussians:
        """Fit one Gaussian per code. Z: (n, d) float; labels: (n,) int codes 0..K-1."""
        self._check_params()
        Z = as_latents(Z)
        codes = as_codes(labels, n_rows=Z.shape[0])
        n, d = Z.shape
        counts = np.bincount(codes)
        missing = np.flatnonzero(counts == 0)
        if missing.size:
            raise ValueError(
                f"labels must use every code 0..{counts.size - 1}, but codes {missing.tolist()} "
                "have no rows; renumber the codes consecutively (LabelPartition does)."
            )
        single = np.flatnonzero(counts < 2)
        if single.size:
            raise ValueError(
                f"cluster {int(single[0])} has {int(counts[single[0]])} row; a Gaussian needs at "
                "least 2 rows per cluster: merge or drop that cluster."
            )
        pooled_scale = float(Z.var(axis=0).mean())
        K = counts.size
        means = np.empty((K, d))
        scatters = np.empty((K, d, d))
        intensity = np.zeros(K)
        order = np.argsort(codes, kind="stable")
        for k, rows in enumerate(np.split(order, np.cumsum(counts)[:-1])):
            Zk = Z[rows]
            means[k] = Zk.mean(axis=0)
            centred = Zk - means[k]
            scatters[k] = centred.T @ centred / Zk.shape[0]
            if self.shrinkage == "ledoit_wolf":
                intensity[k] = ledoit_wolf_shrinkage(Zk)
        return self.fit_moments(counts, means, scatters, ledoit_wolf=intensity, pooled_scale=pooled_scale)

    def fit_moments(self, counts, means, scatters, *, ledoit_wolf=None, pooled_scale: float = 1.0) -> ClusterGaussians:
        """Fit from per-cluster moments: ``counts`` (K,), ``means`` (K, d), ``scatters`` (K, d, d) the
        maximum-likelihood covariances S, ``ledoit_wolf`` (K,) the Ledoit–Wolf intensities (needed
        for that rule), ``pooled_scale`` the mean per-feature variance of all rows (the jitter
        scale of a cluster whose S is 0). ``fit`` computes these from the rows; streamed sums
        give them without holding the rows."""
        self._check_params()
        counts = np.asarray(counts, dtype=np.int64)
        means, scatters = np.asarray(means, np.float64), np.asarray(scatters, np.float64)
        K, d = means.shape
        covs = np.empty((K, d, d))
        intensity = np.zeros(K)
        jitter = np.empty(K)
        for k in range(K):
            S = scatters[k]
            mu = np.trace(S) / d
            if self.shrinkage == "ledoit_wolf":
                if ledoit_wolf is None:
                    raise ValueError("shrinkage='ledoit_wolf' needs the clusters' Ledoit–Wolf intensities")
                intensity[k] = ledoit_wolf[k]
                S = (1.0 - intensity[k]) * S + intensity[k] * mu * np.eye(d)
            elif self.shrinkage == "ridge":
                intensity[k] = self.ridge
                S = S + self.ridge * mu * np.eye(d)
            scale = mu if mu > 0 else (pooled_scale if pooled_scale > 0 else 1.0)
            jitter[k] = JITTER * scale
            covs[k] = 0.5 * (S + S.T) + jitter[k] * np.eye(d)  # exact symmetry for Cholesky
        self.means_ = means
        self.covariances_ = covs
        self.cholesky_ = np.linalg.cholesky(covs)
        self.counts_ = counts
        self.shrinkage_ = intensity
        self.jitter_ = jitter
        self.n_features_in_ = d
        self.n_clusters_ = K
        return self

    # -- queries -------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "cholesky_"):
            raise ValueError("This ClusterGaussians is not fitted yet; call fit(Z, labels) first.")

    def _check_k(self, k) -> int:
        self._check_fitted()
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k < self.n_clusters_:
            raise ValueError(f"cluster code k={k!r} is out of range; this model has codes 0..{self.n_clusters_ - 1}.")
        return int(k)

    def _latents(self, Z) -> np.ndarray:
        self._check_fitted()
        return as_latents(Z, n_features=self.n_features_in_)

    def _mahalanobis_sq(self, Z: np.ndarray, k: int) -> np.ndarray:
        # Solve L y = (z − μ) instead of forming Σ⁻¹: D² = ‖y‖², stable and O(d²).
        return mahalanobis_sq(Z, self.means_[k], self.cholesky_[k])

    def mahalanobis_sq(self, Z, k: int) -> np.ndarray:
        """Squared Mahalanobis distance D² of each row to cluster k. Z: (n, d) → (n,)."""
        k = self._check_k(k)
        return self._mahalanobis_sq(self._latents(Z), k)

    def mahalanobis_sq_all(self, Z) -> np.ndarray:
        """D² of each row to every cluster. Z: (n, d) → (n, K)."""
        Z = self._latents(Z)
        return np.stack([self._mahalanobis_sq(Z, k) for k in range(self.n_clusters_)], axis=1)

    def log_density(self, Z) -> np.ndarray:
        """Gaussian log pdf log N(z | μₖ, Σₖ) of each row. Z: (n, d) → (n, K)."""
        D2 = self.mahalanobis_sq_all(Z)
        # log det Σ = 2 Σ log diag L
        log_det = 2.0 * np.log(np.diagonal(self.cholesky_, axis1=1, axis2=2)).sum(axis=1)
        return -0.5 * (D2 + self.n_features_in_ * np.log(2.0 * np.pi) + log_det)

    def predict(self, Z) -> np.ndarray:
        """Code of the cluster with the highest log-density (no priors). Z: (n, d) → (n,) int64."""
        return np.argmax(self.log_density(Z), axis=1).astype(np.int64)

    def chi2_threshold(self, q: float | None = None) -> float:
        """χ²_d quantile at level q (default ``self.q``): the gate's D² bound."""
        self._check_fitted()
        q = self.q if q is None else q
        q = check_float(q, name="q", low=0.0, high=1.0, low_open=True, high_open=True)
        return chi2_quantile(float(q), int(self.n_features_in_))

    def in_region(self, Z, k: int, q: float | None = None) -> np.ndarray:
        """χ² gate: True where D²(z, k) ≤ χ²_d(q). Z: (n, d) → (n,) bool."""
        return self.mahalanobis_sq(Z, k) <= self.chi2_threshold(q)

    def principal_axes(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Eigen-decomposition of Σₖ: eigenvalues (d,) descending, eigenvectors (d, d) as columns.

        Each eigenvector's sign is fixed so its largest-magnitude component is
        positive, so the axes do not flip between runs or platforms.
        """
        k = self._check_k(k)
        values, vectors = np.linalg.eigh(self.covariances_[k])
        values, vectors = values[::-1], vectors[:, ::-1]
        idx = np.argmax(np.abs(vectors), axis=0)
        signs = np.sign(vectors[idx, np.arange(vectors.shape[1])])
        return values.copy(), vectors * signs

    # -- storage -------------------------------------------------------------------

    def to_arrays(self, *, prefix: str = "") -> dict[str, np.ndarray]:
        """Plain ndarrays (no object dtype) for ``np.savez``; keys start with ``prefix``."""
        self._check_fitted()
        out = {
            "means": self.means_,
            "covariances": self.covariances_,
            "cholesky": self.cholesky_,
            "counts": self.counts_,
            "shrinkage": self.shrinkage_,
            "jitter": self.jitter_,
            "q": np.asarray(float(self.q)),
            "ridge": np.asarray(float(self.ridge)),
            "shrinkage_method": np.asarray(str(self.shrinkage)),
        }
        return {prefix + key: np.array(value) for key, value in out.items()}

    @classmethod
    def from_arrays(cls, arrays: Mapping, *, prefix: str = "") -> ClusterGaussians:
        """Restore a fitted model from ``to_arrays`` output (a dict or an ``np.load`` file)."""
        missing = [prefix + key for key in _ARRAY_KEYS if prefix + key not in arrays]
        if missing:
            raise ValueError(
                f"cannot restore ClusterGaussians: keys {missing} are missing; pass what "
                "to_arrays() wrote (with the same prefix)."
            )
        a = {key: np.asarray(arrays[prefix + key]) for key in _ARRAY_KEYS}
        model = cls(shrinkage=str(a["shrinkage_method"]), ridge=float(a["ridge"]), q=float(a["q"]))
        model._check_params()
        means = a["means"].astype(np.float64)
        if means.ndim != 2:
            raise ValueError(f"stored means must be (K, d), got shape {means.shape}.")
        K, d = means.shape
        shapes = {"covariances": (K, d, d), "cholesky": (K, d, d), "counts": (K,), "shrinkage": (K,), "jitter": (K,)}
        for key, shape in shapes.items():
            if a[key].shape != shape:
                raise ValueError(
                    f"stored {prefix + key} has shape {a[key].shape}, expected {shape} for "
                    f"K={K}, d={d}: the arrays are corrupt or from different models."
                )
        model.means_ = means
        model.covariances_ = a["covariances"].astype(np.float64)
        model.cholesky_ = a["cholesky"].astype(np.float64)
        model.counts_ = a["counts"].astype(np.int64)
        model.shrinkage_ = a["shrinkage"].astype(np.float64)
        model.jitter_ = a["jitter"].astype(np.float64)
        model.n_features_in_ = d
        model.n_clusters_ = K
        return model
