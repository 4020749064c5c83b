"""Raw user input → what a model trains on: a float32 matrix in [0, 1], labels, and
the reversible transform (SPEC §3). One entry point for tables and images."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from synth.data.images import ImageTransformer, as_image_batch
from synth.data.tabular import CleaningOptions, TabularTransformer, clean_table
from synth.errors import DataError

_LABEL = "__latentsynth_label__"


@dataclass
class PreparedData:
    kind: str                      # "tabular" | "image"
    X: np.ndarray                  # (n, features) or (n, C, H, W) float32 in model space
    labels: np.ndarray | None      # (n,) Python-native label values, or None
    transformer: object            # TabularTransformer | ImageTransformer
    label_name: str | None
    label_dtype: str | None
    report: dict                   # cleaning report (rows in/out and why)
    frame: pd.DataFrame | None = None  # cleaned table in original units (tabular)


def _native(values) -> np.ndarray:
    """Labels as a 1-D object array of Python scalars (JSON-able cluster names)."""
    arr = np.asarray(values)
    return np.array([v.item() if isinstance(v, np.generic) else v for v in arr.ravel()], dtype=object)


def prepare_data(X, y=None, *, options: CleaningOptions = CleaningOptions(), data_kind: str | None = None,
                 image_range: tuple[float, float] | None = None) -> PreparedData:
    """``X``: DataFrame (tabular) or array (N, C, H, W) / (N, H, W) images.
    ``y``: a column name of X, an array of n labels, or None (unlabelled)."""
    if isinstance(X, pd.DataFrame):
        return _prepare_table(X, y, options)
    if data_kind not in (None, "image"):
        raise DataError(f"data_kind {data_kind!r} needs a matching loader; arrays are read as images here")
    if isinstance(X, (list, tuple)):
        X = np.asarray(X)
    if not isinstance(X, np.ndarray):
        raise DataError(f"expected a pandas DataFrame or a numpy array, got {type(X).__name__}")
    images = as_image_batch(X)
    labels = None
    if y is not None:
        if isinstance(y, str):
            raise DataError("y names a column, but the data is an array; pass the labels as an array")
        labels = _native(y)
        if len(labels) != len(images):
            raise DataError(f"got {len(labels)} labels for {len(images)} images")
    transformer = ImageTransformer().fit(images, value_range=image_range)
    report = {"rows_in": int(len(images)), "rows_out": int(len(images)), "shape": list(images.shape[1:]),
              "value_range": [transformer.low_, transformer.high_]}
    label_dtype = str(np.asarray(y).dtype) if y is not None else None
    return PreparedData("image", transformer.transform(images), labels, transformer, None, label_dtype, report)


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
    transformer = TabularTransformer(clip=options.clip).fit(frame, dtypes=report.dtypes)
    label_dtype = report.dtypes.get(label) if label else None
    return PreparedData("tabular", transformer.transform(frame), _native(labels) if labels is not None else None,
                        transformer, None if label in (None, _LABEL) else label, label_dtype, report.to_dict(),
                        frame)
