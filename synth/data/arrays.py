"""``.npy`` / ``.npz`` files → arrays (+ labels), read without unpickling anything.

A ``.npy`` holds the data only. A ``.npz`` holds the data under one of a few
usual keys (``images``, ``X``, ``x``, ``data``, …, or the only array of rank
≥ 3) and, optionally, labels under ``labels`` / ``y`` / ``targets`` (or the
key named by ``label``). Image arrays may be channels-first (N, C, H, W),
channels-last (N, H, W, C) or grey (N, H, W).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from synth.errors import DataError

LABEL_KEYS = ("labels", "label", "y", "targets", "target")


def _load(path: Path):
    with open(path, "rb") as handle:
        magic = handle.read(6)
    if not (magic.startswith(b"\x93NUMPY") or magic.startswith(b"PK")):
        raise DataError(
            f"{path} is not a readable numpy file (no .npy header or .npz archive); write it with np.save or np.savez"
        )
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise DataError(
                f"{path} holds Python objects (pickled); save plain numeric arrays "
                "(np.save / np.savez with numbers and strings only)"
            ) from None
        raise DataError(f"{path} is not a readable numpy file: {str(exc).splitlines()[0]}") from None
    except (OSError, EOFError) as exc:
        raise DataError(f"{path} is not a readable numpy file: {str(exc).splitlines()[0]}") from None


def read_array_file(
    path, *, label: str | None = None, data_keys=("images", "X", "x", "data", "records")
) -> tuple[np.ndarray, np.ndarray | None]:
    """(data, labels or None) from ``path``; DataError naming the file and keys on anything wrong."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"file not found: {path}")
    if path.suffix.lower() not in (".npy", ".npz"):
        raise DataError(f"{path} is not a .npy or .npz file")
    loaded = _load(path)
    if isinstance(loaded, np.ndarray):
        if label is not None:
            raise DataError(
                f"{path} is a .npy file holding one array; to give labels, save data and labels "
                f"together: np.savez(file, X=data, labels=labels)"
            )
        return loaded, None
    with loaded as npz:
        keys = list(npz.files)
        data_key = next((k for k in data_keys if k in keys), None)
        if data_key is None:
            candidates = [k for k in keys if npz[k].ndim >= 3]
            if len(candidates) != 1:
                raise DataError(f"{path} has arrays {keys}; name the data one of {list(data_keys)}")
            data_key = candidates[0]
        X = npz[data_key]
        if label is not None and label not in keys:
            raise DataError(f"label key {label!r} not found in {path}; it has {keys}")
        label_key = label or next((k for k in LABEL_KEYS if k in keys), None)
        y = npz[label_key] if label_key is not None else None
    if y is not None:
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != len(X):
            raise DataError(f"labels {label_key!r} in {path} have shape {y.shape}; expected ({len(X)},), one per item")
    return X, y


def as_channels_first(X: np.ndarray) -> np.ndarray:
    """(N, H, W, C) with C ∈ {1, 3, 4} and H ∉ {1, 3, 4} → (N, C, H, W); RGBA drops alpha."""
    if X.ndim == 4 and X.shape[-1] in (1, 3, 4) and X.shape[1] not in (1, 3, 4):
        X = X.transpose(0, 3, 1, 2)
    if X.ndim == 4 and X.shape[1] == 4:
        X = X[:, :3]
    return np.ascontiguousarray(X)
