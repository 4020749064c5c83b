"""The only Ray code in synth/, one module per job: ``connect`` (join or start Ray, check
resources), ``train`` (the training loop in Ray Train workers) and ``fid`` (FID sharded over
Ray actors). Everything else in synth/ is plain torch/numpy and runs without Ray.
"""

from synth.distributed.connect import check_resources, check_storage, connect
from synth.distributed.fid import FeatureWorker, ShardedStats, feature_stats_distributed, fid_distributed
from synth.distributed.train import POLL_ENV, POLL_MAX_S, POLL_MIN_S, poll_interval, ray_train_fn

__all__ = [
    "POLL_ENV",
    "POLL_MAX_S",
    "POLL_MIN_S",
    "FeatureWorker",
    "ShardedStats",
    "check_resources",
    "check_storage",
    "connect",
    "feature_stats_distributed",
    "fid_distributed",
    "poll_interval",
    "ray_train_fn",
]
