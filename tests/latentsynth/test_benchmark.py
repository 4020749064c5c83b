"""`latentsynth benchmark` on a tiny labelled CSV: every column of the table (or the explicit
"sdmetrics not installed" note), mean ± std over seeds, the files, and the bad inputs."""

import json

import numpy as np
import pandas as pd
import pytest

from latentsynth import benchmark as bench_module
from latentsynth.benchmark import METRICS, BenchmarkSpec, summarise
from latentsynth.benchmark_report import _best, benchmark_markdown, verdict
from latentsynth.cli import main
from synth.errors import ConfigError
from synth.metrics import quality


@pytest.fixture(scope="module")
def tiny_csv(tmp_path_factory):
    rng = np.random.default_rng(0)
    centers = np.array([[0, 0, 0], [4, 4, 0], [0, 4, 4]], float)
    X = np.concatenate([c + rng.standard_normal((24, 3)) for c in centers])
    frame = pd.DataFrame(
        {
            "a": X[:, 0],
            "b": np.round(X[:, 1] * 10).astype(np.int64),
            "c": X[:, 2],
            "kind": np.repeat(["x", "y", "z"], 24),
        }
    )
    path = tmp_path_factory.mktemp("bench") / "tiny.csv"
    frame.to_csv(path, index=False)
    return path


def _run(tmp_path, tiny_csv, capsys, *extra):
    out = tmp_path / "bench"
    code = main(
        [
            "benchmark",
            "--data",
            str(tiny_csv),
            "--label",
            "kind",
            "--models",
            "identity",
            "pca",
            "vae",
            "--methods",
            "random",
            "morph",
            "--seeds",
            "0",
            "1",
            "--set",
            "epochs=3",
            "--out",
            str(out),
            *extra,
        ]
    )
    printed = capsys.readouterr()
    assert code == 0, printed.err
    return out, printed.out


def _check_files(out):
    result = json.loads((out / "benchmark.json").read_text())
    md = (out / "benchmark.md").read_text()
    assert (out / "benchmark.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "## tiny" in md
    cell = result["summary"]["tiny"]["vae"]["morph"]
    assert cell["tstr_accuracy"]["n"] == 2 and cell["car"]["std"] >= 0  # mean ± std over the two seeds
    assert [r["seed"] for r in result["runs"]] == [0, 0, 0, 1, 1, 1]
    assert result["runs"][0]["latent_dim"] == 3 and result["runs"][2]["epochs_run"] == 3
    assert set(result["verdict"]["tiny"]) == {"tstr_accuracy", "detection_auc", "ok"} | (
        {"quality"} if cell["quality"] else set()
    )
    assert 0.0 <= cell["detection_auc"]["mean"] <= 1.0 and 0.0 <= cell["mia_auc"]["mean"] <= 1.0
    extra = result["runs"][0]["methods"]["random"]["extra"]
    assert extra["support_feature_space"] == "scaled features (model space)" and set(extra["mia"]) == {"dcr", "domias"}
    # one real-vs-synthetic panel per model for method random, seed 0 only, linked from the markdown
    panels = [r.get("panel") for r in result["runs"]]
    assert panels[3:] == [None] * 3 and panels[:3] == [f"realism_tiny_{m}.png" for m in ("identity", "pca", "vae")]
    for name in panels[:3]:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f"]({name})" in md
    assert sorted(p.name for p in out.glob("realism_*.png")) == sorted(panels[:3])
    return result, md


def test_benchmark_table_has_every_column(tmp_path, tiny_csv, capsys):
    out, printed = _run(tmp_path, tiny_csv, capsys)
    result, md = _check_files(out)
    table_header = next(line for line in md.splitlines() if line.startswith("| model | method |"))
    for key, header, _ in METRICS:
        if key == "quality" and not quality.sdmetrics_available():
            assert "| quality |" not in table_header and "sdmetrics not installed" in md
            assert "sdmetrics not installed" in printed
        else:
            assert f"| {header} |" in table_header + " |", header
    rows = [line for line in md.splitlines() if line.startswith("| identity |") or line.startswith("| vae |")]
    assert len(rows) == 4 and "±" in rows[0] and "**" in md
    trtr = {run["methods"]["random"]["trtr_accuracy"] for run in result["runs"] if run["seed"] == 0}
    assert len(trtr) == 1  # one split per seed, shared by every model
    assert main(["benchmark", "--data", str(tiny_csv), "--label", "kind", "--out", str(out)]) == 2
    assert "already holds benchmark results" in capsys.readouterr().err


def test_without_sdmetrics_the_column_is_skipped_and_said_so(tmp_path, tiny_csv, capsys, monkeypatch):
    monkeypatch.setattr(quality, "sdmetrics_available", lambda: False)
    monkeypatch.setattr(bench_module, "sdmetrics_available", lambda: False)
    out, printed = _run(tmp_path, tiny_csv, capsys)
    result, md = _check_files(out)
    assert "sdmetrics not installed" in md and "sdmetrics not installed" in printed
    assert result["summary"]["tiny"]["identity"]["random"]["quality"] is None
    assert "| quality |" not in md


def test_with_sdmetrics_quality_is_scored(tmp_path, tiny_csv, capsys):
    pytest.importorskip("sdmetrics")
    out, _ = _run(tmp_path, tiny_csv, capsys)
    result, md = _check_files(out)
    q = result["summary"]["tiny"]["identity"]["random"]["quality"]
    assert 0.5 < q["mean"] <= 1.0 and "| quality |" in md


def test_bad_benchmark_input_is_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["benchmark", "--data", "iris", "--models", "gan9", "--out", str(tmp_path)])
    assert exit_.value.code == 2 and "invalid choice: 'gan9'" in capsys.readouterr().err
    assert (
        main(
            ["benchmark", "--data", str(tmp_path / "missing.csv"), "--models", "identity", "--out", str(tmp_path / "o")]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "file not found" in err and "Traceback" not in err
    with pytest.raises(ConfigError, match="set by the benchmark itself"):
        BenchmarkSpec(options={"model": "ae"})


def test_best_per_column_and_the_verdict():
    assert _best([0.9, None, 0.95, 0.95], "max") == {2, 3}
    assert _best([3.0, 1.0, 2.0], "min") == {1}
    assert _best([0.7, 1.2, 1.05], "one") == {2}
    assert _best([0.5, 0.6], None) == set()
    runs = [
        {"dataset": "d", "model": m, "seed": s, "methods": {"random": {"tstr_accuracy": acc + 0.01 * s, "quality": q}}}
        for s in (0, 1)
        for m, acc, q in (("identity", 0.90, 0.80), ("vae", 0.897, 0.85))
    ]
    summary = summarise(runs)
    assert summary["d"]["vae"]["random"]["tstr_accuracy"]["mean"] == pytest.approx(0.902)
    assert summary["d"]["vae"]["random"]["tstr_accuracy"]["std"] == pytest.approx(0.005)
    assert summary["d"]["vae"]["random"]["car"] is None
    v = verdict(summary, model="vae")
    assert v["d"]["ok"] and v["d"]["tstr_accuracy"]["delta"] == pytest.approx(-0.003)
    worse = verdict(
        summarise(
            [
                {**r, "methods": {"random": {"tstr_accuracy": 0.8 if r["model"] == "vae" else 0.9, "quality": 0.9}}}
                for r in runs
            ]
        ),
        model="vae",
    )
    assert not worse["d"]["ok"]
    detected = verdict(
        summarise(
            [
                {
                    **r,
                    "methods": {
                        "random": {**r["methods"]["random"], "detection_auc": 0.9 if r["model"] == "vae" else 0.7}
                    },
                }
                for r in runs
            ]
        ),
        model="vae",
    )
    assert not detected["d"]["ok"] and detected["d"]["detection_auc"]["delta"] == pytest.approx(0.2)
    assert detected["d"]["tstr_accuracy"]["ok"]  # higher detection AUC is what fails, not TSTR
    assert _best([0.45, 0.62, 0.52], "half") == {2}
    md = benchmark_markdown(
        {
            "spec": {
                "models": ["identity", "vae"],
                "methods": ["random"],
                "seeds": [0, 1],
                "test_size": 0.3,
                "gate": True,
                "default_model": "vae",
            },
            "environment": {"sdmetrics": "0.0"},
            "summary": summary,
            "seconds": 1.0,
        }
    )
    assert "matches or beats `identity` on 1 of 1" in md and "**0.905 ± 0.005**" in md


@pytest.mark.parametrize("model", ["identity", "pca"])
def test_baselines_train_generate_and_evaluate_from_the_cli(tmp_path, capsys, model):
    artifact = tmp_path / model
    assert (
        main(
            [
                "train",
                "--data",
                "wine",
                "--model",
                model,
                "--latent-dim",
                "4",
                "--holdout",
                "0.3",
                "--out",
                str(artifact),
            ]
        )
        == 0
    )
    assert f"trained {model} on wine: 1 epochs" in capsys.readouterr().out
    assert (
        main(
            [
                "generate",
                str(artifact),
                "--n",
                "9",
                "--method",
                "crossover",
                "--accept-reject",
                "--back-project",
                "--seed",
                "2",
            ]
        )
        == 0
    )
    frame = pd.read_csv(__import__("io").StringIO(capsys.readouterr().out))
    assert len(frame) == 9 and "cultivar" in frame.columns
    assert main(["evaluate", str(artifact), "--methods", "random", "--out", str(tmp_path / "rep")]) == 0
    report = json.loads((tmp_path / "rep" / "report.json").read_text())
    assert report["latent_dim"] == (13 if model == "identity" else 4)
    assert report["methods"]["random"]["utility"]["tstr"]["accuracy"] > 0.8


def test_detection_against_both_baselines_and_before_after_tables():
    from latentsynth.benchmark_report import before_after, detection_table

    aucs = {"identity": (0.60, 0.62), "pca": (0.55, 0.57), "vae": (0.58, 0.58)}
    runs = [
        {"dataset": "d", "model": m, "seed": s, "methods": {"random": {"detection_auc": aucs[m][s], "quality": 0.9}}}
        for s in (0, 1)
        for m in aucs
    ]
    table = detection_table(summarise(runs), default="vae")
    assert "| d | 0.580 ± 0.000 | 0.610 ± 0.010 | 0.560 ± 0.010 | **no** |" in table  # pca is lower
    assert table[-2] == "`vae` has the lowest detection AUC on 0 of 1 data sets."
    assert detection_table(summarise([r for r in runs if r["model"] != "pca"]), default="vae") == []
    result = {
        "summary": summarise(runs),
        "previous_defaults": {"label": "Before: old.", "figures": {"d": {"detection_auc": 0.65, "quality": 0.8}}},
    }
    lines = before_after(result, default="vae")
    assert "| d | – | 0.800 → 0.900 | 0.650 → 0.580 |" in lines and before_after({"summary": {}}, default="vae") == []
