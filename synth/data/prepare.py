"""Raw user input → what a model trains on: a float32 array in [0, 1], labels, and
the reversible transform. One entry point for tables, images and 2-D records."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from synth.data.images import ImageTransformer, as_image_batch
from synth.data.records import RecordTransformer, as_record_batch
from synth.data.tabular import CleaningOptions, TabularTransformer, clean_table
from synth.errors import DataError

_LABEL = "__latentsynth_label__"


@dataclass
class PreparedData:
    kind: str  # "tabular" | "image" | "record"
    X: np.ndarray  # (n, features), (n, C, H, W) or (n, H, W) float32 in model space
    labels: np.ndarray | None  # (n,) Python-native label values, or None
    transformer: object  # TabularTransformer | ImageTransformer | RecordTransformer
    label_name: str | None
    label_dtype: str | None
    report: dict  # cleaning report (rows in/out and why)
    frame: pd.DataFrame | None = None  # cleaned table in original units (tabular)


def native_values(values) -> np.ndarray:
    """Labels as a 1-D object array of Python scalars (JSON-able cluster names)."""
    arr = np.asarray(values)
    return np.array([v.item() if isinstance(v, np.generic) else v for v in arr.ravel()], dtype=object)


def prepare_data(
    X,
    y=None,
    *,
    options: CleaningOptions = CleaningOptions(),
    data_kind: str | None = None,
    image_range: tuple[float, float] | None = None,
    record_crop=None,
    record_log: bool = False,
) -> PreparedData:
    """``X``: DataFrame (tabular), array (N, C, H, W) / (N, H, W) images, or with
    ``data_kind="record"`` (N, H, W) 2-D records (cropped / log-scaled by option).
    ``y``: a column name of X, an array of n labels, or None (unlabelled)."""
    if isinstance(X, pd.DataFrame):
        if data_kind not in (None, "tabular"):
            raise DataError(f"got a table (DataFrame), but this model takes {data_kind} data")
        return _prepare_table(X, y, options)
    if data_kind not in (None, "image", "record"):
        raise DataError(f"this model takes {data_kind} data (a DataFrame), not an array")
    if isinstance(X, (list, tuple)):
        X = np.asarray(X)
    if not isinstance(X, np.ndarray):
        raise DataError(f"expected a pandas DataFrame or a numpy array, got {type(X).__name__}")
    if data_kind == "record":
        arrays = as_record_batch(X)
        transformer = RecordTransformer().fit(arrays, crop=record_crop, log=record_log)
    else:
        arrays = as_image_batch(X)
        transformer = ImageTransformer().fit(arrays, value_range=image_range)
    labels = None
    if y is not None:
        if isinstance(y, str):
            raise DataError("y names a column, but the data is an array; pass the labels as an array")
        labels = native_values(y)
        if len(labels) != len(arrays):
            raise DataError(f"got {len(labels)} labels for {len(arrays)} {data_kind or 'image'}s")
    report = {
        "rows_in": int(len(arrays)),
        "rows_out": int(len(arrays)),
        "shape": list(arrays.shape[1:]),
        "value_range": [transformer.low_, transformer.high_],
    }
    label_dtype = str(np.asarray(y).dtype) if y is not None else None
    return PreparedData(
        data_kind or "image", transformer.transform(arrays), labels, transformer, None, label_dtype, report
    )


def cleaning_options(cfg) -> CleaningOptions:
    """The cleaning a ``SynthConfig`` asks for."""
    return CleaningOptions(
        na_tokens=cfg.na_tokens,
        missing=cfg.missing,
        outlier_z=cfg.outlier_z,
        clip=cfg.clip,
        drop_columns=cfg.drop_columns,
        schema=cfg.schema,
        free_text=cfg.free_text,
        allow_drop=cfg.allow_drop,
    )


def _prepare_table(df: pd.DataFrame, y, options: CleaningOptions) -> PreparedData:
    label = None
    if isinstance(y, str):
        label = y
    elif y is not None:
        labels = np.asarray(y)
        if labels.ndim != 1 or len(labels) != len(df):
            raise DataError(f"y must be a column name or {len(df)} labels, got shape {labels.shape}")
        if _LABEL in df.columns:
            raise DataError(f"column name {_LABEL!r} is reserved")
        df = df.assign(**{_LABEL: labels})
        label = _LABEL
    frame, labels, report = clean_table(df, label=label, options=options)
    transformer = TabularTransformer(clip=options.clip).fit(frame, dtypes=report.dtypes, schema=report.schema)
    label_dtype = report.dtypes.get(label) if label else None
    return PreparedData(
        "tabular",
        transformer.transform(frame),
        native_values(labels) if labels is not None else None,
        transformer,
        None if label in (None, _LABEL) else label,
        label_dtype,
        report.to_dict(),
        frame,
    )


def feature_schema(transformer, data_kind: str) -> dict:
    """Columns with kinds, dtypes and categories or ranges (tables); shape and range (arrays)."""
    if data_kind != "tabular":
        return {
            "shape": list(transformer.shape_),
            "dtype": transformer.dtype_,
            "value_range": [transformer.low_, transformer.high_],
        }
    columns = []
    for c in transformer.columns_:
        extra = {"categories": list(c.categories)} if c.kind == "categorical" else {}
        if c.kind in ("numeric", "datetime"):
            extra = {"min": c.minimum, "max": c.maximum}
        rates = transformer.missing_rates_.get(c.name)
        columns.append({"name": c.name, "kind": c.kind, "dtype": c.dtype, **extra, "missing_rates": rates})
    return {"columns": columns}
