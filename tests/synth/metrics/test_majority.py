"""The cluster → majority-true-label map and TSTR of an unlabelled model scored through it."""

import numpy as np
import pytest

from synth.errors import DataError
from synth.metrics.utility import majority_label_map, majority_utility_report, utility_report


def test_majority_map_closed_form():
    clusters = ["a", "a", "a", "b", "b", "c", "c", 7, 7, 7, 7]
    labels = [1, 1, 2, 3, 3, 5, 4, "x", "x", "y", "y"]
    assert majority_label_map(clusters, labels) == {
        "7": {"label": "x", "purity": 0.5, "n": 4},  # a tie: the label that sorts first
        "a": {"label": "1", "purity": 2 / 3, "n": 3},
        "b": {"label": "3", "purity": 1.0, "n": 2},
        "c": {"label": "4", "purity": 0.5, "n": 2},
    }
    with pytest.raises(DataError, match="labels must have shape"):
        majority_label_map(["a", "b"], [1])


@pytest.fixture(scope="module")
def blobs():
    """Three separated blobs; rows of class j sit in cluster 'k{(j + 1) % 3}' (names ≠ classes)."""
    rng = np.random.default_rng(0)
    centers = np.array([[0, 0], [5, 5], [0, 5]], float)

    def draw(n):
        y = np.repeat([0, 1, 2], n)
        return centers[y] + 0.8 * rng.standard_normal((3 * n, 2)), y

    (X_train, y_train), (X_test, y_test), (X_syn, y_syn) = draw(30), draw(20), draw(25)
    name = np.array(["k1", "k2", "k0"])
    return X_train, y_train, X_test, y_test, X_syn, y_syn, name


def test_pure_clusters_give_the_tstr_of_the_true_labels(blobs):
    X_train, y_train, X_test, y_test, X_syn, y_syn, name = blobs
    mapping = majority_label_map(name[y_train], y_train)
    assert {k: v["label"] for k, v in mapping.items()} == {"k1": "0", "k2": "1", "k0": "2"}
    assert all(v["purity"] == 1.0 for v in mapping.values())
    via_map = majority_utility_report(X_train, y_train, X_test, y_test, X_syn, name[y_syn], mapping, random_state=3)
    true = utility_report(
        X_train, y_train.astype(str), X_test, y_test.astype(str), X_syn, y_syn.astype(str), random_state=3
    )
    assert via_map["tstr"] == true["tstr"] and via_map["trtr"] == true["trtr"]
    assert via_map["tstr"]["accuracy"] > 0.9
    assert via_map["labels"] == "cluster majority" and via_map["n_unmapped"] == 0
    assert "augmented" not in via_map and "lift" not in via_map  # no labelled real rows to augment


def test_impure_cluster_relabels_its_samples_with_the_majority(blobs):
    X_train, y_train, X_test, y_test, X_syn, y_syn, _ = blobs
    # classes 1 and 2 merged into one cluster: its samples all become class 1 (or 2), never both
    clusters = np.where(y_train == 0, "p", "q")
    mapping = majority_label_map(clusters, y_train)
    assert mapping["q"]["purity"] == 0.5 and mapping["p"]["purity"] == 1.0
    syn_clusters = np.where(y_syn == 0, "p", "q")
    report = majority_utility_report(X_train, y_train, X_test, y_test, X_syn, syn_clusters, mapping)
    # a classifier that never sees one of the three classes gets at most 2/3 of the balanced test set
    assert report["tstr"]["accuracy"] <= 2 / 3 + 1e-9 < report["trtr"]["accuracy"]
    # samples of a cluster no training row fell into are left out, and counted
    odd = syn_clusters.copy()
    odd[:5] = "new"
    assert majority_utility_report(X_train, y_train, X_test, y_test, X_syn, odd, mapping)["n_unmapped"] == 5
