"""How a numeric column maps to [0, 1] and back: min-max, or min-max of its log for a long right
tail. Log-transforming skewed positive measurements is the classic normalising step (Box & Cox
1964): the latent Gaussians then see a roughly symmetric variable instead of a long tail."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from synth.data.table_transform import ColumnSpec

# A numeric column is modelled on the log scale when (max − median) > SKEW_RATIO · (median − min):
# a log-normal column of σ = 1 gives ~30 on 2,000 rows, a normal or uniform one ~1, an
# exponential one ~10. The decision uses only the minimum, maximum and median, which a streamed
# fit computes exactly, so both fits agree.
SKEW_RATIO = 8.0


def log_offset(minimum: float, maximum: float, median: float) -> float | None:
    """The offset c of a column to model as log(x − minimum + c), or None to keep it linear:
    only a right tail SKEW_RATIO times longer than the body below the median qualifies. c is a
    tenth of the body (a hundredth of a per cent of the range when half the column sits at its
    minimum), so the bulk of the column is spread out and the tail drawn in."""
    span, below = maximum - minimum, median - minimum
    if not span > 0 or (maximum - median) <= SKEW_RATIO * below:
        return None
    return float(max(below / 10.0, span * 1e-4))


def to_unit(values: np.ndarray, s: ColumnSpec) -> np.ndarray:
    """Original units → [0, 1] (outside it for values outside the fitted range; on the log scale
    values below the minimum map to 0)."""
    span = s.maximum - s.minimum
    if s.log_offset is None:
        return (values - s.minimum) / (span if span > 0 else 1.0)
    low, high = np.log(s.log_offset), np.log(span + s.log_offset)
    return (np.log(np.maximum(values - s.minimum, 0.0) + s.log_offset) - low) / (high - low)


def from_unit(u: np.ndarray, s: ColumnSpec) -> np.ndarray:
    """The inverse of ``to_unit``."""
    if s.log_offset is None:
        return s.minimum + u * (s.maximum - s.minimum)
    low, high = np.log(s.log_offset), np.log(s.maximum - s.minimum + s.log_offset)
    return s.minimum + np.exp(np.clip(low + u * (high - low), -700.0, 700.0)) - s.log_offset
