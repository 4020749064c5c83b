"""Per-row randomness for generated cells that the network does not decode: which cells are
missing, and fresh identifier values.

Each generated row's random numbers come from a hash of its own decoded features
(SplitMix64, Steele, Lea & Flood 2014, "Fast splittable pseudorandom number
generators"), so they follow the seeded latent draw, and a row gets the same
missing cells and identifiers whether it is decoded alone or packed with others.
"""

from __future__ import annotations

import string

import numpy as np
import pandas as pd

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def _mix(h: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        h = (h + _GOLDEN).astype(np.uint64)
        h = (h ^ (h >> np.uint64(30))) * _M1
        h = (h ^ (h >> np.uint64(27))) * _M2
        return h ^ (h >> np.uint64(31))


def row_keys(X: np.ndarray) -> np.ndarray:
    """(n,) uint64: a hash of each row's float32 bits."""
    X = np.ascontiguousarray(np.asarray(X, dtype=np.float32))
    h = np.full(len(X), 0x2545F4914F6CDD1D, dtype=np.uint64)
    bits = X.view(np.uint32).astype(np.uint64) if X.size else np.zeros((len(X), 0), np.uint64)
    for j in range(bits.shape[1]):
        h = _mix(h ^ bits[:, j])
    return h


def stream(keys: np.ndarray, salt: int) -> np.ndarray:
    """(n,) uint64 random words for one purpose (``salt``)."""
    with np.errstate(over="ignore"):
        return _mix(keys ^ _mix(np.full(len(keys), salt, np.uint64)))


def uniforms(keys: np.ndarray, salt: int) -> np.ndarray:
    """(n,) floats in [0, 1)."""
    return (stream(keys, salt) >> np.uint64(11)).astype(np.float64) / float(2**53)


def missing_rates(missing: dict[str, np.ndarray], codes: np.ndarray, n_clusters: int) -> dict[str, list[float]]:
    """Per column, the share of missing cells in each cluster's training rows."""
    codes = np.asarray(codes, dtype=np.int64)
    sizes = np.bincount(codes, minlength=n_clusters).astype(float)
    out = {}
    for name, mask in missing.items():
        hits = np.bincount(codes, weights=np.asarray(mask, float), minlength=n_clusters)
        overall = float(np.mean(mask)) if len(mask) else 0.0
        out[name] = [float(h / s) if s else overall for h, s in zip(hits, sizes)]
    return out


def learn_missing_rates(transformer, frame: pd.DataFrame, clusters, missing: str) -> None:
    """Set ``transformer.missing_rates_`` from the training rows' clusters (``missing="model"``)."""
    if missing != "model":
        transformer.missing_rates_ = {}
        return
    labels = getattr(clusters.partition, "labels_", None)
    codes = np.zeros(len(frame), np.int64) if labels is None or len(labels) != len(frame) else np.asarray(labels)
    masks = {
        s.name: frame[s.name].isna().to_numpy()
        for s in transformer.columns_
        if s.kind != "text" and frame[s.name].isna().any()
    }
    transformer.missing_rates_ = missing_rates(masks, codes, clusters.n_clusters)


# ------------------------------------------------------------------ identifiers
def id_shape(values: pd.Series) -> dict:
    """What fresh identifiers must look like: a shared prefix/suffix around a number
    (``P-00017``, ``4711``), or one character class per position (uuids, codes)."""
    text = values.dropna().astype(str)
    numeric = pd.api.types.is_numeric_dtype(values)
    if numeric:
        as_int = values.dropna().astype(np.int64)
        top = int(as_int.max()) if len(as_int) else 0
        return {"style": "number", "prefix": "", "suffix": "", "width": 0, "max": top, "int": True, "rows": len(text)}
    parts = text.str.extract(r"^(\D*?)(\d+)(\D*)$")
    if len(text) and parts.notna().all().all() and parts[0].nunique() == 1 and parts[2].nunique() == 1:
        digits = parts[1]
        padded = digits.str.len().nunique() == 1 and digits.str.startswith("0").any()
        return {
            "style": "number",
            "prefix": str(parts[0].iloc[0]),
            "suffix": str(parts[2].iloc[0]),
            "width": int(digits.str.len().iloc[0]) if padded else 0,
            "max": int(digits.astype(np.int64).max()) if len(digits) else 0,
            "int": False,
            "rows": len(text),
        }
    length = int(text.str.len().mode().iloc[0]) if len(text) else 1
    same = text[text.str.len() == length].tolist() or ["x"]
    return {"style": "pattern", "classes": [char_class({v[i] for v in same}) for i in range(length)]}


def char_class(chars: set) -> str:
    """The narrowest class holding every character seen at one position."""
    if len(chars) == 1 and not next(iter(chars)).isalnum():
        return "=" + next(iter(chars))
    for name in ("d", "h", "l", "u"):
        if chars <= set(_ALPHABETS[name]):
            return name
    return "a"


_ALPHABETS = {
    "d": string.digits,
    "h": "0123456789abcdef",
    "l": string.ascii_lowercase,
    "u": string.ascii_uppercase,
    "a": string.ascii_letters + string.digits,
}


def fresh_ids(shape: dict, keys: np.ndarray, salt: int) -> list:
    """One new identifier per row; unique within the rows, and for numbered shapes above
    every training number (so never a training value)."""
    n = len(keys)
    if shape["style"] == "number":
        top = shape["max"]
        digits = max(len(str(top)), shape["width"])
        low, high = top + 1, 10**digits
        if high - low < 10 * shape.get("rows", 100):  # little room at this width: one digit more
            low = max(low, 10**digits)
            high = 10 * low
        high = max(high, low + 2 * n)  # never fewer free numbers than rows asked for
        numbers = low + (stream(keys, salt) % np.uint64(high - low)).astype(np.int64)
        numbers = _unique(numbers, low, high)
        if shape.get("int"):
            return numbers.tolist()
        width = shape["width"]
        return [f"{shape['prefix']}{str(v).zfill(width)}{shape['suffix']}" for v in numbers]
    out, seen = [], set()
    for i in range(n):
        attempt = 0
        while True:
            words = stream(keys[i : i + 1] ^ np.uint64(attempt), salt + 7919 * (attempt + 1))
            value = _from_pattern(shape["classes"], int(words[0]))
            if attempt > 32:  # the shape has too few values for this many rows: lengthen
                value += str(i)
            if value not in seen:
                break
            attempt += 1
        seen.add(value)
        out.append(value)
    return out


def _from_pattern(classes: list[str], word: int) -> str:
    chars, state = [], word
    for c in classes:
        if c.startswith("="):
            chars.append(c[1:])
            continue
        alphabet = _ALPHABETS[c]
        state = (state * 6364136223846793005 + 1442695040888963407) % 2**64
        chars.append(alphabet[(state >> 33) % len(alphabet)])
    return "".join(chars)


def _unique(numbers: np.ndarray, low: int, high: int) -> np.ndarray:
    """Resolve collisions by stepping to the next free number (in row order)."""
    out, seen = numbers.copy(), set()
    for i, v in enumerate(out.tolist()):
        while v in seen:
            v = v + 1 if v + 1 < high else low
        seen.add(v)
        out[i] = v
    return out
