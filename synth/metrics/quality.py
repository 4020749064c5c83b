"""SDMetrics' overall quality score of a synthetic table (optional: ``latentsynth[eval]``).

The score is SDMetrics' single-table ``QualityReport``: the mean of "Column
Shapes" (per column, 1 − KS statistic for numbers, 1 − TVD for categories)
and "Column Pair Trends" (per pair, 1 − ½|Δ correlation| for two numbers,
contingency similarity otherwise), in [0, 1], 1 = indistinguishable marginals
and pairwise trends. Images are scored as tables of their pixels.

sdmetrics is an optional dependency; ``quality_score`` returns None without it
and callers say "sdmetrics not installed" (``SDMETRICS_MISSING``).
"""

from __future__ import annotations

import importlib.util
import warnings

import numpy as np
import pandas as pd

from synth.errors import DataError

__all__ = ["SDMETRICS_MISSING", "as_quality_table", "quality_score", "sdmetrics_available"]

SDMETRICS_MISSING = "sdmetrics not installed (pip install 'latentsynth[eval]'); quality score skipped"


def sdmetrics_available() -> bool:
    return importlib.util.find_spec("sdmetrics") is not None


def as_quality_table(X, labels=None, *, label: str = "label") -> pd.DataFrame:
    """A DataFrame for the report: a table as it is, images (n, C, H, W) as n rows of pixel
    columns ``p0 … p{CHW−1}``; ``labels`` (n,) is added as the categorical column ``label``."""
    if isinstance(X, pd.DataFrame):
        frame = X.reset_index(drop=True)
    else:
        X = np.asarray(X)
        flat = X.reshape(len(X), -1).astype(np.float64)
        frame = pd.DataFrame(flat, columns=[f"p{i}" for i in range(flat.shape[1])])
    if labels is not None:
        if label in frame.columns:
            raise DataError(f"the table already has a column {label!r}; pass another label name")
        frame = frame.assign(**{label: np.asarray(labels).astype(str)})
    return frame


def _metadata(frame: pd.DataFrame) -> dict:
    columns = {}
    for name in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[name]) and not pd.api.types.is_bool_dtype(frame[name])
        columns[str(name)] = {"sdtype": "numerical" if numeric else "categorical"}
    return {"columns": columns}


def quality_score(real: pd.DataFrame, synthetic: pd.DataFrame) -> float | None:
    """SDMetrics QualityReport score of ``synthetic`` against ``real`` (same columns; numeric
    columns are "numerical", everything else "categorical"). Returns a float in [0, 1], or
    None when sdmetrics is not installed."""
    if not sdmetrics_available():
        return None
    if list(real.columns) != list(synthetic.columns):
        raise DataError(
            f"real and synthetic tables have different columns: {list(real.columns)} vs {list(synthetic.columns)}"
        )
    if len(real) == 0 or len(synthetic) == 0:
        raise DataError("the quality score needs rows in both tables")
    with warnings.catch_warnings():
        # the single-table report is the one every sdmetrics ≥ 0.12 has; newer ones mark it deprecated
        warnings.simplefilter("ignore")
        from sdmetrics.reports.single_table import QualityReport

        real = real.rename(columns=str).reset_index(drop=True)
        synthetic = synthetic.rename(columns=str).reset_index(drop=True)
        report = QualityReport()
        report.generate(real, synthetic, _metadata(real), verbose=False)
        return float(report.get_score())
