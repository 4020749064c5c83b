"""Streaming feature statistics for FID: n, Σx, Σxxᵀ in float64.

Only these sums are kept, never the features themselves, so memory is O(d²)
whatever the number of images. Sums of disjoint shards add up to the sums of
the whole, so ``merge`` is exact up to float64 round-off and the order of the
shards does not matter. Mean and covariance come out as pytorch-fid's
``np.mean(act, axis=0)`` and ``np.cov(act, rowvar=False)`` (ddof = 1).

Every set of statistics names the feature extractor that produced it (e.g.
the sha256 of the Inception weights file) and, when known, a fingerprint of
the data; statistics of different extractors refuse to merge or compare.
Stored as ``.npz`` with pytorch-fid's keys ``mu`` and ``sigma`` (so
``python -m pytorch_fid stats.npz folder/`` reads our files) plus ``n`` and
the two ids.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synth.errors import ArtifactError, DataError

FORMAT = "latentsynth-fid-stats-1"


@dataclass(frozen=True, eq=False)  # arrays inside: compare with np.allclose, not ==
class FeatureStats:
    """Running sums of feature vectors.

    n: images seen; total: (d,) Σx; outer: (d, d) Σxxᵀ, both float64;
    extractor: id of the feature extractor; fingerprint: id of the data or None.
    """

    n: int
    total: np.ndarray
    outer: np.ndarray
    extractor: str
    fingerprint: str | None = None
    exact_n: bool = True  # False for pytorch-fid files, which do not record n: they cannot merge

    @classmethod
    def empty(cls, d: int, *, extractor: str, fingerprint: str | None = None) -> FeatureStats:
        return cls(0, np.zeros(d), np.zeros((d, d)), extractor, fingerprint)

    @classmethod
    def from_features(cls, X, *, extractor: str, fingerprint: str | None = None) -> FeatureStats:
        """X: (n, d) features → their sums (float64)."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2:
            raise DataError(f"features must be a 2-D array (n, d); got shape {X.shape}")
        if not np.isfinite(X).all():
            raise DataError("features contain NaN or infinite values")
        return cls(X.shape[0], X.sum(axis=0), X.T @ X, extractor, fingerprint)

    @property
    def dim(self) -> int:
        return int(self.total.shape[0])

    def merge(self, other: FeatureStats, *, fingerprint: str | None = None) -> FeatureStats:
        """Statistics of the union of two disjoint sets of images."""
        self._check_same_extractor(other)
        if not (self.exact_n and other.exact_n):
            raise DataError(
                "statistics read from a pytorch-fid file do not record how many images they "
                "summarise, so they cannot be merged; recompute them with latentsynth"
            )
        if other.dim != self.dim:
            raise DataError(f"cannot merge statistics of {self.dim}-d and {other.dim}-d features")
        return FeatureStats(
            self.n + other.n, self.total + other.total, self.outer + other.outer, self.extractor, fingerprint
        )

    def _check_same_extractor(self, other: FeatureStats) -> None:
        if other.extractor != self.extractor:
            raise ArtifactError(
                f"statistics come from different feature extractors ({self.extractor} vs "
                f"{other.extractor}); recompute both with the same Inception weights"
            )

    def mean(self) -> np.ndarray:
        """(d,) float64, the features' mean."""
        self._require(1)
        return self.total / self.n

    def cov(self) -> np.ndarray:
        """(d, d) float64, the unbiased covariance (ddof = 1, as ``np.cov``)."""
        self._require(2)
        mu = self.total / self.n
        sigma = (self.outer - self.n * np.outer(mu, mu)) / (self.n - 1)
        return (sigma + sigma.T) / 2.0

    def _require(self, n: int) -> None:
        if self.n < n:
            raise DataError(f"need at least {n} images for a {'covariance' if n > 1 else 'mean'}; got {self.n}")

    # ---------------------------------------------------------------- npz
    def to_npz(self, path: str | Path) -> Path:
        """Write ``mu``, ``sigma`` (pytorch-fid's keys), ``n`` and the ids; atomic: a temporary
        file in the same directory renamed into place, removed if anything fails."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = {
            "mu": self.mean(),
            "sigma": self.cov(),
            "n": np.int64(self.n),
            "format": np.str_(FORMAT),
            "extractor": np.str_(self.extractor),
            "fingerprint": np.str_(self.fingerprint or ""),
        }
        handle = tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False)
        try:
            with handle:
                np.savez(handle, **arrays)
            os.replace(handle.name, path)
        except BaseException:
            Path(handle.name).unlink(missing_ok=True)
            raise
        return path

    @classmethod
    def from_npz(cls, path: str | Path, *, extractor: str | None = None) -> FeatureStats:
        """Read a file written by ``to_npz`` or by pytorch-fid (``mu``/``sigma`` only; those carry
        no extractor id and are taken to come from ``extractor``). With ``extractor`` given, a
        file of another extractor is an ArtifactError."""
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as npz:
                if not {"mu", "sigma"} <= set(npz.files):
                    raise ArtifactError(
                        f"{path} holds no FID statistics (keys {sorted(npz.files)}; expected 'mu' and 'sigma')"
                    )
                mu, sigma = np.asarray(npz["mu"], np.float64), np.asarray(npz["sigma"], np.float64)
                n = int(npz["n"]) if "n" in npz.files else None
                stored = str(npz["extractor"]) if "extractor" in npz.files else None
                fingerprint = str(npz["fingerprint"]) if "fingerprint" in npz.files else ""
        except ArtifactError:
            raise
        except (OSError, ValueError, KeyError) as exc:
            raise ArtifactError(f"{path} is not a readable statistics file: {str(exc).splitlines()[0]}") from None
        d = mu.shape[0] if mu.ndim == 1 else -1
        if mu.ndim != 1 or sigma.shape != (d, d) or not (np.isfinite(mu).all() and np.isfinite(sigma).all()):
            raise ArtifactError(f"{path} has unusable statistics: mu {mu.shape}, sigma {sigma.shape}")
        if extractor is not None and stored is not None and stored != extractor:
            raise ArtifactError(
                f"{path} was computed with feature extractor {stored}, not {extractor}; "
                "statistics of different Inception weights are not comparable: delete the "
                "file or recompute it with the same weights"
            )
        exact_n = n is not None
        n = n if exact_n else 2  # a pytorch-fid file: mean and cov do not depend on the n chosen here
        # Rebuild the sums so that mean() and cov() give mu and sigma back.
        return cls(
            n,
            mu * n,
            sigma * (n - 1) + n * np.outer(mu, mu),
            stored or extractor or "unknown",
            fingerprint or None,
            exact_n,
        )


def is_stats_file(path: str | Path) -> bool:
    """True for an ``.npz`` holding ``mu`` and ``sigma`` (ours or pytorch-fid's)."""
    path = Path(path)
    if path.suffix.lower() != ".npz" or not path.is_file():
        return False
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {"mu", "sigma"} <= set(npz.files)
    except (OSError, ValueError):
        return False
