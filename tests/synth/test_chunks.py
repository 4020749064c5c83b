"""Chunked generation: the chunk owns its seed, so rows do not depend on how chunks are shared;
resume skips finished chunks; another request's directory is refused."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from synth.chunks import MANIFEST, plan_chunks, read_dataset, write_dataset
from synth.errors import ConfigError


@pytest.fixture(scope="module")
def iris_artifact(iris_synth, tmp_path_factory):
    path = tmp_path_factory.mktemp("chunks") / "iris"
    iris_synth.save(path)
    return path


def test_plan_has_fixed_chunks_with_distinct_seeds_and_an_uneven_tail():
    chunks = plan_chunks(1000, seed=3, chunk_rows=300)
    assert [c.rows for c in chunks] == [300, 300, 300, 100]
    assert [c.start for c in chunks] == [0, 300, 600, 900]
    assert len({c.seed for c in chunks}) == 4
    assert plan_chunks(1000, seed=3, chunk_rows=300) == chunks  # a pure function of the request
    assert plan_chunks(1000, seed=4, chunk_rows=300)[0].seed != chunks[0].seed
    with pytest.raises(ConfigError):
        plan_chunks(0, seed=0)


def test_rows_are_the_chunks_rows_in_order(iris_synth, iris_artifact, tmp_path):
    manifest = write_dataset(iris_synth, iris_artifact, 700, tmp_path / "a", seed=5, chunk_rows=300)
    table = read_dataset(tmp_path / "a")
    assert len(table) == 700 and manifest["rows"] == 700 and len(manifest["chunks"]) == 3
    assert list(table.columns) == [*iris_synth.generate(1, random_state=0).data.columns, "species"]
    second = plan_chunks(700, seed=5, chunk_rows=300)[1]
    alone = iris_synth.generate(second.rows, random_state=second.seed).data
    pd.testing.assert_frame_equal(table.iloc[300:600, :-1].reset_index(drop=True), alone, check_dtype=False)


def test_resume_gives_the_same_files_and_other_requests_are_refused(iris_synth, iris_artifact, tmp_path):
    full = write_dataset(iris_synth, iris_artifact, 700, tmp_path / "full", seed=5, chunk_rows=300)
    part = tmp_path / "part"
    write_dataset(iris_synth, iris_artifact, 700, part, seed=5, chunk_rows=300)
    (part / full["chunks"][2]["file"]).unlink()  # an interrupted run: the last chunk is missing
    (part / full["chunks"][1]["file"]).write_bytes(b"torn")  # and one was cut off mid-write
    with pytest.raises(ConfigError, match="--resume"):
        write_dataset(iris_synth, iris_artifact, 700, part, seed=5, chunk_rows=300)
    calls = []
    resumed = write_dataset(
        iris_synth, iris_artifact, 700, part, seed=5, chunk_rows=300, resume=True, progress=lambda *a: calls.append(a)
    )
    assert calls == [(2, 3), (3, 3)]  # chunk 0 was kept, 1 and 2 redrawn
    assert resumed["chunks"] == full["chunks"]
    for entry in full["chunks"]:
        assert (part / entry["file"]).read_bytes() == (tmp_path / "full" / entry["file"]).read_bytes()
    with pytest.raises(ConfigError, match="another request"):
        write_dataset(iris_synth, iris_artifact, 700, part, seed=6, chunk_rows=300, resume=True)
    write_dataset(iris_synth, iris_artifact, 100, part, seed=6, chunk_rows=300, overwrite=True)
    assert json.loads((part / MANIFEST).read_text())["rows"] == 100 and len(list(part.glob("part-*"))) == 1


def test_bad_requests_are_clear(iris_synth, iris_artifact, tmp_path):
    with pytest.raises(ConfigError, match="not for tabular"):
        write_dataset(iris_synth, iris_artifact, 10, tmp_path / "x", file_format="npz")
    with pytest.raises(ConfigError, match="JSON-able"):
        write_dataset(iris_synth, iris_artifact, 10, tmp_path / "y", options={"constraints": [np.isfinite]})
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="not a directory"):
        write_dataset(iris_synth, iris_artifact, 10, tmp_path / "file")


def test_cli_writes_parquet_chunks_and_refuses_a_full_directory(iris_synth, iris_artifact, tmp_path, capsys):
    from latentsynth.cli import main

    out = tmp_path / "cli"
    args = ["generate", str(iris_artifact), "--n", "500", "--chunk-rows", "200", "--seed", "2", "--out", str(out)]
    assert main([*args, "--format", "parquet"]) == 0
    direct = write_dataset(iris_synth, iris_artifact, 500, tmp_path / "direct", seed=2, chunk_rows=200)
    assert json.loads((out / MANIFEST).read_text())["chunks"] == direct["chunks"]
    assert main(args) == 2 and "--resume" in capsys.readouterr().err  # nothing overwritten
    assert main([*args, "--resume"]) == 0
    assert main(["generate", str(iris_artifact), "--n", "5", "--workers", "1"]) == 2  # no --out
