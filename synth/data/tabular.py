"""Tabular cleaning (docs/tables.md): every row is used unless the user asks otherwise,
and whatever changes is recorded in a ``CleaningReport``.

Column kinds come from ``synth.data.schema`` (detected, or given by a schema).
Missing cells are modelled by default (``missing="model"``: the network sees an
imputed value plus an indicator, and generated rows get missing cells at the
per-cluster rates); ``"impute"`` fills them, ``"drop"`` removes their rows. The
|z| outlier filter is off unless ``outlier_z`` is set. Dropping more than 10 %
of the rows warns, more than 50 % is a DataError unless ``allow_drop``.
The feature transform itself is ``synth.data.table_transform``.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from synth.data.schema import action_of, blank_mask, check_schema, plan_column
from synth.data.table_transform import MODELLED, ColumnSpec, TabularTransformer
from synth.errors import DataError, DataWarning

__all__ = ["CleaningOptions", "CleaningReport", "ColumnSpec", "TabularTransformer", "clean_table"]

# the VAE/GAN/FID report §5.5: "-999, pending, or empty cells", §4.2: "N/A, … non-numeric characters (e.g. L)";
# they mean "missing" only in a column whose other values are numbers
DEFAULT_NA_TOKENS = ("-999", "N/A", "NA", "pending", "L", "")
MISSING_MODES = ("model", "impute", "drop")
WARN_DROP, MAX_DROP = 0.10, 0.50


@dataclass(frozen=True)
class CleaningOptions:
    na_tokens: tuple[str, ...] = DEFAULT_NA_TOKENS
    missing: str = "model"  # "model" (indicator + regenerated), "impute" (median / mode) or "drop" rows
    outlier_z: float | None = None  # drop rows with any numeric |z| above this; None keeps all
    clip: bool = True  # clip generated values to the range seen in training
    max_categories: int = 50  # text columns with more distinct values are free text
    drop_columns: tuple[str, ...] = ()
    schema: dict | None = None  # column → kind, overriding detection
    free_text: str = "omit"  # "omit" (not modelled) or "top" (the 20 most frequent values + "other")
    allow_drop: bool = False  # allow cleaning to drop more than half of the rows

    def __post_init__(self):
        if self.missing not in MISSING_MODES:
            raise DataError(f"missing={self.missing!r} is not an option; use one of {list(MISSING_MODES)}")
        if self.outlier_z is not None and not self.outlier_z > 0:
            raise DataError(f"outlier_z must be positive or None, got {self.outlier_z!r}")
        if self.free_text not in ("omit", "top"):
            raise DataError(f"free_text={self.free_text!r} is not an option; use 'omit' or 'top'")
        object.__setattr__(self, "na_tokens", tuple(str(t) for t in self.na_tokens))
        object.__setattr__(self, "drop_columns", tuple(self.drop_columns))
        object.__setattr__(self, "schema", check_schema(self.schema))


@dataclass
class CleaningReport:
    rows_in: int
    rows_out: int = 0
    rows_used: int = 0
    dropped_missing: int = 0
    dropped_outliers: int = 0
    dropped_missing_label: int = 0
    dropped_by_column: dict = field(default_factory=dict)  # column → rows dropped because of it
    tokens_replaced: dict = field(default_factory=dict)  # column → count
    imputed: dict = field(default_factory=dict)  # column → count
    modelled_missing: dict = field(default_factory=dict)  # column → missing cells kept (and modelled)
    numeric_columns: list = field(default_factory=list)
    categorical_columns: list = field(default_factory=list)
    dtypes: dict = field(default_factory=dict)  # column → dtype name as given
    columns: dict = field(default_factory=dict)  # column → {kind, dtype, missing, distinct, action}
    schema: dict = field(default_factory=dict)  # column → {kind, fmt, tz, top}: what the transform needs
    missing: str = "model"
    warnings: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def clean_table(
    df: pd.DataFrame, *, label: str | None = None, options: CleaningOptions = CleaningOptions()
) -> tuple[pd.DataFrame, pd.Series | None, CleaningReport]:
    """Returns (features in original units with missing cells as NaN, labels or None, report).
    Numeric-looking text columns become float columns; the frame keeps the original column
    order (label removed). Raises DataError naming the problem."""
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame, got {type(df).__name__}")
    if df.shape[0] == 0 or df.shape[1] == 0:
        raise DataError(f"the table is empty ({df.shape[0]} rows × {df.shape[1]} columns)")
    df = df.copy()
    df.columns = [str(c) for c in df.columns]
    if len(set(df.columns)) != len(df.columns):
        dup = sorted({c for c in df.columns if list(df.columns).count(c) > 1})
        raise DataError(f"duplicate column names: {dup}; rename them so each column is unique")
    report = CleaningReport(
        rows_in=int(len(df)), dtypes={c: str(t) for c, t in df.dtypes.items()}, missing=options.missing
    )
    df = df.reset_index(drop=True)
    y = None
    if label is not None:
        if label not in df.columns:
            raise DataError(f"label column {label!r} not found; the columns are {list(df.columns)}")
        y = df.pop(label)
        no_label = blank_mask(y)
        report.dropped_missing_label = int(no_label.sum())
        if no_label.any():
            report.dropped_by_column[label] = int(no_label.sum())
        df, y = df.loc[~no_label], y.loc[~no_label]
        if len(df) < 2:
            report.rows_out = report.rows_used = int(len(df))
            _check_drops(report, options)
    unknown = [c for c in options.drop_columns if c not in df.columns]
    if unknown:
        raise DataError(f"drop_columns names unknown columns {unknown}; the columns are {list(df.columns)}")
    schema = {k: v for k, v in (options.schema or {}).items() if k != label}
    unknown = sorted(set(schema) - set(df.columns))
    if unknown:
        raise DataError(f"the schema names unknown columns {unknown}; the columns are {list(df.columns)}")
    df = df.drop(columns=list(options.drop_columns))
    if df.shape[1] == 0:
        raise DataError("no feature columns left after removing the label and dropped columns")

    plans = [
        plan_column(
            name,
            df[name],
            tokens=options.na_tokens,
            max_categories=options.max_categories,
            kind=schema.get(name),
            free_text=options.free_text,
        )
        for name in df.columns
    ]
    frame = pd.DataFrame({p.name: p.values for p in plans}, index=df.index)
    for p in plans:
        if p.tokens:
            report.tokens_replaced[p.name] = p.tokens
        if p.kind == "numeric":
            report.numeric_columns.append(p.name)
        elif p.kind == "categorical":
            report.categorical_columns.append(p.name)
        report.schema[p.name] = {"kind": p.kind, "fmt": p.fmt, "tz": p.tz, "top": bool(p.extra.get("top"))}
    if not any(p.kind in MODELLED for p in plans):
        raise DataError(
            f"no column to model: {', '.join(f'{p.name!r} is {p.kind}' for p in plans)}; "
            "a table needs at least one numeric, categorical or datetime column (override with a schema)"
        )

    keep = np.ones(len(frame), bool)
    modelled = [p for p in plans if p.kind in MODELLED]
    for p in plans:
        gaps = frame[p.name].isna().to_numpy()
        if not gaps.any() or p.kind == "text":
            continue
        if options.missing == "drop" and p.kind in (*MODELLED, "constant"):
            report.dropped_by_column[p.name] = int((gaps & keep).sum())
            keep &= ~gaps
        elif options.missing == "impute" and p.kind in (*MODELLED, "constant"):
            present = frame[p.name].dropna()
            fill = present.median() if p.kind == "numeric" else present.mode().iloc[0]
            frame[p.name] = frame[p.name].where(~gaps, fill)
            report.imputed[p.name] = int(gaps.sum())
        else:
            report.modelled_missing[p.name] = int(gaps.sum())
    report.dropped_missing = int((~keep).sum())

    if options.outlier_z is not None and len(frame) > 2:
        for p in (p for p in modelled if p.kind == "numeric"):
            values = frame[p.name].to_numpy(float)
            std = np.nanstd(values[keep])
            z = np.abs(values - np.nanmean(values[keep])) / (std if std > 0 else 1.0)
            outlier = np.nan_to_num(z, nan=0.0) > options.outlier_z
            hit = outlier & keep
            if hit.any():
                report.dropped_by_column[p.name] = report.dropped_by_column.get(p.name, 0) + int(hit.sum())
                report.dropped_outliers += int(hit.sum())
                keep &= ~outlier

    frame = frame.loc[keep]
    y = y.loc[keep] if y is not None else None
    report.rows_out = report.rows_used = int(len(frame))
    _check_drops(report, options)
    for p in plans:
        kept = frame[p.name]
        report.columns[p.name] = {
            "kind": p.kind,
            "dtype": p.dtype,
            "missing": int(p.missing.sum()),
            "missing_share": round(float(p.missing.mean()), 4),
            "distinct": int(p.values.nunique()),
            "action": action_of(p, missing=options.missing),
        }
        if p.kind in MODELLED and kept.notna().sum() == 0:
            raise DataError(f"column {p.name!r} has no usable value left after cleaning; drop it")
    return frame.reset_index(drop=True), (y.reset_index(drop=True) if y is not None else None), report


def _check_drops(report: CleaningReport, options: CleaningOptions) -> None:
    dropped = report.rows_in - report.rows_out
    why = ", ".join(f"{c!r}: {k}" for c, k in sorted(report.dropped_by_column.items(), key=lambda kv: -kv[1]) if k)
    if report.rows_out < 2:
        raise DataError(
            f"only {report.rows_out} row(s) left after cleaning ({report.dropped_missing} dropped "
            f"for missing values, {report.dropped_outliers} as outliers, {report.dropped_missing_label} "
            f"without a label; by column: {why or 'none'}); keep rows with missing='model', outlier_z=None or more data"
        )
    share = dropped / report.rows_in
    if share > MAX_DROP and not options.allow_drop:
        raise DataError(
            f"cleaning would drop {dropped} of {report.rows_in} rows ({share:.0%}); rows dropped by column: {why}. "
            "Use missing='model' (the default) or outlier_z=None to keep them, or allow_drop=True (--allow-drop)"
        )
    if share > WARN_DROP:
        message = f"cleaning dropped {dropped} of {report.rows_in} rows ({share:.0%}); rows dropped by column: {why}"
        report.warnings.append(message)
        warnings.warn(message, DataWarning, stacklevel=3)


def summary_lines(report: dict) -> list[str]:
    """The cleaning summary as printed by ``latentsynth train`` / ``demo``."""
    if report.get("streamed"):
        return _streamed_lines(report)
    if not report or "columns" not in report:
        return [f"rows in {report.get('rows_in')}, rows used {report.get('rows_out')}"] if report else []
    lines = [
        f"cleaning: rows in {report['rows_in']}, rows used {report['rows_used']} (missing cells: {report['missing']})"
    ]
    for name, info in report["columns"].items():
        extra = []
        if report["tokens_replaced"].get(name):
            extra.append(f"{report['tokens_replaced'][name]} NA tokens → missing")
        if report["dropped_by_column"].get(name):
            extra.append(f"{report['dropped_by_column'][name]} rows dropped")
        missing = f"{info['missing_share']:.1%} missing" if info["missing"] else "complete"
        lines.append(
            f"  {name}: {info['kind']}, {missing}: {info['action']}" + (f" ({'; '.join(extra)})" if extra else "")
        )
    if report.get("dropped_missing_label"):
        lines.append(f"  {report['dropped_missing_label']} rows without a label dropped")
    lines += [f"  warning: {w}" for w in report.get("warnings", [])]
    return lines


def _streamed_lines(report: dict) -> list[str]:
    held, blank, used = report["rows_held_out"], report["rows_without_label"], report["rows_out"]
    other = report["rows_in"] - held - blank - used
    lines = [
        f"streamed fit: rows in {report['rows_in']}, {held} held out (seeded row hash) for `evaluate`, "
        f"{blank} without a label left out, {used} trained on" + (f", {other} dropped by cleaning" if other else "")
    ]
    kinds = ", ".join(f"{name}: {info['kind']}" for name, info in report["schema"].items())
    lines.append(f"  column kinds from a seeded sample of {report['sample_rows']} rows, checked on all rows: {kinds}")
    return lines
