"""LabelPartition: labels → consecutive codes, JSON-able classes."""

import json

import numpy as np
import pytest

from cluster import LabelPartition, UnknownLabelError

Z6 = np.arange(12.0).reshape(6, 2)


def test_string_labels_get_sorted_classes_and_codes():
    p = LabelPartition().fit(Z6, np.array(["versicolor", "setosa", "virginica", "setosa", "virginica", "setosa"]))
    assert p.classes_ == ["setosa", "versicolor", "virginica"]
    assert all(type(c) is str for c in p.classes_)
    np.testing.assert_array_equal(p.labels_, [1, 0, 2, 0, 2, 0])
    assert p.labels_.dtype == np.int64 and p.n_clusters_ == 3
    assert json.loads(json.dumps(p.classes_)) == p.classes_


def test_numpy_int_labels_become_python_ints():
    p = LabelPartition().fit(Z6, np.array([7, 3, 3, 7, 5, 5], dtype=np.int32))
    assert p.classes_ == [3, 5, 7]
    assert all(type(c) is int for c in p.classes_)
    np.testing.assert_array_equal(p.labels_, [2, 0, 0, 2, 1, 1])
    json.dumps(p.classes_)


def test_transform_and_inverse_transform():
    p = LabelPartition().fit(Z6, ["b", "a", "c", "a", "b", "c"])
    np.testing.assert_array_equal(p.transform(["c", "a", "a"]), [2, 0, 0])
    assert p.inverse_transform(np.array([2, 0, 1])) == ["c", "a", "b"]
    with pytest.raises(ValueError, match="code 3 is out of range"):
        p.inverse_transform(np.array([3]))


def test_unknown_label_names_it_and_lists_the_known_ones():
    p = LabelPartition().fit(Z6, ["b", "a", "c", "a", "b", "c"])
    with pytest.raises(KeyError) as info:
        p.transform(["a", "zebra"])
    assert "zebra" in str(info.value) and "['a', 'b', 'c']" in str(info.value)
    with pytest.raises(ValueError, match="zebra"):  # also a ValueError for callers catching that
        p.transform(["zebra"])
    assert isinstance(info.value, UnknownLabelError)


def test_from_classes_restores_a_working_partition():
    p = LabelPartition.from_classes(["a", "b"])
    np.testing.assert_array_equal(p.transform(["b", "a"]), [1, 0])
    with pytest.raises(ValueError, match="sorted"):
        LabelPartition.from_classes(["b", "a"])


@pytest.mark.parametrize(
    "y, match",
    [
        (["a", 1, "b", 2, "a", 1], "mix types"),
        (["a", "b", "a"], "3 labels but Z has 6 rows"),
        ([1.0, np.nan, 1.0, 2.0, 2.0, 1.0], "nan"),
        ([1, None, 1, 2, 2, 1], "None"),
        (np.ones((6, 1)), "1-D"),
    ],
)
def test_bad_labels_are_errors(y, match):
    with pytest.raises(ValueError, match=match):
        LabelPartition().fit(Z6, y)


def test_bad_latents_and_unfitted_use_are_errors():
    with pytest.raises(ValueError, match="2-D"):
        LabelPartition().fit(np.ones(6), [0] * 6)
    with pytest.raises(ValueError, match="not fitted"):
        LabelPartition().transform(["a"])
