"""PolarizedHierarchical: recovery, BIC stop, tree, cut, linkage and JSON."""

import json
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.cluster import hierarchy
from scipy.stats import multivariate_normal
from sklearn.metrics import adjusted_rand_score

from cluster import PolarizedHierarchical
from cluster.polarized_split import polarized_split, two_means_1d

THREE = [[0, 0, 0], [60, 0, 0], [0, 30, 0]]
FOUR = [[0, 0, 0], [80, 0, 0], [0, 40, 0], [80, 40, 25]]


def _blobs(centres, n_each=80, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.asarray(centres, dtype=float)
    Z = np.concatenate([rng.normal(size=(n_each, centres.shape[1])) + c for c in centres])
    return Z, np.repeat(np.arange(len(centres)), n_each)


def _brute_force_two_means(x):
    """Smallest within-pole sum of squares over every cut of the sorted values."""
    xs = np.sort(x)
    best = np.inf
    for i in range(1, xs.size):
        if xs[i] > xs[i - 1]:
            left, right = xs[:i], xs[i:]
            best = min(best, ((left - left.mean()) ** 2).sum() + ((right - right.mean()) ** 2).sum())
    return best


def _sse_at(x, threshold):
    left, right = x[x <= threshold], x[x > threshold]
    return ((left - left.mean()) ** 2).sum() + ((right - right.mean()) ** 2).sum()


def test_two_means_1d_equals_brute_force_on_a_small_array():
    # closed form: {0, 1, 2} | {10, 11}, SSE 2 + 0.5, cut at the midpoint 6
    assert two_means_1d(np.array([10.0, 0.0, 11.0, 2.0, 1.0])) == pytest.approx((6.0, 2.5, 3), rel=1e-12)
    x = np.array([0.3, 5.1, 0.1, 4.0, 9.7, 5.2, 0.0, 10.4, 4.4])
    threshold, sse, n_left = two_means_1d(x)
    assert sse == pytest.approx(_brute_force_two_means(x), rel=1e-12)
    assert sse == pytest.approx(_sse_at(x, threshold), rel=1e-12)
    assert n_left == (x <= threshold).sum()


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(-20, 20), min_size=2, max_size=25))
def test_two_means_1d_matches_brute_force_with_ties(values):
    x = np.array(values, dtype=float) / 4.0
    found = two_means_1d(x)
    if np.unique(x).size < 2:
        assert found is None
        return
    threshold, sse, n_left = found
    assert sse == pytest.approx(_brute_force_two_means(x), rel=1e-9, abs=1e-9)
    assert _sse_at(x, threshold) == pytest.approx(sse, rel=1e-9, abs=1e-9)
    assert n_left == (x <= threshold).sum()
    assert 0 < n_left < x.size


def test_bic_gain_equals_an_independent_computation():
    Z, _ = _blobs([[0, 0], [6, 1]], n_each=40, seed=1)
    split = polarized_split(Z, min_size=5, ridge=1e-6)
    n, d = Z.shape
    lam = 1e-6 * np.trace(np.cov(Z.T, bias=True)) / d

    def loglik(X):
        cov = np.cov(X.T, bias=True) + lam * np.eye(d)
        return multivariate_normal(X.mean(axis=0), cov).logpdf(X).sum()

    left = split["left"]
    two = sum(m.shape[0] * np.log(m.shape[0] / n) + loglik(m) for m in (Z[left], Z[~left]))
    p = d + d * (d + 1) / 2
    expected = (-2 * loglik(Z) + p * np.log(n)) - (-2 * two + (2 * p + 1) * np.log(n))
    assert split["bic_gain"] == pytest.approx(expected, rel=1e-9)
    assert split["accepted"] and expected > 0
    np.testing.assert_allclose(np.linalg.norm(split["axis"]), 1.0)
    np.testing.assert_array_equal(left, Z @ split["axis"] <= split["threshold"])


def test_three_separated_blobs_are_recovered():
    Z, truth = _blobs(THREE, seed=2)
    model = PolarizedHierarchical(3).fit(Z)
    assert model.n_clusters_ == 3
    assert adjusted_rand_score(truth, model.labels_) == 1.0
    np.testing.assert_array_equal(model.predict(Z), model.labels_)


def test_auto_on_one_gaussian_blob_gives_one_cluster():
    Z = np.random.default_rng(3).multivariate_normal([1, 2, 3], [[4, 1, 0], [1, 2, 0], [0, 0, 1]], size=600)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = PolarizedHierarchical("auto").fit(Z)
    assert model.n_clusters_ == 1
    np.testing.assert_array_equal(model.labels_, 0)
    assert model.linkage_matrix().shape == (0, 4)


def test_auto_on_four_separated_blobs_gives_four():
    Z, truth = _blobs(FOUR, seed=4)
    model = PolarizedHierarchical("auto").fit(Z)
    assert model.n_clusters_ == 4
    assert adjusted_rand_score(truth, model.labels_) == 1.0


def test_the_largest_accepted_leaf_is_split_first():
    # two far-apart pairs: a pair of big blobs and a pair of small ones; after
    # the first split both pairs can be split, and the big pair must go first
    rng = np.random.default_rng(13)
    big = [rng.normal(size=(100, 2)) + c for c in ([0, 0], [0, 30])]
    small = [rng.normal(size=(30, 2)) + c for c in ([300, 0], [300, 30])]
    Z = np.concatenate(big + small)
    truth = np.repeat([0, 1, 2, 2], [100, 100, 30, 30])
    # in Z's own units (standardising would make the x gap as wide as the y gap)
    model = PolarizedHierarchical(3, split_order="size", standardize=False).fit(Z)
    assert adjusted_rand_score(truth, model.labels_) == 1.0
    second = next(node for node in model.tree_ if node["split_order"] == 1)
    assert second["size"] == 200 and second["depth"] == 1


def test_unreachable_n_clusters_warns_and_stops():
    Z, _ = _blobs(THREE, seed=5)
    with pytest.warns(UserWarning, match="found 3 clusters, not the n_clusters=6"):
        model = PolarizedHierarchical(6).fit(Z)
    assert model.n_clusters_ == 3


def test_min_size_is_respected():
    Z, _ = _blobs(THREE, n_each=60, seed=6)
    tiny = np.random.default_rng(7).normal(size=(4, 3)) + [200, 200, 200]
    Z = np.concatenate([Z, tiny])
    with pytest.warns(UserWarning):
        strict = PolarizedHierarchical(4, min_size=5).fit(Z)
    assert np.bincount(strict.labels_).min() >= 5
    assert all(node["size"] >= 5 for node in strict.tree_)
    loose = PolarizedHierarchical(4, min_size=3).fit(Z)
    assert np.bincount(loose.labels_).min() == 4  # the far group of 4 becomes a leaf once allowed


def test_same_data_gives_identical_labels_and_tree():
    Z, _ = _blobs(FOUR, seed=8)
    a = PolarizedHierarchical("auto", random_state=0).fit(Z)
    b = PolarizedHierarchical("auto", random_state=0).fit(Z.copy())
    np.testing.assert_array_equal(a.labels_, b.labels_)
    assert json.dumps(a.tree_) == json.dumps(b.tree_)


def test_codes_follow_creation_order_and_cut_is_consistent():
    Z, _ = _blobs(FOUR, seed=9)
    model = PolarizedHierarchical(4).fit(Z)
    np.testing.assert_array_equal(model.cut(4), model.labels_)
    np.testing.assert_array_equal(model.cut(1), 0)
    for k in (2, 3):
        coarse = model.cut(k)
        assert set(coarse.tolist()) == set(range(k))
        for code in range(4):  # every fine cluster lies inside one coarse cluster
            assert np.unique(coarse[model.labels_ == code]).size == 1
        finer = model.cut(k + 1)
        older = finer < k  # the split number k-1 only moved code k's rows away from its parent
        np.testing.assert_array_equal(coarse[older], finer[older])
        assert np.unique(coarse[finer == k]).size == 1
    fine = model.cut(4)
    for code in range(2):  # each cut(2) cluster is a union of cut(4) clusters
        members = set(fine[model.cut(2) == code].tolist())
        assert members and all(set(model.cut(2)[fine == m].tolist()) == {code} for m in members)
    with pytest.raises(ValueError, match="k=5 exceeds"):
        model.cut(5)


def test_linkage_matrix_is_valid_and_matches_cut():
    Z, _ = _blobs(FOUR, seed=10)
    model = PolarizedHierarchical(4).fit(Z)
    link = model.linkage_matrix()
    assert link.shape == (3, 4)
    assert hierarchy.is_valid_linkage(link, throw=True)
    assert hierarchy.is_monotonic(link)
    drawn = hierarchy.dendrogram(link, no_plot=True)
    assert sorted(drawn["leaves"]) == [0, 1, 2, 3]
    for k in (2, 3):
        leaf_groups = hierarchy.fcluster(link, k, criterion="maxclust")
        assert adjusted_rand_score(leaf_groups[model.labels_], model.cut(k)) == 1.0


def test_json_round_trip_predicts_the_same(tmp_path):
    Z, _ = _blobs(THREE, seed=11)
    model = PolarizedHierarchical(3, min_size=4).fit(Z)
    path = tmp_path / "polarized.json"
    path.write_text(json.dumps(model.to_json()))
    restored = PolarizedHierarchical.from_json(json.loads(path.read_text()))
    query = np.random.default_rng(12).normal(size=(50, 3)) * 30
    np.testing.assert_array_equal(restored.predict(query), model.predict(query))
    np.testing.assert_array_equal(restored.linkage_matrix(), model.linkage_matrix())
    assert restored.tree_ == model.tree_ and restored.min_size == 4
    with pytest.raises(ValueError, match="labels_"):
        restored.cut(2)
    with pytest.raises(ValueError, match="format"):
        PolarizedHierarchical.from_json({"format": "something else"})
    broken = model.to_json()
    del broken["tree"]
    with pytest.raises(ValueError, match="corrupt"):
        PolarizedHierarchical.from_json(broken)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_clusters": 0}, "n_clusters must be >= 1"),
        ({"n_clusters": "Auto"}, "'auto'"),
        ({"n_clusters": 2.0}, "n_clusters must be an integer"),
        ({"n_clusters": 100}, "max_clusters"),
        ({"min_size": 0}, "min_size must be >= 1"),
        ({"ridge": 0.0}, "ridge"),
        ({"random_state": "seed"}, "random_state"),
    ],
)
def test_bad_parameters_are_errors(kwargs, match):
    Z, _ = _blobs(THREE, n_each=10)
    with pytest.raises(ValueError, match=match):
        PolarizedHierarchical(**kwargs).fit(Z)


def test_bad_data_is_an_error():
    with pytest.raises(ValueError, match="at least 2"):
        PolarizedHierarchical().fit(np.ones((1, 3)))
    Z, _ = _blobs(THREE, n_each=10)
    Z[4, 2] = np.inf
    with pytest.raises(ValueError, match="NaN or inf"):
        PolarizedHierarchical().fit(Z)
    with pytest.raises(ValueError, match="not fitted"):
        PolarizedHierarchical().predict(Z)
