"""Fréchet Inception Distance that never runs out of memory.

Exactly pytorch-fid's FID: its InceptionV3 (``pytorch_fid.inception``, the
2048-d pool3 block, its bilinear resize to 299×299 and scaling to (−1, 1)),
fed the same float32 batches (see ``image_sources``), with the features'
mean and covariance taken in float64 — so values match ``python -m
pytorch_fid`` on the same files. What differs is memory: images stream
through in batches and only the float64 sums n, Σx, Σxxᵀ are kept
(``FeatureStats``, 32 MiB at d = 2048), never an N×2048 array; and the
Fréchet distance takes tr √(Σ₁Σ₂) from Cholesky factors and a symmetric
eigenproblem (singular values when a covariance is singular,
``gaussian_distance.frechet_distance``) instead of SciPy's ``sqrtm``. The
measured agreement, speed and memory are in docs/benchmarks.md, generated
from benchmarks/results/fid*.json.

Reference statistics can be cached as ``.npz`` keyed by the data's fingerprint
and the extractor (the sha256 of the weights file), written atomically, so a
campaign computes its real side once. ``synth.distributed.fid_distributed``
runs the same streaming on shards across Ray workers and merges their sums.
"""

from __future__ import annotations

import functools
import hashlib
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from synth.errors import ArtifactError, ConfigError, DataError
from synth.metrics.feature_stats import FeatureStats, is_stats_file
from synth.metrics.gaussian_distance import frechet_distance
from synth.metrics.image_sources import ImageSource, as_image_source
from synth.metrics.offline_inception import WEIGHTS_NAME

DIMS = 2048
OFFICIAL_SHA256_PREFIX = "6726825d"  # torch.hub's convention: the file name carries its sha256 prefix
_BUILD_LOCK = threading.Lock()


def default_weights_path() -> Path:
    """Where pytorch-fid keeps its weights: ``$TORCH_HOME/hub/checkpoints/pt_inception-…pth``."""
    return Path(torch.hub.get_dir()) / "checkpoints" / WEIGHTS_NAME


def default_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


@functools.lru_cache(maxsize=8)
def _file_sha256(path: str, size: int, mtime_ns: int) -> str:  # size and mtime make the memo safe
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def _download_weights() -> None:
    from pytorch_fid.inception import FID_WEIGHTS_URL

    try:
        torch.hub.load_state_dict_from_url(FID_WEIGHTS_URL, progress=False)
    except Exception as exc:  # URLError, HTTPError, timeouts, …: all mean "not here, cannot fetch"
        raise ConfigError(
            f"pytorch-fid's Inception weights are not at {default_weights_path()} and could not be "
            f"downloaded ({type(exc).__name__}: {exc}); copy {WEIGHTS_NAME} there "
            "(or set TORCH_HOME), or pass weights=PATH (--weights)"
        ) from None


class InceptionExtractor:
    """pytorch-fid's InceptionV3: (B, 3, H, W) float32 in [0, 1] → (B, 2048) pool3 features.

    ``weights``: the ``.pth`` file (default: pytorch-fid's location, downloaded there if absent
    and possible). ``id`` names the extractor by the file's sha256, so statistics of other
    weights are never mixed in. The network loads lazily, and pickling drops it: a Ray worker
    builds its own (from ``state_bytes`` when the file is not on its machine).
    """

    def __init__(
        self,
        weights: str | Path | None = None,
        *,
        device: str | None = None,
        state_bytes: bytes | None = None,
        sha256: str | None = None,
    ):
        self.device = _check_device(device or default_device())
        self._state_bytes, self._model = state_bytes, None
        if state_bytes is not None:
            self.weights, self.sha256 = None, sha256 or hashlib.sha256(state_bytes).hexdigest()
        else:
            if weights is None and not default_weights_path().is_file():
                _download_weights()
            self.weights = Path(weights) if weights is not None else default_weights_path()
            if not self.weights.is_file():
                raise ConfigError(f"Inception weights file {self.weights} does not exist")
            stat = self.weights.stat()
            self.sha256 = _file_sha256(str(self.weights.resolve()), stat.st_size, stat.st_mtime_ns)
        self.id = f"pytorch-fid-inception-v3-pool3-{DIMS}:sha256={self.sha256[:16]}"

    @property
    def official(self) -> bool:
        """True for pytorch-fid's published weights; any other file proves plumbing, not quality."""
        return self.sha256.startswith(OFFICIAL_SHA256_PREFIX)

    def read_bytes(self) -> bytes:
        return self._state_bytes if self._state_bytes is not None else self.weights.read_bytes()

    def __getstate__(self):
        return {**self.__dict__, "_model": None}

    def model(self) -> torch.nn.Module:
        if self._model is None:
            self._model = _build_inception(self._load_state()).to(self.device).eval()
        return self._model

    def _load_state(self) -> dict:
        import io

        source = io.BytesIO(self._state_bytes) if self._state_bytes is not None else self.weights
        try:
            return torch.load(source, map_location="cpu", weights_only=True)
        except Exception as exc:  # torch raises many types for corrupt or foreign files
            raise ArtifactError(
                f"Inception weights {self.weights or '(bytes)'} could not be loaded safely: {str(exc).splitlines()[0]}"
            ) from None

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        """batch: (B, 3, H, W) float32 in [0, 1] → (B, 2048) float32 on ``self.device``."""
        model = self.model()
        with torch.inference_mode():
            out = model(batch.to(self.device))[0]  # (B, 2048, 1, 1): pool3 is already averaged
        return out.flatten(1)


def _check_device(device: str) -> str:
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError):
        raise ConfigError(f"unknown device {device!r}; use cpu, cuda or cuda:N") from None
    if parsed.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {device!r} asked for, but CUDA is not available here; use --device cpu")
    return str(parsed)


def _build_inception(state: dict) -> torch.nn.Module:
    """``pytorch_fid.inception.InceptionV3([3])`` with ``state`` as its weights. pytorch-fid reads
    weights only from the torch hub cache; handing it the state we loaded (weights_only, from the
    file we hashed) keeps its own constructor and architecture while the id stays honest."""
    from unittest import mock

    from pytorch_fid import inception as fid_inception

    with _BUILD_LOCK, mock.patch.object(fid_inception, "load_state_dict_from_url", lambda *a, **k: state):
        try:
            return fid_inception.InceptionV3([fid_inception.InceptionV3.BLOCK_INDEX_BY_DIM[DIMS]])
        except RuntimeError as exc:  # load_state_dict: missing/unexpected keys, wrong shapes
            raise ArtifactError(
                f"the weights do not fit pytorch-fid's InceptionV3: {str(exc).splitlines()[0]}"
            ) from None


def feature_stats(
    source, *, extractor: Callable | None = None, batch_size: int = 50, progress: Callable[[int], None] | None = None
) -> FeatureStats:
    """Stream ``source`` (anything ``as_image_source`` takes) through ``extractor`` (default
    pytorch-fid's Inception) and keep only n, Σx, Σxxᵀ — accumulated in float64 on the
    extractor's device. ``progress(k)`` is called after each batch of k images."""
    if batch_size < 1:
        raise ConfigError(f"batch_size must be ≥ 1, got {batch_size}")
    source = as_image_source(source)
    extractor = extractor if extractor is not None else InceptionExtractor()
    n, total, outer = 0, None, None
    for batch in source.batches(batch_size):
        features = extractor(batch).to(torch.float64)
        if total is None:
            d = features.shape[1]
            total = torch.zeros(d, dtype=torch.float64, device=features.device)
            outer = torch.zeros(d, d, dtype=torch.float64, device=features.device)
        if not torch.isfinite(features).all():
            raise DataError(f"the feature extractor returned NaN or infinite values on {source.describe()}")
        n += features.shape[0]
        total += features.sum(dim=0)
        outer.addmm_(features.T, features)
        if progress is not None:
            progress(features.shape[0])
    if n == 0:
        raise DataError(f"{source.describe()} holds no images")
    return FeatureStats(n, total.cpu().numpy(), outer.cpu().numpy(), extractor.id, source.fingerprint)


def cache_file(cache_dir: str | Path, *, extractor_id: str, fingerprint: str) -> Path:
    key = hashlib.sha256(f"{extractor_id}\0{fingerprint}".encode()).hexdigest()[:24]
    return Path(cache_dir) / f"fid-stats-{key}.npz"


def cached_stats(
    source: ImageSource,
    *,
    extractor_id: str,
    cache_dir: str | Path | None,
    compute: Callable[[ImageSource], FeatureStats],
) -> tuple[FeatureStats, bool]:
    """(stats, came_from_cache). Sources without a fingerprint (generators, DataLoaders) are
    always computed. A cache file is written atomically only after a complete computation."""
    fingerprint = source.fingerprint if cache_dir is not None else None
    if fingerprint is None:
        return compute(source), False
    path = cache_file(cache_dir, extractor_id=extractor_id, fingerprint=fingerprint)
    if path.is_file():
        try:
            stats = FeatureStats.from_npz(path, extractor=extractor_id)
            if stats.fingerprint == fingerprint and stats.extractor == extractor_id:
                return stats, True
        except ArtifactError as exc:
            warnings.warn(f"ignoring unusable cache file ({exc}); recomputing", stacklevel=2)
    stats = compute(source)
    stats.to_npz(path)
    return stats, False


@dataclass(frozen=True)
class FIDResult:
    fid: float
    n_real: int | None  # None: read from a pytorch-fid file, which does not record it
    n_gen: int | None
    extractor: str
    official_weights: bool
    real_cached: bool = False
    gen_cached: bool = False
    seconds: float = 0.0

    @property
    def note(self) -> str:
        if self.official_weights:
            return ""
        return (
            "stand-in Inception weights (not pytorch-fid's published file): this value shows the pipeline "
            "is exact, not that images are good"
        )

    def to_dict(self) -> dict:
        return {
            "fid": self.fid,
            "n_real": self.n_real,
            "n_gen": self.n_gen,
            "extractor": self.extractor,
            "official_weights": self.official_weights,
            "real_cached": self.real_cached,
            "gen_cached": self.gen_cached,
            "seconds": self.seconds,
            "note": self.note,
        }


def fid_from_stats(real: FeatureStats, gen: FeatureStats) -> float:
    """pytorch-fid's FID of two sets of statistics (same extractor, ≥ 2 images each)."""
    if real.extractor != gen.extractor:
        raise ArtifactError(
            f"the two statistics come from different feature extractors ({real.extractor} vs "
            f"{gen.extractor}); recompute both with the same Inception weights"
        )
    for name, stats in (("real", real), ("generated", gen)):
        if stats.n < 2:
            raise DataError(f"FID needs at least 2 {name} images for a covariance; got {stats.n}")
    return frechet_distance(real.mean(), real.cov(), gen.mean(), gen.cov())


def resolve_stats(
    obj,
    *,
    extractor_id: str,
    compute: Callable[[ImageSource], FeatureStats],
    cache_dir=None,
    n=None,
    seed=0,
    method="random",
    recursive=False,
) -> tuple[FeatureStats, bool]:
    """Statistics of ``obj``: FeatureStats as given, a stats ``.npz`` read (and checked against
    ``extractor_id``), anything else streamed through ``compute`` (with the cache)."""
    if isinstance(obj, FeatureStats):
        return obj, False
    if isinstance(obj, (str, Path)) and is_stats_file(obj):
        stats = FeatureStats.from_npz(obj, extractor=extractor_id)
        if not stats.exact_n:
            warnings.warn(
                f"{obj} records no feature extractor (a pytorch-fid file); assuming it was computed "
                "with the same Inception weights",
                stacklevel=2,
            )
            stats = FeatureStats(stats.n, stats.total, stats.outer, extractor_id, stats.fingerprint, False)
        return stats, True
    source = as_image_source(obj, n=n, seed=seed, method=method, recursive=recursive)
    return cached_stats(source, extractor_id=extractor_id, cache_dir=cache_dir, compute=compute)


def fid_score(
    real,
    gen,
    *,
    batch_size: int = 50,
    device: str | None = None,
    weights=None,
    cache_dir=None,
    n: int | None = None,
    seed: int = 0,
    method: str = "random",
    recursive: bool = False,
    extractor: InceptionExtractor | None = None,
    compute: Callable[[ImageSource], FeatureStats] | None = None,
) -> FIDResult:
    """FID between ``real`` and ``gen`` in this process.

    Each side: an image folder, ``.npy``/``.npz`` images, a statistics ``.npz``, ``model:PATH``,
    an array, a DataLoader, a trained image LatentSynthesizer or a ``sample(n, seed)`` function
    (``n`` images drawn with ``seed`` on the generated side, ``seed + 1`` on the real side).
    ``cache_dir`` caches the statistics of folders and arrays. ``compute`` replaces the
    in-process streaming (``synth.distributed`` passes its sharded version).
    """
    started = time.perf_counter()
    extractor = extractor or InceptionExtractor(weights, device=device)
    compute = compute or (lambda source: feature_stats(source, extractor=extractor, batch_size=batch_size))
    options = dict(
        extractor_id=extractor.id, compute=compute, cache_dir=cache_dir, n=n, method=method, recursive=recursive
    )
    real_stats, real_cached = resolve_stats(real, seed=seed + 1, **options)
    gen_stats, gen_cached = resolve_stats(gen, seed=seed, **options)
    value = fid_from_stats(real_stats, gen_stats)
    counts = [s.n if s.exact_n else None for s in (real_stats, gen_stats)]
    return FIDResult(
        value, *counts, extractor.id, extractor.official, real_cached, gen_cached, time.perf_counter() - started
    )
