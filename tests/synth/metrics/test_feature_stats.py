"""Streaming FID statistics: exact merges, pytorch-fid's mean/cov, closed forms, npz files."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synth.errors import ArtifactError, DataError
from synth.metrics.feature_stats import FeatureStats, is_stats_file
from synth.metrics.fid import fid_from_stats


def stats(X, extractor="x"):
    return FeatureStats.from_features(X, extractor=extractor)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(2, 60),
    d=st.integers(1, 12),
    k=st.integers(1, 6),
    seed=st.integers(0, 2**32 - 1),
    offset=st.floats(-100, 100),
)
def test_merging_k_shards_gives_the_statistics_of_the_whole(n, d, k, seed, offset):
    rng = np.random.default_rng(seed)
    X = offset + rng.standard_normal((n, d)) * rng.uniform(0.1, 10, size=d)
    cuts = np.sort(rng.integers(0, n + 1, size=k - 1))
    parts = [stats(part) for part in np.split(X, cuts)]
    merged = parts[0]
    for part in parts[1:]:
        merged = merged.merge(part)
    whole = stats(X)
    assert merged.n == whole.n == n
    np.testing.assert_allclose(merged.total, whole.total, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(merged.outer, whole.outer, rtol=1e-12, atol=1e-8)
    np.testing.assert_allclose(merged.mean(), X.mean(axis=0), rtol=1e-10, atol=1e-10)
    # raw sums lose ~n·ε·offset² to cancellation; np.cov (two-pass) does not
    scale = np.abs(np.cov(X, rowvar=False)).max()
    np.testing.assert_allclose(
        merged.cov(), np.atleast_2d(np.cov(X, rowvar=False)), atol=1e-14 * n * (offset**2 + scale)
    )


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(2, 5))
def test_merge_order_does_not_matter(seed, k):
    rng = np.random.default_rng(seed)
    parts = [stats(rng.standard_normal((rng.integers(1, 9), 3))) for _ in range(k)]
    forward, backward = parts[0], parts[-1]
    for p in parts[1:]:
        forward = forward.merge(p)
    for p in parts[-2::-1]:
        backward = backward.merge(p)
    np.testing.assert_allclose(forward.outer, backward.outer, rtol=1e-13, atol=1e-12)
    assert forward.n == backward.n


def test_mean_and_cov_are_numpys_with_ddof_1():
    X = np.random.default_rng(0).normal(3.0, 2.0, size=(50, 6))
    s = stats(X)
    np.testing.assert_allclose(s.mean(), np.mean(X, axis=0), rtol=1e-13)
    np.testing.assert_allclose(s.cov(), np.cov(X, rowvar=False), rtol=1e-10, atol=1e-12)
    assert s.cov().dtype == np.float64 and np.array_equal(s.cov(), s.cov().T)


def test_float32_features_are_accumulated_in_float64():
    X = (1e4 + np.random.default_rng(1).standard_normal((200, 3))).astype(np.float32)
    s = stats(X)
    assert s.total.dtype == s.outer.dtype == np.float64
    np.testing.assert_allclose(s.cov(), np.cov(X.astype(np.float64), rowvar=False), rtol=1e-6)


# --- FID of statistics: closed forms ----------------------------------------


def test_identical_statistics_give_zero():
    X = np.random.default_rng(2).standard_normal((30, 8))
    assert abs(fid_from_stats(stats(X), stats(X))) < 1e-8


def test_equal_covariances_give_the_squared_mean_shift():
    X = np.random.default_rng(3).standard_normal((40, 5))
    shift = np.array([1.0, -2.0, 0.5, 0.0, 3.0])
    assert fid_from_stats(stats(X), stats(X + shift)) == pytest.approx(shift @ shift, rel=1e-9)


def test_diagonal_covariances_give_the_scalar_formula():
    # columns of a Hadamard matrix are orthogonal and zero-mean: the sample covariance is exactly diagonal
    from scipy.linalg import hadamard

    H = hadamard(8)[:, 1:5].astype(float)
    m1, s1 = np.array([0.0, 1, 2, 3]), np.array([1.0, 2, 3, 4])
    m2, s2 = np.array([1.0, 1, 0, 3]), np.array([2.0, 2, 1, 0.5])
    X1, X2 = m1 + H * s1, m2 + H * s2
    var1, var2 = np.var(X1, axis=0, ddof=1), np.var(X2, axis=0, ddof=1)
    expected = np.sum((m1 - m2) ** 2) + np.sum((np.sqrt(var1) - np.sqrt(var2)) ** 2)
    assert fid_from_stats(stats(X1), stats(X2)) == pytest.approx(expected, rel=1e-9)


def test_statistics_of_other_extractors_are_not_compared_or_merged():
    X = np.random.default_rng(4).standard_normal((5, 2))
    with pytest.raises(ArtifactError, match="different feature extractors"):
        fid_from_stats(stats(X, "a"), stats(X, "b"))
    with pytest.raises(ArtifactError, match="different feature extractors"):
        stats(X, "a").merge(stats(X, "b"))


def test_fewer_than_two_images_is_a_clear_error():
    one = stats(np.ones((1, 3)))
    with pytest.raises(DataError, match="at least 2 generated images"):
        fid_from_stats(stats(np.random.default_rng(0).random((4, 3))), one)
    with pytest.raises(DataError, match="at least 2 images"):
        one.cov()


# --- npz files ---------------------------------------------------------------


def test_npz_round_trip_keeps_mean_cov_and_ids(tmp_path):
    X = np.random.default_rng(5).normal(0.4, 0.2, size=(25, 7))
    s = FeatureStats.from_features(X, extractor="inception:abc", fingerprint="folder:123")
    path = s.to_npz(tmp_path / "s.npz")
    assert is_stats_file(path)
    back = FeatureStats.from_npz(path, extractor="inception:abc")
    assert (back.n, back.extractor, back.fingerprint, back.exact_n) == (25, "inception:abc", "folder:123", True)
    np.testing.assert_allclose(back.mean(), s.mean(), rtol=1e-14)
    np.testing.assert_allclose(back.cov(), s.cov(), rtol=1e-10, atol=1e-14)
    with np.load(path) as npz:  # what pytorch-fid's compute_statistics_of_path reads
        np.testing.assert_allclose(npz["mu"], X.mean(axis=0))
        np.testing.assert_allclose(npz["sigma"], np.cov(X, rowvar=False), atol=1e-14)
    assert [p.name for p in tmp_path.iterdir()] == ["s.npz"]


def test_npz_of_another_extractor_is_refused(tmp_path):
    path = stats(np.random.default_rng(6).random((4, 3)), "weights-A").to_npz(tmp_path / "a.npz")
    with pytest.raises(ArtifactError, match="computed with feature extractor weights-A"):
        FeatureStats.from_npz(path, extractor="weights-B")


def test_pytorch_fid_stats_files_load_but_do_not_merge(tmp_path):
    X = np.random.default_rng(7).random((9, 3))
    np.savez_compressed(tmp_path / "pf.npz", mu=X.mean(axis=0), sigma=np.cov(X, rowvar=False))
    loaded = FeatureStats.from_npz(tmp_path / "pf.npz", extractor="e")
    assert not loaded.exact_n and loaded.extractor == "e"
    np.testing.assert_allclose(loaded.cov(), np.cov(X, rowvar=False), atol=1e-14)
    with pytest.raises(DataError, match="cannot be merged"):
        loaded.merge(stats(X, "e"))


@pytest.mark.parametrize("content", [b"not an npz", None])
def test_unreadable_or_foreign_npz_is_an_artifact_error(tmp_path, content):
    path = tmp_path / "x.npz"
    if content is None:
        np.savez(path, images=np.zeros((2, 3)))
    else:
        path.write_bytes(content)
    assert not is_stats_file(path)
    with pytest.raises(ArtifactError):
        FeatureStats.from_npz(path)


def test_a_failed_write_leaves_no_file(tmp_path, monkeypatch):
    s = stats(np.random.default_rng(8).random((4, 3)))

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken)
    with pytest.raises(OSError, match="disk full"):
        s.to_npz(tmp_path / "s.npz")
    assert list(tmp_path.iterdir()) == []
