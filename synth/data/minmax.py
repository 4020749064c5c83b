"""A global min-max scale of an array batch to [0, 1] and back, shared by images and 2-D records.

The scale is one (low, high) pair for the whole array — not per pixel — so the
relative intensities of an image or record survive; the inverse clips to [0, 1]
first, so a decoder's overshoot comes back inside the range seen in training, and
integer dtypes are rounded back to integers.
"""

from __future__ import annotations

import numpy as np

from synth.errors import DataError


class MinMaxArrays:
    """Base of ``ImageTransformer`` and ``RecordTransformer``: ``low_``, ``high_``, ``dtype_``."""

    what = "arrays"

    def _set_range(self, low: float, high: float, dtype) -> None:
        low, high = float(low), float(high)
        if not high > low:
            raise DataError(f"{self.what} are constant (value range {low:g}..{high:g}); nothing to learn")
        self.low_, self.high_, self.dtype_ = low, high, str(dtype)

    def _scale(self, X: np.ndarray) -> np.ndarray:
        """(…) float64 in original units → float32 in [0, 1] (for values seen in training)."""
        return ((X - self.low_) / (self.high_ - self.low_)).astype(np.float32)

    def _unscale(self, X, *, log: bool = False) -> np.ndarray:
        """Model space → original units and dtype; ``log`` undoes a log1p applied before the scale."""
        X = np.clip(np.asarray(X, dtype=np.float64), 0.0, 1.0) * (self.high_ - self.low_) + self.low_
        if log:
            X = np.expm1(X)
        if np.dtype(self.dtype_).kind in "iu":
            return np.round(X).astype(self.dtype_)
        return X.astype(self.dtype_)
