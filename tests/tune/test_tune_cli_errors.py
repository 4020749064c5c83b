"""`latentsynth tune` on bad input: one line naming the problem, exit 2, no traceback — and
all of it before any Ray trial starts."""

import pytest

from latentsynth.cli import main

GRID = "latent_dim: {grid: [2, 3]}\n"


def _fails(capsys, argv, message):
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert message in err and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1, err
    return err


@pytest.fixture
def space(tmp_path):
    def write(text):
        path = tmp_path / "space.yaml"
        path.write_text(text)
        return str(path)

    return write


def _tune(tmp_path, *extra):
    return ["tune", "--data", "iris", "--epochs", "2", "--out", str(tmp_path / "out"), *extra]


def test_unknown_search_space_key(capsys, tmp_path, space):
    err = _fails(
        capsys, _tune(tmp_path, "--space", space("latent_size: [2, 3]\n")), "unknown search space key 'latent_size'"
    )
    assert "latent_dim" in err  # the valid keys are listed


def test_empty_choice_list(capsys, tmp_path, space):
    _fails(
        capsys,
        _tune(tmp_path, "--space", space("latent_dim: []\n")),
        "search space key 'latent_dim' has an empty choice list",
    )


def test_metric_no_trial_reports(capsys, tmp_path, space):
    err = _fails(
        capsys,
        _tune(tmp_path, "--space", space(GRID), "--metric", "val_accuracy"),
        "metric 'val_accuracy' is not reported by any trial; trials report [",
    )
    assert "'objective'" in err and "'car'" in err


def test_num_samples_zero(capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_:
        main(_tune(tmp_path, "--num-samples", "0"))
    assert exit_.value.code == 2
    assert "--num-samples: must be ≥ 1, got 0" in capsys.readouterr().err


def test_other_mistakes(capsys, tmp_path, space, monkeypatch):
    _fails(capsys, ["tune", "--out", str(tmp_path / "o")], "--data is required")
    _fails(capsys, ["tune", "--resume", "--out", str(tmp_path / "o")], "there is no latentsynth campaign to resume")
    _fails(
        capsys,
        _tune(tmp_path, "--space", space("kl_schedule: [linear, exponential]\n")),
        "value 'exponential' is not valid",
    )
    _fails(capsys, _tune(tmp_path, "--set", "epochs=5"), "not --set")
    _fails(capsys, _tune(tmp_path, "--set", "bogus=5"), "unknown search space key 'bogus'")
    _fails(capsys, _tune(tmp_path, "--space", space("latent_dim: 3\nlr: 0.001\n"), "--model", "ae"), "searches nothing")
    _fails(
        capsys,
        _tune(tmp_path, "--space", space(GRID), "--model", "ae", "--scheduler", "pbt", "--set", "lr=0.001"),
        "PBT needs a searched parameter it can change",
    )
    _fails(capsys, _tune(tmp_path, "--grace-period", "5"), "grace_period must be in [1, 2]")
    _fails(capsys, _tune(tmp_path, "--reduction-factor", "1"), "reduction_factor must be ≥ 2")
    _fails(capsys, _tune(tmp_path, "--holdout", "0"), "--holdout must be in (0, 1)")
    _fails(capsys, _tune(tmp_path, "--model", "gpt"), "unknown model 'gpt'")
    _fails(capsys, ["tune", "--data", "nope.csv", "--out", str(tmp_path / "o")], "file not found")
    _fails(
        capsys,
        _tune(tmp_path, "--workers-per-trial", "2", "--scheduler", "pbt", "--space", space(GRID)),
        "use --scheduler asha with --workers-per-trial",
    )
    out = tmp_path / "full"
    out.mkdir()
    (out / "results.csv").write_text("x\n")
    _fails(capsys, ["tune", "--data", "iris", "--out", str(out)], "already exists and is not empty")


def test_help(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["tune", "--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    assert "usage: latentsynth tune" in text
    for flag in (
        "--num-samples",
        "--scheduler",
        "--max-concurrent",
        "--space",
        "--metric",
        "--mode",
        "--storage-path",
        "--resume",
        "--address",
        "--out",
    ):
        assert flag in text, flag
