"""Image sources for FID: pytorch-fid's conversion (PIL → RGB → ToTensor), mixed sizes, arrays,
DataLoaders, generators with disjoint per-chunk seeds, shards that add up to the whole.
Features here come from a cheap pooling stand-in (``pool_features``); Inception runs in test_fid."""

import os
import time

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision.transforms import ToTensor

from synth.errors import ConfigError, DataError
from synth.metrics.fid import feature_stats
from synth.metrics.image_sources import (
    ArrayImages,
    FolderImages,
    GeneratedImages,
    LoaderImages,
    as_image_source,
    stack_images,
    to_unit_batch,
)


def close(a, b, tol=1e-12):
    assert a.n == b.n
    np.testing.assert_allclose(a.total, b.total, rtol=tol, atol=tol)
    np.testing.assert_allclose(a.outer, b.outer, rtol=tol, atol=tol)


@pytest.fixture
def mixed_folder(tmp_path):
    """Four files of different sizes and modes: L, RGBA, RGB, P (and an upper-case extension)."""
    rng = np.random.default_rng(0)
    Image.fromarray((rng.random((10, 12)) * 255).astype(np.uint8), "L").save(tmp_path / "a.png")
    Image.fromarray((rng.random((16, 16, 4)) * 255).astype(np.uint8), "RGBA").save(tmp_path / "b.png")
    Image.fromarray((rng.random((20, 8, 3)) * 255).astype(np.uint8), "RGB").save(tmp_path / "c.JPG", quality=95)
    Image.fromarray((rng.random((9, 9, 3)) * 255).astype(np.uint8), "RGB").convert("P").save(tmp_path / "d.bmp")
    (tmp_path / "notes.txt").write_text("not an image")
    return tmp_path


def test_folder_lists_pytorch_fids_extensions_in_sorted_order(mixed_folder):
    source = FolderImages(mixed_folder)
    assert [os.path.basename(f) for f in source.files] == ["a.png", "b.png", "c.JPG", "d.bmp"]
    assert len(source) == 4 and source.fingerprint.startswith("folder:")


def test_mixed_sizes_and_modes_stream_like_one_image_at_a_time(mixed_folder, pool_features):
    source = FolderImages(mixed_folder)
    batch = next(source.batches(50))
    assert batch.shape == (4, 3, 299, 299) and batch.dtype == torch.float32
    # pytorch-fid's own per-image pipeline, one image per batch (the only way it takes mixed sizes)
    singles = [ToTensor()(Image.open(f).convert("RGB"))[None] for f in source.files]
    expected = torch.cat([pool_features(x) for x in singles]).double().numpy()
    got = feature_stats(source, extractor=pool_features)
    np.testing.assert_allclose(got.mean(), expected.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(got.cov(), np.cov(expected, rowvar=False), rtol=1e-9, atol=1e-12)


def test_stack_images_resizes_mixed_sizes_exactly_as_a_batch_would_be():
    a, b = torch.rand(3, 10, 12), torch.rand(3, 7, 7)
    mixed = stack_images([a, b])
    same = stack_images([a, a])
    assert mixed.shape == (2, 3, 299, 299) and same.shape == (2, 3, 10, 12)
    resized = torch.nn.functional.interpolate(
        torch.stack([a, a]), size=(299, 299), mode="bilinear", align_corners=False
    )
    assert torch.equal(mixed[0], resized[0])


def test_uint8_arrays_equal_their_png_files(tmp_path, pool_features):
    images = (np.random.default_rng(1).random((6, 11, 13, 3)) * 255).astype(np.uint8)
    for i, image in enumerate(images):
        Image.fromarray(image).save(tmp_path / f"{i}.png")
    from_files = feature_stats(tmp_path, extractor=pool_features)
    for layout in (images, images.transpose(0, 3, 1, 2), torch.from_numpy(images.transpose(0, 3, 1, 2))):
        close(feature_stats(layout, extractor=pool_features, batch_size=4), from_files, tol=1e-10)


def test_grey_and_rgba_arrays_convert_like_pil():
    grey = (np.arange(2 * 4 * 4) % 256).astype(np.uint8).reshape(2, 4, 4)
    rgb = to_unit_batch(grey)
    pil = ToTensor()(Image.fromarray(grey[1], "L").convert("RGB"))
    assert torch.equal(rgb[1], pil)
    rgba = np.random.default_rng(2).integers(0, 256, size=(1, 4, 5, 5), dtype=np.uint8)
    pil = ToTensor()(Image.fromarray(rgba[0].transpose(1, 2, 0), "RGBA").convert("RGB"))
    assert torch.equal(to_unit_batch(rgba)[0], pil)


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.full((2, 3, 4, 4), 2.0), "must lie in \\[0, 1\\]"),
        (np.full((2, 3, 4, 4), np.nan), "must lie in \\[0, 1\\]"),
        (np.zeros((2, 3, 4, 4), np.int64), "uint8"),
        (np.zeros((2, 5, 4, 7)), "channels"),
        (np.zeros((2, 4)), "shape"),
    ],
)
def test_unusable_arrays_are_clear_errors(bad, message):
    with pytest.raises(DataError, match=message):
        ArrayImages(bad)


def test_npy_is_memory_mapped_and_npz_needs_a_named_array(tmp_path, pool_features):
    images = (np.random.default_rng(3).random((5, 3, 6, 6)) * 255).astype(np.uint8)
    np.save(tmp_path / "x.npy", images)
    source = as_image_source(tmp_path / "x.npy")
    assert isinstance(source.array, np.memmap) and source.fingerprint.startswith("file:")
    np.savez(tmp_path / "g.npz", images=images, labels=np.arange(5))
    close(feature_stats(tmp_path / "g.npz", extractor=pool_features), feature_stats(images, extractor=pool_features))
    np.savez(tmp_path / "two.npz", a=images, b=images)
    with pytest.raises(DataError, match="name the images array 'images'"):
        as_image_source(tmp_path / "two.npz")


def test_data_loader_batches_of_tensors_or_tuples(pool_features):
    from torch.utils.data import DataLoader, TensorDataset

    images = torch.rand(7, 3, 8, 8)
    loader = DataLoader(TensorDataset(images, torch.arange(7)), batch_size=3)
    source = as_image_source(loader)
    assert isinstance(source, LoaderImages) and len(source) == 7 and source.fingerprint is None
    close(feature_stats(loader, extractor=pool_features), feature_stats(images, extractor=pool_features), 1e-10)
    with pytest.raises(ConfigError, match="cannot be split"):
        source.shard(0, 2)


def test_shards_are_disjoint_and_add_up_to_the_whole(mixed_folder, pool_features):
    images = (np.random.default_rng(4).random((11, 3, 5, 5)) * 255).astype(np.uint8)
    for source in (ArrayImages(images), FolderImages(mixed_folder)):
        for count in (1, 2, 3, len(source)):
            parts = [source.shard(k, count) for k in range(count)]
            assert sum(len(p) for p in parts) == len(source)
            merged = feature_stats(parts[0], extractor=pool_features)
            for part in parts[1:]:
                merged = merged.merge(feature_stats(part, extractor=pool_features))
            close(merged, feature_stats(source, extractor=pool_features), tol=1e-10)


def _sampler(calls):
    def sample(n, seed):
        calls.append((n, seed))
        return np.random.default_rng(seed).random((n, 1, 6, 6))

    return sample


def test_generator_chunks_have_their_own_seeds_and_shards_draw_the_same_images(pool_features):
    calls = []
    whole = GeneratedImages(_sampler(calls), 11, seed=3, chunk=4)
    assert len(whole) == 11
    full = feature_stats(whole, extractor=pool_features, batch_size=3)
    assert [n for n, _ in calls] == [4, 4, 3] and len({s for _, s in calls}) == 3
    sharded_calls = []
    sharded = GeneratedImages(_sampler(sharded_calls), 11, seed=3, chunk=4)
    parts = [sharded.shard(k, 2) for k in range(2)]
    assert [len(p) for p in parts] == [4, 7]
    merged = feature_stats(parts[0], extractor=pool_features).merge(feature_stats(parts[1], extractor=pool_features))
    close(merged, full, tol=1e-10)
    assert sorted(sharded_calls) == sorted(calls)  # the same chunks, the same seeds, no overlap
    other = []
    feature_stats(GeneratedImages(_sampler(other), 11, seed=4, chunk=4), extractor=pool_features)
    assert not {s for _, s in other} & {s for _, s in calls}


def test_generator_that_returns_the_wrong_count_is_caught(pool_features):
    with pytest.raises(DataError, match="returned 2 images when asked for 5"):
        feature_stats(GeneratedImages(lambda n, seed: np.zeros((2, 3, 4, 4)), 5), extractor=pool_features)


def test_empty_folder_sub_folders_and_broken_files_are_clear_errors(tmp_path, pool_features):
    with pytest.raises(DataError, match="no images in"):
        FolderImages(tmp_path)
    sub = tmp_path / "class_a"
    sub.mkdir()
    Image.new("RGB", (4, 4)).save(sub / "x.png")
    with pytest.raises(DataError, match="sub-folders hold 1 images: pass recursive=True"):
        as_image_source(tmp_path)
    assert len(as_image_source(tmp_path, recursive=True)) == 1
    (sub / "broken.png").write_bytes(b"\x89PNG not really")
    with pytest.raises(DataError, match="broken.png is not a readable image"):
        feature_stats(FolderImages(tmp_path, recursive=True), extractor=pool_features)
    with pytest.raises(DataError, match="does not exist"):
        as_image_source(tmp_path / "missing")
    with pytest.raises(DataError, match="neither a folder"):
        as_image_source(sub / "x.png")


def test_fingerprint_changes_when_a_file_changes(tmp_path):
    Image.new("RGB", (4, 4)).save(tmp_path / "x.png")
    before = FolderImages(tmp_path).fingerprint
    assert FolderImages(tmp_path).fingerprint == before
    time.sleep(0.01)
    Image.new("RGB", (5, 4)).save(tmp_path / "x.png")
    assert FolderImages(tmp_path).fingerprint != before
    a = np.zeros((2, 3, 4, 4), np.uint8)
    assert ArrayImages(a).fingerprint == ArrayImages(a.copy()).fingerprint != ArrayImages(a + 1).fingerprint


def test_model_sources_need_n_and_an_image_model(iris_synth, tmp_path):
    with pytest.raises(ConfigError, match="say how many images"):
        as_image_source(iris_synth)
    with pytest.raises(ConfigError, match="trained on tabular data; FID needs a model of images"):
        as_image_source(iris_synth, n=4)
    iris_synth.save(tmp_path / "iris")
    with pytest.raises(ConfigError, match="trained on tabular data"):
        as_image_source(f"model:{tmp_path / 'iris'}", n=4)
    with pytest.raises(ConfigError, match="say how many images"):
        as_image_source(f"model:{tmp_path / 'iris'}")
