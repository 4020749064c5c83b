import json

import numpy as np
import pytest

from synth.errors import DataError
from synth.metrics.adherence import cluster_adherence_rate

# A toy "cluster model" on the real line: cluster 0 around 0, cluster 1 around 10.
# predict = nearest centre; region of k = within distance 1 of its centre.
CENTRES = np.array([0.0, 10.0])


def predict(Z):
    return np.argmin(np.abs(Z[:, :1] - CENTRES[None, :]), axis=1)


def in_region(Z, k):
    return np.abs(Z[:, 0] - CENTRES[k]) <= 1.0


Z = np.array(
    [
        [0.2],  # target 0: assigned 0, in region 0          -> adheres
        [-0.9],  # target 0: assigned 0, in region 0          -> adheres
        [3.0],  # target 0: assigned 0, outside region 0     -> no
        [9.5],  # target 0: assigned 1, outside region 0     -> no
        [10.4],  # target 1: assigned 1, in region 1          -> adheres
        [12.0],  # target 1: assigned 1, outside region 1     -> no
    ]
)
TARGETS = np.array([0, 0, 0, 0, 1, 1])


def test_car_exact_fractions_and_per_cluster_values():
    result = cluster_adherence_rate(Z, TARGETS, predict=predict, in_region=in_region)
    assert result["car"] == pytest.approx(3 / 6)
    assert result["per_cluster"] == {0: pytest.approx(2 / 4), 1: pytest.approx(1 / 2)}
    assert result["assigned_rate"] == pytest.approx(5 / 6)
    assert result["in_region_rate"] == pytest.approx(3 / 6)
    assert result["n"] == 6
    assert all(type(k) is int for k in result["per_cluster"])
    assert type(result["car"]) is float and type(result["n"]) is int
    assert json.dumps(result, allow_nan=False)  # int keys become "0", "1" in report.json


def test_car_needs_both_assignment_and_region():
    # inside cluster 0's region but assigned to 1 by a predict that disagrees
    always_one = lambda Z: np.ones(len(Z), dtype=int)  # noqa: E731
    everywhere = lambda Z, k: np.ones(len(Z), dtype=bool)  # noqa: E731
    result = cluster_adherence_rate(Z, TARGETS, predict=always_one, in_region=everywhere)
    assert result["car"] == pytest.approx(2 / 6)
    assert result["per_cluster"] == {0: 0.0, 1: 1.0}
    assert result["in_region_rate"] == 1.0


def test_in_region_is_asked_about_the_target_cluster_only():
    seen = []

    def spy(Zk, k):
        seen.append((k, len(Zk)))
        return in_region(Zk, k)

    cluster_adherence_rate(Z, TARGETS, predict=predict, in_region=spy)
    assert sorted(seen) == [(0, 4), (1, 2)]


def test_car_accepts_integral_float_codes():
    result = cluster_adherence_rate(Z, TARGETS.astype(float), predict=predict, in_region=in_region)
    assert result["car"] == pytest.approx(0.5)


@pytest.mark.parametrize(
    "Z_bad, targets",
    [
        (np.zeros((0, 1)), np.zeros(0, dtype=int)),  # empty
        (Z, TARGETS[:-1]),  # length mismatch
        (Z[:, 0], TARGETS),  # not 2-D
        (Z, np.array(["a"] * 6)),  # not integer codes
        (Z, TARGETS + 0.5),  # non-integral codes
    ],
)
def test_car_rejects_bad_input(Z_bad, targets):
    with pytest.raises(DataError):
        cluster_adherence_rate(Z_bad, targets, predict=predict, in_region=in_region)


def test_car_rejects_a_predict_of_the_wrong_length():
    with pytest.raises(DataError, match="predict"):
        cluster_adherence_rate(Z, TARGETS, predict=lambda Z: np.zeros(2), in_region=in_region)
