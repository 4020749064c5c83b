"""Latent generators (Feyiz & Ozkazanc 2026, doi 10.1109/access.2026.3692685, component 4). numpy only.

Each method draws latents for ONE cluster from its Gaussian N(μ, Σ = L Lᵀ)
or its anchors (micro-centroids or kept latents). ``draw_cluster`` adds the
optional χ² accept/reject and back-projection gates and reports how many
draws each needed. Shapes: μ (d,), Σ, L (d, d), anchors (m, d), z (n, d).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cluster.gaussians import chi2_quantile, mahalanobis_sq
from synth.errors import ConfigError, GenerationError, UnknownMethodError

METHODS = ("random", "ellipsoid_walk", "random_walk", "morph", "crossover")
GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0


@dataclass(frozen=True)
class MethodOptions:
    truncation: float | None = None  # random: redraw ε with ‖ε‖ above this radius
    axes: tuple[int, int] = (0, 1)  # ellipsoid_walk: the two principal axes spanning the circle
    step: float = 0.3  # random_walk: σ of the step on the unit sphere
    morph_mode: str = "pair"  # "pair" (the VAE/GAN/FID report's interpolation) or "dirichlet"
    n_parents: int = 3  # dirichlet: anchors mixed per sample
    dirichlet_alpha: float = 1.0
    crossover_mode: str = "bernoulli"  # "bernoulli" or "one_point"
    crossover_p: float = 0.5

    def __post_init__(self):
        object.__setattr__(self, "axes", tuple(int(a) for a in self.axes))
        if self.truncation is not None and not self.truncation > 0:
            raise ConfigError(f"truncation must be > 0, got {self.truncation}")
        if len(self.axes) != 2 or self.axes[0] == self.axes[1] or min(self.axes) < 0:
            raise ConfigError(f"axes must be two different principal-axis indices, got {self.axes}")
        if not self.step > 0:
            raise ConfigError(f"step must be > 0, got {self.step}")
        if self.morph_mode not in ("pair", "dirichlet"):
            raise ConfigError(f"morph_mode must be 'pair' or 'dirichlet', got {self.morph_mode!r}")
        if self.n_parents < 2 or not self.dirichlet_alpha > 0:
            raise ConfigError("n_parents must be ≥ 2 and dirichlet_alpha > 0")
        if self.crossover_mode not in ("bernoulli", "one_point"):
            raise ConfigError(f"crossover_mode must be 'bernoulli' or 'one_point', got {self.crossover_mode!r}")
        if not 0 <= self.crossover_p <= 1:
            raise ConfigError(f"crossover_p must be in [0, 1], got {self.crossover_p}")


def check_method(method: str) -> str:
    if method not in METHODS:
        raise UnknownMethodError(f"unknown method {method!r}; choose one of {list(METHODS)}")
    return method


def chi2_radius(d: int, q: float) -> float:
    """r with r² = χ²_d(q): the iso-density ellipsoid holding mass q."""
    return float(math.sqrt(chi2_quantile(float(q), int(d))))


# --- the five methods -------------------------------------------------------------------


def random_latents(mean, chol, n: int, rng: np.random.Generator, *, truncation: float | None = None):
    """Controlled random sampling z = μ + L ε, ε ~ N(0, I); with ``truncation`` ε is redrawn
    until ‖ε‖ ≤ truncation (a Mahalanobis-radius cut)."""
    eps = rng.standard_normal((n, len(mean)))
    if truncation is not None:
        for _ in range(1000):
            far = np.einsum("ij,ij->i", eps, eps) > truncation**2
            if not far.any():
                break
            eps[far] = rng.standard_normal((int(far.sum()), len(mean)))
        else:
            raise GenerationError(f"truncation radius {truncation} is too small to draw from")
    return mean + eps @ chol.T


def ellipsoid_walk(mean, cov, n: int, *, radius: float, axes=(0, 1), phase: float = 0.0):
    """Deterministic: n evenly spaced points on the iso-density ellipsoid D² = radius²,
    on the great circle in the plane of principal axes ``axes`` (0 = largest variance).
    z = μ + r·V Λ^½ u with u = cos θ e_i + sin θ e_j, so D²(z) = r² exactly."""
    d = len(mean)
    values, vectors = np.linalg.eigh(cov)
    order = np.argsort(values)[::-1]
    values, vectors = np.clip(values[order], 0, None), vectors[:, order]
    theta = phase + 2.0 * np.pi * np.arange(n) / max(n, 1)
    if d == 1:  # the "ellipsoid" is the two points μ ± r σ
        return mean + radius * math.sqrt(values[0]) * np.where(np.arange(n) % 2 == 0, 1.0, -1.0)[:, None]
    i, j = axes
    if max(i, j) >= d:
        raise ConfigError(f"axes {tuple(axes)} out of range for a {d}-dimensional latent")
    u = np.cos(theta)[:, None] * np.eye(d)[i] + np.sin(theta)[:, None] * np.eye(d)[j]
    factor = vectors * np.sqrt(values)  # V Λ^½
    return mean + radius * u @ factor.T


def random_walk(mean, chol, n: int, rng: np.random.Generator, *, radius: float, step: float = 0.3):
    """A walk on the same ellipsoid: u_{t+1} = normalise(u_t + σ ξ), z = μ + r L u."""
    d = len(mean)
    u = rng.standard_normal(d)
    u /= np.linalg.norm(u)
    steps = rng.standard_normal((n, d))
    out = np.empty((n, d))
    for t in range(n):
        out[t] = u
        u = u + step * steps[t]
        u /= np.linalg.norm(u)
    return mean + radius * out @ chol.T


def morph(anchors, n: int, rng: np.random.Generator, *, mode: str = "pair", n_parents: int = 3, alpha: float = 1.0):
    """Intra-cluster convex combinations z = Σ wᵢ aᵢ of same-cluster anchors.
    ``pair``: two anchors, w = (1 − t, t), t ~ U[0, 1] (the VAE/GAN/FID report's interpolation);
    ``dirichlet``: ``n_parents`` anchors, w ~ Dirichlet(α)."""
    m = len(anchors)
    k = 2 if mode == "pair" else min(n_parents, m)
    if m == 1:
        parents = np.zeros((n, k), int)
    elif mode == "pair":  # two distinct anchors per sample
        first = rng.integers(0, m, size=n)
        parents = np.stack([first, (first + rng.integers(1, m, size=n)) % m], axis=1)
    else:  # k distinct anchors per sample: the k smallest of m random keys
        parents = np.argsort(rng.random((n, m)), axis=1)[:, :k]
    if mode == "pair":
        t = rng.uniform(0.0, 1.0, size=n)
        weights = np.stack([1.0 - t, t], axis=1)
    else:
        weights = rng.dirichlet(np.full(k, alpha), size=n)
    return np.einsum("nk,nkd->nd", weights, anchors[parents])


def crossover(anchors, n: int, rng: np.random.Generator, *, mode: str = "bernoulli", p: float = 0.5):
    """z = m ⊙ a + (1 − m) ⊙ b for two same-cluster parents; m ~ Bernoulli(p) per
    coordinate, or one-point (the first c coordinates from a, the rest from b)."""
    m_count, d = anchors.shape
    a = anchors[rng.integers(0, m_count, size=n)]
    b = anchors[rng.integers(0, m_count, size=n)]
    if mode == "bernoulli":
        mask = rng.random((n, d)) < p
    else:
        cut = rng.integers(1, d, size=n) if d > 1 else np.ones(n, int)
        mask = np.arange(d)[None, :] < cut[:, None]
    return np.where(mask, a, b)


# --- one cluster, with gates ----------------------------------------------------------------


@dataclass
class ClusterDraw:
    z: np.ndarray  # (n, d) accepted latents
    d2: np.ndarray  # (n,) Mahalanobis² to the cluster
    drawn: int  # candidates drawn in all
    accepted: int

    @property
    def acceptance_rate(self) -> float:
        return self.accepted / self.drawn if self.drawn else 1.0


def propose_latents(method, n, rng, *, mean, cov, chol, anchors, radius, options: MethodOptions, round_: int):
    if method == "random":
        return random_latents(mean, chol, n, rng, truncation=options.truncation)
    if method == "ellipsoid_walk":  # later rounds shift the phase so they add new points
        return ellipsoid_walk(
            mean, cov, n, radius=radius, axes=options.axes, phase=2.0 * np.pi * ((GOLDEN * round_) % 1.0) / max(n, 1)
        )
    if method == "random_walk":
        return random_walk(mean, chol, n, rng, radius=radius, step=options.step)
    if method == "morph":
        return morph(
            anchors, n, rng, mode=options.morph_mode, n_parents=options.n_parents, alpha=options.dirichlet_alpha
        )
    return crossover(anchors, n, rng, mode=options.crossover_mode, p=options.crossover_p)


def draw_cluster(
    method: str,
    n: int,
    rng: np.random.Generator,
    *,
    mean,
    cov,
    chol,
    anchors,
    q: float,
    options: MethodOptions = MethodOptions(),
    gate: bool = False,
    extra_check: Callable[[np.ndarray], np.ndarray] | None = None,
    max_draws: int | None = None,
) -> ClusterDraw:
    """``n`` latents of one cluster. ``gate``: keep only D² ≤ χ²_d(q); ``extra_check``: a further
    per-row test (back-projection). Draws in rounds sized by the running acceptance rate until
    ``n`` are kept or ``max_draws`` (default 100·n + 1000) candidates were spent."""
    check_method(method)
    mean, chol = np.asarray(mean, float), np.asarray(chol, float)
    d = len(mean)
    radius = chi2_radius(d, q)
    threshold = radius**2 * (1 + 1e-9)  # ellipsoid points sit exactly on the boundary
    max_draws = max_draws or 100 * n + 1000
    kept_z, kept_d2, drawn, passed, round_ = [], [], 0, 0, 0
    have = 0
    while have < n:
        rate = (passed / drawn) if drawn else 1.0
        want = n - have
        size = (
            want
            if (not gate and extra_check is None)
            else min(max_draws - drawn, int(math.ceil(want / max(rate, 0.02) * 1.1)) + 8)
        )
        if size <= 0:
            raise GenerationError(
                f"only {have} of {n} samples passed the gate after {drawn} draws "
                f"(acceptance rate {passed / max(drawn, 1):.3f}); raise q, turn the gate off, or use another method"
            )
        z = propose_latents(
            method,
            size,
            rng,
            mean=mean,
            cov=cov,
            chol=chol,
            anchors=anchors,
            radius=radius,
            options=options,
            round_=round_,
        )
        d2 = mahalanobis_sq(z, mean, chol)  # thread-count independent: same bits in every process
        keep = np.ones(len(z), bool)
        if gate:
            keep &= d2 <= threshold
        if extra_check is not None and keep.any():
            keep[keep] &= np.asarray(extra_check(z[keep]), bool)
        drawn += size
        passed += int(keep.sum())
        round_ += 1
        kept_z.append(z[keep][:want])
        kept_d2.append(d2[keep][:want])
        have += len(kept_z[-1])
    z = np.concatenate(kept_z) if kept_z else np.empty((0, d))
    return ClusterDraw(z=z, d2=np.concatenate(kept_d2) if kept_d2 else np.empty(0), drawn=drawn, accepted=passed)
