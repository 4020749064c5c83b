import time

import numpy as np
import pytest

from synth.errors import ConfigError, DataError
from synth.metrics.detection import c2st, detection_auc, image_detection


@pytest.fixture(scope="module")
def gaussians():
    rng = np.random.default_rng(0)
    return rng.normal(size=(200, 6)), rng.normal(size=(200, 6))


def test_same_distribution_is_near_half_within_fold_spread(gaussians):
    real, syn = gaussians
    out = c2st(real, syn, random_state=0)
    assert abs(out["auc"] - 0.5) <= max(3 * out["auc_std"], 0.05)
    assert abs(out["floor"]["auc"] - 0.5) <= max(3 * out["floor"]["auc_std"], 0.08)
    assert len(out["fold_aucs"]) == 5 and out["n_per_class"] == 200
    assert out["floor"]["n_per_class"] == 100


def test_identical_sets_cannot_be_told_apart(gaussians):
    real, _ = gaussians
    out = detection_auc(real, real.copy(), random_state=1)
    assert out["auc"] <= 0.5 + max(3 * out["auc_std"], 0.05)


def test_disjoint_supports_are_trivially_detected(gaussians):
    real, syn = gaussians
    out = c2st(real, syn + 10.0)
    assert out["auc"] > 0.99
    assert out["excess"] > 0.4


def test_seeded_reproducible_and_seed_matters(gaussians):
    real, syn = gaussians
    a = detection_auc(real, syn + 0.3, random_state=3)
    b = detection_auc(real, syn + 0.3, random_state=3)
    c = detection_auc(real, syn + 0.3, random_state=4)
    assert a == b
    assert a["fold_aucs"] != c["fold_aucs"]


def test_unequal_sizes_are_subsampled_to_the_smaller(gaussians):
    real, syn = gaussians
    out = detection_auc(real, syn[:60], classifier="logistic")
    assert out["n_per_class"] == 60


def test_missing_values_are_allowed_for_trees(gaussians):
    real, syn = gaussians
    real = real.copy()
    real[::7, 2] = np.nan
    assert 0.0 <= detection_auc(real, syn)["auc"] <= 1.0
    with pytest.raises(DataError, match="NaN"):
        detection_auc(real, syn, classifier="logistic")


def test_bad_input_messages(gaussians):
    real, syn = gaussians
    with pytest.raises(DataError, match="at least 5 real and 5 synthetic"):
        detection_auc(real[:3], syn)
    with pytest.raises(DataError, match="different shapes"):
        detection_auc(real, syn[:, :4])
    with pytest.raises(DataError, match="real-vs-real floor"):
        c2st(real[:8], syn)
    with pytest.raises(ConfigError, match="n_folds"):
        detection_auc(real, syn, n_folds=1)
    with pytest.raises(ConfigError, match="unknown tabular detector"):
        detection_auc(real, syn, classifier="svm")
    with pytest.raises(DataError, match="2-D|shape"):
        detection_auc(real[:, 0], syn[:, 0])


def test_images_logistic_and_cnn():
    rng = np.random.default_rng(0)
    real = rng.uniform(size=(90, 1, 8, 8))
    same = image_detection(real, rng.uniform(size=(90, 1, 8, 8)), epochs=2, n_folds=3, random_state=0)
    shifted = image_detection(real, np.clip(rng.uniform(size=(90, 1, 8, 8)) + 0.4, 0, 1), epochs=2, n_folds=3)
    for name in ("logistic", "cnn"):
        assert abs(same[name]["auc"] - 0.5) < 0.2
        assert "floor" in same[name]
        assert shifted[name]["auc"] > 0.9


def test_image_cnn_seeded():
    rng = np.random.default_rng(2)
    real, syn = rng.uniform(size=(60, 1, 6, 6)), rng.uniform(size=(60, 1, 6, 6)) ** 2
    a = image_detection(real, syn, epochs=1, n_folds=3, random_state=7, floor=False)
    b = image_detection(real, syn, epochs=1, n_folds=3, random_state=7, floor=False)
    assert a["cnn"]["fold_aucs"] == b["cnn"]["fold_aucs"]
    with pytest.raises(DataError, match=r"\(n, C, H, W\)"):
        image_detection(real.reshape(60, -1), syn.reshape(60, -1))


@pytest.mark.slow
def test_cost_on_10k_rows_is_reported(capsys):
    rng = np.random.default_rng(0)
    real, syn = rng.normal(size=(10_000, 10)), rng.normal(size=(10_000, 10))
    started = time.perf_counter()
    out = detection_auc(real, syn)
    seconds = time.perf_counter() - started
    with capsys.disabled():
        print(f"\nC2ST on 10,000 + 10,000 rows × 10 columns, 5 folds: {seconds:.1f} s (AUC {out['auc']:.3f})")
    assert abs(out["auc"] - 0.5) < 0.05
