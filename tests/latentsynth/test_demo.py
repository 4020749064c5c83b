"""`latentsynth demo --quick` writes every promised file (numbers are meaningless at 3 epochs;
the real demo's thresholds are checked by .ci/run on the full run)."""

import json

import pytest

from latentsynth.demo import run_demo
from synth.errors import ConfigError


@pytest.mark.filterwarnings("ignore:PolarizedHierarchical found")
def test_quick_demo_writes_everything(tmp_path):
    lines = []
    report = run_demo(tmp_path / "demo-out", quick=True, log=lines.append)
    out = tmp_path / "demo-out"
    saved = json.loads((out / "report.json").read_text())
    assert set(saved) == {"summary", "iris", "digits", "digits_unlabelled", "benchmark"}
    assert saved["summary"]["quick"] is True and report["summary"]["runs"][0]["run"] == "iris"
    assert "adjusted_rand_index" in saved["digits_unlabelled"]
    # the unlabelled run, scored against the hidden digits through the cluster → majority-digit map
    unlabelled = saved["digits_unlabelled"]
    assert set(unlabelled["majority_map"]["clusters"]) == set(unlabelled["clusters"])
    row = saved["summary"]["runs"][2]
    assert row["run"] == "digits_unlabelled" and row["purity"] == unlabelled["majority_map"]["purity"]
    assert row["car_mean"] is not None
    utility = unlabelled["methods"]["random"].get("utility")
    assert (utility or {}).get("labels") == "cluster majority" or "utility_skipped" in unlabelled["methods"]["random"]
    assert row["tstr_accuracy"] == (utility or {}).get("tstr", {}).get("accuracy")
    assert {"random", "ellipsoid_walk", "random_walk", "morph", "crossover"} == set(saved["iris"]["methods"])
    for name in (
        "report.md",
        "iris/kde.png",
        "iris/samples_random.csv",
        "iris/latent_scatter.png",
        "iris/model/model.json",
        "iris/model/weights.pt",
        "digits/samples_morph.png",
        "digits_unlabelled/dendrogram.png",
        "digits_unlabelled/samples_by_cluster.png",
        "digits_unlabelled/model/history.png",
    ):
        assert (out / name).is_file(), name
    assert any("car_mean" in line for line in lines)  # the printed table
    # the printed comparison: identity vs the default model on iris and digits
    bench = saved["benchmark"]
    assert [(r["dataset"], r["model"]) for r in bench["runs"]] == [
        ("iris", "identity"),
        ("iris", "vae"),
        ("digits", "identity"),
        ("digits", "vae"),
    ]
    assert bench["runs"][3]["epochs_run"] == 3  # the demo's digits model, reused
    assert set(bench["verdict"]) == {"iris", "digits"}
    printed = "\n".join(lines)
    assert "vae matches or beats identity" in printed and "tstr_accuracy" in printed
    assert "detection_auc" in printed and "mia_auc" in printed
    assert "samples_by_cluster.png" in printed and ("majority true class" in printed) == (utility is not None)
    for row in saved["summary"]["runs"]:  # realism and privacy of every run, method random
        assert 0.0 <= row["detection_auc"] <= 1.0 and 0.0 <= row["mia_auc"] <= 1.0, row
    assert saved["digits"]["methods"]["random"]["support"]["feature_space"] in (
        "pixels",
        "inception pool3 (pytorch-fid)",
    )
    assert "How to read this" in (out / "report.md").read_text()
    assert "## identity baseline vs the default model" in (out / "report.md").read_text()
    with pytest.raises(ConfigError, match="already exists"):
        run_demo(out, quick=True, log=lines.append)
