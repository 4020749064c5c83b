import json

import numpy as np
import pandas as pd
import pytest

from synth.errors import DataError
from synth.metrics.fidelity import correlation_difference, ks_per_column


@pytest.fixture
def real():
    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    return pd.DataFrame(
        {
            "x": x,
            "y": 2 * x + rng.normal(scale=0.1, size=300),
            "z": rng.uniform(size=300),
            "colour": rng.choice(["red", "green", "blue"], size=300, p=[0.5, 0.3, 0.2]),
        }
    )


def test_identical_frames_have_zero_distances(real):
    result = ks_per_column(real, real.copy())
    assert result["columns"]["x"] == {"kind": "numeric", "statistic": 0.0, "pvalue": 1.0}
    assert result["columns"]["colour"] == {"kind": "categorical", "tvd": 0.0}
    assert result["mean_ks"] == 0.0 and result["mean_tvd"] == 0.0


def test_shifted_column_has_large_ks_and_tiny_pvalue(real):
    shifted = real.copy()
    shifted["x"] = shifted["x"] + 3.0
    result = ks_per_column(real, shifted)
    assert result["columns"]["x"]["statistic"] > 0.8
    assert result["columns"]["x"]["pvalue"] < 1e-10
    assert result["columns"]["z"]["statistic"] == 0.0
    assert result["mean_ks"] == pytest.approx(result["columns"]["x"]["statistic"] / 3)


def test_categorical_total_variation_closed_form():
    a = pd.DataFrame({"c": ["a"] * 5 + ["b"] * 5})
    b = pd.DataFrame({"c": ["a"] * 2 + ["b"] * 6 + ["c"] * 2})
    # ½(|0.5−0.2| + |0.5−0.6| + |0−0.2|) = 0.3
    result = ks_per_column(a, b)
    assert result["columns"]["c"]["tvd"] == pytest.approx(0.3)
    assert result["mean_ks"] is None and result["mean_tvd"] == pytest.approx(0.3)
    assert json.loads(json.dumps(result, allow_nan=False)) == result


def test_column_order_does_not_matter(real):
    assert ks_per_column(real, real[real.columns[::-1]])["mean_ks"] == 0.0


def test_column_mismatch_names_the_columns(real):
    with pytest.raises(DataError, match=r"\['colour'\].*\['color'\]"):
        ks_per_column(real, real.rename(columns={"colour": "color"}))


def test_numeric_column_turned_to_text_is_an_error(real):
    broken = real.copy()
    broken["x"] = broken["x"].astype(str)
    with pytest.raises(DataError, match="'x'"):
        ks_per_column(real, broken)


def test_correlation_difference_zero_for_same_and_positive_when_broken(real):
    assert correlation_difference(real, real.copy()) == pytest.approx(0.0, abs=1e-12)
    broken = real.copy()
    broken["y"] = np.random.default_rng(1).permutation(broken["y"].to_numpy())
    # corr(x, y) drops from ≈1 to ≈0; the other two pairs stay ≈0
    assert correlation_difference(real, broken) == pytest.approx(1 / 3, abs=0.05)


def test_correlation_difference_closed_form():
    a = pd.DataFrame({"u": [1.0, 2, 3, 4], "v": [1.0, 2, 3, 4]})  # corr +1
    b = pd.DataFrame({"u": [1.0, 2, 3, 4], "v": [4.0, 3, 2, 1]})  # corr −1
    assert correlation_difference(a, b) == pytest.approx(2.0)


def test_correlation_difference_needs_two_numeric_columns():
    a = pd.DataFrame({"u": [1.0, 2, 3], "c": ["a", "b", "c"]})
    with pytest.raises(DataError, match="2 numeric"):
        correlation_difference(a, a)
