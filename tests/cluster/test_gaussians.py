"""ClusterGaussians against closed forms, scipy and scikit-learn."""

import numpy as np
import pytest
from scipy import stats
from sklearn.covariance import ledoit_wolf

from cluster import ClusterGaussians
from cluster.gaussians import JITTER


def _two_clusters(seed=0, n=(60, 80), d=4):
    rng = np.random.default_rng(seed)
    parts, labels = [], []
    for k, nk in enumerate(n):
        A = rng.normal(size=(d, d))
        parts.append(rng.normal(size=(nk, d)) @ A + 5.0 * k)
        labels.append(np.full(nk, k))
    return np.concatenate(parts), np.concatenate(labels)


@pytest.mark.parametrize("shrinkage", ["ledoit_wolf", "ridge", "none"])
def test_cholesky_is_lower_triangular_and_reproduces_covariances(shrinkage):
    Z, y = _two_clusters()
    g = ClusterGaussians(shrinkage=shrinkage).fit(Z, y)
    assert g.cholesky_.shape == g.covariances_.shape == (2, 4, 4)
    for k in range(2):
        L = g.cholesky_[k]
        np.testing.assert_array_equal(L, np.tril(L))
        np.testing.assert_allclose(L @ L.T, g.covariances_[k], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(g.means_[k], Z[y == k].mean(axis=0), rtol=1e-12)
    np.testing.assert_array_equal(g.counts_, [60, 80])
    assert g.n_clusters_ == 2 and g.n_features_in_ == 4


def test_mahalanobis_equals_explicit_inverse_formula():
    Z, y = _two_clusters(seed=1)
    g = ClusterGaussians().fit(Z, y)
    query = np.random.default_rng(2).normal(size=(25, 4)) * 3
    for k in range(2):
        diff = query - g.means_[k]
        expected = np.einsum("ij,jk,ik->i", diff, np.linalg.inv(g.covariances_[k]), diff)
        np.testing.assert_allclose(g.mahalanobis_sq(query, k), expected, rtol=1e-9)
        np.testing.assert_allclose(g.mahalanobis_sq_all(query)[:, k], expected, rtol=1e-9)


def test_log_density_equals_scipy_and_predict_is_its_argmax():
    Z, y = _two_clusters(seed=3)
    g = ClusterGaussians().fit(Z, y)
    query = np.random.default_rng(4).normal(size=(30, 4)) * 4 + 2.5
    expected = np.stack(
        [stats.multivariate_normal(g.means_[k], g.covariances_[k]).logpdf(query) for k in range(2)], axis=1
    )
    np.testing.assert_allclose(g.log_density(query), expected, rtol=1e-10)
    np.testing.assert_array_equal(g.predict(query), expected.argmax(axis=1))
    assert 0 < g.predict(query).sum() < 30  # both clusters win somewhere


def test_chi2_threshold_closed_form_in_two_dimensions():
    Z, y = _two_clusters(d=2)
    g = ClusterGaussians(q=0.9).fit(Z, y)
    # χ²₂ is exponential with mean 2: quantile q is −2 ln(1 − q)
    assert g.chi2_threshold() == pytest.approx(-2 * np.log(1 - 0.9), rel=1e-12)
    assert g.chi2_threshold(0.5) == pytest.approx(-2 * np.log(0.5), rel=1e-12)


@pytest.mark.parametrize("q", [0.5, 0.95])
def test_samples_from_the_model_pass_the_gate_at_rate_q(q):
    Z, y = _two_clusters(seed=5, d=6)
    g = ClusterGaussians(q=q).fit(Z, y)
    n = 20_000
    eps = np.random.default_rng(6).standard_normal((n, 6))
    for k in range(2):
        samples = g.means_[k] + eps @ g.cholesky_[k].T
        rate = g.in_region(samples, k).mean()
        assert abs(rate - q) <= 4 * np.sqrt(q * (1 - q) / n)


def test_ledoit_wolf_equals_sklearn():
    rng = np.random.default_rng(7)
    Z = rng.normal(size=(90, 8)) @ rng.normal(size=(8, 8))
    y = np.repeat([0, 1, 2], 30)
    g = ClusterGaussians(shrinkage="ledoit_wolf").fit(Z, y)
    for k in range(3):
        cov, shrink = ledoit_wolf(Z[y == k])
        assert 0 < shrink < 1
        np.testing.assert_allclose(g.shrinkage_[k], shrink, rtol=1e-8)
        np.testing.assert_allclose(g.covariances_[k] - g.jitter_[k] * np.eye(8), cov, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("n, d, seed", [(5, 3, 0), (3, 20, 1), (2, 10, 2), (50, 1, 3)])
def test_ledoit_wolf_equals_sklearn_at_the_edges(n, d, seed):
    # (5, 3): intensity capped at 1; (2, 10): the formula gives 0; d = 1: defined as 0
    Z = np.random.default_rng(seed).normal(size=(n, d))
    g = ClusterGaussians().fit(Z, np.zeros(n, dtype=int))
    cov, shrink = ledoit_wolf(Z)
    np.testing.assert_allclose(g.shrinkage_[0], shrink, rtol=1e-8, atol=1e-15)
    np.testing.assert_allclose(g.covariances_[0] - g.jitter_[0] * np.eye(d), cov, rtol=1e-8, atol=1e-12)


def test_ridge_and_none_rules_in_closed_form():
    Z, y = _two_clusters(seed=8)
    ridge = ClusterGaussians(shrinkage="ridge", ridge=0.1).fit(Z, y)
    none = ClusterGaussians(shrinkage="none").fit(Z, y)
    for k in range(2):
        S = np.cov(Z[y == k].T, bias=True)
        mu = np.trace(S) / 4
        np.testing.assert_allclose(none.covariances_[k], S + JITTER * mu * np.eye(4), rtol=1e-12)
        np.testing.assert_allclose(ridge.covariances_[k], S + (0.1 + JITTER) * mu * np.eye(4), rtol=1e-12)
    np.testing.assert_array_equal(ridge.shrinkage_, [0.1, 0.1])
    np.testing.assert_array_equal(none.shrinkage_, [0.0, 0.0])


@pytest.mark.parametrize("shrinkage", ["ledoit_wolf", "ridge", "none"])
def test_positive_definite_with_two_rows_in_ten_dimensions(shrinkage):
    rng = np.random.default_rng(9)
    Z = rng.normal(size=(2 + 30, 10))
    y = np.array([0, 0] + [1] * 30)
    g = ClusterGaussians(shrinkage=shrinkage).fit(Z, y)
    assert np.linalg.eigvalsh(g.covariances_[0]).min() > 0
    assert np.all(np.diagonal(g.cholesky_[0]) > 0)
    assert np.all(np.isfinite(g.log_density(rng.normal(size=(5, 10)))))


def test_cluster_of_identical_rows_is_still_positive_definite():
    rng = np.random.default_rng(10)
    Z = np.concatenate([np.ones((3, 4)), rng.normal(size=(20, 4))])
    y = np.array([0, 0, 0] + [1] * 20)
    g = ClusterGaussians().fit(Z, y)
    assert np.linalg.eigvalsh(g.covariances_[0]).min() > 0
    assert g.mahalanobis_sq(np.ones((1, 4)), 0)[0] == pytest.approx(0.0)


def test_principal_axes_are_sorted_orthonormal_and_sign_fixed():
    Z, y = _two_clusters(seed=11)
    g = ClusterGaussians().fit(Z, y)
    values, vectors = g.principal_axes(1)
    assert np.all(np.diff(values) <= 0)
    np.testing.assert_allclose(vectors.T @ vectors, np.eye(4), atol=1e-12)
    np.testing.assert_allclose(vectors @ np.diag(values) @ vectors.T, g.covariances_[1], rtol=1e-9, atol=1e-12)
    largest = vectors[np.argmax(np.abs(vectors), axis=0), np.arange(4)]
    assert np.all(largest > 0)


def test_to_arrays_from_arrays_round_trip_through_an_npz_file(tmp_path):
    Z, y = _two_clusters(seed=12)
    g = ClusterGaussians(shrinkage="ridge", ridge=0.05, q=0.9).fit(Z, y)
    path = tmp_path / "clusters.npz"
    np.savez(path, **g.to_arrays(prefix="gauss/"))
    with np.load(path, allow_pickle=False) as stored:
        assert all(stored[key].dtype != object for key in stored.files)
        restored = ClusterGaussians.from_arrays(stored, prefix="gauss/")
    assert (restored.shrinkage, restored.ridge, restored.q) == ("ridge", 0.05, 0.9)
    query = np.random.default_rng(13).normal(size=(40, 4)) * 3
    np.testing.assert_array_equal(restored.mahalanobis_sq_all(query), g.mahalanobis_sq_all(query))
    np.testing.assert_array_equal(restored.log_density(query), g.log_density(query))
    np.testing.assert_array_equal(restored.predict(query), g.predict(query))
    np.testing.assert_array_equal(restored.in_region(query, 1), g.in_region(query, 1))
    assert restored.chi2_threshold() == g.chi2_threshold()
    np.testing.assert_array_equal(restored.counts_, g.counts_)


def test_from_arrays_names_missing_and_misshaped_keys():
    Z, y = _two_clusters()
    arrays = ClusterGaussians().fit(Z, y).to_arrays()
    with pytest.raises(ValueError, match="cholesky"):
        ClusterGaussians.from_arrays({k: v for k, v in arrays.items() if k != "cholesky"})
    with pytest.raises(ValueError, match="counts"):
        ClusterGaussians.from_arrays({**arrays, "counts": np.array([1, 2, 3])})


def test_one_row_cluster_is_an_error_naming_code_and_count():
    Z, y = _two_clusters()
    y = y.copy()
    y[0] = 2
    with pytest.raises(ValueError, match=r"cluster 2 has 1 row"):
        ClusterGaussians().fit(Z, y)


@pytest.mark.parametrize(
    "labels, match",
    [
        (np.r_[np.zeros(70, int), np.full(70, 2)], r"codes \[1\]"),
        (np.zeros(140, float), "integer"),
        (np.zeros(139, int), r"shape \(140,\)"),
        (np.r_[-np.ones(70, int), np.zeros(70, int)], "negative"),
    ],
)
def test_bad_labels_are_errors(labels, match):
    Z, _ = _two_clusters()
    with pytest.raises(ValueError, match=match):
        ClusterGaussians().fit(Z, labels)


def test_bad_inputs_and_parameters_are_errors():
    Z, y = _two_clusters()
    bad = Z.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="row 3, column 1"):
        ClusterGaussians().fit(bad, y)
    with pytest.raises(ValueError, match="2-D"):
        ClusterGaussians().fit(Z[:, 0], y)
    with pytest.raises(ValueError, match="shrinkage"):
        ClusterGaussians(shrinkage="oas").fit(Z, y)
    with pytest.raises(ValueError, match="q must lie"):
        ClusterGaussians(q=1.0).fit(Z, y)
    with pytest.raises(ValueError, match="not fitted"):
        ClusterGaussians().predict(Z)
    g = ClusterGaussians().fit(Z, y)
    with pytest.raises(ValueError, match="3 features but the model was fitted on 4"):
        g.log_density(Z[:, :3])
    with pytest.raises(ValueError, match="k=2 is out of range"):
        g.mahalanobis_sq(Z, 2)
    with pytest.raises(ValueError, match="out of range"):
        g.principal_axes(-1)
    with pytest.raises(ValueError, match="q must lie"):
        g.chi2_threshold(0.0)
    with pytest.raises(ValueError, match="NaN"):
        g.in_region(bad, 0)
