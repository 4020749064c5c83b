"""Where data comes from: embedded scikit-learn sets by name, or a CSV path (SPEC §3).

``load_source`` returns a ``RawData`` that the synthesizer's ``fit`` takes.
No network: the embedded sets ship inside scikit-learn.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from synth.errors import DataError

EMBEDDED = ("iris", "wine", "breast_cancer", "digits")


@dataclass
class RawData:
    name: str
    kind: str                           # "tabular" | "image" | "record"
    data: pd.DataFrame | np.ndarray
    labels: np.ndarray | None = None    # for arrays
    label_column: str | None = None     # for tables

    @property
    def y(self):
        """What ``LatentSynthesizer.fit(data, y=…)`` takes."""
        return self.label_column if self.kind == "tabular" else self.labels


def load_embedded(name: str) -> RawData:
    """iris / wine / breast_cancer as labelled DataFrames; digits as (1797, 1, 8, 8) images 0..16."""
    from sklearn import datasets

    if name == "digits":
        bunch = datasets.load_digits()
        return RawData("digits", "image", bunch.images[:, None].astype(np.float32), labels=bunch.target.copy())
    loaders = {"iris": (datasets.load_iris, "species"), "wine": (datasets.load_wine, "cultivar"),
               "breast_cancer": (datasets.load_breast_cancer, "diagnosis")}
    if name not in loaders:
        raise DataError(f"unknown embedded data set {name!r}; choose one of {list(EMBEDDED)}")
    loader, label = loaders[name]
    bunch = loader()
    columns = [c.replace(" (cm)", "").replace(" ", "_") for c in bunch.feature_names]
    frame = pd.DataFrame(bunch.data, columns=columns)
    frame[label] = np.asarray(bunch.target_names)[bunch.target]
    return RawData(name, "tabular", frame, label_column=label)


def read_csv(path: str | Path) -> pd.DataFrame:
    """A CSV file as strings-and-numbers; every failure is a DataError naming the file."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"file not found: {path}")
    if path.is_dir():
        raise DataError(f"{path} is a directory, expected a CSV file")
    if path.stat().st_size == 0:
        raise DataError(f"{path} is empty")
    with open(path, "rb") as handle:
        if b"\x00" in handle.read(8192):
            raise DataError(f"{path} is not a text CSV file (it holds binary data)")
    try:
        # Missing-value tokens are the cleaner's job, so that its report can count them.
        frame = pd.read_csv(path, keep_default_na=False, na_values=[], skipinitialspace=True)
    except UnicodeDecodeError:
        raise DataError(f"{path} is not a text CSV file (it could not be decoded as UTF-8)") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise DataError(f"{path} could not be read as CSV: {str(exc).splitlines()[0]}") from None
    if frame.shape[0] == 0:
        raise DataError(f"{path} has a header but no data rows")
    return frame


def load_source(source: str, *, label: str | None = None) -> RawData:
    """An embedded name or a CSV path. ``label`` names the label column of a CSV."""
    source = str(source)
    if source in EMBEDDED:
        raw = load_embedded(source)
        if label is not None and raw.kind == "tabular" and label != raw.label_column:
            raise DataError(f"{source} has label column {raw.label_column!r}, not {label!r}")
        return raw
    path = Path(source)
    if path.suffix.lower() in (".npy", ".npz") or path.is_dir():
        raise DataError(f"{source}: image and record sources are not supported by this build; "
                        f"use a CSV file or one of {list(EMBEDDED)}")
    if not path.exists() and path.suffix == "" and "/" not in source:
        raise DataError(f"unknown data set {source!r}: not a file, and not one of {list(EMBEDDED)}")
    frame = read_csv(path)
    if label is not None and label not in frame.columns:
        raise DataError(f"label column {label!r} not found in {source}; the columns are {list(frame.columns)}")
    return RawData(path.stem, "tabular", frame, label_column=label)
