"""Closed-form checks of the latent generators."""

import numpy as np
import pytest
from scipy import optimize, stats

from synth.errors import ConfigError, GenerationError, UnknownMethodError
from synth.generate import (
    METHODS,
    MethodOptions,
    chi2_radius,
    crossover,
    draw_cluster,
    ellipsoid_walk,
    morph,
    random_latents,
    random_walk,
)

D = 4


@pytest.fixture
def gaussian():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((D, D))
    cov = A @ A.T + 0.5 * np.eye(D)
    return rng.standard_normal(D), cov, np.linalg.cholesky(cov)


def _d2(z, mean, cov):
    diff = z - mean
    return np.einsum("ij,jk,ik->i", diff, np.linalg.inv(cov), diff)


def test_random_gate_acceptance_is_q(gaussian):
    mean, cov, chol = gaussian
    n, q = 20000, 0.9
    z = random_latents(mean, chol, n, np.random.default_rng(1))
    rate = np.mean(_d2(z, mean, cov) <= stats.chi2.ppf(q, D))
    assert abs(rate - q) < 4 * np.sqrt(q * (1 - q) / n)
    draw = draw_cluster(
        "random", 5000, np.random.default_rng(2), mean=mean, cov=cov, chol=chol, anchors=None, q=q, gate=True
    )
    assert len(draw.z) == 5000 and np.all(draw.d2 <= stats.chi2.ppf(q, D) * (1 + 1e-9))
    assert abs(draw.acceptance_rate - q) < 4 * np.sqrt(q * (1 - q) / draw.drawn)


def test_random_mean_and_covariance(gaussian):
    mean, cov, chol = gaussian
    z = random_latents(mean, chol, 50000, np.random.default_rng(3))
    np.testing.assert_allclose(z.mean(0), mean, atol=0.06)
    np.testing.assert_allclose(np.cov(z.T), cov, atol=0.15)


def test_truncation_bounds_the_mahalanobis_radius(gaussian):
    mean, cov, chol = gaussian
    z = random_latents(mean, chol, 3000, np.random.default_rng(4), truncation=1.5)
    assert _d2(z, mean, cov).max() <= 1.5**2 + 1e-9


@pytest.mark.parametrize("axes", [(0, 1), (1, 3)])
def test_ellipsoid_points_sit_on_the_chi2_shell(gaussian, axes):
    mean, cov, _ = gaussian
    r = chi2_radius(D, 0.95)
    z = ellipsoid_walk(mean, cov, 37, radius=r, axes=axes)
    np.testing.assert_allclose(_d2(z, mean, cov), stats.chi2.ppf(0.95, D), rtol=0, atol=1e-9)
    # in the plane of the chosen principal axes, evenly spaced, deterministic
    values, vectors = np.linalg.eigh(cov)
    vectors = vectors[:, np.argsort(values)[::-1]]
    coords = (z - mean) @ vectors
    others = [k for k in range(D) if k not in axes]
    np.testing.assert_allclose(coords[:, others], 0, atol=1e-9)
    angles = np.unwrap(
        np.arctan2(
            coords[:, axes[1]] / np.sqrt(np.sort(values)[::-1][axes[1]]),
            coords[:, axes[0]] / np.sqrt(np.sort(values)[::-1][axes[0]]),
        )
    )
    np.testing.assert_allclose(np.diff(angles), 2 * np.pi / 37, atol=1e-9)
    np.testing.assert_array_equal(z, ellipsoid_walk(mean, cov, 37, radius=r, axes=axes))


def test_random_walk_stays_on_the_shell_and_moves(gaussian):
    mean, cov, chol = gaussian
    r = chi2_radius(D, 0.8)
    z = random_walk(mean, chol, 200, np.random.default_rng(5), radius=r, step=0.2)
    np.testing.assert_allclose(_d2(z, mean, cov), r**2, atol=1e-9)
    steps = np.linalg.norm(np.diff(z, axis=0), axis=1)
    assert steps.min() > 0 and len(np.unique(z.round(12), axis=0)) == 200


def _in_hull(point, anchors):
    m = len(anchors)
    res = optimize.linprog(
        np.zeros(m),
        A_eq=np.vstack([anchors.T, np.ones(m)]),
        b_eq=np.append(point, 1.0),
        bounds=[(0, None)] * m,
        method="highs",
    )
    return res.status == 0


@pytest.mark.parametrize("mode", ["pair", "dirichlet"])
def test_morph_stays_in_the_convex_hull(mode):
    rng = np.random.default_rng(6)
    anchors = rng.standard_normal((12, 3))
    z = morph(anchors, 200, np.random.default_rng(7), mode=mode, n_parents=4)
    assert all(_in_hull(p, anchors) for p in z)
    outside = anchors.mean(0) + 10 * (anchors.max(0) - anchors.min(0))
    assert not _in_hull(outside, anchors)  # the check itself can fail


@pytest.mark.parametrize("mode", ["bernoulli", "one_point"])
def test_crossover_takes_every_coordinate_from_a_parent(mode):
    anchors = np.random.default_rng(8).standard_normal((9, 6))
    z = crossover(anchors, 300, np.random.default_rng(9), mode=mode, p=0.5)
    for row in z:
        for j, value in enumerate(row):
            assert np.any(anchors[:, j] == value)
        # at most two parents contribute
        sources = {int(np.flatnonzero(anchors[:, j] == row[j])[0]) for j in range(6)}
        assert len(sources) <= 2
    if mode == "one_point":  # a prefix from one parent, the rest from the other
        for row in z:
            firsts = [int(np.flatnonzero(anchors[:, j] == row[j])[0]) for j in range(6)]
            changes = sum(a != b for a, b in zip(firsts, firsts[1:]))
            assert changes <= 1


def test_draw_is_deterministic_per_seed(gaussian):
    mean, cov, chol = gaussian
    anchors = np.random.default_rng(0).standard_normal((6, D))
    for method in METHODS:
        kw = dict(mean=mean, cov=cov, chol=chol, anchors=anchors, q=0.95, gate=True)
        a = draw_cluster(method, 50, np.random.default_rng(11), **kw).z
        b = draw_cluster(method, 50, np.random.default_rng(11), **kw).z
        np.testing.assert_array_equal(a, b)
        if method != "ellipsoid_walk":
            c = draw_cluster(method, 50, np.random.default_rng(12), **kw).z
            assert not np.array_equal(a, c)


def test_extra_check_filters_and_reports_rate(gaussian):
    mean, cov, chol = gaussian
    draw = draw_cluster(
        "random",
        400,
        np.random.default_rng(0),
        mean=mean,
        cov=cov,
        chol=chol,
        anchors=None,
        q=0.95,
        extra_check=lambda z: z[:, 0] > mean[0],
    )
    assert np.all(draw.z[:, 0] > mean[0]) and len(draw.z) == 400
    assert 0.4 < draw.acceptance_rate < 0.6


def test_impossible_gate_is_a_generation_error(gaussian):
    mean, cov, chol = gaussian
    with pytest.raises(GenerationError, match="passed the gate"):
        draw_cluster(
            "random",
            10,
            np.random.default_rng(0),
            mean=mean,
            cov=cov,
            chol=chol,
            anchors=None,
            q=0.95,
            extra_check=lambda z: np.zeros(len(z), bool),
            max_draws=500,
        )


def test_bad_method_and_options():
    with pytest.raises(UnknownMethodError, match="unknown method 'walk'"):
        draw_cluster(
            "walk", 1, np.random.default_rng(0), mean=np.zeros(2), cov=np.eye(2), chol=np.eye(2), anchors=None, q=0.9
        )
    with pytest.raises(ConfigError):
        MethodOptions(axes=(1, 1))
    with pytest.raises(ConfigError):
        MethodOptions(crossover_p=2)
