"""Job submission on a real two-node Ray: ``ray job submit --working-dir`` of a Ray Train run
whose workers land on both nodes, artifacts on the shared storage that generate the same bytes
as a local run, ``ray job stop`` then ``--resume``, a Tune campaign as a job, and the one-line
errors a client gets without the cluster's token."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.cluster, pytest.mark.slow]
PY = sys.executable
RAY = str(Path(sys.executable).with_name("ray"))
TRAIN = ["--data", "iris", "--workers", "2", "--seed", "0", "--holdout", "0.2"]


def _cli_out(capsys, argv) -> str:
    from latentsynth.cli import main

    assert main(argv) == 0
    return capsys.readouterr().out


def test_train_job_spreads_workers_and_matches_a_local_run(ray_cluster, ray_session, tmp_path, capsys):
    shared = ray_cluster.shared
    ray_cluster.submit(
        PY, "-m", "latentsynth", "train", *TRAIN, "--epochs", "3",
        "--out", shared / "iris-job", "--run-dir", shared / "runs" / "iris-job",
    )  # fmt: skip
    info = json.loads((shared / "iris-job" / "model.json").read_text())["training"]["ray_train"]
    assert info["workers"] == 2 and len(set(info["worker_nodes"])) == 2  # one worker per node
    assert (shared / "runs" / "iris-job" / "artifact" / "weights.pt").exists()  # the copy by the run

    # the same settings in this process (the session's local Ray): the same samples, byte for byte
    _cli_out(
        capsys, ["train", *TRAIN, "--epochs", "3", "--out", str(tmp_path / "local"), "--run-dir", str(tmp_path / "run")]
    )
    generate = ["--n", "40", "--seed", "7", "--format", "csv"]
    job_rows = _cli_out(capsys, ["generate", str(shared / "iris-job"), *generate])
    assert job_rows == _cli_out(capsys, ["generate", str(tmp_path / "local"), *generate])
    assert job_rows.count("\n") == 41


def test_stopped_job_resumes_with_every_epoch_once(ray_cluster):
    run, art = ray_cluster.shared / "runs" / "stopped", ray_cluster.shared / "stopped-art"
    train = [PY, "-m", "latentsynth", "train", *TRAIN, "--epochs", "150", "--out", art, "--run-dir", run]
    submitted = ray_cluster.submit(*train, "--checkpoint-every", "1", wait=False)
    job = next(w.strip("'\"") for w in (submitted.stdout + submitted.stderr).split() if "raysubmit_" in w)
    deadline = time.monotonic() + 300
    while not [p for p in run.glob("checkpoint_*") if p.is_dir()]:  # the first committed checkpoint
        assert time.monotonic() < deadline, "no checkpoint within 300 s"
        time.sleep(0.5)
    ray_cluster.run(RAY, "job", "stop", "--address", ray_cluster.dashboard, job, timeout=120)
    assert not art.exists()  # stopped before the end: no artifact
    ray_cluster.submit(*train, "--checkpoint-every", "50", "--resume")
    meta = json.loads((art / "model.json").read_text())["training"]
    epochs = [int(line.split(",")[0]) for line in (art / "history.csv").read_text().splitlines()[1:]]
    assert epochs == list(range(1, len(epochs) + 1)) and len(epochs) == meta["epochs_run"]
    starts = meta["ray_train"]["started_at_epochs"]
    assert len(starts) == 2 and 1 <= starts[1] < len(epochs)  # resumed from a checkpoint, not from scratch


def test_without_the_token_an_address_command_fails_in_one_line(ray_cluster, tmp_path):
    env = {"HOME": str(tmp_path), "RAY_AUTH_MODE": None, "RAY_AUTH_TOKEN_PATH": None}  # None: unset
    out = ray_cluster.run(
        PY, "-m", "latentsynth", "train", *TRAIN, "--epochs", "1", "--address", ray_cluster.gcs_address,
        "--out", tmp_path / "art", env=env, check=False, timeout=120,
    )  # fmt: skip
    assert out.returncode == 2, out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "RAY_AUTH_MODE=token" in lines[0] and "Traceback" not in out.stderr
    assert not (tmp_path / "art").exists()


def test_tune_job_of_ray_train_trials_stops_and_resumes(ray_cluster):
    """``ray job submit -- latentsynth tune --workers-per-trial 2``: two trials, each a Ray Train
    run of two workers, every epoch forwarded to Tune (ASHA's rungs). The job is stopped once a
    trial has checkpointed, then ``--resume`` finishes the campaign: each trial's run continues from
    its last checkpoint with every epoch in its history once, and the best trial is exported from
    its Train checkpoint. A trial that Tune stops leaves no placement group behind (the second
    trial would wait forever for the first one's CPUs)."""
    import torch

    shared = ray_cluster.shared
    tune = [
        PY, "-m", "latentsynth", "tune", "--data", "iris", "--num-samples", "2", "--epochs", "8",
        "--workers-per-trial", "2", "--cpus-per-trial", "0.5", "--seed", "0", "--quiet",
        "--storage-path", shared / "tune", "--out", shared / "tune-out",
    ]  # fmt: skip
    runs_dir = shared / "tune" / "campaign" / "train-runs"
    submitted = ray_cluster.submit(*tune, wait=False)
    job = next(w.strip("'\"") for w in (submitted.stdout + submitted.stderr).split() if "raysubmit_" in w)
    deadline = time.monotonic() + 300
    while not any(len([p for p in run.glob("checkpoint_*") if p.is_dir()]) >= 2 for run in runs_dir.glob("*")):
        assert time.monotonic() < deadline, "no trial checkpointed twice within 300 s"
        time.sleep(0.5)
    ray_cluster.run(RAY, "job", "stop", "--address", ray_cluster.dashboard, job, timeout=120)
    assert not (shared / "tune-out").exists()  # stopped before the end: no outputs

    ray_cluster.submit(*tune, "--resume")
    runs = sorted(runs_dir.iterdir())
    assert len(runs) == 2
    starts = []
    for run in runs:
        last = sorted(p for p in run.glob("checkpoint_*") if p.is_dir())[-1]
        state = torch.load(last / "state.pt", map_location="cpu", weights_only=True)
        assert len(state["nodes"]) == 2  # the trial's two Train workers
        assert [h["epoch"] for h in state["history"]] == list(range(1, len(state["history"]) + 1))
        assert all("val_elbo" in h and "objective" in h for h in state["history"])  # what Tune was sent
        starts.append(list(state["starts"]))
    assert any(len(s) == 2 and s[1] > 0 for s in starts), starts  # a run continued from its checkpoint
    results = (shared / "tune-out" / "results.csv").read_text().splitlines()
    assert len(results) == 3 and "placement_group" not in results[0]  # header + two trials
    meta = json.loads((shared / "tune-out" / "best_model" / "model.json").read_text())
    assert meta["metrics"]["tune"]["metric"] == "objective"


def test_more_workers_per_trial_than_the_cluster_has_is_one_line(ray_cluster, tmp_path):
    out = ray_cluster.run(
        PY, "-m", "latentsynth", "tune", "--data", "iris", "--num-samples", "1", "--epochs", "2",
        "--workers-per-trial", "3", "--address", ray_cluster.gcs_address,
        "--storage-path", tmp_path / "runs", "--out", tmp_path / "out", check=False, timeout=180,
    )  # fmt: skip
    assert out.returncode == 2, out.stderr
    error = [line for line in out.stderr.splitlines() if "error:" in line]
    assert len(error) == 1 and "3 worker(s)" in error[0] and "Traceback" not in out.stderr
    assert not (tmp_path / "out").exists()


def test_storage_that_a_worker_node_does_not_see_is_one_line(ray_cluster, tmp_path):
    """A run or campaign folder that is another (empty) folder on the worker node — a path on the
    head's own disk — is refused before anything starts, naming the node; nothing is left behind."""
    if ray_cluster.node_local is None:
        pytest.skip("this OS does not let the fixture give the worker node its own folder (unshare -m)")
    local = ray_cluster.node_local
    commands = {
        "train": ["train", "--data", "iris", "--workers", "2", "--epochs", "2", "--run-dir", local / "runs" / "r"],
        "tune": ["tune", "--data", "iris", "--num-samples", "1", "--epochs", "2", "--storage-path", local / "tune"],
    }
    for name, argv in commands.items():
        out = ray_cluster.run(
            PY, "-m", "latentsynth", *argv, "--address", ray_cluster.gcs_address, "--out", tmp_path / name,
            check=False, timeout=180,
        )  # fmt: skip
        assert out.returncode == 2, (name, out.stderr)
        error = [line for line in out.stderr.splitlines() if "error:" in line]
        assert len(error) == 1 and "not the same folder on 1 of 2 Ray nodes" in error[0], (name, out.stderr)
        assert "Traceback" not in out.stderr
        assert not (tmp_path / name).exists() and list(local.iterdir()) == []
