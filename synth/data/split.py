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


def row_hashes(frame: pd.DataFrame) -> np.ndarray:
    """pandas' 64-bit hash of each row, numbers as float64 first: a Parquet part whose integer
    column has a gap reads as float64 and one without as int64, and the same row must hash alike."""
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c]) and frame[c].dtype != bool]
    if numeric:
        frame = frame.astype({c: np.float64 for c in numeric})
    return pd.util.hash_pandas_object(frame, index=False).to_numpy().astype(np.uint64)


def row_fingerprint(frame: pd.DataFrame) -> str:
    """``fingerprint`` of a table fitted block by block: of the multiset of ``row_hashes`` (Ray
    Data need not read the parts in their sorted order) and the column names."""
    return rows_digest([hash_sums(row_hashes(frame))], list(map(str, frame.columns)))


def hash_sums(hashes: np.ndarray) -> list[int]:
    """[rows, Σ h₁, Σ h₂] of two mixes of the row hashes, mod 2⁶⁴: blocks add up in any order."""
    h1 = _mix(hashes ^ np.uint64(0x243F6A8885A308D3))
    h2 = _mix(hashes ^ np.uint64(0x13198A2E03707344))
    with np.errstate(over="ignore"):
        return [int(len(hashes)), int(h1.sum(dtype=np.uint64)), int(h2.sum(dtype=np.uint64))]


def rows_digest(parts, columns: list[str]) -> str:
    """The fingerprint of blocks' ``hash_sums`` added up."""
    n, s1, s2 = (sum(p[i] for p in parts) % 2**64 for i in range(3))
    text = f"{n}:{s1}:{s2}:" + "\x1f".join(columns)
    return "rows:" + hashlib.sha256(text.encode()).hexdigest()[:16]


def _mix(x: np.ndarray) -> np.ndarray:
    x = (x ^ (x >> np.uint64(33))) * np.uint64(0xFF51AFD7ED558CCD)  # murmur3's 64-bit finaliser
    x = (x ^ (x >> np.uint64(33))) * np.uint64(0xC4CEB9FE1A85EC53)
    return x ^ (x >> np.uint64(33))


def row_units(frame: pd.DataFrame, salt: int) -> np.ndarray:
    """A uniform number in [0, 1) per row from the row's values and ``salt`` alone: the same row
    gets the same number in any block of any file split, so a streamed pass can split rows
    (hold-out, validation, worker) with no index and no shuffle. Identical rows fall on the same
    side, so a duplicated record cannot sit on both sides of a hold-out."""
    x = _mix(row_hashes(frame) ^ np.uint64((salt * 0x9E3779B97F4A7C15) % 2**64))
    return (x >> np.uint64(11)).astype(np.float64) / float(2**53)


HOLDOUT_SALT, VAL_SALT, RANK_SALT, ORDER_SALT = 1, 2, 3, 0


def hash_holdout(raw: RawData, *, test_size: float, seed: int) -> tuple[RawData, RawData]:
    """(train, test) of a streamed fit's hold-out: rows whose ``row_units`` (salted by the seed)
    fall below ``test_size`` are held out. Not stratified; the share is ``test_size`` on average."""
    if not 0 < test_size < 1:
        raise DataError(f"test_size must be in (0, 1), got {test_size}")
    held = row_units(raw.data, 4 * seed + HOLDOUT_SALT) < test_size
    return _take(raw, np.flatnonzero(~held)), _take(raw, np.flatnonzero(held))
