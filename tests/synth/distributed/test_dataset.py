"""Chunked generation on Ray: any number of workers writes the bytes one process writes."""

from __future__ import annotations

import pandas as pd
import pytest

from synth.chunks import read_dataset, write_dataset

pytestmark = pytest.mark.ray


def test_one_two_and_three_workers_write_the_same_bytes(ray_session, iris_synth, tmp_path):
    from synth.distributed.dataset import generate_dataset, write_dataset_ray

    artifact = tmp_path / "iris"
    iris_synth.save(artifact)
    local = write_dataset(iris_synth, artifact, 1000, tmp_path / "local", seed=9, chunk_rows=300)
    for workers in (2, 3):
        out = tmp_path / f"ray{workers}"
        manifest = write_dataset_ray(artifact, 1000, out, workers=workers, seed=9, chunk_rows=300)
        assert manifest["chunks"] == local["chunks"]  # same files, same SHA-256, uneven last chunk included
    dataset = generate_dataset(artifact, 1000, seed=9, chunk_rows=300, workers=2)
    pd.testing.assert_frame_equal(dataset.to_pandas(), read_dataset(tmp_path / "local"), check_dtype=False)
