"""The real-vs-synthetic panel: the column pairs it picks, the PNG it writes, and evaluate's link to it."""

import io
import re

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from synth.evaluate import RealData, evaluate
from synth.plots_realism import (
    DPI,
    PAIR_INCHES,
    correlated_pairs,
    image_realism_png,
    panel_numbers,
    realism_panel_png,
    table_realism_png,
)

PNG = b"\x89PNG\r\n\x1a\n"
NUMBERS = {"alpha_precision": 0.9, "beta_recall": 0.5, "coverage": 0.8, "detection_auc": 0.6, "floor_auc": 0.5}


def _size(png: bytes) -> tuple[int, int]:
    assert png[:8] == PNG
    return Image.open(io.BytesIO(png)).size


@pytest.fixture(scope="module")
def linear_frame():
    """b and d are exact linear functions of a and c; e and the category are unrelated; f is constant."""
    rng = np.random.default_rng(0)
    a, c, e = rng.standard_normal((3, 300))
    return pd.DataFrame(
        {"a": a, "b": 3 * a - 2, "c": c, "d": -0.5 * c + 4, "e": e, "f": 1.0, "k": rng.choice(["x", "y"], 300)}
    )


def test_the_most_correlated_pairs_come_first(linear_frame):
    pairs = correlated_pairs(linear_frame, 3)
    assert {frozenset(p[:2]) for p in pairs[:2]} == {frozenset("ab"), frozenset("cd")}
    r = {frozenset(p[:2]): p[2] for p in pairs}
    assert r[frozenset("ab")] == pytest.approx(1.0) and r[frozenset("cd")] == pytest.approx(-1.0)
    assert abs(pairs[2][2]) < 0.3  # every other pair of independent normals
    assert not any("f" in p[:2] or "k" in p[:2] for p in pairs)  # constant and categorical columns left out


def test_table_panel_is_a_png_of_the_expected_size(linear_frame):
    rng = np.random.default_rng(1)
    synthetic = linear_frame.assign(a=linear_frame["a"] + rng.normal(0, 0.1, len(linear_frame)))
    for k in (2, 3):
        png = table_realism_png(linear_frame, synthetic, NUMBERS, k=k, title="t")
        assert _size(png) == (round(k * PAIR_INCHES * DPI), round((PAIR_INCHES + 0.6) * DPI))
    assert table_realism_png(linear_frame[["a", "k"]], synthetic[["a", "k"]], NUMBERS) is None


def test_image_panel_puts_real_beside_synthetic_per_class():
    rng = np.random.default_rng(0)
    real, syn = rng.uniform(0, 1, (30, 1, 8, 8)), rng.uniform(0, 1, (12, 1, 8, 8))
    labels_real, labels_syn = np.repeat([0, 1, 2], 10), np.repeat([0, 1], 6)  # class 2: no synthetic image
    png = image_realism_png(real, labels_real, syn, labels_syn, NUMBERS, per_class=6)
    # 13 tiles (6 real, a gap, 6 synthetic) of 8·8 + 2 px per line, 3 lines of 8·8 + 11 + 2 px, 0.7 in of title
    width, height = 13 * 66, 3 * 77
    assert _size(png) == (round(max(width / DPI, 7.0) * DPI), round((height / DPI + 0.7) * DPI))


def test_panel_numbers_are_read_from_the_report():
    metrics = {
        "detection": {"auc": 0.7, "floor_auc": 0.52, "detector": "hgb"},
        "support": {"alpha_precision": 0.8, "beta_recall": 0.4, "prdc": {"coverage": 0.9}},
    }
    assert panel_numbers(metrics) == {
        "alpha_precision": 0.8,
        "beta_recall": 0.4,
        "coverage": 0.9,
        "detection_auc": 0.7,
        "floor_auc": 0.52,
        "detector": "hgb",
    }
    assert panel_numbers({"detection": {"auc": None}, "support": {"prdc": {}}})["coverage"] is None


def test_evaluate_links_the_panel_it_writes(iris_synth, iris_frame, tmp_path):
    X, y = iris_frame.drop(columns=["species"]), iris_frame["species"].to_numpy()
    real = RealData(X.iloc[::2], y[::2], X.iloc[1::2], y[1::2])
    evaluate(iris_synth, real, methods=("random",), out_dir=tmp_path)
    md = (tmp_path / "report.md").read_text()
    assert "](realism.png)" in md and _size((tmp_path / "realism.png").read_bytes()) == (1200, 460)
    links = re.findall(r"\]\(([^)]+\.png)\)", md)
    assert links and all((tmp_path / name).is_file() for name in links)


def test_image_models_get_the_panel_too():
    from synth.data.sources import load_embedded
    from synth.synthesizer import LatentSynthesizer

    digits = load_embedded("digits")
    X, y = np.asarray(digits.data)[:400], np.asarray(digits.labels)[:400]
    syn = LatentSynthesizer(model="identity", random_state=0).fit(X[::2], y[::2])
    samples = syn.generate(60, method="random", random_state=0)
    png = realism_panel_png(syn, RealData(X[::2], y[::2], X[1::2], y[1::2]), samples, {}, title="digits")
    width, height = _size(png)
    assert (width, height) == (13 * 66, round((10 * 77 / DPI + 0.7) * DPI))  # 10 classes of 64-px tiles
