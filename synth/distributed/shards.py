"""Training rows streamed to Ray Train workers from Ray Data.

The driver builds one dataset per rank (``StreamedRows``): a seeded hash of each row's values
(``synth.data.split.row_units``) names its rank, so which rows a worker trains on does not
depend on block sizes, file splits or which worker asked first (Ray Data's ``streaming_split``
hands blocks to whichever worker asks first, and a rerun would then train on other shards).
Each worker reads its own dataset with ``ray.train.get_dataset_shard`` (``ShardRows``: kept in
the worker in hash order when it fits, else streamed each epoch through a seeded local buffer).

DDP needs the same number of steps on every rank, so a rank with fewer rows than the largest
repeats the first rows of its epoch, as torch's ``DistributedSampler`` pads; no row is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.utils.data import TensorDataset

SHUFFLE_BUFFER = 4096  # rows in each worker's local shuffle buffer (Ray Data's local shuffle)
CACHE_BYTES = 2 << 30  # a shard up to this size is read once and kept in its worker


@dataclass
class StreamedRows:
    """The rows of one split (training or validation) as one Ray Data dataset per rank, each of
    columns ``x`` (features, float32) and, where the model takes class codes, ``y`` (int64)."""

    datasets: list  # ray.data.Dataset per rank
    counts: list  # rows per rank
    n_features: int
    fields: tuple  # ("x",) or ("x", "y")
    probe: TensorDataset | None = None  # a few encoded rows: timing probe and run fingerprint

    def __len__(self) -> int:
        return int(sum(self.counts))

    @property
    def tensors(self) -> tuple:  # the shapes a run's fingerprint records
        return tuple(torch.empty((len(self), self.n_features) if f == "x" else (len(self),)) for f in self.fields)

    def names(self, split: str) -> dict:
        return {f"{split}_{rank}": ds for rank, ds in enumerate(self.datasets)}


def stream_spec(train: StreamedRows, val: StreamedRows | None) -> dict:
    return {
        "fields": train.fields,
        "n_features": train.n_features,
        "train": list(train.counts),
        "val": list(val.counts) if val is not None else None,
    }


def worker_shards(stream: dict, rank: int, seed: int):
    """This rank's streamed training and validation rows (``synth.distributed.shards``)."""
    import ray
    import ray.train

    ray.data.DataContext.get_current().enable_progress_bars = False  # one bar per worker and epoch otherwise

    def shard(split, counts, target):
        iterator, width = ray.train.get_dataset_shard(f"{split}_{rank}"), stream["n_features"]
        return ShardRows(
            iterator,
            rows=counts[rank],
            target=target,
            fields=stream["fields"],
            seed=seed * 7919 + rank,
            n_features=width,
        )

    train = shard("train", stream["train"], max(stream["train"]))
    val = shard("val", stream["val"], stream["val"][rank]) if stream["val"] else None  # every rank has some
    return train, val


class ShardRows:
    """One worker's rows: ``epoch_batches(epoch, b, device)`` yields tuples of tensors in batches
    of exactly ``b`` rows (the last may be shorter), ``target`` rows in all (padded).

    A shard of at most ``cache_bytes`` is read from Ray Data once, put in the order of its rows'
    hashes and kept in this worker (Ray Data's own advice for data that fits: every further epoch costs no dataset
    execution, which here is ~1 s even for a few rows); each epoch then takes a seeded
    permutation, as ``DistributedSampler`` does. A larger shard streams every epoch through a
    seeded local shuffle buffer, in the order Ray Data reads the files."""

    def __init__(
        self, iterator, *, rows: int, target: int, fields: tuple, seed: int, n_features: int, cache_bytes=CACHE_BYTES
    ):
        self.iterator, self.rows, self.target, self.fields, self.seed = iterator, rows, target, fields, seed
        self.n_features, self.cache_bytes, self.cached = n_features, cache_bytes, None

    def __len__(self) -> int:
        return self.target

    def _stream(self, batch_size: int, epoch: int | None):
        """(fields…, key) batches as Ray Data streams them; ``key`` is each row's hash order."""
        shuffle = epoch is not None
        dtypes = {"x": torch.float32, "y": torch.int64, "key": torch.float64}
        batches = self.iterator.iter_torch_batches(
            batch_size=batch_size,
            dtypes={f: dtypes[f] for f in (*self.fields, "key")},
            local_shuffle_buffer_size=min(SHUFFLE_BUFFER, max(self.rows, 1)) if shuffle else None,
            local_shuffle_seed=(self.seed * 1_000_003 + epoch) % 2**31 if shuffle else None,
        )
        seen = 0
        for batch in batches:
            part = tuple(batch[f] for f in (*self.fields, "key"))
            seen += len(part[0])
            yield part
        if seen != self.rows:
            raise RuntimeError(f"this worker's shard held {seen} rows, the driver counted {self.rows}")

    def _parts(self, epoch: int | None, batch_size: int):
        if self.cached is None and self.rows * 4 * (self.n_features + 2) <= self.cache_bytes:
            parts = list(self._stream(max(batch_size, 1024), None))
            if parts:  # in the rows' hash order: the order Ray Data read the files in does not matter
                *tensors, key = (torch.cat(ts) for ts in zip(*parts))
                order = torch.argsort(key, stable=True)
                self.cached = tuple(t[order] for t in tensors)
        if self.cached is None:
            yield from (part[:-1] for part in self._stream(batch_size, epoch))
            return
        if epoch is None:
            yield self.cached
            return
        g = torch.Generator().manual_seed((self.seed * 1_000_003 + epoch) % 2**63)
        order = torch.randperm(self.rows, generator=g)
        yield tuple(t[order] for t in self.cached)

    def epoch_batches(self, epoch: int | None, batch_size: int, device):
        pad, head, buffer = self.target - self.rows, [], []
        for part in self._parts(epoch, batch_size):
            if sum(len(h[0]) for h in head) < pad:
                head.append(part)
            buffer.append(part)
            yield from _full(buffer, batch_size, device)
        while pad > 0 and head:  # repeat the epoch's first rows up to the largest rank's count
            part = tuple(t[:pad] for t in head.pop(0))
            pad -= len(part[0])
            buffer.append(part)
            yield from _full(buffer, batch_size, device)
        if buffer:
            yield tuple(torch.cat(ts).to(device) for ts in zip(*buffer))
            buffer.clear()


def _full(buffer: list, size: int, device):
    """Pop and yield batches of exactly ``size`` rows from the front of ``buffer``."""
    while sum(len(p[0]) for p in buffer) >= size:
        joined = tuple(torch.cat(ts) for ts in zip(*buffer)) if len(buffer) > 1 else buffer[0]
        buffer.clear()
        rest = tuple(t[size:] for t in joined)
        if len(rest[0]):
            buffer.append(rest)
        yield tuple(t[:size].to(device) for t in joined)
