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


def test_fit_dataset_trains_on_worker_shards_and_sums_the_gaussians(ray_session, iris_frame, tmp_path):
    """Ray Train workers read their own rows from Ray Data; every training row counts once in the
    Gaussians, which equal those of the latents of the same rows computed here in memory."""
    from cluster.gaussians import ClusterGaussians
    from latentsynth.workflows import real_data_for
    from synth.data.sources import RawData
    from synth.data.split import hash_holdout, row_fingerprint
    from synth.distributed.fit_dataset import fit_dataset
    from synth.distributed.streaming_fit import read_table
    from synth.distributed.train import ray_train_fn
    from synth.synthesizer import LatentSynthesizer

    for i, rows in enumerate([slice(0, 70), slice(70, 71), slice(71, 150)]):
        iris_frame.iloc[rows].to_parquet(tmp_path / f"part-{i}.parquet", index=False)
    syn = LatentSynthesizer(model="vae", latent_dim=3, hidden=(16, 8), epochs=2, random_state=0)
    train_fn = ray_train_fn(num_workers=2, cpus_per_worker=0.5, storage_path=str(tmp_path / "runs"))
    syn, split = fit_dataset(syn, read_table(tmp_path), label="species", holdout=0.2, workers=2, train_fn=train_fn)
    raw = RawData("iris", "tabular", iris_frame, label_column="species")
    train, test = hash_holdout(raw, test_size=0.2, seed=0)
    report, stream = syn.cleaning_report_, syn.train_summary_["stream"]
    assert report["rows_in"] == 150 and report["rows_held_out"] == len(test.data) > 0
    assert sum(stream["train_rows_per_worker"]) + sum(stream["val_rows_per_worker"]) == len(train.data)
    assert min(stream["train_rows_per_worker"]) > 0 and len(syn.history_) == 2
    assert split["fingerprint"] == row_fingerprint(iris_frame) and split["rule"] == "row-hash"
    Z = syn.encode(train.data.drop(columns="species"))
    codes = np.array([syn.cluster_code(v) for v in train.data["species"]])
    want = ClusterGaussians(shrinkage=syn.config_.shrinkage, q=syn.config_.q).fit(Z, codes)
    got = syn.clusters_.gaussians
    assert np.array_equal(got.counts_, want.counts_)
    np.testing.assert_allclose(got.means_, want.means_, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(got.covariances_, want.covariances_, rtol=1e-12, atol=1e-15)
    real, _ = real_data_for(syn, raw, split)  # `evaluate` finds the same hold-out
    assert len(real.X_test) == len(test.data)
    # the marginal calibration from the row sample (here every training row) is the in-memory one
    from synth.marginals import calibrate_synthesizer

    again = calibrate_synthesizer(syn, syn.transform_features(train.data.drop(columns="species")), codes, seed=0)
    np.testing.assert_allclose(syn.calibration_.real_quantiles, again.real_quantiles, rtol=1e-12)
    np.testing.assert_allclose(syn.calibration_.model_quantiles, again.model_quantiles, rtol=1e-12)


def test_fit_dataset_without_labels_assigns_every_row_to_its_likeliest_leaf(ray_session, iris_frame, tmp_path):
    from cluster.gaussians import ClusterGaussians
    from synth.distributed.fit_dataset import fit_dataset
    from synth.distributed.streaming_fit import read_table
    from synth.distributed.train import ray_train_fn
    from synth.synthesizer import LatentSynthesizer

    iris_frame.to_parquet(tmp_path / "iris.parquet", index=False)
    syn = LatentSynthesizer(model="ae", latent_dim=3, hidden=(16, 8), epochs=1, random_state=1)
    train_fn = ray_train_fn(num_workers=2, cpus_per_worker=0.5, storage_path=str(tmp_path / "runs"))
    syn, split = fit_dataset(syn, read_table(tmp_path), label="species", unlabelled=True, workers=2, train_fn=train_fn)
    assert (
        split["unlabelled"]
        and split["label"] == "species"
        and "species" not in [c.name for c in syn.transformer_.columns_]
    )
    clusters = syn.clusters_
    assert clusters.partition_kind == "polarized" and sum(clusters.sizes) == 150 and min(clusters.sizes) >= 2
    Z = syn.encode(iris_frame.drop(columns="species"))
    codes = clusters.partition.predict(Z)
    want = ClusterGaussians(shrinkage=syn.config_.shrinkage, q=syn.config_.q).fit(Z, codes)
    assert np.array_equal(clusters.gaussians.counts_, want.counts_)
    np.testing.assert_allclose(clusters.gaussians.means_, want.means_, rtol=1e-12, atol=1e-15)
    assert syn.calibration_.model_quantiles.shape[0] == clusters.n_clusters  # one quantile table per leaf
