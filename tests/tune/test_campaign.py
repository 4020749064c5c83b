"""A bounded Iris campaign on the session's Ray: 8 grid trials (latent 2/3/5/8 × linear/cyclical),
ASHA, 12 epochs max — one row per trial, real early stopping, a report that answers the
question, and a best model that is the trial itself and works with the other commands."""

import numpy as np
import pandas as pd
import pytest

from latentsynth.cli import main

from .conftest import CAMPAIGN_EPOCHS

pytestmark = pytest.mark.ray


@pytest.fixture(scope="module")
def campaign(iris_campaign):
    out, code, stdout = iris_campaign
    assert code == 0, stdout
    return out, pd.read_csv(out / "results.csv")


def test_one_row_per_trial_over_the_whole_grid(campaign):
    _, results = campaign
    assert len(results) == 8 and results["trial_id"].is_unique
    combos = set(zip(results["latent_dim"], results["kl_schedule"]))
    assert combos == {(d, s) for d in (2, 3, 5, 8) for s in ("linear", "cyclical")}
    assert list(results["rank"]) == list(range(1, 9))
    assert set(results["status"]) <= {"completed", "stopped early"}
    for column in (
        "objective",
        "val_elbo",
        "val_recon",
        "val_kl",
        "car",
        "latent_fd",
        "epochs_run",
        "lr",
        "beta_max",
        "warmup_epochs",
        "best_objective",
    ):
        assert column in results.columns, column
    assert results["car"].between(0, 1).all()


def test_asha_stops_trials_early(campaign):
    _, results = campaign
    assert results["epochs_run"].sum() < 8 * CAMPAIGN_EPOCHS
    stopped = results[results["status"] == "stopped early"]
    assert len(stopped) >= 1 and (stopped["epochs_run"] < CAMPAIGN_EPOCHS).all()
    assert (results.loc[results["status"] == "completed", "epochs_run"] == CAMPAIGN_EPOCHS).all()
    completed = results[results["status"] == "completed"]
    assert completed["objective"].is_monotonic_increasing  # ranked best first (min)


def test_report_answers_which_latent_size_and_schedule(campaign):
    out, results = campaign
    report = (out / "report.md").read_text()
    best = results.iloc[0]
    assert "## Which latent size and KL schedule, and why" in report
    assert f"**Use latent_dim = {best['latent_dim']}, kl_schedule = {best['kl_schedule']}**" in report
    assert f"Epochs run: **{results['epochs_run'].sum()}** of a budget of 8 × {CAMPAIGN_EPOCHS}" in report
    assert "Why latent_dim =" in report
    for png in ("metric_by_latent_dim.png", "beta_curves.png", "learning_curves.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png
        assert f"]({png})" in report


def test_best_model_generates_and_evaluates_through_the_cli(campaign, tmp_path, capsys):
    from synth.synthesizer import LatentSynthesizer

    out, results = campaign
    best = out / "best_model"
    syn = LatentSynthesizer.load(best)
    assert syn.metrics_["tune"]["trial_id"] == results.iloc[0]["trial_id"]
    assert syn.network_.latent_dim == results.iloc[0]["latent_dim"]
    assert len(syn.history_) == CAMPAIGN_EPOCHS
    samples = tmp_path / "s.csv"
    assert main(["generate", str(best), "--n", "20", "--seed", "1", "--method", "morph", "--out", str(samples)]) == 0
    frame = pd.read_csv(samples)
    assert len(frame) == 20 and set(frame["species"]) <= {"setosa", "versicolor", "virginica"}
    assert main(["evaluate", str(best), "--methods", "random", "--out", str(tmp_path / "eval")]) == 0
    assert (tmp_path / "eval" / "report.json").is_file()


def test_exported_model_is_the_trial_not_a_retrain(campaign, iris_campaign_data):
    """Probing the artifact as the trial probed itself at its last epoch gives the same CAR."""
    from synth.data.prepare import prepare_data
    from synth.synthesizer import LatentSynthesizer
    from tune.probe import method_metrics, snapshot

    out, results = campaign
    syn = LatentSynthesizer.load(out / "best_model")
    prepared = prepare_data(iris_campaign_data.X_fit, iris_campaign_data.y_fit)
    snap, Z = snapshot(syn, prepared.X, prepared.labels, seed=0)
    np.testing.assert_allclose(snap.gaussians_.means_, syn.gaussians_.means_, rtol=1e-12)
    holdout = iris_campaign_data.holdout_rows(syn.config_)
    probe = method_metrics(snap, Z, *holdout, n=int(np.clip(len(prepared.X), 50, 1000)), random_state=0)
    assert probe["car"] == pytest.approx(results.iloc[0]["car"], abs=1e-12)
    assert probe["latent_fd"] == pytest.approx(results.iloc[0]["latent_fd"], rel=1e-9)
