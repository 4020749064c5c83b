"""Labelled data → one cluster per label (Feyiz & Ozkazanc 2026, doi 10.1109/access.2026.3692685, component 2).

``LabelPartition`` turns arbitrary hashable labels (str, int, bool, float)
into consecutive int codes 0..K-1 in sorted label order, so the codes feed
``ClusterGaussians`` and the class names go to JSON unchanged.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._checks import as_latents


class UnknownLabelError(KeyError, ValueError):
    """A label the partition was not fitted on (catchable as KeyError or ValueError)."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0]) if self.args else ""


def _to_python(value):
    """A JSON-able Python scalar for a label: numpy scalars → int/float/str/bool."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        raise ValueError(f"label {value!r} is not a usable class name; drop or fill those rows.")
    if value is None:
        raise ValueError("label None is not a usable class name; drop or fill those rows.")
    if not isinstance(value, (str, numbers.Integral, numbers.Real)):
        raise ValueError(
            f"label {value!r} of type {type(value).__name__} is not JSON-able; use str or int class labels."
        )
    return value


def _as_label_list(y, name: str) -> list:
    arr = y if isinstance(y, np.ndarray) else None
    if arr is not None and arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (n,), got shape {arr.shape}.")
    if isinstance(y, (str, bytes)) or not hasattr(y, "__len__"):
        raise ValueError(f"{name} must be a 1-D sequence of labels, got {type(y).__name__}.")
    # element-wise (not np.asarray) so [1, "1"] stay two labels instead of both becoming "1"
    return [_to_python(v) for v in y]


class LabelPartition:
    """One cluster per distinct label.

    Learned: ``classes_`` sorted unique labels (Python list of int/str/…),
    ``labels_`` (n,) int64 codes into ``classes_``, ``n_clusters_`` K.
    """

    def fit(self, Z, y) -> LabelPartition:
        """Z: (n, d) latents (checked for shape and finiteness); y: (n,) labels."""
        Z = as_latents(Z)
        labels = _as_label_list(y, "y")
        if len(labels) != Z.shape[0]:
            raise ValueError(f"y has {len(labels)} labels but Z has {Z.shape[0]} rows; pass one label per row.")
        try:
            classes = sorted(set(labels))
        except TypeError:
            kinds = sorted({type(v).__name__ for v in labels})
            raise ValueError(f"labels mix types {kinds} that cannot be ordered; convert them all to str.") from None
        self.classes_ = classes
        self.n_clusters_ = len(classes)
        index = {c: i for i, c in enumerate(classes)}
        self.labels_ = np.fromiter((index[v] for v in labels), dtype=np.int64, count=len(labels))
        return self

    @classmethod
    def from_classes(cls, classes) -> LabelPartition:
        """A fitted partition from stored ``classes_`` (e.g. read back from model.json).

        ``labels_`` (the training codes) is not restored.
        """
        labels = _as_label_list(list(classes), "classes")
        try:
            ordered = sorted(set(labels))
        except TypeError:
            ordered = None
        if not labels or ordered != labels:
            raise ValueError(f"classes must be a non-empty, sorted list of distinct labels, got {labels!r}.")
        partition = cls()
        partition.classes_ = labels
        partition.n_clusters_ = len(labels)
        return partition

    def _check_fitted(self) -> None:
        if not hasattr(self, "classes_"):
            raise ValueError("This LabelPartition is not fitted yet; call fit(Z, y) first.")

    def transform(self, y) -> np.ndarray:
        """Codes of labels y: (n,) → (n,) int64. Unknown labels raise ``UnknownLabelError``."""
        self._check_fitted()
        labels = _as_label_list(y, "y")
        index = {c: i for i, c in enumerate(self.classes_)}
        unknown = [v for v in dict.fromkeys(labels) if v not in index]
        if unknown:
            raise UnknownLabelError(f"unknown label(s) {unknown[:5]}; this partition knows {self.classes_}.")
        return np.fromiter((index[v] for v in labels), dtype=np.int64, count=len(labels))

    def inverse_transform(self, codes) -> list:
        """Labels of int codes: (n,) → list of n class labels."""
        self._check_fitted()
        codes = np.asarray(codes)
        if codes.ndim != 1 or (codes.size and codes.dtype.kind not in "iu"):
            raise ValueError(f"codes must be a 1-D int array, got shape {codes.shape}, dtype {codes.dtype}.")
        bad = codes[(codes < 0) | (codes >= self.n_clusters_)]
        if bad.size:
            raise ValueError(f"code {int(bad[0])} is out of range; this partition has codes 0..{self.n_clusters_ - 1}.")
        return [self.classes_[i] for i in codes.tolist()]
