import json

import numpy as np
import pytest

from synth.errors import DataError
from synth.metrics.privacy import distance_to_closest_record


@pytest.fixture
def train():
    return np.random.default_rng(0).uniform(size=(200, 4))


def test_copies_of_training_rows_are_flagged(train):
    result = distance_to_closest_record(train.copy(), train)
    syn = result["synthetic"]
    assert syn["exact_copies"] == 1.0
    assert syn["median"] == 0.0 and syn["mean"] == 0.0 and syn["min"] == 0.0
    assert syn["n"] == 200
    assert result["holdout"] is None and result["dcr_ratio"] is None
    assert json.loads(json.dumps(result, allow_nan=False)) == result


def test_far_away_rows_have_large_distances(train):
    far = train + 10.0
    syn = distance_to_closest_record(far, train)["synthetic"]
    assert syn["exact_copies"] == 0.0
    # every shifted row is at least 10·√4 − (max spread) away from the unit cube
    assert syn["min"] > 10 * 2 - 2 * 1.0
    assert syn["min"] <= syn["p05"] <= syn["median"]


def test_closed_form_distances():
    train = np.array([[0.0, 0.0], [1.0, 0.0]])
    syn = np.array([[0.0, 0.5], [1.0, 2.0], [0.4, 0.0], [0.0, 0.0]])
    result = distance_to_closest_record(syn, train)["synthetic"]
    d = np.array([0.5, 2.0, 0.4, 0.0])
    assert result["mean"] == pytest.approx(d.mean())
    assert result["median"] == pytest.approx(np.median(d))
    assert result["p05"] == pytest.approx(np.percentile(d, 5))
    assert result["exact_copies"] == pytest.approx(0.25)


def test_holdout_ratio(train):
    rng = np.random.default_rng(1)
    holdout = rng.uniform(size=(200, 4))
    fresh = rng.uniform(size=(200, 4))
    result = distance_to_closest_record(fresh, train, X_holdout=holdout)
    assert result["holdout"]["exact_copies"] == 0.0
    assert result["dcr_ratio"] == pytest.approx(result["synthetic"]["median"] / result["holdout"]["median"])
    assert 0.7 < result["dcr_ratio"] < 1.4  # fresh draws from the same law
    # near-copies: jitter training rows slightly → ratio ≪ 1
    leaked = train + rng.normal(scale=1e-3, size=train.shape)
    assert distance_to_closest_record(leaked, train, X_holdout=holdout)["dcr_ratio"] < 0.05


def test_holdout_of_training_rows_gives_no_ratio(train):
    result = distance_to_closest_record(train + 0.1, train, X_holdout=train)
    assert result["holdout"]["median"] == 0.0 and result["dcr_ratio"] is None


@pytest.mark.parametrize(
    "syn, holdout",
    [(np.zeros((5, 3)), None), (np.zeros((0, 4)), None), (np.zeros((5, 4)), np.zeros((5, 2)))],
)
def test_bad_shapes_error(train, syn, holdout):
    with pytest.raises(DataError):
        distance_to_closest_record(syn, train, X_holdout=holdout)
