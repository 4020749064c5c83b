"""Hard-EM refinement of a partition: reassign each row to the Gaussian under which it is most
likely, refit, repeat — the classification EM of Celeux & Govaert (1992) with equal weights.

The objective is the within-cluster log-likelihood ``L = Σᵢ log N(zᵢ | μ_cᵢ, Σ_cᵢ)`` under
the partition's own shrunk Gaussians (``ClusterGaussians``, Ledoit–Wolf by default). A step
is kept only if it raises L and leaves every cluster at least ``min_size`` rows, so L never
decreases, and a partition it returns after converging satisfies ``gaussians.predict(Z) ==
labels``: the training rows are where the fitted model would put them. Deterministic: no
random initialisation, ties go to the lower code (``np.argmax``).
"""

from __future__ import annotations

import numpy as np

from .gaussians import ClusterGaussians


def fit_gaussians(Z: np.ndarray, labels: np.ndarray, *, shrinkage: str, ridge: float) -> ClusterGaussians:
    """One shrunk Gaussian per code 0..K-1 of ``labels`` (n,) on Z (n, d)."""
    return ClusterGaussians(shrinkage=shrinkage, ridge=ridge).fit(Z, labels)


def within_loglik(Z: np.ndarray, labels: np.ndarray, gaussians: ClusterGaussians) -> float:
    """L = Σᵢ log N(zᵢ | μ_cᵢ, Σ_cᵢ). Z: (n, d), labels: (n,) codes."""
    return float(gaussians.log_density(Z)[np.arange(Z.shape[0]), labels].sum())


def hard_em(
    Z: np.ndarray, labels: np.ndarray, *, max_iter: int, min_size: int, shrinkage: str = "ledoit_wolf", ridge=1e-6
) -> tuple[np.ndarray, ClusterGaussians, dict]:
    """Refine ``labels`` (n,) int codes 0..K-1 by at most ``max_iter`` hard-EM steps.

    Returns (labels, gaussians fitted on them, record) with record = {"loglik": [L before,
    after each kept step], "steps": steps kept, "converged": whether the last assignment
    changed nothing, "moved": rows whose code changed}.
    """
    labels = np.asarray(labels, dtype=np.int64)
    start = labels
    K = int(labels.max()) + 1
    gaussians = fit_gaussians(Z, labels, shrinkage=shrinkage, ridge=ridge)
    history = [within_loglik(Z, labels, gaussians)]
    converged = False
    for _ in range(max_iter):
        proposal = np.argmax(gaussians.log_density(Z), axis=1).astype(np.int64)
        if np.array_equal(proposal, labels):
            converged = True
            break
        if np.bincount(proposal, minlength=K).min() < max(min_size, 2):
            break  # a cluster would (nearly) empty: keep the partition the tree gave
        candidate = fit_gaussians(Z, proposal, shrinkage=shrinkage, ridge=ridge)
        value = within_loglik(Z, proposal, candidate)
        if not value > history[-1]:
            break  # shrinkage makes the refit not an exact M-step; never accept a worse L
        labels, gaussians = proposal, candidate
        history.append(value)
    record = {
        "loglik": history,
        "steps": len(history) - 1,
        "converged": converged,
        "moved": int((labels != start).sum()),
    }
    return labels, gaussians, record
