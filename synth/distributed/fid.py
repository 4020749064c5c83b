"""Sharded FID: ``fid_distributed(real, gen, workers=N)`` splits each side's images (or a
generator's sample budget, in chunks with disjoint seeds) into N contiguous shards, streams
each through pytorch-fid's Inception in its own Ray actor (one GPU each when the cluster has
them), gets back only the shard's float64 sums n, Σx, Σxxᵀ, and merges them on the driver.
All logic but the fan-out lives in the Ray-free ``synth.metrics.fid``.
"""

from __future__ import annotations

import ray

from synth.errors import ConfigError, DataError, LatentSynthError
from synth.metrics.feature_stats import FeatureStats
from synth.metrics.fid import FIDResult, InceptionExtractor, feature_stats, fid_score
from synth.metrics.image_sources import ImageSource, as_image_source


@ray.remote
class FeatureWorker:
    """One shard streamer: builds pytorch-fid's Inception once (from the driver's weights bytes,
    so worker machines need no copy of the file) and turns shards into FeatureStats."""

    def __init__(self, weights: bytes, sha256: str, device: str, threads: int):
        import torch

        torch.set_num_threads(max(1, threads))
        if device != "cpu":
            device = "cuda" if ray.get_gpu_ids() else "cpu"
        self.extractor = InceptionExtractor(state_bytes=weights, sha256=sha256, device=device)

    def stats(self, shard: ImageSource, batch_size: int) -> FeatureStats:
        return feature_stats(shard, extractor=self.extractor, batch_size=batch_size)

    def device(self) -> str:
        return self.extractor.device


class ShardedStats:
    """``compute(source) -> FeatureStats`` over ``workers`` Ray actors; a context manager that
    starts the actors (and Ray, if nobody has) on entry and stops them on exit."""

    def __init__(self, *, workers: int, extractor: InceptionExtractor, batch_size: int = 50, device: str | None = None):
        if workers < 1:
            raise ConfigError(f"workers must be ≥ 1, got {workers}")
        self.workers, self.extractor, self.batch_size, self.device = workers, extractor, batch_size, device
        self.actors: list = []
        self._started_ray = False

    def __enter__(self) -> ShardedStats:
        return self

    def _start(self) -> None:
        """Actors start on the first shard, so fully cached statistics never wait for Ray."""
        if not ray.is_initialized():
            ray.init(include_dashboard=False, log_to_driver=False, configure_logging=False)
            self._started_ray = True
        resources = ray.cluster_resources()
        gpus = resources.get("GPU", 0) if self.device != "cpu" else 0
        if self.device not in (None, "cpu") and not gpus:
            raise ConfigError(f"device {self.device!r} asked for, but the Ray cluster has no GPUs")
        # free CPUs, not the total: inside a Serve app the replicas already hold some
        free = min(resources.get("CPU", 1), ray.available_resources().get("CPU", 0))
        cpus = max(1, int(free) // self.workers) if not gpus else 1
        options = {"num_cpus": cpus, "num_gpus": min(1.0, gpus / self.workers) if gpus else 0}
        weights = ray.put(self.extractor.read_bytes())  # one copy in the object store for all actors
        device = "cuda" if gpus else "cpu"
        self.actors = [
            FeatureWorker.options(**options).remote(weights, self.extractor.sha256, device, cpus)
            for _ in range(self.workers)
        ]

    def __exit__(self, *exc) -> None:
        for actor in self.actors:
            ray.kill(actor)
        self.actors = []
        if self._started_ray:
            ray.shutdown()

    def __call__(self, source: ImageSource) -> FeatureStats:
        if not self.actors:
            self._start()
        count = min(self.workers, len(source))
        if count == 0:
            raise DataError(f"{source.describe()} holds no images")
        shards = [source.shard(k, count) for k in range(count)] if count > 1 else [source]
        try:
            parts = ray.get([actor.stats.remote(shard, self.batch_size) for actor, shard in zip(self.actors, shards)])
        except ray.exceptions.RayTaskError as exc:
            if isinstance(exc.cause, LatentSynthError):  # bad input: the user's message, not a worker traceback
                raise exc.cause from None
            raise
        merged = parts[0]
        for part in parts[1:]:
            merged = merged.merge(part)
        return FeatureStats(merged.n, merged.total, merged.outer, merged.extractor, source.fingerprint)


def feature_stats_distributed(
    source, *, workers: int = 2, batch_size: int = 50, weights=None, device: str | None = None
) -> FeatureStats:
    """``synth.metrics.fid.feature_stats`` of ``source`` computed on ``workers`` Ray actors."""
    extractor = InceptionExtractor(weights, device="cpu")  # the driver only hashes and ships the file
    with ShardedStats(workers=workers, extractor=extractor, batch_size=batch_size, device=device) as compute:
        return compute(as_image_source(source))


def fid_distributed(
    real,
    gen,
    *,
    workers: int = 2,
    batch_size: int = 50,
    device: str | None = None,
    weights=None,
    cache_dir=None,
    n: int | None = None,
    seed: int = 0,
    method: str = "random",
    recursive: bool = False,
) -> FIDResult:
    """``synth.metrics.fid.fid_score`` with each side's statistics sharded over ``workers`` Ray
    actors (started once for both sides). Same arguments, same value up to float64 round-off."""
    extractor = InceptionExtractor(weights, device="cpu")  # the driver only hashes and ships the file
    with ShardedStats(workers=workers, extractor=extractor, batch_size=batch_size, device=device) as compute:
        return fid_score(
            real,
            gen,
            batch_size=batch_size,
            cache_dir=cache_dir,
            n=n,
            seed=seed,
            method=method,
            recursive=recursive,
            extractor=extractor,
            compute=compute,
        )
