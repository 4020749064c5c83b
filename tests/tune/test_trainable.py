"""One trial without Ray: a report every epoch, checkpoints that resume exactly (also after
a weights_only round trip through disk), PBT-style restores under a changed config, and the
retrain-free export."""

import copy

import numpy as np
import pytest
import torch

from tune.trainable import load_state, save_state, train_trial

CONFIG = {"latent_dim": 3, "kl_schedule": "cyclical", "beta_max": 0.01, "lr": 2e-3}


def _run(setup, config=CONFIG, **kwargs):
    reports, states = [], []

    def report(metrics, state):
        reports.append(metrics)
        states.append(copy.deepcopy(state))  # the live state keeps training; keep what was reported

    syn = train_trial(config, setup, report=report, **kwargs)
    return syn, reports, states


def _same_weights(a, b):
    return all(torch.equal(x, y) for x, y in zip(a.module_.state_dict().values(), b.module_.state_dict().values()))


def test_reports_every_epoch_and_checkpoints_on_schedule(small_setup):
    syn, reports, states = _run(small_setup)
    assert [r["epoch"] for r in reports] == list(range(1, 9))
    assert [r["training_complete"] for r in reports] == [0] * 7 + [1]
    assert [r["probe_epoch"] for r in reports] == [1, 1, 3, 3, 3, 6, 6, 8]  # first, every 3rd, last
    assert [s is not None for s in states] == [False, False, True, False, False, True, False, True]
    for r in reports:
        assert {"val_elbo", "objective", "car", "latent_fd", "latent_fd_rel", "beta", "val_recon"} <= set(r)
        assert r["val_elbo"] == pytest.approx(r["val_recon"] + 0.01 * r["val_kl"])
        assert r["objective"] == pytest.approx(r["val_elbo"] * (2 - r["car"]))
    assert syn.metrics_["split"]["holdout"] == 0.2 and len(syn.history_) == 8


def test_probes_do_not_change_the_weights(small_setup):
    from dataclasses import replace

    probed, _, _ = _run(small_setup)
    rarely, _, _ = _run(replace(small_setup, metrics_every=1000))
    assert _same_weights(probed, rarely)


def test_resume_from_a_checkpoint_on_disk_is_exact(small_setup, tmp_path):
    whole, reports, states = _run(small_setup)
    save_state(tmp_path, states[5], CONFIG)  # the epoch-6 checkpoint
    resumed, later, _ = _run(small_setup, state=load_state(tmp_path))
    assert [r["epoch"] for r in later] == [7, 8]
    assert _same_weights(whole, resumed)
    assert later[-1]["objective"] == reports[-1]["objective"] and later[-1]["car"] == reports[-1]["car"]
    assert [h["epoch"] for h in resumed.history_] == list(range(1, 9))


def test_pbt_restore_continues_under_the_new_schedule_and_learning_rate(small_setup):
    _, _, states = _run(small_setup)
    mutated = {**CONFIG, "kl_schedule": "constant", "beta_max": 0.05, "lr": 4e-3}
    syn, reports, _ = _run(small_setup, config=mutated, state=states[2])  # cloned at epoch 3
    assert [r["epoch"] for r in reports] == [4, 5, 6, 7, 8]
    betas = [h["beta"] for h in syn.history_]
    assert betas[3:] == [0.05] * 5  # the new constant schedule from epoch 4
    assert betas[:3] != [0.05] * 3  # the inherited cyclical warm start
    assert [h["epoch"] for h in syn.history_] == list(range(1, 9))  # the lineage, epoch by epoch


def test_learning_rate_is_rescaled_after_restore(small_setup):
    from tune.trainable import _rescale_lr

    param = torch.nn.Parameter(torch.zeros(2))
    optimizers = {"a": torch.optim.Adam([param], lr=1e-3), "b": torch.optim.Adam([param], lr=2e-3)}
    _rescale_lr(optimizers, old=1e-3, new=3e-3)
    assert optimizers["a"].param_groups[0]["lr"] == pytest.approx(3e-3)
    assert optimizers["b"].param_groups[0]["lr"] == pytest.approx(6e-3)  # ratios between modules kept


def test_export_only_rebuilds_the_trial_without_training(small_setup):
    whole, _, states = _run(small_setup)
    exported, reports, _ = _run(small_setup, state=states[-1], export_only=True)
    assert _same_weights(whole, exported)
    np.testing.assert_array_equal(whole.gaussians_.means_, exported.gaussians_.means_)
    assert len(exported.history_) == 8
    # a finished trial resumed by Tune (state saved before it was recorded) reports its end once more
    assert [r["epoch"] for r in reports] == [8] and reports[0]["training_complete"] == 1


def test_bad_trial_config_is_a_config_error(small_setup):
    from synth.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown option"):
        train_trial({"latent_size": 3}, small_setup, report=lambda m, s: None)
