"""Run directories refuse to mix two models' checkpoints and never overwrite a run."""

import json

import pytest

from synth.errors import ConfigError
from synth.training.checkpoints import run_fingerprint
from synth.training.runs import RUN_FILE, prepare_run_dir, split_run_dir


def test_run_dir_refuses_to_mix_runs(tmp_path, tiny):
    run_dir = str(tmp_path / "runs" / "a")
    mine = run_fingerprint(tiny.vae(), tiny.recipe(), tiny.data())
    with pytest.raises(ConfigError, match="nothing to resume"):
        prepare_run_dir(run_dir, mine, resume=True)
    prepare_run_dir(run_dir, mine, resume=False)
    assert json.loads((tmp_path / "runs" / "a" / RUN_FILE).read_text()) == mine
    with pytest.raises(ConfigError, match="already holds a training run"):
        prepare_run_dir(run_dir, mine, resume=False)
    prepare_run_dir(run_dir, mine, resume=True)  # same model: fine
    other = run_fingerprint(tiny.vae(latent_dim=3), tiny.recipe(), tiny.data())
    before = (tmp_path / "runs" / "a" / RUN_FILE).read_bytes()
    with pytest.raises(ConfigError, match="another model.*latent_dim"):
        prepare_run_dir(run_dir, other, resume=True)
    assert (tmp_path / "runs" / "a" / RUN_FILE).read_bytes() == before
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "notes.txt").write_text("x")
    with pytest.raises(ConfigError, match="not a latentsynth run"):
        prepare_run_dir(str(tmp_path / "foreign"), mine, resume=True)


def test_run_dir_splits_into_storage_and_name(tmp_path):
    assert split_run_dir(str(tmp_path / "runs" / "iris")) == (str(tmp_path / "runs"), "iris")
    assert split_run_dir("s3://bucket/runs/iris/") == ("s3://bucket/runs", "iris")


def test_a_bad_run_dir_is_a_config_error():
    with pytest.raises(ConfigError, match="below a parent"):
        split_run_dir("s3://bucket")
