"""torchvision's MNIST, FashionMNIST, CIFAR10 and Flowers102 by name → (N, C, H, W) uint8 + labels.

The files are read by torchvision's own classes from ``root`` in the layout
they expect (``root/MNIST/raw/…``, ``root/cifar-10-batches-py/…``,
``root/flowers-102/…``); ``download=True`` lets torchvision fetch them first.
Missing files, a failed download or a corrupt set become a DataError that
says where the files were looked for and what to do. Flowers102 images come
in many sizes: they are brought to ``image_size`` (default 64, the VAE/GAN/FID report)
like an image folder's; the other sets keep their size unless asked.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from synth.errors import DataError

TORCHVISION_SETS = {
    # name: (torchvision class, files looked for under root, label names)
    "mnist": ("MNIST", "MNIST/raw/train-images-idx3-ubyte etc.", "digits"),
    "fashion_mnist": ("FashionMNIST", "FashionMNIST/raw/train-images-idx3-ubyte etc.", "names"),
    "cifar10": ("CIFAR10", "cifar-10-batches-py/data_batch_1 … test_batch, batches.meta", "names"),
    "flowers102": ("Flowers102", "flowers-102/jpg/, imagelabels.mat, setid.mat", "codes"),
}
SPLITS = ("train", "test", "val")


def _open(name: str, root: Path, *, download: bool, split: str):
    import torchvision.datasets as tvd

    cls_name, layout, _ = TORCHVISION_SETS[name]
    cls = getattr(tvd, cls_name)
    if split == "val" and name != "flowers102":
        raise DataError(f"{name} has splits 'train' and 'test', not 'val'")
    try:
        if name == "flowers102":
            return cls(str(root), split=split, download=download)
        return cls(str(root), train=split == "train", download=download)
    except DataError:
        raise
    except Exception as exc:  # RuntimeError (not found / corrupt), URLError, OSError, … from torchvision
        detail = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        if download:
            raise DataError(
                f"could not download {name} into {root} ({detail}); without internet, copy the "
                f"files there in torchvision's layout ({layout})"
            ) from None
        raise DataError(
            f"{name} was not found (or is corrupt) under {root}: expected {layout}. Pass "
            f"download=True (--download) to fetch it, or root= (--root) pointing at a folder "
            f"that holds it [{detail}]"
        ) from None


def load_torchvision(
    name: str, *, root="data", download: bool = False, split: str = "train", image_size=None
) -> tuple[np.ndarray, np.ndarray]:
    """(images (N, C, H, W) uint8, labels (N,)) of a torchvision set."""
    from synth.data.image_folder import images_to_array, open_image

    if name not in TORCHVISION_SETS:
        raise DataError(f"unknown torchvision set {name!r}; choose one of {list(TORCHVISION_SETS)}")
    if split not in SPLITS:
        raise DataError(f"split must be one of {list(SPLITS)}, got {split!r}")
    root = Path(root).expanduser()
    ds = _open(name, root, download=download, split=split)
    naming = TORCHVISION_SETS[name][2]
    if name == "flowers102":
        images = [open_image(Path(f)) for f in ds._image_files]
        X = images_to_array(images, image_size=image_size or 64, channels=3)
        codes = np.asarray(ds._labels, dtype=np.int64)
    else:
        data = np.asarray(ds.data)
        X = data[:, None] if data.ndim == 3 else data.transpose(0, 3, 1, 2)
        codes = np.asarray(ds.targets, dtype=np.int64)
        if image_size is not None:
            from PIL import Image

            mode = "L" if X.shape[1] == 1 else "RGB"
            pics = [Image.fromarray(x[0] if mode == "L" else x.transpose(1, 2, 0), mode) for x in X]
            X = images_to_array(pics, image_size=image_size, channels=X.shape[1])
    if len(X) < 2:
        raise DataError(f"{name} under {root} holds {len(X)} image(s); need at least 2")
    labels = np.array([ds.classes[c] for c in codes], dtype=object) if naming == "names" else codes
    return np.ascontiguousarray(X, dtype=np.uint8), labels
