"""Where data comes from: embedded scikit-learn sets and torchvision sets by
name, a CSV file, an image folder, a ``.npy``/``.npz`` array of images or 2-D records.

``load_source`` returns a ``RawData`` that the synthesizer's ``fit`` takes.
No network unless asked: the embedded sets ship inside scikit-learn, the
torchvision sets are read from ``root`` and downloaded only with ``download``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from synth.data.parquet import is_parquet_source, read_parquet_source
from synth.errors import DataError

EMBEDDED = ("iris", "wine", "breast_cancer", "digits")


@dataclass
class RawData:
    name: str
    kind: str  # "tabular" | "image" | "record"
    data: pd.DataFrame | np.ndarray
    labels: np.ndarray | None = None  # for arrays
    label_column: str | None = None  # for tables

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
    loaders = {
        "iris": (datasets.load_iris, "species"),
        "wine": (datasets.load_wine, "cultivar"),
        "breast_cancer": (datasets.load_breast_cancer, "diagnosis"),
    }
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


def _array_source(path: Path, *, label: str | None, kind: str | None, image_size) -> RawData:
    from synth.data.arrays import as_channels_first, read_array_file
    from synth.data.images import as_image_batch
    from synth.data.records import as_record_batch

    X, y = read_array_file(path, label=label)
    if kind == "record":
        return RawData(path.stem, "record", as_record_batch(X), labels=y)
    X = as_image_batch(as_channels_first(X))
    if image_size is not None:
        from PIL import Image

        from synth.data.image_folder import images_to_array

        if X.dtype != np.uint8:
            raise DataError("image_size resizes 8-bit images only; resize float arrays before saving them")
        mode = "L" if X.shape[1] == 1 else "RGB"
        X = images_to_array(
            [Image.fromarray(x[0] if mode == "L" else x.transpose(1, 2, 0), mode) for x in X],
            image_size=image_size,
            channels=X.shape[1],
        )
    return RawData(path.stem, "image", X, labels=y)


def load_source(
    source: str,
    *,
    label: str | None = None,
    kind: str | None = None,
    root=None,
    download: bool = False,
    image_size=None,
    split: str = "train",
) -> RawData:
    """An embedded name, a torchvision name, a CSV path, an image folder, or a .npy/.npz file.

    ``label``: the label column of a CSV, or the label key of a .npz. ``kind="record"`` reads an
    array file as 2-D records (N, H, W) instead of images. ``root``/``download``/``split``: for the
    torchvision sets (mnist, fashion_mnist, cifar10, flowers102). ``image_size``: int or (H, W)
    that image folders, Flowers102 and 8-bit arrays are brought to."""
    from synth.data.torchvision_sets import TORCHVISION_SETS, load_torchvision

    source = str(source)
    if kind not in (None, "tabular", "image", "record"):
        raise DataError(f"kind must be 'tabular', 'image' or 'record', got {kind!r}")
    if source in EMBEDDED:
        raw = load_embedded(source)
        if label is not None and raw.kind == "tabular" and label != raw.label_column:
            raise DataError(f"{source} has label column {raw.label_column!r}, not {label!r}")
        return raw
    path = Path(source)
    if source.lower() in TORCHVISION_SETS and not path.exists():
        X, y = load_torchvision(
            source.lower(), root=root or "data", download=download, split=split, image_size=image_size
        )
        return RawData(source.lower(), "image", X, labels=y)
    if path.suffix.lower() in (".npy", ".npz"):
        return _array_source(path, label=label, kind=kind, image_size=image_size)
    if is_parquet_source(source):
        return _with_label(read_parquet_source(source), label, source, path.stem or "parquet")
    if path.is_dir():
        from synth.data.image_folder import load_image_folder

        X, y = load_image_folder(path, image_size=image_size)
        return RawData(path.name, "image", X, labels=y)
    from synth.data.image_folder import IMAGE_EXTENSIONS

    if path.suffix.lower() in IMAGE_EXTENSIONS:
        raise DataError(
            f"{source} is a single image; point --data at a folder of images (one sub-folder per class for labels)"
        )
    if not path.exists() and path.suffix == "" and "/" not in source:
        raise DataError(
            f"unknown data set {source!r}: not a file or folder, and not one of "
            f"{list(EMBEDDED) + list(TORCHVISION_SETS)}"
        )
    return _with_label(read_csv(path), label, source, path.stem)


def _with_label(frame: pd.DataFrame, label: str | None, source: str, name: str) -> RawData:
    if label is not None and label not in frame.columns:
        raise DataError(f"label column {label!r} not found in {source}; the columns are {list(frame.columns)}")
    return RawData(name, "tabular", frame, label_column=label)
