"""Hard-EM refinement: the within-cluster log-likelihood never decreases, converged labels are
where the model predicts them, the tree stays consistent, the estimator contract holds."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import multivariate_normal
from sklearn.base import clone
from sklearn.metrics import adjusted_rand_score

from cluster import ClusterGaussians, PolarizedHierarchical
from cluster.refine import hard_em, within_loglik


def _blobs(seed, n_each=60, d=4, k=3, spread=6.0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, d)) * spread
    Z = np.concatenate([rng.normal(size=(n_each, d)) + c for c in centres])
    return Z, np.repeat(np.arange(k), n_each)


def _independent_loglik(Z, labels):
    """Σ log N(z | μ_c, Σ_c) with the Ledoit–Wolf Gaussians, through scipy."""
    g = ClusterGaussians().fit(Z, labels)
    return sum(
        multivariate_normal(g.means_[k], g.covariances_[k]).logpdf(Z[labels == k]).sum() for k in range(g.n_clusters_)
    )


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.5, 8.0))
def test_hard_em_never_lowers_the_within_cluster_loglik(seed, spread):
    Z, _ = _blobs(seed % 97, spread=spread)
    start = np.random.default_rng(seed).permutation(np.arange(len(Z)) % 3)  # a poor random partition
    labels, gaussians, record = hard_em(Z, start, max_iter=30, min_size=5)
    assert np.all(np.diff(record["loglik"]) > 0)
    assert record["loglik"][-1] >= record["loglik"][0]
    assert _independent_loglik(Z, labels) >= _independent_loglik(Z, start) - 1e-6
    assert within_loglik(Z, labels, gaussians) == pytest.approx(_independent_loglik(Z, labels), rel=1e-9)
    assert np.bincount(labels, minlength=3).min() >= 5
    if record["converged"]:
        np.testing.assert_array_equal(gaussians.predict(Z), labels)


def _parallel_bars(seed=0):
    """Two long parallel Gaussians: the first split's cut leaves a few rows on the wrong side."""
    rng = np.random.default_rng(seed)
    Z = np.concatenate([rng.normal(size=(150, 2)) * [6, 1], rng.normal(size=(150, 2)) * [6, 1] + [0, 5]])
    return Z, np.repeat([0, 1], 150)


def test_leaf_refinement_never_lowers_the_loglik_of_the_tree_partition():
    Z, truth = _parallel_bars()
    kwargs = {"split_refine": 0, "refine_each": False, "standardize": False}
    tree_only = PolarizedHierarchical(2, refine=0, **kwargs).fit(Z)
    refined = PolarizedHierarchical(2, refine=50, **kwargs).fit(Z)
    assert refined.refinement_["moved"] > 0
    assert _independent_loglik(Z, refined.labels_) > _independent_loglik(Z, tree_only.labels_)
    assert refined.refinement_["loglik"][0] == pytest.approx(_independent_loglik(Z, tree_only.labels_), rel=1e-9)
    assert adjusted_rand_score(truth, refined.labels_) > adjusted_rand_score(truth, tree_only.labels_)


def test_refined_tree_stays_consistent_with_the_labels():
    Z, _ = _blobs(0, spread=5.0, k=4, n_each=80)
    model = PolarizedHierarchical(4).fit(Z)
    assert model.n_clusters_ == 4
    counts = np.bincount(model.labels_)
    for node in model.tree_:
        if node["leaf_code"] is not None:
            assert node["size"] == counts[node["leaf_code"]]
        else:
            assert node["size"] == sum(model.tree_[c]["size"] for c in node["children"])
    assert model.tree_[0]["size"] == len(Z)
    for k in (1, 2, 3):  # every cut is a coarsening of the final labels
        coarse = model.cut(k)
        assert all(np.unique(coarse[model.labels_ == c]).size == 1 for c in range(4))
    assert model.refinement_["converged"]
    np.testing.assert_array_equal(model.predict(Z), model.labels_)


def test_standardising_makes_the_labels_invariant_to_per_dimension_scale():
    Z, truth = _blobs(3)
    a = PolarizedHierarchical(3).fit(Z)
    b = PolarizedHierarchical(3).fit(Z * [1.0, 100.0, 0.01, 7.0] + 5.0)
    assert adjusted_rand_score(truth, a.labels_) == 1.0
    np.testing.assert_array_equal(a.labels_, b.labels_)


def test_scikit_learn_contract_and_selection_record():
    Z, truth = _blobs(4, k=4)
    model = PolarizedHierarchical("auto", min_size=4, refine=20)
    params = model.get_params()
    assert params["n_clusters"] == "auto" and params["refine"] == 20
    copy = clone(model)
    assert copy.get_params() == params
    assert model.set_params(split_order="gain") is model and model.split_order == "gain"
    with pytest.raises(ValueError, match="unknown parameter"):
        model.set_params(nope=1)
    labels = copy.fit_predict(Z)
    assert adjusted_rand_score(truth, labels) == 1.0
    chosen = copy.selection_
    assert chosen["n_clusters"] == 4 and chosen["stopped"].startswith("no leaf has a split")
    assert len(chosen["split_bic_gains"]) == 3 and all(g > 0 for g in chosen["split_bic_gains"])
    with pytest.raises(ValueError, match="split_order"):
        PolarizedHierarchical(split_order="random").fit(Z)
