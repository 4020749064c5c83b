"""A Ray Tune campaign: check it, launch it, resume it.

``prepare`` loads the data, merges the search space, and runs one trial for
one epoch in this process — every mistake (bad data, a bad option, a metric
no trial reports) fails here with a clear message before any Ray trial starts.
``run`` builds the ``Tuner`` (ASHA by default, PBT as an option, both on the
``epoch`` each trial reports) and saves the campaign's settings next to Tune's
experiment state, so ``resume`` can rebuild the trainable and continue an
interrupted campaign with ``Tuner.restore``: finished trials are kept,
unfinished ones continue from their latest checkpoint.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from synth.config import SynthConfig
from synth.errors import ConfigError, DataError
from synth.models import get_model_kind
from tune.data import CampaignData, load_campaign_data
from tune.probe import BETA_REF, HIGHER_IS_BETTER
from tune.space import (
    Space,
    build_space,
    default_space,
    mutations,
    parse_space,
    representative_config,
    to_param_space,
    trial_count,
)
from tune.trainable import TrialSetup, run_trial, run_trial_workers, train_trial

CAMPAIGN_FILE = "latentsynth_campaign.json"
SCHEDULERS = ("asha", "pbt")
DEFAULT_METRIC = "objective"


@dataclass(frozen=True)
class CampaignSpec:
    """Everything that defines a campaign; saved as JSON so ``--resume`` needs only its path."""

    source: str
    model: str = "vae"
    label: str | None = None
    unlabelled: bool = False
    holdout: float = 0.2
    num_samples: int = 8
    epochs: int | None = None  # per trial; None: the data kind's default (300 rows, 60 images)
    scheduler: str = "asha"
    metric: str = DEFAULT_METRIC
    mode: str | None = None  # None: max for CAR, min otherwise
    space: dict = field(default_factory=dict)  # the user's overrides of the default space (file form)
    fixed: dict = field(default_factory=dict)  # --set options shared by every trial
    seed: int = 0
    beta_ref: float = BETA_REF
    metrics_every: int = 5
    grace_period: int | None = None  # ASHA: epochs before a trial can be stopped (default: _default_grace)
    reduction_factor: int = 3
    perturbation_interval: int | None = None  # PBT: epochs between exploit/explore (default epochs/10)
    pbt_synch: bool = False  # PBT: every trial waits at each interval (fair, slower)
    cpus_per_trial: float = 1.0
    max_concurrent: int | None = None
    workers_per_trial: int = 0  # >0: each trial is a Ray Train run with that many workers
    fingerprint: str | None = None  # of the data, recorded at the start; a resume checks it

    def __post_init__(self):
        if isinstance(self.num_samples, bool) or not isinstance(self.num_samples, int) or self.num_samples < 1:
            raise ConfigError(f"num_samples must be a positive integer, got {self.num_samples!r}")
        if self.scheduler not in SCHEDULERS:
            raise ConfigError(f"unknown scheduler {self.scheduler!r}; choose one of {list(SCHEDULERS)}")
        if self.mode not in (None, "min", "max"):
            raise ConfigError(f"mode must be 'min' or 'max', got {self.mode!r}")
        if self.epochs is not None and self.epochs < 1:
            raise ConfigError(f"epochs must be ≥ 1, got {self.epochs}")
        if not self.cpus_per_trial > 0:
            raise ConfigError(f"cpus_per_trial must be > 0, got {self.cpus_per_trial}")
        if self.metrics_every < 1:
            raise ConfigError(f"metrics_every must be ≥ 1, got {self.metrics_every}")
        if self.reduction_factor < 2:
            raise ConfigError(
                f"reduction_factor must be ≥ 2 (ASHA keeps 1/N of the trials at each rung), got {self.reduction_factor}"
            )
        if isinstance(self.workers_per_trial, bool) or not isinstance(self.workers_per_trial, int):
            raise ConfigError(f"workers_per_trial must be an integer, got {self.workers_per_trial!r}")
        if self.workers_per_trial < 0:
            raise ConfigError(
                f"workers_per_trial must be ≥ 0 (0: each trial in one process), got {self.workers_per_trial}"
            )
        if self.workers_per_trial and self.scheduler == "pbt":
            raise ConfigError(
                "PBT hands one trial's weights to another, which trials that are Ray Train runs do not do; "
                "use --scheduler asha with --workers-per-trial, or PBT with trials in one process"
            )

    @property
    def resolved_mode(self) -> str:
        return self.mode or ("max" if self.metric in HIGHER_IS_BETTER else "min")

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)


@dataclass
class Prepared:
    spec: CampaignSpec  # with epochs resolved
    data: CampaignData
    space: Space
    setup: TrialSetup
    reported: list[str]  # metric names every trial reports
    dry_run: dict  # the dry run's last report

    @property
    def n_trials(self) -> int:
        return trial_count(self.space, self.spec.num_samples)


def _variational(model: str, data_kind: str) -> bool:
    """Does this model weigh a KL term (so the KL schedule is worth searching)?"""
    kind = get_model_kind(model)
    if kind.family != "autoencoder":
        return False
    try:
        recipe = kind.recipe(SynthConfig(model=model).resolve(data_kind, seed=0), None)
    except Exception:  # a recipe that needs its network is not an autoencoder's; no KL to tune
        return False
    return bool(getattr(recipe, "variational", False))


def prepare(spec: CampaignSpec, *, dry_run: bool = True, data: CampaignData | None = None) -> Prepared:
    """Load data, build and check the space, and (``dry_run``) train one trial for one epoch."""
    if "random_state" in spec.fixed or "epochs" in spec.fixed or "model" in spec.fixed:
        raise ConfigError("set model, epochs and the seed with --model, --epochs and --seed, not --set")
    kind = get_model_kind(spec.model)
    data = data or load_campaign_data(
        spec.source, label=spec.label, unlabelled=spec.unlabelled, holdout=spec.holdout, seed=spec.seed
    )
    if spec.fingerprint not in (None, data.split["fingerprint"]):
        raise DataError(
            f"the data at {spec.source!r} is not the data this campaign started with "
            f"(fingerprint {data.split['fingerprint']} vs {spec.fingerprint}); a campaign must train "
            "on the same rows throughout"
        )
    epochs = spec.epochs or SynthConfig(model=spec.model).resolve(data.kind, seed=spec.seed).epochs
    spec = replace(spec, epochs=epochs, fingerprint=data.split["fingerprint"])
    defaults = default_space(
        family=kind.family, variational=_variational(spec.model, data.kind), data_kind=data.kind, epochs=epochs
    )
    space = build_space(model=spec.model, defaults=defaults, overrides=spec.space)
    space = {k: p for k, p in space.items() if k not in spec.fixed}
    parse_space({k: {"fixed": v} for k, v in spec.fixed.items()}, model=spec.model)
    if not any(p.kind != "fixed" for p in space.values()):
        raise ConfigError(
            "the search space searches nothing (every key is fixed); give at least one key a list or a range"
        )
    if spec.scheduler == "asha" and spec.grace_period is None:
        spec = replace(spec, grace_period=_default_grace(space, epochs, fixed=spec.fixed))
    _check_scheduler(spec, space)
    fixed = {"model": spec.model, "epochs": epochs, "random_state": spec.seed, "patience": None, **spec.fixed}
    interval = _interval(spec, epochs)
    setup = TrialSetup(
        data=data, fixed=fixed, beta_ref=spec.beta_ref, metrics_every=spec.metrics_every, checkpoint_every=interval
    )
    reported, last = [], {}
    if dry_run:
        reported, last = _dry_run(setup, space)
        if spec.metric not in reported:
            raise ConfigError(f"metric {spec.metric!r} is not reported by any trial; trials report {reported}")
    return Prepared(spec, data, space, setup, reported, last)


def _default_grace(space: Space, epochs: int, *, fixed: dict) -> int:
    """ASHA judges trials at rungs; one judged before its KL warm-up ends is judged mid-schedule,
    which favours short warm-ups. So by default no trial is stopped before the longest warm-up in
    the space has ended — but after at least a tenth and at most half of the run."""
    warmup = space.get("warmup_epochs")
    longest = int(max(warmup.values)) if warmup is not None else int(fixed.get("warmup_epochs", 0))
    return max(1, min(max(epochs // 10, longest), epochs // 2))


def _check_scheduler(spec: CampaignSpec, space: Space) -> None:
    if spec.scheduler == "asha" and spec.grace_period is not None and spec.grace_period > spec.epochs:
        raise ConfigError(f"grace_period must be in [1, {spec.epochs}] (the epochs), got {spec.grace_period}")
    if spec.scheduler == "pbt" and not mutations(space):
        raise ConfigError(
            "PBT needs a searched parameter it can change mid-run (kl_schedule, beta_max, "
            "warmup_epochs, lr, …); latent_dim and the network's shape cannot be mutated"
        )


def _interval(spec: CampaignSpec, epochs: int) -> int:
    """Epochs between checkpoints: PBT's perturbation interval, else a tenth of the run."""
    interval = (
        spec.perturbation_interval if spec.scheduler == "pbt" and spec.perturbation_interval else max(1, epochs // 10)
    )
    if not 1 <= interval <= epochs:
        raise ConfigError(f"perturbation_interval must be in [1, {epochs}] (the epochs), got {interval}")
    return interval


def _dry_run(setup: TrialSetup, space: Space) -> tuple[list[str], dict]:
    reports = []
    one_epoch = replace(setup, fixed={**setup.fixed, "epochs": 1})
    train_trial(representative_config(space), one_epoch, report=lambda metrics, state: reports.append(metrics))
    if not reports:
        raise DataError("a one-epoch dry run of the campaign reported nothing; check the data")
    return sorted(reports[-1]), reports[-1]


# --------------------------------------------------------------------------- Ray edge
def _scheduler(prepared: Prepared):
    from ray.tune.schedulers import ASHAScheduler, PopulationBasedTraining

    spec = prepared.spec
    if spec.scheduler == "asha":
        return ASHAScheduler(
            time_attr="epoch", max_t=spec.epochs, grace_period=spec.grace_period, reduction_factor=spec.reduction_factor
        )
    return PopulationBasedTraining(
        time_attr="epoch",
        perturbation_interval=prepared.setup.checkpoint_every,
        hyperparam_mutations=mutations(prepared.space),
        quantile_fraction=0.25,
        resample_probability=0.25,
        synch=spec.pbt_synch,
    )


TRIAL_DRIVER_CPU = 0.01  # a trial that is a Ray Train run: its own process only waits on the workers


def trainable(prepared: Prepared, path: Path):
    """Each trial in one process (``cpus_per_trial`` CPUs), or as a Ray Train run of
    ``workers_per_trial`` workers of ``cpus_per_trial`` CPUs each, kept under ``path``/train-runs."""
    from ray import tune as ray_tune

    spec = prepared.spec
    if spec.workers_per_trial:
        fn = ray_tune.with_parameters(
            run_trial_workers,
            setup=prepared.setup,
            workers=spec.workers_per_trial,
            cpus_per_worker=spec.cpus_per_trial,
            runs_dir=str(path / "train-runs"),
        )
        return ray_tune.with_resources(fn, {"cpu": TRIAL_DRIVER_CPU})
    return ray_tune.with_resources(
        ray_tune.with_parameters(run_trial, setup=prepared.setup), {"cpu": spec.cpus_per_trial}
    )


def release_callbacks(spec: CampaignSpec) -> list:
    """Tune callbacks of the campaign's driver: with trials that are Ray Train runs, one that
    removes a finished trial's worker placement group (``tune.release``)."""
    if not spec.workers_per_trial:
        return []
    from tune.release import ReleaseTrainGroups

    return [ReleaseTrainGroups()]


def _max_concurrent(spec: CampaignSpec) -> int | None:
    """Trials that are Ray Train runs start only as many at once as the cluster can place whole
    (the trials' own processes hold almost nothing, so Tune alone would start them all, and their
    workers would wait on each other); otherwise the user's limit."""
    if not spec.workers_per_trial:
        return spec.max_concurrent
    import ray

    need = spec.workers_per_trial * spec.cpus_per_trial + TRIAL_DRIVER_CPU
    fits = max(1, int(ray.cluster_resources().get("CPU", 0) // need))
    return min(fits, spec.max_concurrent) if spec.max_concurrent else fits


def experiment_path(storage_path: str | Path, name: str) -> Path:
    return Path(storage_path).expanduser().resolve() / name


def run(prepared: Prepared, *, storage_path: str | Path, name: str, verbose: int = 1):
    """Launch a new campaign; returns Tune's ResultGrid."""
    from ray import tune as ray_tune
    from ray.tune.search.basic_variant import BasicVariantGenerator

    path = experiment_path(storage_path, name)
    if ray_tune.Tuner.can_restore(str(path)):
        raise ConfigError(
            f"a campaign already exists at {path}; continue it with --resume, or choose another "
            "--name or --storage-path"
        )
    spec = prepared.spec
    from synth.distributed import check_resources, check_storage

    if spec.workers_per_trial:  # one trial's workers must fit the cluster, or every trial would wait forever
        check_resources(num_workers=spec.workers_per_trial, cpus_per_worker=spec.cpus_per_trial)
    check_storage(str(path.parent))  # trials on any node write their checkpoints there
    path.mkdir(parents=True, exist_ok=True)
    (path / CAMPAIGN_FILE).write_text(json.dumps({"spec": asdict(spec), "reported": prepared.reported}, indent=2))
    tuner = ray_tune.Tuner(
        trainable(prepared, path),
        param_space=to_param_space(prepared.space),
        tune_config=ray_tune.TuneConfig(
            metric=spec.metric,
            mode=spec.resolved_mode,
            scheduler=_scheduler(prepared),
            num_samples=spec.num_samples,
            # the variant generator's own limit: Tune ignores max_concurrent_trials with it
            search_alg=BasicVariantGenerator(random_state=spec.seed, max_concurrent=_max_concurrent(spec) or 0),
            # a trial that is a Ray Train run gets a fresh process: a reused one hung at the second trial
            reuse_actors=not spec.workers_per_trial,
        ),
        run_config=ray_tune.RunConfig(
            storage_path=str(path.parent),
            name=name,
            verbose=verbose,
            checkpoint_config=ray_tune.CheckpointConfig(num_to_keep=2 if spec.scheduler == "asha" else 4),
            callbacks=release_callbacks(spec),
        ),
    )
    return tuner.fit()


def load_spec(storage_path: str | Path, name: str) -> tuple[CampaignSpec, list[str]]:
    """(spec, reported metric names) of the campaign saved at storage_path/name."""
    from ray import tune as ray_tune

    path = experiment_path(storage_path, name)
    if not ray_tune.Tuner.can_restore(str(path)) or not (path / CAMPAIGN_FILE).is_file():
        raise ConfigError(f"there is no latentsynth campaign to resume at {path}; check --storage-path and --name")
    try:
        saved = json.loads((path / CAMPAIGN_FILE).read_text())
        return CampaignSpec(**saved["spec"]), list(saved["reported"])
    except (json.JSONDecodeError, TypeError, KeyError) as exc:
        raise ConfigError(f"{path / CAMPAIGN_FILE} is corrupt: {exc}") from None


def resume(prepared: Prepared, *, storage_path: str | Path, name: str):
    """Continue an interrupted campaign: finished trials are kept as they are, unfinished ones
    resume from their latest checkpoint, trials not yet started start."""
    from ray import tune as ray_tune

    path = experiment_path(storage_path, name)
    tuner = ray_tune.Tuner.restore(
        str(path),
        trainable=trainable(prepared, path),
        resume_unfinished=True,
        resume_errored=False,
        restart_errored=False,
    )
    return tuner.fit()


def unfinished(storage_path: str | Path, name: str) -> int:
    """Trials the saved experiment state holds as neither terminated nor errored: the campaign was
    interrupted. (After a Ctrl-C, Tune saves the state and then stops every trial, so the statuses
    of the ResultGrid in memory all read TERMINATED; the saved ones tell the truth.)"""
    from ray import tune as ray_tune

    analysis = ray_tune.ExperimentAnalysis(str(experiment_path(storage_path, name)))
    return sum(trial.status not in ("TERMINATED", "ERROR") for trial in analysis.trials)
