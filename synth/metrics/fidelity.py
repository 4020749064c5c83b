"""Column-wise fidelity of synthetic tables: KS, total variation, correlations.

Numeric columns are compared by the two-sample Kolmogorov–Smirnov statistic
(the largest gap between the two empirical CDFs, in [0, 1]); categorical,
object and boolean columns by the total-variation distance between the
category frequencies, ½ Σ_c |p_real(c) − p_syn(c)|, also in [0, 1].
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from synth.errors import DataError

__all__ = ["ks_per_column", "correlation_difference"]


def _check_frames(real, synthetic) -> None:
    for name, df in (("real", real), ("synthetic", synthetic)):
        if not isinstance(df, pd.DataFrame):
            raise DataError(f"{name} must be a pandas DataFrame; got {type(df).__name__}")
        if len(df) == 0:
            raise DataError(f"the {name} table has no rows")
    missing = [c for c in real.columns if c not in synthetic.columns]
    extra = [c for c in synthetic.columns if c not in real.columns]
    if missing or extra:
        raise DataError(
            f"real and synthetic tables have different columns: missing from synthetic {missing}, not in real {extra}"
        )


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _total_variation(a: pd.Series, b: pd.Series) -> float:
    # missing values count as a category of their own
    p = a.value_counts(normalize=True, dropna=False)
    q = b.value_counts(normalize=True, dropna=False)
    p, q = p.align(q, fill_value=0.0)
    return float(0.5 * np.abs(p.to_numpy(float) - q.to_numpy(float)).sum())


def ks_per_column(real: pd.DataFrame, synthetic: pd.DataFrame) -> dict:
    """Per-column distribution distance between a real and a synthetic table.

    real: (n, p) and synthetic: (m, p) DataFrames with the same column names
    (any order). A column is numeric when the real table says so (bool counts
    as categorical); NaNs are dropped for KS and counted as a category for TVD.

    Returns {"columns": {name: entry}, "mean_ks": float | None,
    "mean_tvd": float | None}, where entry is
    {"kind": "numeric", "statistic": float, "pvalue": float} or
    {"kind": "categorical", "tvd": float}; a mean is None when no column
    of that kind exists. Column names are turned into str (JSON keys).
    """
    _check_frames(real, synthetic)
    columns: dict[str, dict] = {}
    ks_values, tvd_values = [], []
    for col in real.columns:
        a, b = real[col], synthetic[col]
        if _is_numeric(a):
            if not _is_numeric(b):
                raise DataError(
                    f"column {col!r} is numeric in the real table but {b.dtype} in the "
                    "synthetic one; decode synthetic columns to the real schema first"
                )
            a_values = a.dropna().to_numpy(float)
            b_values = b.dropna().to_numpy(float)
            if a_values.size == 0 or b_values.size == 0:
                raise DataError(f"numeric column {col!r} has no non-missing values in one table")
            result = stats.ks_2samp(a_values, b_values)
            entry = {
                "kind": "numeric",
                "statistic": float(result.statistic),
                "pvalue": float(result.pvalue),
            }
            ks_values.append(entry["statistic"])
        else:
            entry = {"kind": "categorical", "tvd": _total_variation(a, b)}
            tvd_values.append(entry["tvd"])
        columns[str(col)] = entry
    return {
        "columns": columns,
        "mean_ks": float(np.mean(ks_values)) if ks_values else None,
        "mean_tvd": float(np.mean(tvd_values)) if tvd_values else None,
    }


def correlation_difference(real: pd.DataFrame, synthetic: pd.DataFrame) -> float:
    """Mean absolute difference between the Pearson correlation matrices.

    real: (n, p), synthetic: (m, p) DataFrames with the same columns; only
    the columns numeric in the real table are used, at least 2 of them.
    The mean runs over the p(p−1)/2 distinct off-diagonal pairs (the
    diagonal is 1 in both and would only dilute it). A constant column has
    no defined correlation; it is taken as 0, so a column that collapsed to
    a constant in the synthetic table is penalised by its lost correlations.
    Returns a float in [0, 2].
    """
    _check_frames(real, synthetic)
    numeric = [c for c in real.columns if _is_numeric(real[c])]
    if len(numeric) < 2:
        raise DataError(f"correlation difference needs at least 2 numeric columns; got {len(numeric)} ({numeric})")
    bad = [c for c in numeric if not _is_numeric(synthetic[c])]
    if bad:
        raise DataError(f"columns {bad} are numeric in the real table but not in the synthetic one")
    corr_real = real[numeric].astype(float).corr().fillna(0.0).to_numpy()
    corr_syn = synthetic[numeric].astype(float).corr().fillna(0.0).to_numpy()
    upper = np.triu_indices(len(numeric), k=1)
    return float(np.abs(corr_real - corr_syn)[upper].mean())
