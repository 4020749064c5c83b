"""SDMetrics quality score wrapper: optional dependency, tables and images as pixel tables."""

import numpy as np
import pandas as pd
import pytest

from synth.errors import DataError
from synth.metrics import quality
from synth.metrics.quality import as_quality_table, quality_score


def test_images_become_pixel_tables_with_a_label_column():
    images = np.arange(2 * 1 * 2 * 3, dtype=np.float32).reshape(2, 1, 2, 3)
    table = as_quality_table(images, np.array([7, 8]))
    assert list(table.columns) == ["p0", "p1", "p2", "p3", "p4", "p5", "label"]
    assert table.loc[1, "p5"] == 11.0 and list(table["label"]) == ["7", "8"]
    frame = pd.DataFrame({"a": [1.0, 2.0]})
    assert list(as_quality_table(frame, ["x", "y"])["label"]) == ["x", "y"]
    with pytest.raises(DataError, match="already has a column 'label'"):
        as_quality_table(pd.DataFrame({"label": [1, 2]}), [1, 2])


def test_without_sdmetrics_the_score_is_none(monkeypatch):
    monkeypatch.setattr(quality, "sdmetrics_available", lambda: False)
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0]})
    assert quality_score(frame, frame) is None
    assert "sdmetrics not installed" in quality.SDMETRICS_MISSING


def test_score_orders_good_and_bad_synthetic_tables():
    pytest.importorskip("sdmetrics")
    rng = np.random.default_rng(0)
    real = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    real["b"] += real["a"]
    real["kind"] = np.where(real["a"] > 0, "x", "y")
    same = quality_score(real, real)
    close = real.sample(frac=1.0, random_state=1, replace=True).reset_index(drop=True)
    far = pd.DataFrame({"a": rng.uniform(5, 6, 300), "b": rng.uniform(-9, -8, 300), "kind": "x"})
    assert same == pytest.approx(1.0, abs=1e-6)
    assert 1.0 >= quality_score(real, close) > quality_score(real, far) >= 0.0
    with pytest.raises(DataError, match="different columns"):
        quality_score(real, real[["a", "b"]])
