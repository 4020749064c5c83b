"""Sharded FID on Ray actors (synth/distributed.py): the same value as the in-process stream,
generator budgets split with disjoint seeds, worker-side bad input surfacing as the user's error.
Stand-in Inception weights: these numbers prove exactness/plumbing, not image quality."""

import numpy as np
import pytest
import torch
from PIL import Image

from synth.errors import DataError
from synth.metrics.fid import feature_stats, fid_from_stats

pytestmark = pytest.mark.ray

NOTE = "(stand-in Inception weights: proves exactness/plumbing, not image quality)"


def test_two_workers_give_the_in_process_value(ray_session, fid_folders, folder_stats, fid_weights, tmp_path):
    from synth.distributed import fid_distributed

    result = fid_distributed(*fid_folders, workers=2, weights=fid_weights, device="cpu", cache_dir=tmp_path)
    local = fid_from_stats(*folder_stats)
    print(f"FID 2 Ray workers {result.fid:.10g} vs in-process {local:.10g} {NOTE}")
    # Each actor runs Inception on 1 thread, this process on 2: oneDNN then sums convolutions in
    # another order, so float32 features differ in the last bits (~1e-7 relative on FID).
    assert result.fid == pytest.approx(local, rel=1e-6)
    assert (result.n_real, result.n_gen, result.real_cached) == (10, 10, False)
    again = fid_distributed(*fid_folders, workers=2, weights=fid_weights, cache_dir=tmp_path)  # no actor needed
    assert again.real_cached and again.gen_cached and again.fid == pytest.approx(result.fid, rel=1e-12)


def test_generator_budget_is_split_with_disjoint_seeds(ray_session, fid_weights, inception):
    from synth.distributed import feature_stats_distributed
    from synth.metrics.image_sources import GeneratedImages

    def sample(n, seed):
        return (np.random.default_rng(seed).random((n, 3, 6, 6)) * 255).astype(np.uint8)

    source = GeneratedImages(sample, 5, seed=1, chunk=2)
    sharded = feature_stats_distributed(source, workers=2, weights=fid_weights)
    previous = torch.get_num_threads()
    torch.set_num_threads(1)  # as in each actor: then the float32 features are bit-identical
    try:
        local = feature_stats(source, extractor=inception)
    finally:
        torch.set_num_threads(previous)
    assert sharded.n == local.n == 5 and sharded.extractor == local.extractor
    np.testing.assert_allclose(sharded.total, local.total, rtol=1e-13)
    np.testing.assert_allclose(sharded.outer, local.outer, rtol=1e-13)


def test_a_bad_image_in_a_shard_is_the_users_error_not_a_worker_traceback(ray_session, fid_weights, tmp_path):
    from synth.distributed import feature_stats_distributed

    Image.new("RGB", (6, 6)).save(tmp_path / "a.png")
    (tmp_path / "b.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match="b.png is not a readable image") as caught:
        feature_stats_distributed(tmp_path, workers=2, weights=fid_weights)
    assert "Traceback" not in str(caught.value)
