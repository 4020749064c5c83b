"""The streamed fit on Ray Data equals the in-memory fit of the same Parquet table."""

import numpy as np
import pytest

from synth.data.parquet import read_parquet_source
from synth.data.table_transform import TabularTransformer
from synth.data.tabular import CleaningOptions, clean_table

pytestmark = pytest.mark.ray


def test_ray_data_statistics_equal_the_in_memory_fit(ray_session, messy_frame, tmp_path):
    from synth.distributed.streaming_fit import fit_transformer_ray, read_table

    table = messy_frame.copy()
    table.loc[::7, "n_int"] = None  # int64 in parts without a gap, float64 in parts with one
    edges = [0, 3, 150, 151, len(table)]
    for i, (a, b) in enumerate(zip(edges[:-1], edges[1:])):
        table.iloc[a:b].to_parquet(tmp_path / f"part-{i:02d}.parquet", index=False)
    options = CleaningOptions(free_text="top")
    whole = read_parquet_source(str(tmp_path))
    frame, _, report = clean_table(whole, label="cls", options=options)
    fitted = TabularTransformer().fit(frame, dtypes=report.dtypes, schema=report.schema)
    streamed, stats, _, dtypes = fit_transformer_ray(read_table(tmp_path), label="cls", options=options)
    assert stats["rows"] == len(frame) == len(table)
    for got, want in zip(streamed.to_dict()["columns"], fitted.to_dict()["columns"]):
        assert got == want, {k: (got[k], want[k]) for k in want if got[k] != want[k]}
    assert streamed.to_dict() == fitted.to_dict()
    assert np.array_equal(streamed.transform(frame), fitted.transform(frame))
