"""Image folders (torchvision ``ImageFolder`` layout) → (N, C, H, W) uint8 + labels.

``root/<class>/…/*.png`` gives one label per class folder (sorted names, as
ImageFolder); a flat ``root/*.png`` gives unlabelled images. Modes are
converted as torchvision's ``pil_loader`` does (``convert("RGB")``, alpha
dropped), except that a folder whose images are all grey stays one channel.
Mixed sizes are brought to one size — ``image_size`` if given, else the most
common size — by an aspect-preserving resize and a centre crop (torchvision's
``Resize`` + ``CenterCrop``), so a batch never holds two sizes (the failure of
pytorch-fid issue #81). Files that are not images by extension are skipped
with a note; an unreadable image file is an error naming the file.
"""

from __future__ import annotations

import warnings
from collections import Counter
from pathlib import Path

import numpy as np

from synth.errors import DataError

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm")
GREY_MODES = ("1", "L", "LA", "I", "I;16", "F")


def _is_image_name(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_EXTENSIONS


def _visible(paths):
    return sorted(p for p in paths if not p.name.startswith("."))


def _size(image_size) -> tuple[int, int] | None:
    """int or (H, W) → (H, W)."""
    if image_size is None:
        return None
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    h, w = (int(s) for s in image_size)
    if h < 1 or w < 1:
        raise DataError(f"image_size must be positive, got {image_size}")
    return h, w


def fit_to(image, size: tuple[int, int]):
    """PIL image → exactly ``size`` (H, W): scale so it covers the target, then centre-crop."""
    from PIL import Image

    h, w = size
    if (image.height, image.width) == (h, w):
        return image
    scale = max(h / image.height, w / image.width)
    new = (max(w, round(image.width * scale)), max(h, round(image.height * scale)))
    image = image.resize(new, Image.Resampling.BICUBIC)
    left, top = (image.width - w) // 2, (image.height - h) // 2
    return image.crop((left, top, left + w, top + h))


def open_image(path: Path):
    """A fully decoded PIL image, or DataError naming the file."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.load()
            return image.copy()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise DataError(
            f"{path} is not a readable image ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else 'no detail'}); remove or replace it"
        ) from None


def images_to_array(images: list, *, image_size=None, channels: int | None = None) -> np.ndarray:
    """PIL images of any size and mode → (N, C, H, W) uint8 (see the module docstring)."""
    if channels is None:
        channels = 1 if all(im.mode in GREY_MODES for im in images) else 3
    target = _size(image_size)
    if target is None:
        counts = Counter((im.height, im.width) for im in images)
        target = max(counts, key=lambda s: (counts[s], s[0] * s[1]))
    resized = sum((im.height, im.width) != target for im in images)
    if resized and len({(im.height, im.width) for im in images}) > 1:  # mixed sizes: say what happened
        warnings.warn(
            f"resized {resized} of {len(images)} images to {target[0]}×{target[1]} (aspect kept, centre-cropped)",
            stacklevel=3,
        )
    mode = "L" if channels == 1 else "RGB"
    out = np.empty((len(images), channels, *target), np.uint8)
    for i, image in enumerate(images):
        if image.mode in ("I", "I;16", "F"):  # 16/32-bit grey: scale to 8 bits before converting
            arr = np.asarray(image, np.float64)
            span = arr.max() - arr.min()
            from PIL import Image

            image = Image.fromarray(((arr - arr.min()) / (span or 1) * 255).round().astype(np.uint8))
        pixels = np.asarray(fit_to(image.convert(mode), target))
        out[i] = pixels[None] if channels == 1 else pixels.transpose(2, 0, 1)
    return out


def _image_files(folder: Path, *, recursive: bool) -> tuple[list[Path], list[Path]]:
    files = [p for p in (folder.rglob("*") if recursive else folder.iterdir()) if p.is_file()]
    files = [p for p in _visible(files) if not any(part.startswith(".") for part in p.relative_to(folder).parts)]
    return [p for p in files if _is_image_name(p)], [p for p in files if not _is_image_name(p)]


def load_image_folder(path, *, image_size=None, channels: int | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """(images (N, C, H, W) uint8, labels (N,) class-folder names or None)."""
    root = Path(path)
    if not root.exists():
        raise DataError(f"image folder not found: {root}")
    if not root.is_dir():
        raise DataError(f"{root} is not a folder")
    entries = _visible(root.iterdir())
    if not entries:
        raise DataError(f"{root} is empty; put images in it (or one sub-folder of images per class)")
    class_dirs = [p for p in entries if p.is_dir()]
    files, labels, skipped = [], [], []
    if class_dirs:
        loose = [p for p in entries if p.is_file() and _is_image_name(p)]
        if loose:
            warnings.warn(
                f"{len(loose)} image(s) directly in {root} ignored: with class sub-folders, "
                "only images inside them are used (as torchvision's ImageFolder)",
                stacklevel=2,
            )
        for folder in class_dirs:
            found, other = _image_files(folder, recursive=True)
            if not found:
                raise DataError(
                    f"class folder {folder} holds no image files ({', '.join(IMAGE_EXTENSIONS)}); "
                    "remove it or add images"
                )
            files += found
            labels += [folder.name] * len(found)
            skipped += other
    else:
        files, skipped = _image_files(root, recursive=False)
    if skipped:
        warnings.warn(
            f"skipped {len(skipped)} file(s) that are not images by extension, e.g. {skipped[0].name}", stacklevel=2
        )
    if not files:
        raise DataError(
            f"{root} holds no image files (looked for {', '.join(IMAGE_EXTENSIONS)}); found "
            f"{', '.join(p.name for p in skipped[:5])}"
        )
    if len(files) < 2:
        raise DataError(f"{root} holds only one image; need at least 2")
    images = [open_image(f) for f in files]
    return images_to_array(images, image_size=image_size, channels=channels), (
        np.array(labels, dtype=object) if class_dirs else None
    )
