"""Parquet inputs: files, folders of parts, globs and URIs read in sorted order; clear errors."""

from __future__ import annotations

import pandas as pd
import pytest

from synth.data.sources import load_source
from synth.errors import DataError


@pytest.fixture()
def parts(iris_frame, tmp_path):
    folder = tmp_path / "iris"
    folder.mkdir()
    for i, start in enumerate(range(0, 150, 60)):
        iris_frame.iloc[start : start + 60].to_parquet(folder / f"part-{i}.parquet", index=False)
    return folder


def test_a_folder_a_glob_a_file_and_a_uri_read_the_same_rows(iris_frame, parts):
    whole = load_source(str(parts), label="species")
    assert whole.kind == "tabular" and whole.label_column == "species"
    pd.testing.assert_frame_equal(whole.data, iris_frame.reset_index(drop=True))
    pd.testing.assert_frame_equal(load_source(str(parts / "part-*.parquet")).data, whole.data)
    pd.testing.assert_frame_equal(load_source(parts.as_uri()).data, whole.data)
    assert len(load_source(str(parts / "part-2.parquet")).data) == 30


def test_bad_parquet_inputs_are_named(iris_frame, parts, tmp_path):
    from synth.distributed.streaming_fit import read_table  # the streamed reader checks the same, first

    for read in (load_source, read_table):
        with pytest.raises(DataError, match="no files match"):
            read(str(tmp_path / "nothing-*.parquet"))
    iris_frame.assign(extra=1).to_parquet(parts / "part-9.parquet", index=False)
    for read in (load_source, read_table):
        with pytest.raises(DataError, match="another schema"):
            read(str(parts))
    (tmp_path / "broken.parquet").write_bytes(b"not parquet")
    with pytest.raises(DataError, match="could not be read as Parquet"):
        load_source(str(tmp_path / "broken.parquet"))
    with pytest.raises(DataError, match="cannot read Parquet"):
        load_source("nosuchscheme://bucket/table")
    with pytest.raises(DataError, match="label column 'kind' not found"):
        load_source(str(parts / "part-0.parquet"), label="kind")


def test_row_hash_split_does_not_depend_on_blocks_or_integer_gaps(messy_frame):
    import numpy as np

    from synth.data.sources import RawData
    from synth.data.split import hash_holdout, row_fingerprint, row_units

    table = messy_frame.copy()
    whole = row_units(table, 5)
    assert np.array_equal(np.concatenate([row_units(table.iloc[:3], 5), row_units(table.iloc[3:], 5)]), whole)
    # a Parquet part without a gap reads an integer column as int64, one with a gap as float64
    ints = table.assign(n_int=table["n_int"].fillna(0).astype("int64"))
    assert np.array_equal(row_units(ints, 5), row_units(ints.astype({"n_int": "float64"}), 5))
    assert 0 <= whole.min() and whole.max() < 1 and not np.array_equal(whole, row_units(table, 6))
    train, test = hash_holdout(RawData("t", "tabular", table), test_size=0.25, seed=0)
    assert len(train.data) + len(test.data) == len(table) and 0 < len(test.data) < len(table) / 2
    assert row_fingerprint(table) != row_fingerprint(table.iloc[1:])
