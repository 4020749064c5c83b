"""How a numeric column maps to [0, 1] and back: min-max, min-max of its log for a long right
tail, or min-max of its inverse hyperbolic sine for long tails on both sides. Log-transforming
skewed positive measurements is the classic normalising step (Box & Cox 1964): the latent
Gaussians then see a roughly symmetric variable instead of a long tail. asinh((x − median)/s) is
the two-sided counterpart (Johnson 1949's S_U family; Burbidge, Magee & Robb 1988): linear near
the median, logarithmic in both tails, so a few extreme values no longer squeeze the bulk of the
column into a sliver of [0, 1]."""

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


def asinh_scale(minimum: float, maximum: float, median: float, q1: float | None, q3: float | None) -> float | None:
    """The scale s of a column to model as asinh((x − median) / s), or None: only when both tails
    reach SKEW_RATIO times further from the median than the quartile on their side (a normal column
    of 1M rows ~7, Student's t with 3 degrees of freedom ~17 on 2,000 rows). s is half the
    interquartile range. Uses the minimum, maximum, median and quartiles, which a streamed fit
    computes exactly."""
    if q1 is None or q3 is None or not (q1 < median < q3):
        return None
    if (maximum - median) <= SKEW_RATIO * (q3 - median) or (median - minimum) <= SKEW_RATIO * (median - q1):
        return None
    return float((q3 - q1) / 2.0)


def scale_fields(facts: dict) -> dict:
    """A numeric column's scaling fields of its ``ColumnSpec`` (``log_offset``, ``asinh_scale``)."""
    low, high, median = facts["minimum"], facts["maximum"], facts["median"]
    offset = log_offset(low, high, median)
    scale = None if offset is not None else asinh_scale(low, high, median, facts.get("q1"), facts.get("q3"))
    return {"log_offset": offset, "asinh_scale": scale}


def _asinh_bounds(s: ColumnSpec) -> tuple[float, float]:
    return np.arcsinh((s.minimum - s.fill) / s.asinh_scale), np.arcsinh((s.maximum - s.fill) / s.asinh_scale)


def to_unit(values: np.ndarray, s: ColumnSpec) -> np.ndarray:
    """Original units → [0, 1] (outside it for values outside the fitted range; on the log scale
    values below the minimum map to 0)."""
    span = s.maximum - s.minimum
    if s.asinh_scale is not None:  # centred on the median, which a numeric column's fill is
        low, high = _asinh_bounds(s)
        return (np.arcsinh((values - s.fill) / s.asinh_scale) - low) / (high - low)
    if s.log_offset is None:
        return (values - s.minimum) / (span if span > 0 else 1.0)
    low, high = np.log(s.log_offset), np.log(span + s.log_offset)
    return (np.log(np.maximum(values - s.minimum, 0.0) + s.log_offset) - low) / (high - low)


def from_unit(u: np.ndarray, s: ColumnSpec) -> np.ndarray:
    """The inverse of ``to_unit``."""
    if s.asinh_scale is not None:
        low, high = _asinh_bounds(s)
        return s.fill + s.asinh_scale * np.sinh(np.clip(low + u * (high - low), -700.0, 700.0))
    if s.log_offset is None:
        return s.minimum + u * (s.maximum - s.minimum)
    low, high = np.log(s.log_offset), np.log(s.maximum - s.minimum + s.log_offset)
    return s.minimum + np.exp(np.clip(low + u * (high - low), -700.0, 700.0)) - s.log_offset


def rounded(values: np.ndarray, s: ColumnSpec, *, clip: bool) -> np.ndarray:
    """``values`` at the column's learned decimals; with ``clip`` the seen range's bounds are rounded
    inward first, so rounding a value at a bound never steps past it (a maximum of 7.1234567 kept at
    6 decimals clips to 7.123456, not 7.123457)."""
    if s.decimals is None:
        return values
    values, step = np.round(values, s.decimals), 10.0**-s.decimals
    if not clip:
        return values
    low, high = np.round(s.minimum, s.decimals), np.round(s.maximum, s.decimals)
    return np.clip(values, low + step if low < s.minimum else low, high - step if high > s.maximum else high)
