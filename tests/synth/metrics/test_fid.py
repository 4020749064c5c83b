"""FID with pytorch-fid's own InceptionV3 and stand-in weights: the same numbers as pytorch-fid on
the same files, from streamed sums. Every value printed here proves exactness and plumbing, never
image quality (the weights are random, see conftest)."""

import urllib.error

import numpy as np
import pytest
import torch
from PIL import Image

from synth.errors import ArtifactError, ConfigError, DataError
from synth.metrics.feature_stats import FeatureStats
from synth.metrics.fid import (
    InceptionExtractor,
    cached_stats,
    feature_stats,
    fid_from_stats,
    fid_score,
)
from synth.metrics.image_sources import FolderImages

NOTE = "(stand-in Inception weights: proves exactness/plumbing, not image quality)"


def test_fid_matches_pytorch_fid_on_the_same_folders(fid_folders, offline_torch_home, folder_stats):
    from pytorch_fid.fid_score import calculate_fid_given_paths

    real, gen = map(str, fid_folders)
    reference = calculate_fid_given_paths([real, gen], batch_size=50, device="cpu", dims=2048, num_workers=0)
    ours = fid_score(real, gen, device="cpu")  # weights found where pytorch-fid looks ($TORCH_HOME)
    relative = abs(ours.fid - reference) / abs(reference)
    print(f"FID ours {ours.fid:.9g} vs pytorch-fid {reference:.9g}: relative difference {relative:.2e} {NOTE}")
    assert relative <= 1e-6
    assert (ours.n_real, ours.n_gen, ours.official_weights) == (10, 10, False)
    assert "not that images are good" in ours.note
    assert fid_from_stats(*folder_stats) == pytest.approx(ours.fid, rel=1e-12)


def test_streamed_mean_and_covariance_are_pytorch_fids(fid_folders, inception, folder_stats):
    from pytorch_fid.fid_score import compute_statistics_of_path

    mu, sigma = compute_statistics_of_path(str(fid_folders[0]), inception.model(), 50, 2048, "cpu", 0)
    ours = folder_stats[0]
    np.testing.assert_allclose(ours.mean(), mu, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours.cov(), sigma, rtol=0, atol=1e-11 * np.abs(sigma).max())
    assert ours.extractor == inception.id and ours.fingerprint == FolderImages(fid_folders[0]).fingerprint


def test_mixed_sizes_and_modes_give_pytorch_fids_numbers_at_any_batch_size(tmp_path, inception):
    from pytorch_fid.fid_score import get_activations

    rng = np.random.default_rng(5)
    Image.fromarray((rng.random((10, 14)) * 255).astype(np.uint8), "L").save(tmp_path / "a.png")
    Image.fromarray((rng.random((16, 16, 4)) * 255).astype(np.uint8), "RGBA").save(tmp_path / "b.png")
    Image.fromarray((rng.random((12, 20, 3)) * 255).astype(np.uint8), "RGB").save(tmp_path / "c.png")
    files = sorted(tmp_path.glob("*.png"))
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        get_activations(files, inception.model(), batch_size=3, num_workers=0)  # pytorch-fid issue #81
    act = get_activations(files, inception.model(), batch_size=1, num_workers=0)  # one image per batch works
    ours = feature_stats(tmp_path, extractor=inception, batch_size=50)
    print(f"mixed sizes/modes: max |Δμ| {np.abs(ours.mean() - act.mean(axis=0)).max():.2e} {NOTE}")
    np.testing.assert_allclose(ours.mean(), act.mean(axis=0), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        ours.cov(), np.cov(act, rowvar=False), rtol=0, atol=1e-11 * np.abs(np.cov(act, rowvar=False)).max()
    )


def test_cache_is_keyed_by_data_and_extractor_and_written_only_when_complete(fid_folders, folder_stats, tmp_path):
    source, calls = FolderImages(fid_folders[0]), []

    def compute(s):
        calls.append(s)
        return folder_stats[0]

    first, hit = cached_stats(source, extractor_id=folder_stats[0].extractor, cache_dir=tmp_path, compute=compute)
    assert not hit and len(calls) == 1
    again, hit = cached_stats(source, extractor_id=folder_stats[0].extractor, cache_dir=tmp_path, compute=compute)
    assert hit and len(calls) == 1 and again.n == first.n
    np.testing.assert_allclose(again.cov(), first.cov(), rtol=1e-12, atol=1e-13)
    _, hit = cached_stats(
        source,
        extractor_id="other-weights",
        cache_dir=tmp_path,
        compute=lambda s: FeatureStats.from_features(np.eye(2), extractor="other-weights"),
    )
    assert not hit and len(list(tmp_path.glob("fid-stats-*.npz"))) == 2

    def failing(s):
        raise DataError("a broken image half-way")

    empty = tmp_path / "empty"
    with pytest.raises(DataError):
        cached_stats(source, extractor_id="x", cache_dir=empty, compute=failing)
    assert not empty.exists() or not any(empty.iterdir())


def test_a_corrupt_cache_file_is_recomputed_and_replaced(fid_folders, folder_stats, tmp_path):
    from synth.metrics.fid import cache_file

    source = FolderImages(fid_folders[0])
    path = cache_file(tmp_path, extractor_id=folder_stats[0].extractor, fingerprint=source.fingerprint)
    path.write_bytes(b"garbage")
    with pytest.warns(UserWarning, match="recomputing"):
        stats, hit = cached_stats(
            source, extractor_id=folder_stats[0].extractor, cache_dir=tmp_path, compute=lambda s: folder_stats[0]
        )
    assert not hit and FeatureStats.from_npz(path).n == 10


def test_stats_files_on_either_side(folder_stats, inception, tmp_path):
    real, gen = folder_stats
    ours = real.to_npz(tmp_path / "real.npz")
    np.savez(tmp_path / "pytorch_fid.npz", mu=real.mean(), sigma=real.cov())  # pytorch-fid --save-stats
    expected = fid_from_stats(real, gen)
    assert fid_score(ours, gen, extractor=inception).fid == pytest.approx(expected, rel=1e-10)
    with pytest.warns(UserWarning, match="records no feature extractor"):
        result = fid_score(tmp_path / "pytorch_fid.npz", gen, extractor=inception)
    assert result.fid == pytest.approx(expected, rel=1e-10) and result.n_real is None and result.real_cached
    FeatureStats(real.n, real.total, real.outer, "pytorch-fid-inception-v3-pool3-2048:sha256=0123456789abcdef").to_npz(
        tmp_path / "foreign.npz"
    )
    with pytest.raises(ArtifactError, match="computed with feature extractor .*0123456789abcdef"):
        fid_score(tmp_path / "foreign.npz", gen, extractor=inception)


def test_fewer_than_two_images_is_a_clear_error(tmp_path, pool_features):
    Image.new("RGB", (5, 5)).save(tmp_path / "only.png")
    with pytest.raises(DataError, match="at least 2 real images"):
        fid_score(tmp_path, np.zeros((3, 3, 4, 4), np.uint8), extractor=pool_features)


def test_generators_and_arrays_stream_with_any_batch_size(pool_features):
    images = np.random.default_rng(0).random((9, 3, 5, 5))
    sampler = lambda n, seed: np.random.default_rng(seed).random((n, 3, 5, 5))  # noqa: E731
    a = fid_score(images, sampler, n=7, extractor=pool_features, batch_size=2)
    b = fid_score(images, sampler, n=7, extractor=pool_features, batch_size=50)
    assert a.fid == pytest.approx(b.fid, rel=1e-10) and (a.n_real, a.n_gen) == (9, 7)


def test_missing_or_wrong_weights_are_clear_errors(tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match="does not exist"):
        InceptionExtractor(tmp_path / "nope.pth")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty_home"))

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", offline)
    with pytest.raises(ConfigError, match="could not be downloaded .*no network"):
        InceptionExtractor()
    torch.save({"conv.weight": torch.zeros(2)}, tmp_path / "other.pth")
    with pytest.raises(ArtifactError, match="do not fit pytorch-fid's InceptionV3"):
        InceptionExtractor(tmp_path / "other.pth").model()
    (tmp_path / "junk.pth").write_bytes(b"junk")
    with pytest.raises(ArtifactError, match="could not be loaded safely"):
        InceptionExtractor(tmp_path / "junk.pth").model()


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message shown without CUDA")
def test_cuda_without_a_gpu_is_a_clear_error(fid_weights):
    with pytest.raises(ConfigError, match="CUDA is not available"):
        InceptionExtractor(fid_weights, device="cuda")
    with pytest.raises(ConfigError, match="unknown device"):
        InceptionExtractor(fid_weights, device="tpu9")


def test_extractor_pickles_without_its_network(inception):
    import pickle

    inception.model()
    clone = pickle.loads(pickle.dumps(inception))
    assert clone._model is None and clone.id == inception.id and clone.weights == inception.weights


@pytest.mark.gpu
def test_gpu_matches_pytorch_fid_on_gpu(fid_folders, offline_torch_home, fid_weights):
    from pytorch_fid.fid_score import calculate_fid_given_paths

    real, gen = map(str, fid_folders)
    reference = calculate_fid_given_paths([real, gen], batch_size=50, device="cuda", dims=2048, num_workers=0)
    ours = fid_score(real, gen, device="cuda", weights=fid_weights)
    assert abs(ours.fid - reference) / abs(reference) <= 1e-6
