"""The command line: happy paths and every bad input the foundation issue names —
a one-line message, exit code 2, never a traceback."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from latentsynth.cli import main


@pytest.fixture(scope="module")
def iris_artifact(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "iris"
    assert (
        main(
            [
                "train",
                "--data",
                "iris",
                "--epochs",
                "120",
                "--warmup-epochs",
                "40",
                "--holdout",
                "0.3",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    return out


def test_help_for_every_command(capsys):
    for command in ("demo", "train", "generate", "evaluate"):
        with pytest.raises(SystemExit) as exit_:
            main([command, "--help"])
        assert exit_.value.code == 0
        assert "usage: latentsynth " + command in capsys.readouterr().out


def test_generate_csv_json_and_seed(iris_artifact, tmp_path, capsys, cli_fails):
    assert (
        main(["generate", str(iris_artifact), "--n", "12", "--cluster", "setosa", "--method", "morph", "--seed", "4"])
        == 0
    )
    first = capsys.readouterr().out
    frame = pd.read_csv(__import__("io").StringIO(first))
    assert len(frame) == 12 and set(frame["species"]) == {"setosa"}
    assert (
        main(["generate", str(iris_artifact), "--n", "12", "--cluster", "setosa", "--method", "morph", "--seed", "4"])
        == 0
    )
    assert capsys.readouterr().out == first
    out = tmp_path / "s.json"
    assert (
        main(["generate", str(iris_artifact), "--n", "5", "--format", "json", "--accept-reject", "--out", str(out)])
        == 0
    )
    assert len(json.loads(out.read_text())) == 5
    cli_fails(["generate", str(iris_artifact), "--n", "5", "--out", str(out)], "already exists")


def test_evaluate_writes_report(iris_artifact, tmp_path, capsys):
    out = tmp_path / "rep"
    assert main(["evaluate", str(iris_artifact), "--methods", "random", "morph", "--out", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    assert set(report["methods"]) == {"random", "morph"}
    assert 0 <= report["methods"]["random"]["car"] <= 1
    assert report["methods"]["random"]["utility"]["n_test"] == 45
    for name in ("report.md", "kde.png", "latent_scatter.png", "samples_random.csv"):
        assert (out / name).is_file()


def test_unlabelled_images_train_generate_png(tmp_path, capsys):
    art = tmp_path / "digits"
    assert (
        main(["train", "--data", "digits", "--unlabelled", "--epochs", "2", "--n-clusters", "4", "--out", str(art)])
        == 0
    )
    assert main(["generate", str(art), "--n", "8", "--format", "png", "--out", str(tmp_path / "g.png")]) == 0
    assert (tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"
    assert main(["generate", str(art), "--n", "8", "--format", "npz", "--out", str(tmp_path / "g.npz")]) == 0
    with np.load(tmp_path / "g.npz", allow_pickle=False) as npz:
        assert npz["images"].shape == (8, 1, 8, 8)


def _csv(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_bad_data_inputs(tmp_path, capsys, cli_fails):
    out = str(tmp_path / "never")
    cli_fails(["train", "--data", str(tmp_path / "missing.csv"), "--out", out], "file not found")
    cli_fails(["train", "--data", _csv(tmp_path, "empty.csv", ""), "--out", out], "is empty")
    (tmp_path / "img.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary")
    cli_fails(["train", "--data", str(tmp_path / "img.csv"), "--out", out], "not a text CSV")
    cli_fails(["train", "--data", _csv(tmp_path, "t.csv", "a,b\nx,y\nx,y\n"), "--out", out], "no column to model")
    cli_fails(
        ["train", "--data", _csv(tmp_path, "l.csv", "a,b\n1,2\n3,4\n"), "--label", "c", "--out", out],
        "label column 'c' not found",
    )
    cli_fails(
        [
            "train",
            "--data",
            _csv(tmp_path, "n.csv", "a,b,y\nNA,1,p\n,2,p\n-999,3,q\n,4,q\n5,5,p\n6,6,q\n,7,p\n,8,q\n7,9,p\n8,0,q\n"),
            "--label",
            "y",
            "--holdout",
            "0",
            "--missing",
            "drop",
            "--out",
            out,
        ],
        "cleaning would drop 6 of 10 rows (60%); rows dropped by column: 'a': 6",
    )
    rows = "\n".join(f"{i},{i % 3},p" for i in range(10)) + "\n99,1,q\n"
    cli_fails(
        [
            "train",
            "--data",
            _csv(tmp_path, "c.csv", "a,b,y\n" + rows),
            "--label",
            "y",
            "--holdout",
            "0",
            "--set",
            "outlier_z=null",
            "--out",
            out,
        ],
        "at least 2 rows",
    )
    assert not (tmp_path / "never").exists()


def test_bad_generate_requests(iris_artifact, tmp_path, capsys, cli_fails):
    cli_fails(["generate", str(iris_artifact), "--cluster", "rose"], "unknown cluster 'rose'")
    with pytest.raises(SystemExit) as exit_:  # argparse rejects these before any work
        main(["generate", str(iris_artifact), "--method", "teleport"])
    assert exit_.value.code == 2 and "invalid choice: 'teleport'" in capsys.readouterr().err
    for n in ("0", "-4", "x"):
        with pytest.raises(SystemExit) as exit_:
            main(["generate", str(iris_artifact), "--n", n])
        assert exit_.value.code == 2
        assert "--n" in capsys.readouterr().err
    cli_fails(["generate", str(tmp_path / "nothing")], "not an artifact directory")
    bad = tmp_path / "bad"
    bad.mkdir()
    for name in ("model.json", "weights.pt", "clusters.npz"):
        (bad / name).write_text("corrupt")
    cli_fails(["generate", str(bad)], "model.json is corrupt")


def test_train_refuses_to_overwrite(iris_artifact, capsys, cli_fails):
    before = sorted(p.name for p in iris_artifact.iterdir())
    cli_fails(["train", "--data", "iris", "--out", str(iris_artifact)], "already exists")
    assert sorted(p.name for p in iris_artifact.iterdir()) == before


def test_subprocess_error_has_no_traceback(tmp_path):
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "latentsynth.cli",
            "train",
            "--data",
            str(tmp_path / "x.csv"),
            "--out",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2
    assert "file not found" in run.stderr and "Traceback" not in run.stderr


def test_generate_with_conditions_and_constraints(iris_artifact, tmp_path, capsys, cli_fails):
    """Rows meet every --condition/--constraint, the report goes to stderr, the provenance file
    says what each row was checked against, and the rows are those of the Python API."""
    from synth.synthesizer import LatentSynthesizer

    argv = ["generate", str(iris_artifact), "--n", "20", "--seed", "3", "--condition", "species=setosa,virginica"]
    argv += ["--condition", "sepal_length=5.0:6.5", "--constraint", "petal_width<=petal_length"]
    argv += ["--constraint", "petal_width>0", "--provenance", str(tmp_path / "p.csv")]
    assert main(argv) == 0
    captured = capsys.readouterr()
    frame = pd.read_csv(__import__("io").StringIO(captured.out))
    assert len(frame) == 20 and set(frame["species"]) <= {"setosa", "virginica"}
    assert frame["sepal_length"].between(5.0, 6.5).all() and (frame["petal_width"] <= frame["petal_length"]).all()
    assert (frame["petal_width"] > 0).all()
    assert "20 of 20 rows" in captured.err and "acceptance rate" in captured.err
    provenance = pd.read_csv(tmp_path / "p.csv")
    assert len(provenance) == 20 and provenance["accepted"].all() and (provenance["tries"] >= 1).all()
    assert "sepal_length∈[5.0, 6.5]" in provenance["conditions"].iloc[0]

    expect = LatentSynthesizer.load(iris_artifact).generate(
        20,
        random_state=3,
        conditions={"species": ["setosa", "virginica"], "sepal_length": [5.0, 6.5]},
        constraints=[
            {"kind": "inequality", "low": "petal_width", "high": "petal_length"},
            {"kind": "positive", "column": "petal_width"},
        ],
    )
    assert captured.out == expect.data.assign(species=expect.labels).to_csv(index=False)

    request = tmp_path / "request.json"
    request.write_text(json.dumps({"conditions": {"species": "setosa", "sepal_length": [5.0, 6.5]}, "constraints": []}))
    out = tmp_path / "c.csv"
    assert main(["generate", str(iris_artifact), "--n", "5", "--conditions", str(request), "--out", str(out)]) == 0
    assert "5 of 5 rows" in capsys.readouterr().out and set(pd.read_csv(out)["species"]) == {"setosa"}

    cli_fails(["generate", str(iris_artifact), "--condition", "colour=red"], "unknown column 'colour'")
    cli_fails(["generate", str(iris_artifact), "--condition", "sepal_length=long"], "'sepal_length' is numeric")
    cli_fails(["generate", str(iris_artifact), "--condition", "species=rose"], "rose")
    cli_fails(["generate", str(iris_artifact), "--condition", "sepal_length=50:60"], "outside the values seen")
    cli_fails(["generate", str(iris_artifact), "--condition", "sepal_length"], "COLUMN=VALUE")
    cli_fails(["generate", str(iris_artifact), "--constraint", "petal_width~petal_length"], "--constraint expects")
    cli_fails(["generate", str(iris_artifact), "--constraint", "positive:colour"], "unknown column 'colour'")
    cli_fails(["generate", str(iris_artifact), "--conditions", str(tmp_path / "none.json")], "cannot read it")
    impossible = ["--condition", "species=setosa", "--condition", "petal_length=6.5:6.9", "--max-tries", "3000"]
    cli_fails(["generate", str(iris_artifact), *impossible], "impossible")


def test_condition_and_constraint_syntax():
    from latentsynth.commands.conditions import parse_condition, parse_constraint

    kinds = {"age": "numeric", "day": "datetime", "island": "categorical"}
    assert parse_condition("age=60:80", kinds) == ("age", [60.0, 80.0])
    assert parse_condition("age=60..", kinds) == ("age", [60.0, None])
    assert parse_condition("age=:80", kinds) == ("age", [None, 80.0])
    assert parse_condition("age=61", kinds) == ("age", 61.0)
    assert parse_condition("day=2020-01-01 10:00..2020-02-01", kinds) == ("day", ["2020-01-01 10:00", "2020-02-01"])
    assert parse_condition("island=Dream,Biscoe", kinds) == ("island", ["Dream", "Biscoe"])
    assert parse_condition("island=Dream", kinds) == ("island", "Dream")
    assert parse_constraint("start<end") == {"kind": "inequality", "low": "start", "high": "end", "strict": True}
    assert parse_constraint("end >= start") == {"kind": "inequality", "low": "start", "high": "end", "strict": False}
    assert parse_constraint("price>=0") == {"kind": "positive", "column": "price", "strict": False}
    assert parse_constraint("0<loss") == {"kind": "positive", "column": "loss", "strict": True}
    assert parse_constraint("negative:loss") == {"kind": "negative", "column": "loss"}
    assert parse_constraint('{"kind": "positive", "column": "x"}') == {"kind": "positive", "column": "x"}
