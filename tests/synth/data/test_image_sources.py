"""Image folders, .npy/.npz arrays and 2-D records: what loads, and the clear errors."""

import numpy as np
import pytest
from PIL import Image

from synth.data.arrays import read_array_file
from synth.data.image_folder import load_image_folder
from synth.data.records import RecordTransformer, as_record_batch
from synth.data.sources import load_source
from synth.errors import DataError


def _save(path, size, mode, value=128):
    path.parent.mkdir(parents=True, exist_ok=True)
    channels = {"L": 1, "RGB": 3, "RGBA": 4}[mode]
    pixels = np.full((size[1], size[0], channels), value, np.uint8).squeeze()
    Image.fromarray(pixels, mode).save(path)


def test_class_folders_with_mixed_sizes_and_modes(tmp_path):
    _save(tmp_path / "cat" / "a.png", (16, 16), "L", 10)
    _save(tmp_path / "cat" / "b.png", (16, 16), "RGBA", 20)
    _save(tmp_path / "cat" / "sub" / "c.jpg", (40, 24), "RGB", 30)  # nested, other size, jpeg
    _save(tmp_path / "dog" / "d.png", (16, 16), "RGB", 200)
    _save(tmp_path / "dog" / "e.bmp", (7, 9), "L", 220)
    with pytest.warns(UserWarning, match="resized 2 of 5 images to 16×16"):
        raw = load_source(str(tmp_path))
    assert raw.kind == "image" and raw.data.shape == (5, 3, 16, 16) and raw.data.dtype == np.uint8
    assert list(raw.labels) == ["cat", "cat", "cat", "dog", "dog"]
    assert raw.data[0].min() == raw.data[0].max() == 10  # L → RGB keeps the grey value
    assert raw.data[1, :, 0, 0].tolist() == [20, 20, 20]  # RGBA → RGB drops alpha (as torchvision)
    assert np.all(np.abs(raw.data[2].astype(int) - 30) <= 2)  # JPEG, resized and centre-cropped


def test_grey_folder_stays_one_channel_and_image_size(tmp_path):
    for i, size in enumerate([(8, 8), (10, 12), (8, 8)]):
        _save(tmp_path / f"{i}.png", size, "L", 50 + i)
    with pytest.warns(UserWarning, match="resized 3 of 3 images to 6×4"):
        X, labels = load_image_folder(tmp_path, image_size=(6, 4))
    assert X.shape == (3, 1, 6, 4) and labels is None


def test_folder_errors(tmp_path):
    with pytest.raises(DataError, match="image folder not found"):
        load_image_folder(tmp_path / "nope")
    with pytest.raises(DataError, match="not found"):
        load_source(str(tmp_path / "nope"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="is empty"):
        load_source(str(tmp_path / "empty"))
    (tmp_path / "texts").mkdir()
    (tmp_path / "texts" / "notes.txt").write_text("hello")
    with pytest.raises(DataError, match="holds no image files"), pytest.warns(UserWarning, match="skipped 1"):
        load_source(str(tmp_path / "texts"))
    bad = tmp_path / "bad"
    _save(bad / "ok.png", (8, 8), "L")
    (bad / "broken.png").write_bytes(b"this is not a png at all")
    with pytest.raises(DataError, match=r"broken\.png is not a readable image"):
        load_source(str(bad))
    classes = tmp_path / "classes"
    _save(classes / "a" / "x.png", (8, 8), "L")
    (classes / "b").mkdir()
    with pytest.raises(DataError, match="class folder .*b holds no image files"):
        load_source(str(classes))
    with pytest.raises(DataError, match="is a single image"):
        load_source(str(classes / "a" / "x.png"))


def test_non_image_files_are_skipped_with_a_note(tmp_path):
    _save(tmp_path / "a.png", (8, 8), "L")
    _save(tmp_path / "b.png", (8, 8), "L")
    (tmp_path / "README.md").write_text("about these images")
    with pytest.warns(UserWarning, match="skipped 1 file"):
        X, _ = load_image_folder(tmp_path)
    assert X.shape == (2, 1, 8, 8)


def test_npz_images_channels_last_with_labels(tmp_path):
    X = np.random.default_rng(0).integers(0, 255, (6, 10, 12, 3), dtype=np.uint8)
    np.savez(tmp_path / "imgs.npz", X=X, y=np.array(["a", "b"] * 3))
    raw = load_source(str(tmp_path / "imgs.npz"))
    assert raw.data.shape == (6, 3, 10, 12) and list(raw.labels[:2]) == ["a", "b"]
    np.testing.assert_array_equal(raw.data[0], X[0].transpose(2, 0, 1))
    raw = load_source(str(tmp_path / "imgs.npz"), image_size=5)
    assert raw.data.shape == (6, 3, 5, 5)
    np.save(tmp_path / "plain.npy", X[..., 0])
    assert load_source(str(tmp_path / "plain.npy")).data.shape == (6, 1, 10, 12)


def test_array_file_errors(tmp_path):
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match="pickled"):
        read_array_file(tmp_path / "obj.npy")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(DataError, match="not a readable numpy file"):
        read_array_file(tmp_path / "junk.npz")
    np.savez(tmp_path / "two.npz", a=np.zeros((3, 4, 4)), b=np.zeros((3, 4, 4)))
    with pytest.raises(DataError, match="name the data one of"):
        read_array_file(tmp_path / "two.npz")
    np.savez(tmp_path / "short.npz", X=np.zeros((3, 4, 4)), labels=np.arange(2))
    with pytest.raises(DataError, match="expected \\(3,\\)"):
        read_array_file(tmp_path / "short.npz")
    with pytest.raises(DataError, match="label key 'cls' not found"):
        read_array_file(tmp_path / "short.npz", label="cls")
    with pytest.raises(DataError, match="file not found"):
        load_source(str(tmp_path / "missing.npy"))


def test_records_load_and_wrong_rank_is_clear(tmp_path):
    np.savez(tmp_path / "rec.npz", records=np.random.default_rng(0).random((5, 6, 7)), labels=np.arange(5) % 2)
    raw = load_source(str(tmp_path / "rec.npz"), kind="record")
    assert raw.kind == "record" and raw.data.shape == (5, 6, 7) and list(raw.labels) == [0, 1, 0, 1, 0]
    for bad in (np.zeros((4, 6)), np.zeros((4, 1, 6, 7)), np.zeros(5)):
        np.save(tmp_path / "bad.npy", bad)
        with pytest.raises(DataError, match=f"shape \\(N, H, W\\), got rank {bad.ndim}"):
            load_source(str(tmp_path / "bad.npy"), kind="record")
    with pytest.raises(DataError, match="NaN"):
        as_record_batch(np.full((3, 4, 4), np.nan))


def test_record_transformer_crop_log_minmax_round_trip():
    X = np.random.default_rng(1).gamma(2.0, 50.0, (4, 10, 12))
    t = RecordTransformer().fit(X, crop=(1, 9, 2, 12), log=True)
    Z = t.transform(X)
    assert Z.shape == (4, 8, 10) and Z.min() == 0 and Z.max() == pytest.approx(1.0)
    np.testing.assert_allclose(t.inverse_transform(Z), X[:, 1:9, 2:12], rtol=1e-5)
    np.testing.assert_array_equal(t.transform(X[:, 1:9, 2:12]), Z)  # already-cropped records pass too
    again = RecordTransformer.from_dict(t.to_dict())
    np.testing.assert_array_equal(again.transform(X), Z)
    with pytest.raises(DataError, match="model expects"):
        t.transform(np.zeros((2, 5, 5)))
    with pytest.raises(DataError, match="non-negative"):
        RecordTransformer().fit(X - 1000, log=True)
    with pytest.raises(DataError, match="outside"):
        RecordTransformer().fit(X, crop=(0, 11, 0, 4))
