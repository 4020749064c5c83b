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


def test_latent_sums_on_ray_give_the_models_gaussians(ray_session, iris_synth, iris_frame, tmp_path):
    from synth.data.stream_fit import detect_schema
    from synth.distributed.streaming_fit import cluster_moments_ray, read_table

    artifact = iris_synth.save(tmp_path / "iris")
    parts = tmp_path / "table"
    parts.mkdir()
    for i, rows in enumerate([slice(0, 70), slice(70, 71), slice(71, 150)]):
        iris_frame.iloc[rows].to_parquet(parts / f"part-{i}.parquet", index=False)
    schema, _ = detect_schema(iris_frame, label="species")
    features = iris_frame.drop(columns="species")
    Z = iris_synth.encode(features)
    codes = np.array([iris_synth.cluster_code(v) for v in iris_frame["species"]])
    sample = np.random.default_rng(0).choice(len(Z), 60, replace=False)
    shift = np.array([Z[sample][codes[sample] == k].mean(axis=0) for k in range(iris_synth.clusters_.n_clusters)])
    sums = cluster_moments_ray(read_table(parts), artifact, schema, shift, label="species")
    streamed = sums.gaussians(shrinkage=iris_synth.config_.shrinkage, q=iris_synth.config_.q)
    assert np.array_equal(streamed.counts_, iris_synth.gaussians_.counts_)
    np.testing.assert_allclose(streamed.means_, iris_synth.gaussians_.means_, rtol=1e-12, atol=0)
    np.testing.assert_allclose(streamed.covariances_, iris_synth.gaussians_.covariances_, rtol=1e-12, atol=0)
