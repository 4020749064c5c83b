"""Where FID's images come from, one batch at a time.

Every source yields float32 batches (B, 3, H, W) in [0, 1], exactly what
pytorch-fid hands its InceptionV3: files are opened with PIL, converted with
``.convert('RGB')`` (L, P, RGBA, … all work) and turned into tensors by
torchvision's ``ToTensor``; uint8 arrays are divided by 255 the same way.
Images of different sizes may share a batch: then each is resized to 299×299
on its own, with the same bilinear interpolation the network applies to a
batch (bit-identical), instead of failing to stack as pytorch-fid does.

Sources: ``FolderImages`` (a directory), ``ArrayImages`` (an array, ``.npy``
or ``.npz``), ``LoaderImages`` (a torch DataLoader), ``GeneratedImages``
(a sampler ``sample(n, seed) -> images`` drawn on the fly, e.g. a trained
LatentSynthesizer through ``ModelSampler``). ``shard(k, K)`` gives the k-th of
K disjoint parts, for sharded FID; a ``fingerprint`` names the data for the
statistics cache (None when the data cannot be named cheaply).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from synth.errors import ConfigError, DataError

# pytorch_fid.fid_score.IMAGE_EXTENSIONS; we match them case-insensitively (pytorch-fid skips "x.PNG").
IMAGE_EXTENSIONS = ("bmp", "jpg", "jpeg", "pgm", "png", "ppm", "tif", "tiff", "webp")
INCEPTION_SIZE = 299


def _sha256(*parts) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part if isinstance(part, (bytes, memoryview)) else str(part).encode())
        digest.update(b"\0")
    return digest.hexdigest()


def to_unit_batch(images) -> torch.Tensor:
    """Images as an array → (B, 3, H, W) float32 in [0, 1], as ``ToTensor`` + ``convert('RGB')``.

    images: (B, C, H, W) or (B, H, W, C) with C ∈ {1, 3, 4}, or (B, H, W) grey;
    uint8 (0..255, divided by 255) or floats already in [0, 1]. One channel
    is repeated three times (PIL's L → RGB); a fourth (alpha) is dropped
    (PIL's RGBA → RGB).
    """
    x = images if isinstance(images, torch.Tensor) else torch.from_numpy(np.asarray(images))
    if x.ndim == 3:
        x = x[:, None]
    if x.ndim != 4:
        raise DataError(f"images must have shape (N, C, H, W), (N, H, W, C) or (N, H, W); got {tuple(x.shape)}")
    if x.shape[1] not in (1, 3, 4):
        if x.shape[-1] not in (1, 3, 4):
            raise DataError(
                f"images must have 1, 3 or 4 channels in axis 1 or in the last axis; got shape {tuple(x.shape)}"
            )
        x = x.permute(0, 3, 1, 2)
    if x.dtype == torch.uint8:
        x = x.contiguous().to(torch.float32).div(255)  # ToTensor's arithmetic, bit for bit
    elif x.is_floating_point():
        x = x.to(torch.float32)
        if x.numel() and not (torch.isfinite(x).all() and x.min() >= 0 and x.max() <= 1):
            low, high = float(x.min()), float(x.max())
            raise DataError(
                f"float images must lie in [0, 1] (pytorch-fid's input range); got values "
                f"{low:.4g}..{high:.4g}: scale them, or pass uint8 0..255"
            )
    else:
        raise DataError(f"images must be uint8 (0..255) or floats in [0, 1]; got dtype {x.dtype}")
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    elif x.shape[1] == 4:
        x = x[:, :3]
    return x.contiguous()


def stack_images(images: list[torch.Tensor]) -> torch.Tensor:
    """(3, Hᵢ, Wᵢ) tensors → one batch. Equal sizes stack as they are (the network resizes the
    batch); mixed sizes are resized one by one to 299×299 first, which gives the same numbers."""
    if len({tuple(t.shape) for t in images}) == 1:
        return torch.stack(images)
    return torch.cat(
        [
            F.interpolate(t[None], size=(INCEPTION_SIZE, INCEPTION_SIZE), mode="bilinear", align_corners=False)
            for t in images
        ]
    )


class ImageSource:
    """A finite stream of images. ``batches(b)`` yields (≤ b, 3, H, W) float32 in [0, 1]."""

    fingerprint: str | None = None

    def __len__(self) -> int:
        raise NotImplementedError

    def batches(self, batch_size: int) -> Iterator[torch.Tensor]:
        raise NotImplementedError

    def shard(self, index: int, count: int) -> ImageSource:
        raise ConfigError(f"{self.describe()} cannot be split into shards; use one worker")

    def describe(self) -> str:
        return type(self).__name__


def _block(n: int, index: int, count: int) -> tuple[int, int]:
    """Contiguous part ``index`` of ``count`` of range(n), sizes differing by at most one."""
    if not 0 <= index < count:
        raise ConfigError(f"shard index must be in [0, {count}), got {index}")
    return n * index // count, n * (index + 1) // count


class FolderImages(ImageSource):
    """The image files of a directory (pytorch-fid's extensions, any case), in sorted order.
    ``recursive`` also takes the files of sub-folders (pytorch-fid does not)."""

    def __init__(self, path: str | Path, *, recursive: bool = False, files: list[str] | None = None):
        self.path, self.recursive = Path(path), recursive
        if files is None:
            files = self._list()
            self.fingerprint = self._fingerprint(files)
        self.files = files

    def _list(self) -> list[str]:
        if not self.path.is_dir():
            raise DataError(f"{self.path} is not a directory")
        pattern = "**/*" if self.recursive else "*"
        files = sorted(
            str(p) for p in self.path.glob(pattern) if p.suffix[1:].lower() in IMAGE_EXTENSIONS and p.is_file()
        )
        if not files:
            deeper = (
                0
                if self.recursive
                else sum(1 for p in self.path.glob("**/*") if p.suffix[1:].lower() in IMAGE_EXTENSIONS)
            )
            hint = f"; its sub-folders hold {deeper} images: pass recursive=True (--recursive)" if deeper else ""
            raise DataError(f"no images in {self.path} (looked for {', '.join(IMAGE_EXTENSIONS)}){hint}")
        return files

    def _fingerprint(self, files: list[str]) -> str:
        # names + sizes + modification times: cheap, and changes whenever a file is replaced
        rows = []
        for name in files:
            stat = Path(name).stat()
            rows.append(f"{Path(name).relative_to(self.path)}\t{stat.st_size}\t{stat.st_mtime_ns}")
        return "folder:" + _sha256(*rows)[:32]

    def __len__(self) -> int:
        return len(self.files)

    def describe(self) -> str:
        return f"folder {self.path}"

    def _load(self, name: str) -> torch.Tensor:
        from PIL import Image, UnidentifiedImageError
        from torchvision.transforms import ToTensor

        try:
            with Image.open(name) as img:
                return ToTensor()(img.convert("RGB"))  # pytorch_fid.fid_score.ImagePathDataset
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise DataError(f"{name} is not a readable image: {exc}") from None

    def batches(self, batch_size: int) -> Iterator[torch.Tensor]:
        for start in range(0, len(self.files), batch_size):
            yield stack_images([self._load(name) for name in self.files[start : start + batch_size]])

    def shard(self, index: int, count: int) -> FolderImages:
        lo, hi = _block(len(self.files), index, count)
        return FolderImages(self.path, recursive=self.recursive, files=self.files[lo:hi])


class ArrayImages(ImageSource):
    """Images held in an array (see ``to_unit_batch`` for shapes and dtypes); converted one
    batch at a time, so a memory-mapped ``.npy`` is never read whole."""

    def __init__(self, array, *, name: str = "array", fingerprint: str | None = None):
        if isinstance(array, torch.Tensor):
            array = array.detach().cpu().numpy()
        self.array, self.name, self._fingerprint = array, name, fingerprint
        if not hasattr(array, "shape") or len(array.shape) not in (3, 4):
            raise DataError(
                f"{name}: images must be an array of shape (N, C, H, W), (N, H, W, C) or (N, H, W); "
                f"got shape {getattr(array, 'shape', None)}"
            )
        to_unit_batch(np.array(array[:1]))  # fail now, not after hours, on a wrong shape or dtype

    @classmethod
    def from_file(cls, path: str | Path) -> ArrayImages:
        """``.npy`` (memory-mapped) or ``.npz`` (key ``images``, or its only array)."""
        path = Path(path)
        stat = path.stat()
        fingerprint = "file:" + _sha256(path.resolve(), stat.st_size, stat.st_mtime_ns)[:32]
        try:
            if path.suffix.lower() == ".npy":
                return cls(np.load(path, mmap_mode="r", allow_pickle=False), name=str(path), fingerprint=fingerprint)
            with np.load(path, allow_pickle=False) as npz:
                keys = npz.files
                key = "images" if "images" in keys else (keys[0] if len(keys) == 1 else None)
                if key is None:
                    raise DataError(f"{path} holds arrays {keys}; name the images array 'images'")
                return cls(npz[key], name=f"{path}[{key}]", fingerprint=fingerprint)
        except (OSError, ValueError) as exc:
            raise DataError(f"{path} could not be read as a numpy array: {str(exc).splitlines()[0]}") from None

    @property
    def fingerprint(self) -> str | None:
        if self._fingerprint is None:
            data = np.ascontiguousarray(self.array)
            raw = memoryview(data.reshape(-1).view(np.uint8))
            self._fingerprint = "array:" + _sha256(data.shape, data.dtype.str, raw)[:32]
        return self._fingerprint

    def __len__(self) -> int:
        return int(self.array.shape[0])

    def describe(self) -> str:
        return self.name

    def batches(self, batch_size: int) -> Iterator[torch.Tensor]:
        for start in range(0, len(self), batch_size):
            yield to_unit_batch(np.array(self.array[start : start + batch_size]))  # a copy: memmaps are read-only

    def shard(self, index: int, count: int) -> ArrayImages:
        lo, hi = _block(len(self), index, count)
        part = ArrayImages.__new__(ArrayImages)
        part.array, part.name, part._fingerprint = self.array[lo:hi], f"{self.name}[{lo}:{hi}]", None
        return part


class LoaderImages(ImageSource):
    """A torch DataLoader's batches: a tensor, or a (images, labels, …) tuple/list, or a dict with
    ``images``/``image``. Cannot be sharded or fingerprinted (it is only an iterator)."""

    def __init__(self, loader):
        self.loader = loader

    def __len__(self) -> int:
        try:
            return len(self.loader.dataset)
        except TypeError:
            raise ConfigError("this DataLoader's dataset has no length") from None

    def describe(self) -> str:
        return "DataLoader"

    def batches(self, batch_size: int) -> Iterator[torch.Tensor]:
        for batch in self.loader:
            if isinstance(batch, dict):
                batch = batch.get("images", batch.get("image"))
            elif isinstance(batch, (tuple, list)):
                batch = batch[0]
            if batch is None:
                raise DataError("DataLoader batches are dicts without an 'images' or 'image' entry")
            batch = to_unit_batch(batch)
            yield from batch.split(batch_size)


class GeneratedImages(ImageSource):
    """``n`` images drawn on the fly from ``sample(m, seed) -> images`` (see ``to_unit_batch``).

    Images come in chunks of ``chunk``; chunk i is drawn with its own seed
    ``SeedSequence([seed, i])``, so the images do not depend on batch size or on
    how the chunks are split across workers: shards get disjoint seeds and
    together draw exactly the images of one unsharded run.
    """

    def __init__(
        self,
        sample: Callable,
        n: int,
        *,
        seed: int = 0,
        chunk: int = 50,
        chunks: tuple[int, int] | None = None,
        name: str = "generator",
    ):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ConfigError(f"the number of images to generate must be a positive integer, got {n!r}")
        if chunk < 1:
            raise ConfigError(f"chunk must be ≥ 1, got {chunk}")
        self.sample, self.n, self.seed, self.chunk, self.name = sample, int(n), int(seed), int(chunk), name
        self.chunks = chunks or (0, -(-self.n // self.chunk))

    def _chunk_size(self, i: int) -> int:
        return min(self.chunk, self.n - i * self.chunk)

    def __len__(self) -> int:
        return sum(self._chunk_size(i) for i in range(*self.chunks))

    def describe(self) -> str:
        return self.name

    def chunk_seed(self, i: int) -> int:
        return int(np.random.SeedSequence([self.seed, i]).generate_state(1)[0])

    def batches(self, batch_size: int) -> Iterator[torch.Tensor]:
        for i in range(*self.chunks):
            size = self._chunk_size(i)
            images = to_unit_batch(self.sample(size, self.chunk_seed(i)))
            if images.shape[0] != size:
                raise DataError(f"{self.name} returned {images.shape[0]} images when asked for {size}")
            yield from images.split(batch_size)

    def shard(self, index: int, count: int) -> GeneratedImages:
        lo, hi = _block(self.chunks[1] - self.chunks[0], index, count)
        return GeneratedImages(
            self.sample,
            self.n,
            seed=self.seed,
            chunk=self.chunk,
            chunks=(self.chunks[0] + lo, self.chunks[0] + hi),
            name=self.name,
        )


class ModelSampler:
    """``sample(n, seed)`` of a trained image LatentSynthesizer, as images in [0, 1].
    Pickles as the artifact path when built from one (a Ray worker loads its own copy)."""

    def __init__(self, synthesizer=None, *, path: str | Path | None = None, method: str = "random", cluster=None):
        self.path, self.method, self.cluster = (str(path) if path else None), method, cluster
        self._syn = synthesizer if synthesizer is not None else self._load()
        if self._syn.data_kind_ != "image":
            where = f"the model at {self.path}" if self.path else "this model"
            raise ConfigError(f"{where} was trained on {self._syn.data_kind_} data; FID needs a model of images")

    def _load(self):
        from synth.synthesizer import LatentSynthesizer

        return LatentSynthesizer.load(self.path)

    def __getstate__(self):
        state = dict(self.__dict__)
        if self.path:
            state["_syn"] = None
        return state

    def __call__(self, n: int, seed: int) -> np.ndarray:
        if self._syn is None:
            self._syn = self._load()
        data = self._syn.generate(n, cluster=self.cluster, method=self.method, random_state=seed).data
        return self._syn.transformer_.transform(data)  # original units → [0, 1]


def as_image_source(
    obj, *, n: int | None = None, seed: int = 0, method: str = "random", recursive: bool = False
) -> ImageSource:
    """A folder path, ``.npy``/``.npz`` path, ``model:PATH``, array, tensor, DataLoader,
    LatentSynthesizer or ``sample(n, seed)`` callable → an ImageSource. ``n`` (and ``seed``,
    ``method``) apply to models and callables, which draw images on the fly."""
    if isinstance(obj, ImageSource):
        return obj
    if isinstance(obj, (str, Path)):
        text = str(obj)
        if text.startswith("model:"):
            if n is None:
                raise ConfigError(f"{text}: say how many images to generate (n=…, --n on the command line)")
            path = text[len("model:") :]
            return GeneratedImages(ModelSampler(path=path, method=method), n, seed=seed, name=text)
        path = Path(text)
        if path.is_dir():
            return FolderImages(path, recursive=recursive)
        if not path.exists():
            raise DataError(f"{path} does not exist (expected an image folder, .npy/.npz file or model:PATH)")
        if path.suffix.lower() in (".npy", ".npz"):
            return ArrayImages.from_file(path)
        raise DataError(f"{path} is neither a folder of images nor a .npy/.npz array")
    if isinstance(obj, (np.ndarray, torch.Tensor)):
        return ArrayImages(obj)
    if isinstance(obj, torch.utils.data.DataLoader):
        return LoaderImages(obj)
    if hasattr(obj, "generate") and hasattr(obj, "data_kind_"):
        if n is None:
            raise ConfigError("say how many images to draw from the model (n=…)")
        return GeneratedImages(ModelSampler(obj, method=method), n, seed=seed, name="model")
    if callable(obj):
        if n is None:
            raise ConfigError("say how many images to draw from the sampler (n=…)")
        return GeneratedImages(obj, n, seed=seed)
    raise DataError(
        f"cannot read images from a {type(obj).__name__}; pass a folder, an array, a DataLoader, "
        "a trained image model or a sample(n, seed) function"
    )
