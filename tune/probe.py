"""What a trial reports besides its losses: the method's own metrics, and the objective.

Mid-training the synthesizer has a network but no cluster model yet, so a
probe refits the cluster model on the current encoder — exactly what ``fit``
does when training ends — on a shallow copy, then samples, decodes, re-encodes
and scores: CAR, and the latent Fréchet distance between held-out
rows and generated latents per cluster. Probes never touch the training RNG,
so a trial's weights are the same whether or not it is probed.

The default objective ("objective", lower is better) is documented here:

    val_elbo  = val_recon + β_ref · val_kl     (β_ref fixed for the whole campaign)
    objective = val_elbo · (2 − CAR)

Each trial's own loss uses its own β(t), so comparing raw losses would reward a
tiny β; the ELBO at one fixed β_ref (default 0.01, the VAE/GAN/FID report's β_max) is the same
yardstick for every trial. The factor (2 − CAR) leaves a model whose samples all
stay in their cluster at its ELBO and doubles it for one whose samples never do.

Each probe also reports ``c2st_auc`` (lower is better; select it with
``--metric c2st_auc``): the 5-fold detection AUC of gradient-boosted trees
telling the held-out real rows from as many probe samples, in model space
(synth.metrics.detection; 0.5 = indistinguishable). NaN when the hold-out has
fewer than 5 rows.
"""

from __future__ import annotations

import numpy as np
import torch

from synth.errors import DataError, GenerationError, UnknownClusterError
from synth.latent_clusters import fit_latent_clusters
from synth.marginals import calibrate_synthesizer
from synth.metrics import cluster_adherence_rate, detection_auc, latent_frechet_distance

BETA_REF = 0.01  # the VAE/GAN/FID report's β_max
PROBE_METHOD = "random"
HIGHER_IS_BETTER = {"car"}
C2ST_FOLDS = 5


def val_elbo(logs: dict, *, beta_ref: float) -> float:
    """Validation ELBO at the campaign's fixed β_ref; falls back to the loop's own losses for
    models without a reconstruction term (val_loss, then the training loss)."""
    if "val_recon" in logs:
        return float(logs["val_recon"] + beta_ref * logs.get("val_kl", 0.0))
    return float(logs.get("val_loss", logs.get("loss", float("nan"))))


def objective(elbo: float, car: float | None) -> float:
    return float(elbo * (2.0 - car)) if car is not None else float(elbo)


@torch.no_grad()
def snapshot(syn, X_model: np.ndarray, labels: np.ndarray | None, *, seed: int):
    """(copy of ``syn`` with its cluster model and marginal calibration refitted on the current
    encoder, training latents).

    X_model: (n, …) model-space training rows (``PreparedData.X``), labels: (n,) or None.
    The copy shares the network; the caller's synthesizer is left as it was."""
    module = syn.module_
    was_training = module.training
    module.eval()
    try:
        Z = syn.encode_features(X_model)
        snap = syn.with_clusters(fit_latent_clusters(Z, labels, config=syn.config_, seed=seed))
        # calibrated as the fitted model will be, so the trial is scored on the samples it would give
        snap.calibration_ = calibrate_synthesizer(snap, X_model, seed=seed)
        return snap, Z
    finally:
        module.train(was_training)


def method_metrics(snap, Z_train: np.ndarray, X_holdout, y_holdout, *, n: int, random_state: int) -> dict:
    """CAR of ``n`` gated samples and the latent FD of held-out rows vs samples, per cluster.

    ``latent_fd`` is in latent units, which differ between trials (latent size, β);
    ``latent_fd_rel`` divides it by the total variance of the training latents so
    trials can be compared."""
    module = snap.module_
    was_training = module.training
    module.eval()
    try:
        try:
            samples = snap.generate(n, method=PROBE_METHOD, random_state=random_state, accept_reject=True)
        except GenerationError:
            return {"car": 0.0, "latent_fd": float("nan"), "latent_fd_rel": float("nan"), "c2st_auc": float("nan")}
        codes = np.array([snap.cluster_code(c) for c in samples.labels])
        car = cluster_adherence_rate(
            snap.encode(samples.data), codes, predict=snap.gaussians_.predict, in_region=snap.gaussians_.in_region
        )["car"]
        z_hold = snap.encode(X_holdout)
        hold_codes = _holdout_codes(snap, z_hold, y_holdout)
        fds = [
            latent_frechet_distance(z_hold[hold_codes == k], samples.latents[codes == k])
            for k in range(len(snap.cluster_names_))
            if (hold_codes == k).sum() >= 2 and (codes == k).sum() >= 2
        ]
        c2st = _c2st(snap, X_holdout, samples.data, random_state=random_state)
    finally:
        module.train(was_training)
    fd = float(np.mean(fds)) if fds else float("nan")
    scale = float(np.trace(np.atleast_2d(np.cov(Z_train, rowvar=False))))
    return {
        "car": float(car),
        "latent_fd": fd,
        "latent_fd_rel": fd / scale if scale > 0 else float("nan"),
        "c2st_auc": c2st,
    }


def _c2st(snap, X_holdout, X_samples, *, random_state: int) -> float:
    """Detection AUC of held-out real rows vs samples in model space (NaN if too few rows)."""
    real = np.asarray(snap.transform_features(X_holdout), dtype=np.float64)
    fake = np.asarray(snap.transform_features(X_samples), dtype=np.float64)
    try:
        return detection_auc(
            real.reshape(len(real), -1), fake.reshape(len(fake), -1), n_folds=C2ST_FOLDS, random_state=random_state
        )["auc"]
    except DataError:
        return float("nan")


def _holdout_codes(snap, z_hold: np.ndarray, y_holdout) -> np.ndarray:
    """Cluster of each held-out row: its label when the model partitions by label, else the
    nearest Gaussian. A label the training rows never had gets −1 (left out of the FD)."""
    if y_holdout is None or snap.partition_kind_ != "label":
        return snap.gaussians_.predict(z_hold)
    codes = []
    for value in y_holdout:
        try:
            codes.append(snap.cluster_code(value))
        except UnknownClusterError:
            codes.append(-1)
    return np.array(codes)
