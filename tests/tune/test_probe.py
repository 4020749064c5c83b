"""The probe: the objective's closed form, and CAR / latent FD of a snapshot that refits the
cluster model on the current encoder without touching the synthesizer it copies."""

import math

import numpy as np
import pytest

from tune.probe import method_metrics, objective, snapshot, val_elbo


def test_val_elbo_and_objective_closed_forms():
    assert val_elbo({"val_recon": 0.5, "val_kl": 2.0, "val_loss": 9.0}, beta_ref=0.01) == pytest.approx(0.52)
    assert val_elbo({"val_recon": 0.5}, beta_ref=0.01) == pytest.approx(0.5)  # AE: no KL term
    assert val_elbo({"val_loss": 3.0, "loss": 1.0}, beta_ref=0.01) == 3.0  # no reconstruction term
    assert val_elbo({"loss": 1.0}, beta_ref=0.01) == 1.0
    assert objective(0.52, 1.0) == pytest.approx(0.52)
    assert objective(0.52, 0.0) == pytest.approx(1.04)
    assert objective(0.52, 0.75) == pytest.approx(0.52 * 1.25)
    assert objective(0.52, None) == pytest.approx(0.52)


def _model_rows(syn, frame):
    from synth.data.prepare import prepare_data

    return prepare_data(frame, "species")


def test_snapshot_reproduces_fit_and_leaves_the_original_alone(iris_synth, iris_frame):
    prepared = _model_rows(iris_synth, iris_frame)
    before = iris_synth.gaussians_
    iris_synth.module_.train()
    snap, Z = snapshot(iris_synth, prepared.X, prepared.labels, seed=iris_synth.config_.random_state)
    assert iris_synth.module_.training  # its mode is restored
    iris_synth.module_.eval()
    assert iris_synth.gaussians_ is before and snap.gaussians_ is not before
    assert Z.shape == (len(prepared.X), 5)  # rows after cleaning
    # the same encoder and rows give the cluster model fit() built
    np.testing.assert_allclose(snap.gaussians_.means_, iris_synth.gaussians_.means_, rtol=1e-12)
    assert snap.cluster_names_ == iris_synth.cluster_names_
    # and the marginal calibration it fitted: the trial is scored on the samples the model would give
    np.testing.assert_allclose(snap.calibration_.real_quantiles, iris_synth.calibration_.real_quantiles)
    np.testing.assert_allclose(snap.calibration_.model_quantiles, iris_synth.calibration_.model_quantiles, rtol=1e-6)


def test_method_metrics_on_a_trained_model(iris_synth, iris_frame):
    prepared = _model_rows(iris_synth, iris_frame)
    snap, Z = snapshot(iris_synth, prepared.X, prepared.labels, seed=0)
    holdout = iris_frame.drop(columns=["species"]).iloc[::5]
    labels = iris_frame["species"].to_numpy()[::5]
    first = method_metrics(snap, Z, holdout, labels, n=150, random_state=3)
    assert 0.5 < first["car"] <= 1.0  # the VAE/GAN/FID report's VAE keeps most samples in their cluster
    assert math.isfinite(first["latent_fd"]) and first["latent_fd"] >= 0
    total_variance = np.trace(np.cov(Z, rowvar=False))
    assert first["latent_fd_rel"] == pytest.approx(first["latent_fd"] / total_variance)
    assert method_metrics(snap, Z, holdout, labels, n=150, random_state=3) == first  # seeded
    unlabelled = method_metrics(snap, Z, holdout, None, n=150, random_state=3)
    assert unlabelled["car"] == first["car"]  # CAR never looks at the real rows
    # the detection objective: held-out rows vs probe samples, seeded, and NaN when too few rows
    assert 0.0 <= first["c2st_auc"] <= 1.0
    assert unlabelled["c2st_auc"] == first["c2st_auc"]
    tiny = method_metrics(snap, Z, holdout.iloc[:3], labels[:3], n=150, random_state=3)
    assert math.isnan(tiny["c2st_auc"])
