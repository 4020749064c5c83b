"""`latentsynth fid` and `latentsynth train --fid-every`: values, cache, model sides, and every bad
input as one line with exit 2. Stand-in Inception weights: the FID values printed prove
exactness/plumbing, not image quality (the command itself says so on stderr)."""

import json

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from latentsynth.cli import main
from synth.metrics.feature_stats import FeatureStats
from synth.metrics.fid import fid_from_stats


def _json(capsys):
    captured = capsys.readouterr()
    return json.loads(captured.out), captured.err


def _fails(capsys, argv, message):
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err


@pytest.fixture(scope="module")
def real_stats_file(folder_stats, tmp_path_factory):
    return str(folder_stats[0].to_npz(tmp_path_factory.mktemp("stats") / "real.npz"))


def test_fid_of_a_folder_against_cached_stats_then_from_the_cache(
    real_stats_file, fid_folders, folder_stats, fid_weights, tmp_path, capsys
):
    argv = [
        "fid",
        real_stats_file,
        str(fid_folders[1]),
        "--weights",
        str(fid_weights),
        "--device",
        "cpu",
        "--cache",
        str(tmp_path),
        "--json",
    ]
    assert main(argv) == 0
    first, _ = _json(capsys)
    assert first["fid"] == pytest.approx(fid_from_stats(*folder_stats), rel=1e-9)
    assert (first["n_real"], first["n_gen"], first["gen_cached"]) == (10, 10, False)
    assert "not that images are good" in first["note"]
    assert main(argv) == 0
    second, _ = _json(capsys)
    assert second["gen_cached"] and second["fid"] == pytest.approx(first["fid"], rel=1e-12)
    assert len(list(tmp_path.glob("fid-stats-*.npz"))) == 1 and not list(tmp_path.glob(".*"))
    assert main(argv[:-1]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith(f"FID {first['fid']:.6f}") and "(cached statistics)" in captured.out
    assert "stand-in Inception weights" in captured.err


@pytest.mark.ray
def test_workers_flag_runs_the_sharded_path(ray_session, folder_stats, real_stats_file, fid_weights, tmp_path, capsys):
    gen = str(folder_stats[1].to_npz(tmp_path / "gen.npz"))
    assert main(["fid", real_stats_file, gen, "--workers", "2", "--weights", str(fid_weights), "--json"]) == 0
    result, _ = _json(capsys)
    assert result["workers"] == 2 and result["fid"] == pytest.approx(fid_from_stats(*folder_stats), rel=1e-10)


def test_train_with_fid_every_then_fid_of_the_model(real_stats_file, fid_weights, tmp_path, capsys):
    art = tmp_path / "digits"
    assert (
        main(
            [
                "train",
                "--data",
                "digits",
                "--epochs",
                "2",
                "--fid-every",
                "1",
                "--fid-n",
                "4",
                "--fid-weights",
                str(fid_weights),
                "--out",
                str(art),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "FID by epoch: 1: " in out and "stand-in Inception weights" in out
    history = pd.read_csv(art / "history.csv")
    assert history["fid"].notna().all() and len(history) == 2 and (history["fid"] > 0).all()
    assert (
        main(
            ["fid", real_stats_file, f"model:{art}", "--n", "4", "--seed", "3", "--weights", str(fid_weights), "--json"]
        )
        == 0
    )
    result, _ = _json(capsys)
    assert result["n_gen"] == 4 and np.isfinite(result["fid"]) and result["gen_cached"] is False


def test_bad_inputs_are_one_line_and_exit_2(
    iris_synth, real_stats_file, fid_folders, folder_stats, fid_weights, tmp_path, capsys
):
    weights = ["--weights", str(fid_weights)]
    gen = str(fid_folders[1])
    (tmp_path / "empty").mkdir()
    _fails(capsys, ["fid", str(tmp_path / "empty"), gen, *weights], "no images in")
    one = tmp_path / "one"
    one.mkdir()
    Image.new("RGB", (8, 8)).save(one / "x.png")
    _fails(capsys, ["fid", real_stats_file, str(one), *weights], "FID needs at least 2 generated images")
    _fails(capsys, ["fid", str(tmp_path / "missing"), gen, *weights], "does not exist")
    real = folder_stats[0]
    FeatureStats(real.n, real.total, real.outer, "pytorch-fid-inception-v3-pool3-2048:sha256=feedfacefeedface").to_npz(
        tmp_path / "foreign.npz"
    )
    _fails(capsys, ["fid", str(tmp_path / "foreign.npz"), gen, *weights], "feedfacefeedface")
    iris_synth.save(tmp_path / "iris")
    _fails(capsys, ["fid", real_stats_file, f"model:{tmp_path / 'iris'}", *weights], "needs --n")
    _fails(
        capsys,
        ["fid", real_stats_file, f"model:{tmp_path / 'iris'}", "--n", "4", *weights],
        "trained on tabular data; FID needs a model of images",
    )
    _fails(capsys, ["fid", real_stats_file, gen, "--weights", str(tmp_path / "nope.pth")], "does not exist")
    if not torch.cuda.is_available():
        _fails(capsys, ["fid", real_stats_file, gen, "--device", "cuda", *weights], "CUDA is not available")
    _fails(
        capsys,
        [
            "train",
            "--data",
            "iris",
            "--epochs",
            "2",
            "--fid-every",
            "1",
            "--fid-weights",
            str(fid_weights),
            "--out",
            str(tmp_path / "t"),
        ],
        "FID needs image data",
    )
    assert not list(tmp_path.rglob("fid-stats-*")) and not list(tmp_path.rglob(".*.tmp"))


def test_help_lists_fid(capsys):
    with pytest.raises(SystemExit):
        main(["fid", "--help"])
    out = capsys.readouterr().out
    assert "usage: latentsynth fid" in out and "--workers" in out and "--cache" in out
