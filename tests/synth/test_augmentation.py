"""The double-autoencoder paper's augmentation table on synthetic 2-D records (class-dependent peaks + noise)."""

import numpy as np
import pytest

from synth.augmentation import augmentation_experiment, augmentation_markdown
from synth.errors import ConfigError, DataError


def test_table_with_and_without_synthetic_records(records):
    X, y = records
    result = augmentation_experiment(
        X,
        y,
        options={"model": "double-ae", "epochs": 20, "column_dim": 4, "row_dim": 4},
        folds=3,
        trees=50,
        random_state=0,
    )
    rows = result["rows"]
    assert list(rows) == ["real", "real + synthetic", "reconstructed + synthetic", "synthetic"]
    for r in rows.values():
        assert len(r["per_fold"]) == 3 and 0 <= r["mean"] <= 1 and r["std"] >= 0
        assert r["mean"] == pytest.approx(np.mean(r["per_fold"]))
    assert rows["real"]["mean"] > 0.9  # the peaks separate the classes
    assert result["settings"]["classes"] == {"c0": 30, "c1": 30, "c2": 30}
    text = augmentation_markdown(result)
    assert "| real + synthetic |" in text and "± " in text


def test_gan_rows_have_no_reconstruction(records):
    from synth.data.sources import load_embedded

    raw = load_embedded("digits")
    idx = np.flatnonzero(raw.labels < 2)[:40]
    result = augmentation_experiment(
        raw.data[idx], raw.labels[idx], folds=2, trees=10, options={"model": "cdcgan", "epochs": 1, "gan_channels": 16}
    )
    assert "reconstructed + synthetic" not in result["rows"] and "synthetic" in result["rows"]


def test_bad_inputs(records):
    X, y = records
    with pytest.raises(ConfigError, match="folds must be"):
        augmentation_experiment(X, y, options={"model": "double-ae"}, folds=1)
    with pytest.raises(DataError, match="fewer than folds"):
        augmentation_experiment(X[::22], y[::22], options={"model": "double-ae"}, folds=3)
    with pytest.raises(DataError, match="N labels"):
        augmentation_experiment(X, y[:5], options={"model": "double-ae"})
