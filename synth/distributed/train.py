"""Ray Train: ``ray_train_fn(...)`` returns a drop-in for ``synth.training.loop.fit_local``
that runs the *same* ``TrainingLoop`` in each of N ``TorchTrainer`` workers.

Every module of the recipe is DDP-wrapped (``prepare_model``), the training rows are
sharded by the loop's own ``DistributedSampler`` (rank, world size, seed; ``set_epoch``
each epoch), epoch logs are all-reduced, every loss and β(t) is reported with
``ray.train.report`` each epoch and the full loop state is checkpointed every K epochs.
A restarted worker group (``FailureConfig``) or a restarted driver (same run dir,
``resume=True``) continues from the latest committed checkpoint; the history lives in
the checkpoint, so no epoch is lost or counted twice. The final state comes back into
the caller's model.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import os
import signal
import tempfile
import threading
import time
import uuid
from collections.abc import Callable

import ray
import torch

from synth.distributed.connect import check_resources, check_storage, connect
from synth.distributed.shards import StreamedRows, stream_spec, worker_shards
from synth.errors import ConfigError, LatentSynthError, TrainingError
from synth.training.checkpoints import blueprint, load_modules, load_state, run_fingerprint, save_state
from synth.training.loop import Callback, TrainConfig, TrainingLoop, auto_threads, default_callbacks
from synth.training.runs import DEFAULT_STORAGE, absolute, prepare_run_dir

# Train V2's controller drains each worker's one-slot report queue once per health check (2 s by
# default), so reporting every epoch stalled small models at 2 s/epoch here. We poll about ten
# times per (estimated) epoch instead, between 20 ms (tiny models: ~10 ms overhead per epoch) and
# 0.5 s (big ones: no needless controller ↔ worker round trips); set the variable to override.
POLL_ENV = "RAY_TRAIN_HEALTH_CHECK_INTERVAL_S"
POLL_MIN_S, POLL_MAX_S, POLLS_PER_EPOCH = 0.02, 0.5, 10


# The key of the workers' placement group ID in rank 0's reports (``report_placement_group``).
PLACEMENT_GROUP_KEY = "train_placement_group"


def ray_train_fn(
    *,
    num_workers: int,
    use_gpu: bool = False,
    gpus_per_worker: float | None = None,
    cpus_per_worker: float = 1,
    storage_path: str | None = None,
    run_name: str | None = None,
    checkpoint_every: int = 10,
    num_to_keep: int = 2,
    max_failures: int = 0,
    resume: bool = False,
    address: str | None = None,
    run_callbacks: tuple = (),
    report_placement_group: bool = False,
) -> Callable:
    """A ``train_fn`` for ``LatentSynthesizer.fit``: ``(model, recipe, train, val, config, *, callbacks)
    -> (history, summary)``, trained by ``num_workers`` Ray Train workers. The run lives in
    ``storage_path/run_name`` (a local path or a URI such as s3://…; shared by all nodes);
    ``run_name=None`` makes a fresh name per call. ``resume=True`` continues that run.
    ``run_callbacks``: Ray Train callbacks of the run (e.g. Tune's ``TuneReportCallback``, which
    forwards every report of rank 0 to the Tune trial this run is part of).
    ``report_placement_group``: rank 0's reports also carry the hex ID of the workers' placement
    group (``PLACEMENT_GROUP_KEY``), so whoever receives them (a Tune driver) can remove it."""
    if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 1:
        raise ConfigError(f"num_workers must be an integer ≥ 1, got {num_workers!r}")
    gpus = float(gpus_per_worker if gpus_per_worker is not None else (1 if use_gpu else 0))
    if gpus < 0 or cpus_per_worker <= 0:
        raise ConfigError(f"gpus_per_worker must be ≥ 0 and cpus_per_worker > 0, got {gpus}, {cpus_per_worker}")
    if checkpoint_every < 1 or num_to_keep < 1 or max_failures < -1:
        raise ConfigError("checkpoint_every and num_to_keep must be ≥ 1 and max_failures ≥ -1 (-1 = retry forever)")
    if resume and not run_name:
        raise ConfigError("resume needs the run's name (--run-dir): which run should continue?")
    options = dict(
        num_workers=num_workers,
        gpus=gpus,
        cpus=float(cpus_per_worker),
        storage=absolute(storage_path or DEFAULT_STORAGE),
        run_name=run_name,
        checkpoint_every=checkpoint_every,
        num_to_keep=num_to_keep,
        max_failures=max_failures,
        resume=resume,
        address=address,
        run_callbacks=tuple(run_callbacks),
        report_placement_group=bool(report_placement_group),
    )

    def train_fn(model, recipe, train, val, config: TrainConfig, *, callbacks=()):
        return _fit(model, recipe, train, val, config, callbacks=tuple(callbacks), **options)

    return train_fn


def _fit(
    model,
    recipe,
    train,
    val,
    config,
    *,
    callbacks,
    num_workers,
    gpus,
    cpus,
    storage,
    run_name,
    checkpoint_every,
    num_to_keep,
    max_failures,
    resume,
    address,
    run_callbacks,
    report_placement_group,
):
    from ray.train import CheckpointConfig, FailureConfig, RunConfig, ScalingConfig
    from ray.train.torch import TorchTrainer

    run_name = run_name or f"{type(model).__name__.lower()}-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    run_dir = f"{storage.rstrip('/')}/{run_name}"
    connect(address)
    check_resources(num_workers=num_workers, gpus_per_worker=gpus, cpus_per_worker=cpus)
    check_storage(storage)
    prepare_run_dir(run_dir, run_fingerprint(model, recipe, train), resume=resume)
    streamed = isinstance(train, StreamedRows)
    if streamed and len(train.counts) != num_workers:
        raise ConfigError(f"the rows are split for {len(train.counts)} workers, not {num_workers}")
    spec = {
        "model": blueprint(model),
        "recipe": recipe,
        "config": dataclasses.replace(config, progress=False),
        "data": None if streamed else ray.put((train, val)),
        "stream": stream_spec(train, val) if streamed else None,
        "callbacks": callbacks,
        "checkpoint_every": checkpoint_every,
        "report_placement_group": report_placement_group,
    }
    resources = {"CPU": cpus, **({"GPU": gpus} if gpus else {})}
    streams = {}
    if streamed:  # every rank reads its own dataset, in order (see synth.distributed.shards)
        from ray.data import ExecutionOptions
        from ray.train import DataConfig

        streams["datasets"] = {**train.names("train"), **(val.names("val") if val is not None else {})}
        streams["dataset_config"] = DataConfig(
            datasets_to_split=[], execution_options=ExecutionOptions(preserve_order=True)
        )
    trainer = TorchTrainer(
        _worker_loop,
        train_loop_config=spec,
        **streams,
        scaling_config=ScalingConfig(num_workers=num_workers, use_gpu=gpus > 0, resources_per_worker=resources),
        run_config=RunConfig(
            name=run_name,
            storage_path=storage,
            failure_config=FailureConfig(max_failures=max_failures),
            checkpoint_config=CheckpointConfig(num_to_keep=num_to_keep),
            callbacks=list(run_callbacks),
        ),
    )
    probe = train.probe if streamed else train
    interval = os.environ.get(POLL_ENV) or poll_interval(
        model, recipe, probe, config, num_workers=num_workers, gpus=gpus, cpus=cpus, rows=len(train)
    )
    poll_s = f"{float(interval):.3f}"
    try:
        with _env(POLL_ENV, poll_s), _own_sigint():
            result = trainer.fit()
    except SystemExit:  # Train's Ctrl-C handler aborts the run with sys.exit(0): still an interruption
        raise KeyboardInterrupt(
            f"Ray Train run {run_dir} stopped; continue it with --run-dir {run_dir} --resume"
        ) from None
    except ray.train.TrainingFailedError as exc:
        cause = next(iter((getattr(exc, "worker_failures", None) or {}).values()), exc)
        if isinstance(cause, LatentSynthError):  # the loop's own verdict (e.g. diverged): pass it on as is
            raise type(cause)(f"{_last_line(cause)} (Ray Train run {run_dir})") from None
        raise TrainingError(
            f"Ray Train run {run_dir} failed: {type(cause).__name__}: {_last_line(cause)}; "
            "its checkpoints stay there — rerun with --resume to continue"
        ) from None
    if result.checkpoint is None:
        raise TrainingError(f"Ray Train run {run_dir} ended without a checkpoint")
    with result.checkpoint.as_directory() as directory:
        state = load_state(directory)
    if not state.get("finished"):
        raise TrainingError(f"Ray Train run {run_dir} ended before its final checkpoint")
    load_modules(recipe.modules(model), state)
    summary = {
        **state["summary"],
        "epochs_run": len(state["history"]),
        "ray_train": {
            "workers": num_workers,
            "gpus_per_worker": gpus,
            "run_dir": run_dir,
            "device": state["device"],
            "threads_per_worker": state["threads"],
            "worker_nodes": list(state.get("nodes", [])),
            "started_at_epochs": list(state["starts"]),
            "poll_interval_s": float(poll_s),
            "final_checkpoint": result.checkpoint.path,
        },
    }
    return list(state["history"]), summary


def poll_interval(
    model, recipe, train, config: TrainConfig, *, num_workers: int, gpus: float, cpus: float, rows: int | None = None
) -> float:
    """The controller's poll interval: a tenth of an epoch, timed on a copy of the model over a few
    batches here (CPU workers, same thread count); GPU workers, whose speed the driver cannot
    time, get the minimum, and so does a probe that fails (the real run reports the error). Model
    and recipe are copied: the probe leaves the run it times untouched."""
    if gpus > 0 or train is None:
        return POLL_MIN_S
    steps = -(-(rows or len(train)) // (num_workers * config.batch_size))
    probe = torch.utils.data.Subset(train, range(min(len(train), 3 * config.batch_size)))
    trial = dataclasses.replace(config, epochs=2, progress=False, patience=None)
    with torch.random.fork_rng(devices=[]):
        loop = TrainingLoop(copy.deepcopy(model), copy.deepcopy(recipe), probe, None, config=trial)
        previous = torch.get_num_threads()
        torch.set_num_threads(config.threads or min(auto_threads(model), max(1, int(cpus))))
        try:
            loop.run_epoch()  # warm-up: allocations, first-call dispatch
            started = time.perf_counter()
            loop.run_epoch()
            per_step = (time.perf_counter() - started) / -(-len(probe) // config.batch_size)
        except Exception:
            return POLL_MIN_S
        finally:
            torch.set_num_threads(previous)
    return min(POLL_MAX_S, max(POLL_MIN_S, per_step * steps / POLLS_PER_EPOCH))


@contextlib.contextmanager
def _own_sigint():
    """Train installs a Ctrl-C handler for its run and leaves it behind; put ours back afterwards."""
    main = threading.current_thread() is threading.main_thread()
    before = signal.getsignal(signal.SIGINT) if main else None
    try:
        yield
    finally:
        if main:
            signal.signal(signal.SIGINT, before)


@contextlib.contextmanager
def _env(name: str, value: str):
    """Set an environment variable for the duration (Train passes it on to its controller)."""
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


def _last_line(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return lines[-1] if lines else repr(exc)


class _Reporter(Callback):
    """Reports each epoch's logs; rank 0 attaches the loop state every ``every`` epochs and at the end.
    Every rank calls ``ray.train.report`` the same number of times (it is a barrier)."""

    def __init__(self, *, every: int, starts: list[int], nodes: list[str], extra: dict | None = None):
        self.every, self.starts, self.nodes, self.extra = every, starts, nodes, dict(extra or {})

    def on_epoch_end(self, loop, logs):
        last = loop.epoch >= loop.config.epochs or loop.stop_training
        if not last:  # the last epoch's logs travel with the final checkpoint (on_train_end)
            self._report(loop, logs, final=False, checkpoint=loop.epoch % self.every == 0)

    def on_train_end(self, loop):
        logs = loop.history[-1] if loop.history else {"epoch": loop.epoch}
        self._report(loop, logs, final=True, checkpoint=True)

    def _report(self, loop, logs, *, final: bool, checkpoint: bool):
        import ray.train

        if not checkpoint or loop.rank != 0:
            ray.train.report({**logs, **(self.extra if loop.rank == 0 else {})}, checkpoint=None)
            return
        state = {
            **loop.state_dict(),
            "stop_training": loop.stop_training,
            "finished": final,
            "summary": dict(loop.summary),
            "starts": list(self.starts),
            "device": str(loop.device),
            "threads": torch.get_num_threads(),
            "nodes": list(self.nodes),
            "lr": loop.config.lr,
        }
        with tempfile.TemporaryDirectory(prefix="latentsynth-ckpt-") as directory:
            save_state(state, directory)
            ray.train.report({**logs, **self.extra}, checkpoint=ray.train.Checkpoint.from_directory(directory))


def _worker_nodes(world_size: int) -> list[str]:
    """The Ray node ID of every rank, in rank order (where the workers were placed)."""
    node = ray.get_runtime_context().get_node_id()
    if world_size == 1:
        return [node]
    import torch.distributed as dist

    nodes = [None] * world_size
    dist.all_gather_object(nodes, node)
    return nodes


def _mean_across_workers(device) -> Callable[[dict], dict]:
    """Epoch logs averaged over ranks (equal shard sizes: DistributedSampler pads), so every rank's
    early stopping sees the same numbers and stops at the same epoch."""
    import torch.distributed as dist

    def reduce(logs: dict) -> dict:
        keys = sorted(k for k in logs if k != "epoch")
        values = torch.tensor([float(logs[k]) for k in keys], dtype=torch.float64, device=device)
        dist.all_reduce(values)
        return {"epoch": logs["epoch"], **dict(zip(keys, (values / dist.get_world_size()).tolist()))}

    return reduce


def _worker_loop(spec: dict) -> None:
    """One Ray Train worker: rebuild the model, run the plain loop with DDP-wrapped modules."""
    import ray.train
    import ray.train.torch

    context = ray.train.get_context()
    rank, world_size = context.get_world_rank(), context.get_world_size()
    device = ray.train.torch.get_device()
    stream = spec["stream"]
    train, val = ray.get(spec["data"]) if stream is None else worker_shards(stream, rank, spec["config"].seed)
    model, recipe, config = spec["model"].build(), spec["recipe"], spec["config"]
    state, starts = None, []
    checkpoint = ray.train.get_checkpoint()
    if checkpoint is not None:
        with checkpoint.as_directory() as directory:
            state = load_state(directory)
        starts = list(state["starts"])
    stopping = default_callbacks(config, recipe, has_val=val is not None and len(val) > 0)
    group = ray.util.get_current_placement_group() if spec.get("report_placement_group") else None
    extra = {PLACEMENT_GROUP_KEY: group.id.hex()} if group is not None else {}
    reporter = _Reporter(every=spec["checkpoint_every"], starts=starts, nodes=_worker_nodes(world_size), extra=extra)
    loop = TrainingLoop(
        model,
        recipe,
        train,
        val,
        config=config,
        callbacks=(*stopping, *spec["callbacks"], reporter),
        rank=rank,
        world_size=world_size,
        wrap=ray.train.torch.prepare_model,
        device=device,
        reduce_logs=_mean_across_workers(device) if world_size > 1 else None,
    )
    if state is not None:
        loop.load_state_dict(state)
        loop.stop_training = bool(state["stop_training"])
    starts.append(loop.epoch)
    loop.run()
