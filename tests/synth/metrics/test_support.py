import contextlib
import io

import numpy as np
import pytest
from prdc import compute_prdc

from synth.errors import ConfigError, DataError
from synth.metrics.support import alpha_precision, prdc, support_metrics


@pytest.fixture(scope="module")
def sets():
    rng = np.random.default_rng(0)
    return rng.normal(size=(300, 4)), rng.normal(size=(300, 4))


def test_identical_sets_are_ideal_but_not_authentic(sets):
    real, _ = sets
    out = support_metrics(real, real.copy())
    assert out["alpha_precision"] > 0.99
    assert out["beta_recall"] > 0.99
    assert out["prdc"]["coverage"] == 1.0 and out["prdc"]["precision"] == 1.0
    assert out["authenticity"] == 0.0  # every sample is a copy of a real row


def test_disjoint_supports_have_no_precision_or_coverage(sets):
    real, syn = sets
    out = support_metrics(real, syn + 20.0)
    assert out["alpha_precision"] < 0.01
    assert out["prdc"]["precision"] == 0.0 and out["prdc"]["coverage"] == 0.0
    assert out["authenticity"] == 1.0


def test_fresh_sample_of_the_same_distribution(sets):
    real, syn = sets
    out = alpha_precision(real, syn)
    assert out["alpha_precision"] > 0.85
    assert 0.3 < out["authenticity"] < 0.8
    # in synthcity's definition a fresh sample's nearest synthetic row beats the nearest other
    # real row about half the time, so β-recall of a perfect generator sits near 0.5
    assert 0.35 < out["beta_recall"] < 0.65
    assert len(out["alpha_precision_curve"]) == len(out["alphas"]) == 30


def test_prdc_is_the_packages_output_with_our_k(sets):
    real, syn = sets
    syn = syn * 1.3 + 0.2
    with contextlib.redirect_stdout(io.StringIO()):
        expected = compute_prdc(real_features=real, fake_features=syn, nearest_k=7)
        default = compute_prdc(real_features=real, fake_features=syn, nearest_k=5)
    ours = prdc(real, syn, nearest_k=7)
    assert ours["nearest_k"] == 7
    for key in ("precision", "recall", "density", "coverage"):
        assert ours[key] == pytest.approx(float(expected[key]), abs=0)
    assert support_metrics(real, syn)["prdc"]["density"] == pytest.approx(float(default["density"]), abs=0)


def test_seeded_subsampling(sets):
    real, syn = sets
    a = alpha_precision(real, syn[:200], random_state=1)
    assert a == alpha_precision(real, syn[:200], random_state=1)
    assert a["n"] == 200
    assert a != alpha_precision(real, syn[:200], random_state=2)


def test_feature_space_is_named(sets):
    real, syn = sets
    assert support_metrics(real, syn, feature_space="pixels")["feature_space"] == "pixels"


def test_bad_input(sets):
    real, syn = sets
    with pytest.raises(DataError, match="4 features but synthetic rows 3"):
        support_metrics(real, syn[:, :3])
    with pytest.raises(DataError, match="at least 6"):
        prdc(real[:5], syn)
    with pytest.raises(ConfigError, match="nearest_k"):
        prdc(real, syn, nearest_k=0)
    bad = real.copy()
    bad[0, 0] = np.nan
    with pytest.raises(DataError, match="finite"):
        alpha_precision(bad, syn)
