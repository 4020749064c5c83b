"""Checking a campaign before any trial starts: the merged space, the resolved budget, the
dry run that discovers what trials report, images as well as tables, and a changed data set
refused on resume."""

from dataclasses import replace

import pytest

from synth.errors import DataError
from tune.campaign import CampaignSpec, prepare


def test_prepare_merges_space_and_discovers_reported_metrics():
    prepared = prepare(
        CampaignSpec(source="iris", epochs=3, space={"latent_dim": {"grid": [2, 5]}}, fixed={"batch_size": 16})
    )
    assert prepared.spec.epochs == 3 and prepared.spec.fingerprint == prepared.data.split["fingerprint"]
    assert prepared.space["latent_dim"].kind == "grid" and "kl_schedule" in prepared.space
    assert "batch_size" not in prepared.space and prepared.setup.fixed["batch_size"] == 16
    assert prepared.setup.fixed["patience"] is None  # ASHA/PBT stop trials, not the loop's patience
    assert {"objective", "val_elbo", "car", "latent_fd", "latent_fd_rel", "val_recon", "beta"} <= set(prepared.reported)
    assert prepared.dry_run["training_complete"] == 1 and prepared.n_trials == 16  # 8 samples × a grid of 2
    assert prepared.setup.checkpoint_every == 1


def test_defaults_follow_the_data_and_the_model():
    ae = prepare(CampaignSpec(source="iris", model="ae", num_samples=1), dry_run=False)
    assert ae.spec.epochs == 1000  # a small table's default (synth.training.budget: up to 2,048 training rows)
    assert "kl_schedule" not in ae.space and "beta_max" not in ae.space
    assert ae.setup.checkpoint_every == 100


def test_asha_grace_period_waits_for_the_longest_warm_up():
    def grace(epochs, **spec):
        return prepare(CampaignSpec(source="iris", epochs=epochs, **spec), dry_run=False).spec.grace_period

    assert grace(100) == 50  # default warm-ups 10/25/50
    assert grace(100, space={"warmup_epochs": [5, 20]}) == 20
    assert grace(100, space={"warmup_epochs": [2]}) == 10  # at least a tenth of the run
    assert grace(100, space={"warmup_epochs": {"randint": [10, 90]}}) == 50  # at most half
    assert grace(100, grace_period=7) == 7
    assert grace(100, fixed={"warmup_epochs": 30}) == 30
    assert grace(100, model="ae") == 10  # no KL warm-up to wait for
    assert grace(100, scheduler="pbt") is None


def test_image_campaign_dry_run():
    prepared = prepare(CampaignSpec(source="digits", epochs=1, space={"latent_dim": [8]}))
    assert prepared.data.kind == "image" and prepared.space["latent_dim"].values == (8,)
    assert 0 <= prepared.dry_run["car"] <= 1 and prepared.dry_run["latent_fd"] >= 0


def test_resume_refuses_changed_data(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("a,b,label\n" + "".join(f"{i},{i % 7},{'xy'[i % 2]}\n" for i in range(40)))
    spec = prepare(CampaignSpec(source=str(table), label="label", epochs=2), dry_run=False).spec
    table.write_text("a,b,label\n" + "".join(f"{i},{i % 5},{'xy'[i % 2]}\n" for i in range(40)))
    with pytest.raises(DataError, match="not the data this campaign started with"):
        prepare(replace(spec), dry_run=False)
