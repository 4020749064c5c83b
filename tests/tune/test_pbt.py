"""PBT: trials clone better trials' checkpoints and continue under a mutated KL schedule,
β_max or learning rate; the campaign still ends with one row per trial and a best model."""

import json

import pandas as pd
import pytest

from latentsynth.cli import main

pytestmark = [pytest.mark.ray, pytest.mark.slow]
EPOCHS = 8


def test_pbt_campaign_mutates_schedules_mid_run(ray_session, tmp_path):
    from synth.synthesizer import LatentSynthesizer

    space = tmp_path / "space.yaml"
    space.write_text(
        "latent_dim: 3\nkl_schedule: [constant, linear, cyclical]\nbeta_max: {loguniform: [1.0e-3, 0.1]}\n"
        "lr: {loguniform: [5.0e-4, 5.0e-3]}\nwarmup_epochs: [2, 4]\n"
    )
    out = tmp_path / "out"
    # synchronous PBT: at every interval the weakest trial clones the best, so an exploit is certain
    assert (
        main(
            [
                "tune",
                "--data",
                "iris",
                "--scheduler",
                "pbt",
                "--num-samples",
                "4",
                "--space",
                str(space),
                "--epochs",
                str(EPOCHS),
                "--perturbation-interval",
                "2",
                "--pbt-synch",
                "--cpus-per-trial",
                "0.5",
                "--quiet",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    results = pd.read_csv(out / "results.csv")
    assert len(results) == 4 and results["trial_id"].is_unique
    assert (results["status"] == "completed").all() and (results["epochs_run"] == EPOCHS).all()
    experiment = out / "ray" / "campaign"
    exploits = [json.loads(line) for line in (experiment / "pbt_global.txt").read_text().splitlines()]
    assert exploits, "PBT never exploited a better trial"
    changed = []
    for row in results.itertuples():  # each logged result carries the config it was produced under
        result_log = next(experiment.glob(f"run_trial_{row.trial_id}_*")) / "result.json"
        start = json.loads(result_log.read_text().splitlines()[0])["config"]
        if (start["kl_schedule"], start["beta_max"], start["lr"]) != (row.kl_schedule, row.beta_max, row.lr):
            changed.append(row.trial_id)
    assert changed, "no trial ended with a config other than the one it started with"
    # the best model's lineage is continuous, epoch by epoch
    syn = LatentSynthesizer.load(out / "best_model")
    assert [h["epoch"] for h in syn.history_] == list(range(1, EPOCHS + 1))
    assert syn.metrics_["tune"]["trial_id"] == results.iloc[0]["trial_id"]
    assert "PBT on `epoch`" in (out / "report.md").read_text()
