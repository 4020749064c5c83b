"""`latentsynth train --workers N`: bad input is one line and exit 2 with nothing written, and a
driver killed mid-run continues from its last checkpoint with `--resume`."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from latentsynth.cli import main
from synth.training.runs import RUN_FILE

ROOT = Path(__file__).resolve().parents[2]


def _train(tmp_path, *extra):
    return main(["train", "--data", "iris", "--out", str(tmp_path / "model"), "--epochs", "3", *extra])


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--workers", "0"], "--workers: must be ≥ 1"),
        (["--run-dir", "x"], "need(s) --workers"),
        (["--resume"], "need(s) --workers"),
        (["--workers", "1", "--resume"], "--resume needs --run-dir"),
        (["--workers", "1", "--run-dir", "a/b", "--storage-path", "c"], "not both"),
        (["--workers", "1", "--address", "127.0.0.1:1"], "no Ray cluster reachable at '127.0.0.1:1'"),
        (["--workers", "1", "--address", "nonsense"], "--address must be"),
    ],
)
def test_bad_ray_flags_exit_2_before_anything_is_written(tmp_path, capsys, flags, message):
    try:
        code = _train(tmp_path, *flags)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "model").exists()


def test_an_address_that_never_answers_fails_within_the_deadline(tmp_path):
    """A port that accepts TCP but is not Ray: ray.init would retry for 20–40 s; we give up at the deadline."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        code = f"from synth.distributed import connect\nconnect('127.0.0.1:{server.getsockname()[1]}', timeout_s=3)\n"
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        elapsed = time.monotonic() - started
    assert done.returncode != 0
    assert "ConfigError" in done.stderr and (
        "no answer from a Ray cluster" in done.stderr or "could not connect to Ray" in done.stderr
    )
    assert elapsed < 60


@pytest.mark.ray
@pytest.mark.parametrize(
    "flags, message",
    [
        (["--workers", "1", "--gpus-per-worker", "1"], "need 1 GPUs but the Ray cluster has 0"),
        (["--workers", "3"], "need 3 CPUs but the Ray cluster has 2"),
    ],
)
def test_more_than_the_cluster_has_is_refused(ray_session, tmp_path, capsys, flags, message):
    assert _train(tmp_path, *flags) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "model").exists()


@pytest.mark.ray
def test_a_run_dir_of_another_model_is_refused_and_left_alone(ray_session, tmp_path, capsys):
    run_dir = tmp_path / "runs" / "other"
    run_dir.mkdir(parents=True)
    (run_dir / RUN_FILE).write_text(
        json.dumps({"model": "synth.models.gan.DCGAN", "network": {}, "recipe": "x", "data_shape": [[96, 4]]})
    )
    before = {p.name: p.read_bytes() for p in run_dir.iterdir()}
    assert _train(tmp_path, "--workers", "1", "--run-dir", str(run_dir), "--resume") == 2
    assert "holds checkpoints of another model" in capsys.readouterr().err
    assert _train(tmp_path, "--workers", "1", "--run-dir", str(run_dir)) == 2
    assert "already holds a training run" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in run_dir.iterdir()} == before
    assert not (tmp_path / "model").exists()


@pytest.mark.ray
def test_resume_after_the_driver_is_interrupted_continues_from_the_last_checkpoint(ray_session, tmp_path, capsys):
    run_dir, out = tmp_path / "runs" / "iris", tmp_path / "model"
    args = [
        "train",
        "--data",
        "iris",
        "--out",
        str(out),
        "--epochs",
        "120",
        "--batch-size",
        "4",
        "--set",
        "patience=null",
        "--workers",
        "1",
        "--run-dir",
        str(run_dir),
        "--checkpoint-every",
        "5",
    ]
    driver = subprocess.Popen(
        [sys.executable, "-m", "latentsynth.cli", *args],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 240
        while not list(run_dir.glob("checkpoint_*/state.pt")) and driver.poll() is None:
            assert time.monotonic() < deadline, "no checkpoint within 240 s"
            time.sleep(0.2)
        driver.send_signal(signal.SIGINT)  # Ctrl-C
        _, err = driver.communicate(timeout=120)
    finally:
        if driver.poll() is None:
            os.killpg(driver.pid, signal.SIGKILL)  # the driver and the local Ray it started
            driver.wait(timeout=60)
    assert driver.returncode == 130, err
    assert "interrupted" in err and "--resume" in err
    assert not out.exists()
    assert main(args + ["--resume"]) == 0, capsys.readouterr().err
    meta = json.loads((out / "model.json").read_text())
    starts = meta["training"]["ray_train"]["started_at_epochs"]
    assert starts[0] == 0 and starts[-1] >= 5, starts  # continued, not from scratch
    history = pd.read_csv(out / "history.csv")
    assert history["epoch"].tolist() == list(range(1, 121))  # every epoch exactly once
    assert (run_dir / "artifact" / "model.json").is_file()  # a copy next to the checkpoints
