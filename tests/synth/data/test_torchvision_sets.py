"""torchvision sets by name, read from fake files in the layouts torchvision expects (there
is no internet here), and the errors when files are missing or a download fails."""

import pickle
import struct

import numpy as np
import pytest
from PIL import Image

from synth.data.sources import load_source
from synth.errors import DataError


def _idx(path, array: np.ndarray):
    """MNIST's idx format: magic (0, 0, 0x08 = ubyte, rank), big-endian int32 dims, raw bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">i", d) for d in array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def _fake_mnist(root, folder="MNIST", n=12):
    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (n, 28, 28)), np.arange(n) % 10
    for prefix in ("train", "t10k"):
        _idx(root / folder / "raw" / f"{prefix}-images-idx3-ubyte", images)
        _idx(root / folder / "raw" / f"{prefix}-labels-idx1-ubyte", labels)
    return images, labels


def test_mnist_from_raw_files(tmp_path):
    images, labels = _fake_mnist(tmp_path)
    raw = load_source("mnist", root=tmp_path)
    assert raw.kind == "image" and raw.data.shape == (12, 1, 28, 28) and raw.data.dtype == np.uint8
    np.testing.assert_array_equal(raw.data[:, 0], images)
    assert list(raw.labels) == list(labels)
    assert load_source("mnist", root=tmp_path, split="test", image_size=32).data.shape == (12, 1, 32, 32)


def test_fashion_mnist_labels_are_class_names(tmp_path):
    _fake_mnist(tmp_path, "FashionMNIST", n=3)
    raw = load_source("fashion_mnist", root=tmp_path)
    assert list(raw.labels) == ["T-shirt/top", "Trouser", "Pullover"]


def test_missing_files_and_failed_download_are_clear(tmp_path, monkeypatch):
    with pytest.raises(DataError, match=r"mnist was not found .* under .*MNIST/raw.*--download"):
        load_source("mnist", root=tmp_path)
    import torchvision.datasets as tvd

    def offline(self):
        raise OSError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(tvd.CIFAR10, "download", offline)
    with pytest.raises(DataError, match="could not download cifar10 .* name resolution.*without internet"):
        load_source("cifar10", root=tmp_path, download=True)
    with pytest.raises(DataError, match="not 'val'"):
        load_source("mnist", root=tmp_path, split="val")


@pytest.fixture
def no_md5(monkeypatch):
    """Fake files cannot match torchvision's MD5 sums; trust any file that exists."""
    import os

    import torchvision.datasets.cifar as cifar
    import torchvision.datasets.flowers102 as flowers

    exists = lambda path, md5=None: os.path.isfile(path)  # noqa: E731
    monkeypatch.setattr(cifar, "check_integrity", exists)
    monkeypatch.setattr(flowers, "check_integrity", exists)


def test_cifar10_from_python_batches(tmp_path, no_md5):
    base = tmp_path / "cifar-10-batches-py"
    base.mkdir()
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        entry = {"data": rng.integers(0, 256, (2, 3072), dtype=np.uint8), "labels": [1, 9]}
        (base / name).write_bytes(pickle.dumps(entry))
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    (base / "batches.meta").write_bytes(pickle.dumps({"label_names": names}))
    raw = load_source("cifar10", root=tmp_path)
    assert raw.data.shape == (10, 3, 32, 32) and list(raw.labels[:2]) == ["automobile", "truck"]
    first = pickle.loads((base / "data_batch_1").read_bytes())["data"][0]
    np.testing.assert_array_equal(raw.data[0].ravel(), first)  # CHW order as CIFAR stores it


def test_flowers102_mixed_sizes_resized_to_64(tmp_path, no_md5):
    from scipy.io import savemat

    base = tmp_path / "flowers-102"
    (base / "jpg").mkdir(parents=True)
    sizes = [(500, 667), (754, 500), (500, 500), (601, 500)]
    for i, (w, h) in enumerate(sizes, 1):
        Image.fromarray(np.full((h, w, 3), 40 * i, np.uint8)).save(base / "jpg" / f"image_{i:05d}.jpg")
    savemat(base / "imagelabels.mat", {"labels": np.array([[1, 2, 1, 77]])})
    savemat(base / "setid.mat", {"trnid": np.array([[1, 2, 3, 4]]), "valid": np.array([[1]]), "tstid": np.array([[2]])})
    with pytest.warns(UserWarning, match="resized 4 of 4 images to 64×64"):
        raw = load_source("flowers102", root=tmp_path)
    assert raw.data.shape == (4, 3, 64, 64) and list(raw.labels) == [0, 1, 0, 76]
    assert abs(int(raw.data[3].mean()) - 160) <= 2
