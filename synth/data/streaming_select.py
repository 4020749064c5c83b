"""Exact medians by streaming passes: radix selection on order-preserving 64-bit keys.

The block statistics of ``synth.data.streaming`` hold a histogram of each value's
top 16 key bits, which names the bucket of the middle order statistic(s). Each
further pass over the blocks either collects the values of a bucket (when it
holds at most ``limit`` values) or histograms its next 16 bits; four refinements
reach single values, so at most five passes. The median is then ``np.median``'s
own arithmetic on the one or two middle values (their mean for an even count), so
it is bit-identical to the in-memory fill value (Hoare 1961's selection, in the
radix form of e.g. Alabi et al. 2012, "Fast k-selection algorithms for GPUs").
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from synth.data.streaming import column_values, order_keys

LIMIT = 1 << 18  # values collected from one bucket at most


def _locate(hist: list, rank: int) -> tuple[int, int, int]:
    """(bucket, rank within the bucket, bucket count) of the ``rank``-th smallest value."""
    seen = 0
    for bucket, count in sorted(hist):
        if rank < seen + count:
            return bucket, rank - seen, count
        seen += count
    raise ValueError(f"rank {rank} outside {seen} values")


def block_pass(frame: pd.DataFrame, schema: dict, targets: list) -> list:
    """One pass over one block: per target (column, prefix, prefix bits, collect?) the values of
    its bucket, or the histogram of the bucket's next 16 bits."""
    out, cache = [], {}
    for name, prefix, bits, collect in targets:
        if name not in cache:
            values = column_values(frame[name], {"name": name, **schema[name]})
            cache[name] = (values, order_keys(values))
        values, keys = cache[name]
        inside = (keys >> np.uint64(64 - bits)) == np.uint64(prefix)
        if collect:
            out.append(np.sort(values[inside]).tolist())
        else:
            shift = np.uint64(64 - bits - 16)
            buckets, counts = np.unique((keys[inside] >> shift) & np.uint64(0xFFFF), return_counts=True)
            out.append([[int(b), int(c)] for b, c in zip(buckets, counts)])
    return out


def exact_medians(stats: dict, scan: Callable[[list], list], *, limit: int = LIMIT) -> dict:
    """Column → median of its present values for every numeric/datetime column of ``stats``.
    ``scan(targets)`` runs ``block_pass(block, schema, targets)`` on every block and returns the
    results (any order)."""
    return {name: v["median"] for name, v in exact_order_stats(stats, scan, limit=limit).items()}


def quartile_ranks(n: int) -> tuple[int, int]:
    """Ranks of the lower and upper quartile among n sorted values (numpy's ``method="lower"``)."""
    return (n - 1) // 4, (3 * (n - 1)) // 4


def exact_order_stats(stats: dict, scan: Callable[[list], list], *, limit: int = LIMIT) -> dict:
    """Column → {"median", "q1", "q3"} of its present values (None for an empty column): the
    median as ``np.median`` gives it, the quartiles as ``np.quantile(..., method="lower")``."""
    pending, found = {}, {}  # (column, rank) → [prefix, bits, rank within, count]
    sizes = {}
    for name, c in stats["columns"].items():
        if "hist" not in c:
            continue
        n = sizes[name] = sum(count for _, count in c["hist"])
        for rank in sorted({(n - 1) // 2, n // 2, *quartile_ranks(n)}) if n else ():
            bucket, within, count = _locate(c["hist"], rank)
            pending[name, rank] = [bucket, 16, within, count]
    while pending:
        for (name, rank), (prefix, bits, _, _) in list(pending.items()):
            if bits == 64:  # every value of the bucket is this one float
                found[name, rank] = _from_key(prefix)
                del pending[name, rank]
        if not pending:
            break
        targets = sorted({(name, p, bits, count <= limit) for (name, _), (p, bits, _, count) in pending.items()})
        results = scan([list(t) for t in targets])
        merged = {t: [] for t in targets}
        for part in results:
            for t, r in zip(targets, part):
                merged[t].extend(r)
        for (name, rank), (prefix, bits, within, count) in list(pending.items()):
            got = merged[name, prefix, bits, count <= limit]
            if count <= limit:
                found[name, rank] = sorted(got)[within]
                del pending[name, rank]
                continue
            hist = _sum_pairs(got)
            bucket, within, count = _locate(hist, within)
            pending[name, rank] = [(prefix << 16) | bucket, bits + 16, within, count]
    out = {}
    for name, n in sizes.items():
        if not n:
            out[name] = {"median": None, "q1": None, "q3": None}
            continue
        middle = np.asarray([found[name, (n - 1) // 2], found[name, n // 2]], dtype=np.float64)
        low, high = quartile_ranks(n)
        out[name] = {"median": float(np.median(middle)), "q1": found[name, low], "q3": found[name, high]}
    return out


def _sum_pairs(pairs: list) -> list:
    table: dict = {}
    for key, count in pairs:
        table[key] = table.get(key, 0) + count
    return sorted([k, v] for k, v in table.items())


def _from_key(key: int) -> float:
    """The float64 of an ``order_keys`` key."""
    key = np.uint64(key)
    bits = key & ~np.uint64(1 << 63) if key >> np.uint64(63) else ~key
    return float(np.array([bits], dtype=np.uint64).view(np.float64)[0])
