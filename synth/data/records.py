"""2-D records: N×H×W float arrays ⇄ model space [0, 1].

"Synthetic generation of 2D data records based on Autoencoders" (arXiv 2502.13183)
preprocesses GC-IMS records by (wavelet compression →) crop → log
→ min-max. ``RecordTransformer`` does crop, optional log1p and a global
min-max learned on the training records, and undoes log and min-max on the
way out, so generated records come back in original intensity units over the
cropped window. Everything it learns is JSON.
"""

from __future__ import annotations

import numpy as np

from synth.data.minmax import MinMaxArrays
from synth.errors import DataError


def as_record_batch(X) -> np.ndarray:
    """Validate and return an (N, H, W) numeric array."""
    X = np.asarray(X)
    if X.ndim != 3:
        hint = " (one record of shape (H, W)? stack several: records need a leading N axis)" if X.ndim == 2 else ""
        raise DataError(
            f"2-D records must be an array of shape (N, H, W), got rank {X.ndim} with shape {X.shape}{hint}"
        )
    if not np.issubdtype(X.dtype, np.number) or np.issubdtype(X.dtype, np.complexfloating):
        raise DataError(f"records must be real numbers, got dtype {X.dtype}")
    if X.shape[0] < 2:
        raise DataError(f"need at least 2 records, got {X.shape[0]}")
    if min(X.shape[1:]) < 2:
        raise DataError(f"records must be at least 2×2, got {X.shape[1]}×{X.shape[2]}")
    if not np.isfinite(X).all():
        raise DataError("records contain NaN or infinite values")
    return X


class RecordTransformer(MinMaxArrays):
    """crop → log1p (optional) → min-max to [0, 1]; inverse: [0, 1] → original units (cropped window)."""

    what = "records"

    def fit(self, X, *, crop: tuple[int, int, int, int] | None = None, log: bool = False) -> RecordTransformer:
        X = as_record_batch(X)
        self.input_shape_ = tuple(int(s) for s in X.shape[1:])
        if crop is not None:
            r0, r1, c0, c1 = crop
            if r1 > X.shape[1] or c1 > X.shape[2]:
                raise DataError(f"record_crop {tuple(crop)} reaches outside records of shape {self.input_shape_}")
        self.crop_ = tuple(int(c) for c in crop) if crop is not None else None
        self.log_ = bool(log)
        Xc = self._crop(X).astype(np.float64)
        if self.log_:
            if Xc.min() < 0:
                raise DataError(f"record_log needs non-negative intensities; the smallest value is {Xc.min():g}")
            Xc = np.log1p(Xc)
        self._set_range(Xc.min(), Xc.max(), X.dtype)
        self.shape_ = tuple(int(s) for s in Xc.shape[1:])
        return self

    def _crop(self, X: np.ndarray) -> np.ndarray:
        if self.crop_ is None:
            return X
        r0, r1, c0, c1 = self.crop_
        return X[:, r0:r1, c0:c1]

    def transform(self, X) -> np.ndarray:
        """Full records (the shape given to fit) or already-cropped ones → (N, h, w) float32 in [0, 1]."""
        X = np.asarray(X)
        if X.ndim != 3:
            raise DataError(f"2-D records must be an array of shape (N, H, W), got shape {X.shape}")
        shape = tuple(X.shape[1:])
        if shape == self.input_shape_:
            X = self._crop(X)
        elif shape != self.shape_:
            raise DataError(
                f"records have shape {shape}; the model expects {self.input_shape_}"
                + (f" (or the cropped {self.shape_})" if self.crop_ else "")
            )
        X = X.astype(np.float64)
        if self.log_:
            X = np.log1p(np.clip(X, 0, None))
        return self._scale(X)

    def inverse_transform(self, X) -> np.ndarray:
        return self._unscale(X, log=self.log_)

    def to_dict(self) -> dict:
        return {
            "kind": "record",
            "low": self.low_,
            "high": self.high_,
            "dtype": self.dtype_,
            "shape": list(self.shape_),
            "input_shape": list(self.input_shape_),
            "crop": list(self.crop_) if self.crop_ else None,
            "log": self.log_,
        }

    @classmethod
    def from_dict(cls, obj: dict) -> RecordTransformer:
        self = cls()
        self.low_, self.high_, self.dtype_ = float(obj["low"]), float(obj["high"]), str(obj["dtype"])
        self.shape_ = tuple(int(s) for s in obj["shape"])
        self.input_shape_ = tuple(int(s) for s in obj["input_shape"])
        self.crop_ = tuple(int(c) for c in obj["crop"]) if obj.get("crop") else None
        self.log_ = bool(obj["log"])
        return self


def load_records(path, *, label: str | None = None):
    """(records (N, H, W), labels or None) from a ``.npy`` (records only) or ``.npz`` file
    (records under ``records``/``X``/``data``; labels under ``label`` or ``labels``/``y``)."""
    from synth.data.arrays import read_array_file

    X, y = read_array_file(path, label=label, data_keys=("records", "X", "x", "data"))
    return as_record_batch(X), y
