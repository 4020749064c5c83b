"""An interrupted campaign continues with --resume: a campaign runs in a child process on the
session's Ray, is interrupted with SIGINT (Ctrl-C) once two trials have finished, and
`latentsynth tune --resume` finishes it. Every trial is in the results exactly once, the
finished ones are not run again, and an interrupted one continues from its checkpoint."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from latentsynth.cli import main

pytestmark = pytest.mark.ray

ROOT = Path(__file__).resolve().parents[2]
EPOCHS = 24


def _reports(trial_dir: Path) -> list[dict]:
    file = trial_dir / "result.json"
    if not file.is_file():
        return []
    return [json.loads(line) for line in file.read_text().splitlines() if line.strip()]


def _trials(experiment: Path) -> dict[str, list[dict]]:
    return {d.name: _reports(d) for d in experiment.glob("run_trial_*") if d.is_dir()}


def _finished(reports: list[dict]) -> bool:
    return bool(reports) and reports[-1].get("training_complete") == 1


def test_interrupted_campaign_resumes_keeping_finished_trials(ray_session, tmp_path, capsys):
    space = tmp_path / "space.yaml"
    space.write_text("latent_dim: {grid: [2, 3, 5, 8]}\nkl_schedule: linear\n")
    out = tmp_path / "out"
    experiment = out / "ray" / "campaign"
    argv = [
        "tune",
        "--data",
        "iris",
        "--num-samples",
        "1",
        "--space",
        str(space),
        "--epochs",
        str(EPOCHS),
        "--grace-period",
        str(EPOCHS),
        "--max-concurrent",
        "1",
        "--quiet",
        "--out",
        str(out),
    ]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    child = subprocess.Popen(
        [sys.executable, "-m", "latentsynth.cli", *argv, "--address", ray_session.get_runtime_context().gcs_address],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.time() + 400
        while time.time() < deadline and child.poll() is None:
            trials = _trials(experiment).values()
            done = sum(_finished(r) for r in trials)
            # best moment: two trials done and a third past its second checkpoint
            if done >= 3 or (done >= 2 and any(r and not _finished(r) and r[-1]["epoch"] >= 4 for r in trials)):
                break
            time.sleep(0.05)
        assert child.poll() is None, "the campaign ended before it could be interrupted:\n" + child.stdout.read()
        before = _trials(experiment)
        child.send_signal(signal.SIGINT)
        output, _ = child.communicate(timeout=180)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 130, output
    assert "interrupted with" in output and "--resume" in output
    assert not (out / "results.csv").exists()
    finished_before = {name: r[-1] for name, r in before.items() if _finished(r)}
    midway = {name: r[-1]["epoch"] for name, r in before.items() if r and not _finished(r)}
    assert len(finished_before) >= 2

    # a resume may not change what the campaign is
    assert main(["tune", "--resume", "--out", str(out), "--epochs", "5"]) == 2
    assert "differs from the campaign being resumed" in capsys.readouterr().err
    assert main(["tune", "--resume", "--out", str(out), "--quiet"]) == 0

    results = pd.read_csv(out / "results.csv")
    assert len(results) == 4 and results["trial_id"].is_unique
    assert sorted(results["latent_dim"]) == [2, 3, 5, 8]
    assert (results["status"] == "completed").all() and (results["epochs_run"] == EPOCHS).all()
    after = _trials(experiment)
    assert len(after) == 4
    for name, last in finished_before.items():  # kept as they were, not trained again
        assert after[name][-1]["timestamp"] == last["timestamp"]
        assert after[name][-1]["objective"] == last["objective"]
    for name, epoch in midway.items():  # continued from a checkpoint (every 2 epochs), not restarted
        if epoch >= 2:
            assert after[name][-1]["iterations_since_restore"] < EPOCHS, name
    for name in after:  # every epoch in the learning curve once
        curve = pd.read_csv(experiment / name / "progress.csv").drop_duplicates("epoch", keep="last")
        assert sorted(curve["epoch"]) == list(range(1, EPOCHS + 1)), name
    assert (out / "best_model" / "model.json").is_file()
