"""A seeded, stratified hold-out split of raw data, reproducible from (test_size, seed)
and checked against a fingerprint of the data so `evaluate` scores on the rows
that `train` never saw."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from synth.data.sources import RawData
from synth.errors import DataError


def fingerprint(raw: RawData) -> str:
    """sha256 of the raw values (and labels): same data ⇔ same fingerprint."""
    h = hashlib.sha256()
    if isinstance(raw.data, pd.DataFrame):
        h.update(pd.util.hash_pandas_object(raw.data, index=False).to_numpy().tobytes())
        h.update("\x1f".join(map(str, raw.data.columns)).encode())
    else:
        h.update(np.ascontiguousarray(raw.data).tobytes())
        h.update(str(raw.data.shape).encode())
    if raw.labels is not None:
        h.update(np.asarray(raw.labels).astype(str).astype(bytes).tobytes())
    return h.hexdigest()[:16]


def _take(raw: RawData, idx: np.ndarray) -> RawData:
    if isinstance(raw.data, pd.DataFrame):
        return RawData(raw.name, raw.kind, raw.data.iloc[idx].reset_index(drop=True), None, raw.label_column)
    return RawData(raw.name, raw.kind, raw.data[idx], None if raw.labels is None else raw.labels[idx], None)


def holdout_split(raw: RawData, *, test_size: float, seed: int, stratify: bool = True) -> tuple[RawData, RawData]:
    """(train, test) parts of ``raw``; stratified by its labels when every class has ≥ 2 rows."""
    from sklearn.model_selection import train_test_split

    if not 0 < test_size < 1:
        raise DataError(f"test_size must be in (0, 1), got {test_size}")
    n = len(raw.data)
    labels = None
    if stratify:
        labels = (
            raw.data[raw.label_column].astype(str).to_numpy()
            if raw.label_column is not None
            else (np.asarray(raw.labels).astype(str) if raw.labels is not None else None)
        )
        if labels is not None and np.unique(labels, return_counts=True)[1].min() < 2:
            labels = None  # a singleton class cannot be stratified; cleaning will reject it later
    try:
        train_idx, test_idx = train_test_split(np.arange(n), test_size=test_size, random_state=seed, stratify=labels)
    except ValueError as exc:
        raise DataError(f"cannot hold out {test_size:.0%} of {n} rows: {exc}") from None
    return _take(raw, np.sort(train_idx)), _take(raw, np.sort(test_idx))
