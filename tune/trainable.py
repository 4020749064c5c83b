"""One trial: the foundation's training loop with a callback that reports every epoch.

``run_trial`` is the Ray Tune function trainable. It builds a LatentSynthesizer
from the trial's config and fits it with a ``train_fn`` that attaches an
``EpochReporter`` to the loop: every epoch it reports the loop's losses, the
validation ELBO at β_ref and the objective (so ASHA can stop a trial at any
rung); every ``metrics_every`` epochs, the first and the last, it also probes
CAR and the latent Fréchet distance (tune.probe). Checkpoints hold the loop's
exact state (``TrainingLoop.state_dict``, weights_only-safe), so a trial
resumes where it stopped and PBT can hand one trial's weights to another with
a new KL schedule, β_max or learning rate.

``train_trial`` is the same code without Ray: the CLI's dry run uses it to
check a campaign before launching trials, and the export uses it to turn a
checkpoint into an artifact without training again.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from synth.data.prepare import cleaning_options, prepare_data
from synth.models import get_model_kind
from synth.synthesizer import LatentSynthesizer
from synth.training.loop import Callback, TrainingLoop, default_callbacks
from tune.data import CampaignData
from tune.probe import method_metrics, objective, snapshot, val_elbo

STATE_FILE, CONFIG_FILE = "trial_state.pt", "trial.json"
# report(metrics, state): state is the loop's state dict to checkpoint, or None
Report = Callable[[dict, dict | None], None]


@dataclass(frozen=True)
class TrialSetup:
    """Everything a trial needs besides its sampled config (sent once to the object store)."""

    data: CampaignData
    fixed: dict  # options every trial shares: model, epochs, random_state, …
    beta_ref: float = 0.01
    metrics_every: int = 5
    checkpoint_every: int = 10
    probe_samples: int | None = None  # None: as many as training rows, within [50, 1000]


def trial_options(setup: TrialSetup, config: dict) -> dict:
    """The trial's LatentSynthesizer options: shared ones plus its sampled config, as plain
    Python values (Ray samples numpy scalars; the config wants ints to be ints)."""
    return {**setup.fixed, **{k: _native(v) for k, v in config.items()}}


def _native(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return type(value)(_native(v) for v in value)
    return value


class EpochReporter(Callback):
    """Reports each epoch (and checkpoints every ``checkpoint_every`` and the last)."""

    def __init__(
        self, *, syn: LatentSynthesizer, X_model, labels, holdout, setup: TrialSetup, report: Report, probe: bool
    ):
        self.syn, self.X_model, self.labels, self.holdout = syn, X_model, labels, holdout
        self.setup, self.report, self.probe = setup, report, probe
        self.last_probe: dict = {}
        self.reported = 0

    def on_epoch_end(self, loop, logs):
        epoch = int(logs["epoch"])
        final = loop.epoch >= loop.config.epochs or loop.stop_training
        every = self.setup.metrics_every
        metrics = self.metrics(logs, probe=final or epoch == 1 or epoch % every == 0, final=final)
        keep = final or epoch % self.setup.checkpoint_every == 0
        self.report(metrics, self.checkpoint_state(loop, finished=final) if keep else None)
        self.reported += 1

    def on_train_end(self, loop):
        # Resumed from the checkpoint of a trial that had already finished (the campaign was
        # interrupted before Tune recorded it): report its last epoch again so it ends with a result.
        if self.reported == 0 and loop.history:
            self.report(
                self.metrics(loop.history[-1], probe=True, final=True), self.checkpoint_state(loop, finished=True)
            )
            self.reported += 1

    def metrics(self, logs: dict, *, probe: bool, final: bool) -> dict:
        out = {k: float(v) for k, v in logs.items()}
        out["epoch"] = int(logs["epoch"])
        out["val_elbo"] = val_elbo(logs, beta_ref=self.setup.beta_ref)
        if self.probe and (probe or not self.last_probe):
            self.last_probe = {**self.run_probe(), "probe_epoch": int(logs["epoch"])}
        out.update(self.last_probe)
        out["objective"] = objective(out["val_elbo"], self.last_probe.get("car"))
        out["training_complete"] = int(final)
        return out

    def run_probe(self) -> dict:
        seed = self.syn.config_.random_state
        snap, Z = snapshot(self.syn, self.X_model, self.labels, seed=seed)
        n = self.setup.probe_samples or int(np.clip(len(self.X_model), 50, 1000))
        return method_metrics(snap, Z, *self.holdout, n=n, random_state=seed)

    @staticmethod
    def checkpoint_state(loop, *, finished: bool) -> dict:
        return {"loop": loop.state_dict(), "lr": loop.config.lr, "finished": finished}

    def state_dict(self):
        return {"last_probe": dict(self.last_probe)}

    def load_state_dict(self, state):
        self.last_probe = dict(state.get("last_probe", {}))


class WorkerEpochReporter(EpochReporter):
    """The reporter inside the Ray Train workers of a trial that is a Ray Train run: rank 0 adds
    the trial's metrics (ELBO at β_ref, the probes, the objective) to the epoch's logs, which the
    worker's own report then carries to Train and Train's ``TuneReportCallback`` on to Tune, so
    ASHA sees every epoch. The probes use the worker's network, the one being trained."""

    def on_epoch_end(self, loop, logs):
        if loop.rank != 0:
            return
        self.syn.module_ = loop.model
        final = loop.epoch >= loop.config.epochs or loop.stop_training
        epoch, every = int(logs["epoch"]), self.setup.metrics_every
        logs.update(self.metrics(logs, probe=final or epoch == 1 or epoch % every == 0, final=final))

    def on_train_end(self, loop):
        pass


class TrialTrainFn:
    """``fit_local`` with the reporter attached and, when given a checkpoint, the loop resumed
    from it: a trial restarted after an interruption, or a PBT exploit that continues another
    trial's weights under this trial's (mutated) config. ``export_only`` restores and stops."""

    def __init__(self, reporter: EpochReporter, *, state: dict | None = None, export_only: bool = False):
        self.reporter, self.state, self.export_only = reporter, state, export_only

    def __call__(self, model, recipe, train, val, config, *, callbacks=()):
        stopping = default_callbacks(config, recipe, has_val=val is not None and len(val) > 0)
        loop = TrainingLoop(model, recipe, train, val, config=config, callbacks=(*stopping, *callbacks, self.reporter))
        if self.state is not None:
            loop.load_state_dict(self.state["loop"])
            _rescale_lr(loop.optimizers, old=float(self.state["lr"]), new=config.lr)
            loop.stop_training = self.export_only or bool(self.state.get("finished"))
        history = loop.run()
        return history, loop.summary


def _rescale_lr(optimizers: dict, *, old: float, new: float) -> None:
    """Optimizer state restores the old learning rate; PBT may have changed it. Scale every
    group by new/old so recipes that give modules different rates keep their ratios."""
    if old == new or old <= 0:
        return
    for optimizer in optimizers.values():
        for group in optimizer.param_groups:
            group["lr"] *= new / old


def train_trial(
    config: dict,
    setup: TrialSetup,
    *,
    report: Report,
    state: dict | None = None,
    export_only: bool = False,
    ray_train: Callable | None = None,
) -> LatentSynthesizer:
    """Fit one trial's synthesizer; ``state`` resumes it from a checkpoint. Returns the fitted
    synthesizer with the campaign's hold-out split recorded, as `latentsynth train` does.
    ``ray_train``: a ``synth.distributed.ray_train_fn`` train_fn; the trial then trains on its
    Ray Train workers, whose rank 0 reports each epoch (``WorkerEpochReporter``)."""
    syn = LatentSynthesizer(**trial_options(setup, config))
    reporter = trial_reporter(syn, setup, report=report, cls=WorkerEpochReporter if ray_train else EpochReporter)
    data = setup.data
    if ray_train is None:
        train_fn = TrialTrainFn(reporter, state=state, export_only=export_only)
    else:

        def train_fn(model, recipe, train, val, config, *, callbacks=()):
            return ray_train(model, recipe, train, val, config, callbacks=(*callbacks, reporter))

    syn.fit(data.X_fit, data.y_fit, train_fn=train_fn)
    syn.metrics_["split"] = dict(data.split)
    return syn


def trial_reporter(syn: LatentSynthesizer, setup: TrialSetup, *, report: Report, cls=EpochReporter) -> EpochReporter:
    """The reporter of a trial's synthesizer: its model-space training rows, labels and hold-out."""
    cfg, data = syn.config, setup.data
    prepared = prepare_data(data.X_fit, data.y_fit, options=cleaning_options(cfg))
    return cls(
        syn=syn,
        X_model=prepared.X,
        labels=prepared.labels,
        holdout=data.holdout_rows(cfg),
        setup=setup,
        report=report,
        probe=get_model_kind(cfg.model).family == "autoencoder",
    )


# ----------------------------------------------------------------------------- Ray edge
def save_state(directory: Path, state: dict, config: dict) -> None:
    torch.save(state, directory / STATE_FILE)
    (directory / CONFIG_FILE).write_text(json.dumps({k: _native(v) for k, v in config.items()}))


def load_state(directory: str | Path) -> dict:
    return torch.load(Path(directory) / STATE_FILE, map_location="cpu", weights_only=True)


def run_trial_workers(config: dict, *, setup: TrialSetup, workers: int, cpus_per_worker: float, runs_dir: str) -> None:
    """The Tune function trainable of a trial that is a Ray Train run of ``workers`` workers
    (Train V2: the trainable builds the ``TorchTrainer``; Train's ``TuneReportCallback`` forwards
    each epoch of rank 0, with the path of the Train checkpoint it carries). The run lives in
    ``runs_dir``/<trial id> on the campaign's storage, which every node reaches, so a resumed
    campaign continues it from its latest checkpoint and the export reads its final one
    (``train_run_state``)."""
    from ray import tune as ray_tune
    from ray.tune.integration.ray_train import TuneReportCallback

    from synth.distributed import ray_train_fn
    from synth.training.runs import RUN_FILE

    trial_id = ray_tune.get_context().get_trial_id()
    train_fn = ray_train_fn(
        num_workers=workers,
        cpus_per_worker=cpus_per_worker,
        storage_path=runs_dir,
        run_name=trial_id,
        checkpoint_every=setup.checkpoint_every,
        resume=(Path(runs_dir) / trial_id / RUN_FILE).exists(),
        run_callbacks=(TuneReportCallback(),),
        report_placement_group=True,  # so the campaign's driver can free it (``ReleaseTrainGroups``)
    )
    syn = train_trial(config, setup, report=lambda metrics, state: None, ray_train=train_fn)
    # the last forwarded reports can still be in flight when the run returns: report the final
    # epoch (rank 0's logs, with the trial's metrics) once more, with its checkpoint's path
    path = syn.train_summary_["ray_train"]["final_checkpoint"]
    final = train_run_state(path)["loop"]["history"][-1]
    ray_tune.report({**{k: v for k, v in final.items() if isinstance(v, (int, float))}, "checkpoint_path": path})


def train_run_state(checkpoint_path: str) -> dict:
    """A trial's state (this module's checkpoint form) from the Ray Train checkpoint of a trial
    that was a Ray Train run: the loop state the Train workers saved, with its learning rate."""
    from ray.train import Checkpoint

    from synth.training.checkpoints import load_state as load_train_state

    with Checkpoint(checkpoint_path).as_directory() as directory:
        state = load_train_state(directory)
    return {"loop": state, "lr": float(state["lr"]), "finished": bool(state.get("finished"))}


def run_trial(config: dict, *, setup: TrialSetup) -> None:
    """The Ray Tune function trainable (wrap with ``tune.with_parameters(run_trial, setup=…)``)."""
    from ray import tune as ray_tune

    def report(metrics: dict, state: dict | None) -> None:
        if state is None:
            ray_tune.report(metrics)
            return
        with tempfile.TemporaryDirectory(prefix="latentsynth-ckpt-") as tmp:
            save_state(Path(tmp), state, config)
            ray_tune.report(metrics, checkpoint=ray_tune.Checkpoint.from_directory(tmp))

    checkpoint = ray_tune.get_checkpoint()
    state = None
    if checkpoint is not None:
        with checkpoint.as_directory() as directory:
            state = load_state(directory)
    train_trial(config, setup, report=report, state=state)
