"""micro_centroids: every anchor is a mean of >= min_size rows, none is a row."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cluster import micro_centroids
from cluster.anchors import _merge_small_groups


def _data(n=203, d=3, seed=0):
    return np.random.default_rng(seed).normal(size=(n, d)) * [1.0, 3.0, 0.5]


def test_centroids_are_means_of_disjoint_groups_of_at_least_min_size():
    Z = _data()
    centroids, sizes, labels = micro_centroids(Z, min_size=5, random_state=0, return_sizes=True, return_labels=True)
    assert centroids.dtype == np.float64 and centroids.shape[1] == 3
    assert centroids.shape[0] == sizes.size > 1
    assert sizes.min() >= 5 and sizes.sum() == Z.shape[0]
    np.testing.assert_array_equal(np.bincount(labels, minlength=sizes.size), sizes)
    for g in range(sizes.size):
        np.testing.assert_allclose(centroids[g], Z[labels == g].mean(axis=0), rtol=1e-12, atol=1e-14)


def test_no_centroid_equals_a_training_row():
    Z = _data(seed=1)
    centroids = micro_centroids(Z, min_size=5, random_state=1)
    gaps = np.sqrt(((centroids[:, None, :] - Z[None, :, :]) ** 2).sum(axis=2))
    assert gaps.min() > 1e-6


def test_same_seed_same_centroids_and_generators_thread_through():
    Z = _data(seed=2)
    a = micro_centroids(Z, random_state=3)
    np.testing.assert_array_equal(a, micro_centroids(Z, random_state=3))
    np.testing.assert_array_equal(a, micro_centroids(Z, random_state=np.random.default_rng(3)))
    assert not np.array_equal(a, micro_centroids(Z, random_state=4))


def test_too_few_rows_give_one_centroid_the_mean():
    Z = _data(n=4)
    centroids, sizes = micro_centroids(Z, min_size=5, random_state=0, return_sizes=True)
    np.testing.assert_allclose(centroids, Z.mean(axis=0, keepdims=True), rtol=1e-12)
    np.testing.assert_array_equal(sizes, [4])


def test_duplicate_rows_still_group_correctly():
    Z = np.repeat(_data(n=6, seed=5), 4, axis=0)  # 24 rows, 6 distinct
    centroids, sizes = micro_centroids(Z, min_size=5, random_state=0, return_sizes=True)
    assert sizes.min() >= 5 and sizes.sum() == 24


def test_chained_merges_keep_every_row_with_its_final_group():
    # 1 row at 0 joins the 2 rows at 1 (still 3 < 5), which then join the 10 rows at 5
    Z = np.array([[0.0]] + [[1.0]] * 2 + [[5.0]] * 10 + [[50.0]] * 6)
    labels = np.array([0] + [1] * 2 + [2] * 10 + [3] * 6)
    merged = _merge_small_groups(Z, labels, min_size=5)
    np.testing.assert_array_equal(merged, [0] * 13 + [1] * 6)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 120), d=st.integers(1, 4), min_size=st.integers(1, 12), seed=st.integers(0, 2**16))
def test_groups_always_reach_min_size_and_cover_all_rows(n, d, min_size, seed):
    Z = np.random.default_rng(seed).normal(size=(n, d))
    centroids, sizes, labels = micro_centroids(
        Z, min_size=min_size, random_state=seed, return_sizes=True, return_labels=True
    )
    assert sizes.sum() == n and centroids.shape == (sizes.size, d)
    assert sizes.min() >= min(min_size, n)
    assert set(labels.tolist()) == set(range(sizes.size))
    np.testing.assert_array_equal(np.bincount(labels), sizes)
    sums = np.zeros_like(centroids)
    np.add.at(sums, labels, Z)
    np.testing.assert_allclose(centroids, sums / sizes[:, None], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"min_size": 0}, "min_size must be >= 1"),
        ({"n_iter": 0}, "n_iter"),
        ({"random_state": 1.5}, "random_state"),
    ],
)
def test_bad_arguments_are_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        micro_centroids(_data(n=20), **kwargs)


def test_bad_data_is_an_error():
    with pytest.raises(ValueError, match="2-D"):
        micro_centroids(np.ones(10))
    Z = _data(n=20)
    Z[2, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        micro_centroids(Z)
    with pytest.raises(ValueError, match="at least 1"):
        micro_centroids(np.empty((0, 3)))


def test_large_clusters_group_neighbours_by_a_kd_tree():
    from cluster.anchors import KMEANS_MAX_ROWS

    Z = _data(n=KMEANS_MAX_ROWS + 905, seed=5)
    centroids, sizes, labels = micro_centroids(Z, min_size=5, random_state=0, return_sizes=True, return_labels=True)
    assert sizes.min() >= 5 and sizes.max() <= 9 and sizes.sum() == len(Z)
    np.testing.assert_allclose(centroids, np.stack([Z[labels == g].mean(axis=0) for g in range(sizes.size)]))
    spread = np.mean([Z[labels == g].std(axis=0).mean() for g in range(0, sizes.size, 50)])
    assert spread < 0.25 * Z.std(axis=0).mean()  # groups are neighbourhoods, not random subsets
    np.testing.assert_array_equal(centroids, micro_centroids(Z, min_size=5, random_state=1))
