"""Detection, support and membership figures of a fitted model's samples, as `evaluate` reports them."""

import numpy as np
import pytest

from synth.evaluate import RealData, report_markdown, score_samples
from synth.realism import realism_metrics


@pytest.fixture(scope="module")
def iris_real(iris_frame):
    X, y = iris_frame.drop(columns=["species"]), iris_frame["species"].to_numpy()
    return RealData(X.iloc[::2], y[::2], X.iloc[1::2], y[1::2])


@pytest.fixture(scope="module")
def iris_samples(iris_synth):
    return iris_synth.generate(75, method="random", random_state=0)


def test_every_figure_is_reported_and_the_floor_is_reused(iris_synth, iris_real, iris_samples):
    first = realism_metrics(iris_synth, iris_real, iris_samples, random_state=0)
    det = first["detection"]
    assert det["detector"] == "hgb" and det["real_rows"] == "holdout" and det["n_folds"] == 5
    assert 0.0 <= det["auc"] <= 1.0 and 0.0 <= det["floor_auc"] <= 1.0
    assert det["detectors"]["hgb"]["excess"] == pytest.approx(det["auc"] - det["floor_auc"])
    assert first["support"]["feature_space"] == "scaled features (model space)"
    assert 0.0 <= first["support"]["prdc"]["coverage"] <= 1.0
    assert first["membership"]["n_members"] == 75 and first["membership"]["n_non_members"] == 75
    again = realism_metrics(iris_synth, iris_real, iris_samples, random_state=0, floor=det["floor"])
    assert again == first  # seeded, and the floor depends on the real rows only


def test_copies_of_the_training_rows_are_caught(iris_synth, iris_real, iris_samples):
    from dataclasses import replace

    copies = replace(iris_samples, data=iris_real.X_train.reset_index(drop=True).copy())
    out = realism_metrics(iris_synth, iris_real, copies, random_state=0)
    assert out["membership"]["dcr"]["auc"] > 0.9
    assert out["support"]["authenticity"] < 0.1


def test_too_few_rows_are_skipped_with_the_reason(iris_synth, iris_real, iris_samples):
    tiny = RealData(iris_real.X_train.iloc[:8], iris_real.y_train[:8], iris_real.X_test.iloc[:1], iris_real.y_test[:1])
    out = realism_metrics(iris_synth, tiny, iris_samples, random_state=0)
    assert out["detection"]["auc"] is None and "at least 5" in out["detection"]["skipped"]
    assert out["membership"]["max_auc"] is None and "held-out" in out["membership"]["skipped"]


def test_report_markdown_has_the_realism_table(iris_synth, iris_real, iris_samples):
    method = score_samples(iris_synth, iris_real, iris_samples, gate=True, random_state=0)
    report = {
        "model": "vae",
        "data_kind": "tabular",
        "latent_dim": 5,
        "clusters": {"a": 1},
        "partition": "label",
        "methods": {"random": method},
    }
    md = report_markdown(report)
    assert "## Realism and privacy" in md and "How to read this" in md
    row = next(line for line in md.splitlines() if line.startswith("| random |") and "±" in line)
    assert f"{method['detection']['auc']:.3f}" in row and np.isfinite(method["privacy"]["membership"]["max_auc"])
