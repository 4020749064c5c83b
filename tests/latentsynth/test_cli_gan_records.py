"""The command line for GANs, 2-D records, image folders and the augmentation table."""

import json

import numpy as np
import pytest
from PIL import Image

from latentsynth.cli import main


@pytest.fixture(scope="module")
def record_file(tmp_path_factory):
    from synth.data.toy_records import peak_records

    X, y = peak_records(12, shape=(10, 12))
    path = tmp_path_factory.mktemp("rec") / "peaks.npz"
    np.savez(path, records=X * 500, labels=y)
    return path


def test_help_lists_the_new_models_and_augment(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = capsys.readouterr().out
    assert "cdcgan" in out and "double-ae" in out and "--sample-every" in out and "--download" in out
    with pytest.raises(SystemExit) as exit_:
        main(["augment", "--help"])
    assert exit_.value.code == 0 and "usage: latentsynth augment" in capsys.readouterr().out


def test_conditional_gan_train_grids_generate_evaluate(tmp_path, capsys, cli_fails):
    out = tmp_path / "cgan"
    assert (
        main(
            [
                "train",
                "--data",
                "digits",
                "--model",
                "cwgan-gp",
                "--epochs",
                "2",
                "--set",
                "gan_channels=16",
                "--set",
                "critic_steps=2",
                "--sample-every",
                "1",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "final d_loss" in printed and "sample grids" in printed
    assert sorted(p.name for p in (tmp_path / "cgan-samples").iterdir()) == ["epoch_0001.png", "epoch_0002.png"]
    meta = json.loads((out / "model.json").read_text())
    assert meta["model"] == "cwgan-gp" and meta["config"]["critic_steps"] == 2 and meta["network"]["n_classes"] == 10
    history = (out / "history.csv").read_text().splitlines()[0]
    assert "d_loss" in history and "gp" in history and "wasserstein" in history
    assert main(["generate", str(out), "--n", "20", "--cluster", "7", "--out", str(tmp_path / "s.png")]) == 0
    assert Image.open(tmp_path / "s.png").width > 0
    assert main(["generate", str(out), "--n", "5", "--format", "npz", "--out", str(tmp_path / "s.npz")]) == 0
    assert np.load(tmp_path / "s.npz")["images"].shape == (5, 1, 8, 8)
    capsys.readouterr()
    cli_fails(
        ["generate", str(out), "--n", "5", "--back-project", "--out", str(tmp_path / "b.png")],
        "back-projection needs an encoder",
    )
    assert main(["evaluate", str(out), "--methods", "random", "--out", str(tmp_path / "report")]) == 0
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert report["methods"]["random"]["car"] is None and "utility" in report["methods"]["random"]


def test_double_ae_on_records_end_to_end(record_file, tmp_path, capsys):
    out = tmp_path / "rec"
    assert (
        main(
            [
                "train",
                "--data",
                str(record_file),
                "--model",
                "double-ae",
                "--epochs",
                "4",
                "--set",
                "record_log=true",
                "--set",
                "column_dim=3",
                "--set",
                "row_dim=3",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert "final record_mse" in capsys.readouterr().out
    assert (
        main(["generate", str(out), "--n", "6", "--cluster", "c1", "--format", "npz", "--out", str(tmp_path / "r.npz")])
        == 0
    )
    records = np.load(tmp_path / "r.npz")["records"]
    assert records.shape == (6, 10, 12) and records.min() >= 0
    assert main(["evaluate", str(out), "--methods", "random", "--out", str(tmp_path / "report")]) == 0
    assert (tmp_path / "report" / "samples_random.png").is_file()


def test_augment_command(record_file, tmp_path, capsys):
    assert (
        main(
            [
                "augment",
                "--data",
                str(record_file),
                "--model",
                "double-ae",
                "--epochs",
                "3",
                "--folds",
                "2",
                "--set",
                "column_dim=2",
                "--set",
                "row_dim=2",
                "--quiet",
                "--out",
                str(tmp_path / "aug"),
            ]
        )
        == 0
    )
    assert "| real + synthetic |" in capsys.readouterr().out
    result = json.loads((tmp_path / "aug" / "augmentation.json").read_text())
    assert set(result["rows"]) >= {"real", "real + synthetic", "synthetic"}


def test_bad_inputs_one_line_exit_2(tmp_path, capsys, cli_fails):
    np.save(tmp_path / "flat.npy", np.zeros((5, 7)))
    cli_fails(
        ["train", "--data", str(tmp_path / "flat.npy"), "--model", "double-ae", "--out", str(tmp_path / "a")],
        "got rank 2",
    )
    (tmp_path / "empty").mkdir()
    cli_fails(
        ["train", "--data", str(tmp_path / "empty"), "--model", "dcgan", "--out", str(tmp_path / "b")], "is empty"
    )
    cli_fails(
        ["train", "--data", "mnist", "--root", str(tmp_path), "--model", "dcgan", "--out", str(tmp_path / "c")],
        "--download",
    )
    cli_fails(
        ["train", "--data", "iris", "--model", "cdcgan", "--out", str(tmp_path / "d")], "does not take tabular data"
    )
    cli_fails(
        ["train", "--data", "digits", "--model", "cdcgan", "--unlabelled", "--out", str(tmp_path / "e")],
        "needs labelled images",
    )
    cli_fails(["augment", "--data", "iris", "--out", str(tmp_path / "f")], "not a labelled image or record")
