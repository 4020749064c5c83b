"""The facade end to end on tiny data: fit, sample, determinism, save/load, errors."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
import torch

from synth.errors import ArtifactError, ConfigError, DataError, UnknownClusterError, UnknownMethodError
from synth.generate import METHODS
from synth.synthesizer import LatentSynthesizer


def test_fit_learns_one_gaussian_per_label(iris_synth):
    assert iris_synth.cluster_names_ == ["setosa", "versicolor", "virginica"]
    assert sum(iris_synth.cluster_sizes_) == 150  # every row used (the |z| filter is off by default)
    assert iris_synth.cleaning_report_["rows_used"] == iris_synth.cleaning_report_["rows_in"] == 150
    assert iris_synth.gaussians_.means_.shape == (3, 5)
    assert iris_synth.history_[-1]["loss"] < iris_synth.history_[0]["loss"]


@pytest.mark.parametrize("method", METHODS)
def test_every_method_returns_rows_in_original_units(iris_synth, iris_frame, method):
    X, labels = iris_synth.sample(30, cluster="virginica", method=method, random_state=3)
    assert list(X.columns) == list(iris_frame.columns[:4]) and len(X) == 30
    assert set(labels) == {"virginica"}
    for col in X.columns:  # clipped to the seen range, rounded to the data's 1 decimal
        assert iris_frame[col].min() <= X[col].min() and X[col].max() <= iris_frame[col].max()
        np.testing.assert_allclose(X[col], X[col].round(1))


def test_cluster_none_spreads_by_size_and_provenance(iris_synth):
    out = iris_synth.generate(100, method="random", random_state=0, accept_reject=True)
    counts = pd.Series(out.labels).value_counts().to_dict()
    assert counts == {"setosa": 34, "versicolor": 33, "virginica": 33}  # 50 rows each: the tie goes to the first
    assert list(out.provenance.columns) == [
        "cluster",
        "method",
        "seed",
        "d2",
        "in_region",
        "accepted",
        "back_projected",
    ]
    assert out.provenance["in_region"].all() and (out.provenance["seed"] == 0).all()
    assert out.latents.shape == (100, 5)
    assert 0.85 < np.mean([s["acceptance_rate"] for s in out.stats.values()]) <= 1.0


def test_same_seed_bit_identical_other_seed_differs(iris_synth):
    a, _ = iris_synth.sample(50, random_state=7)
    b, _ = iris_synth.sample(50, random_state=7)
    c, _ = iris_synth.sample(50, random_state=8)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_back_projection_keeps_only_adherent_samples(iris_synth):
    out = iris_synth.generate(40, cluster="versicolor", method="random", random_state=1, back_project=True)
    z = iris_synth.encode(out.data)
    k = iris_synth.cluster_code("versicolor")
    assert np.all(iris_synth.gaussians_.predict(z) == k)
    assert np.all(iris_synth.gaussians_.in_region(z, k))


def test_save_load_round_trip_is_bit_identical(iris_synth, tmp_path):
    iris_synth.save(tmp_path / "m")
    loaded = LatentSynthesizer.load(tmp_path / "m")
    for method in METHODS:
        a, la = iris_synth.sample(25, method=method, random_state=5)
        b, lb = loaded.sample(25, method=method, random_state=5)
        pd.testing.assert_frame_equal(a, b)
        assert list(la) == list(lb)
    assert loaded.describe() == iris_synth.describe()
    # artifact contents: weights load safely; no training row is stored anywhere
    weights = torch.load(tmp_path / "m" / "weights.pt", weights_only=True)
    assert set(weights) == {"model"}
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    assert meta["config"]["latent_dim"] == 5 and meta["clusters"]["anchors"] == "micro_centroids"
    with np.load(tmp_path / "m" / "clusters.npz", allow_pickle=False) as npz:
        anchors = npz["anchors"]
    assert anchors.shape[1] == 5 and len(anchors) <= 150 // 5 + 3
    assert (tmp_path / "m" / "history.csv").is_file() and (tmp_path / "m" / "history.png").is_file()


def test_save_refuses_to_overwrite(iris_synth, tmp_path):
    iris_synth.save(tmp_path / "m")
    with pytest.raises(ArtifactError, match="already exists"):
        iris_synth.save(tmp_path / "m")
    iris_synth.save(tmp_path / "m", overwrite=True)
    assert LatentSynthesizer.load(tmp_path / "m").cluster_names_ == iris_synth.cluster_names_


def test_anchors_are_micro_centroids_not_rows(iris_synth, iris_frame):
    from synth.data.tabular import clean_table

    frame, _, _ = clean_table(iris_frame, label="species")
    Z = iris_synth.encode(frame)
    stored = np.concatenate(iris_synth.anchors_)
    distances = np.min(np.linalg.norm(stored[:, None] - Z[None], axis=2), axis=1)
    assert distances.min() > 1e-9


def test_same_seed_across_processes(iris_synth, tmp_path):
    iris_synth.save(tmp_path / "m")
    script = textwrap.dedent(f"""
        from synth.synthesizer import LatentSynthesizer
        X, _ = LatentSynthesizer.load({str(tmp_path / "m")!r}).sample(40, method="morph", random_state=11)
        print(X.to_csv(index=False))
    """)
    runs = [
        subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
        for _ in range(2)
    ]
    assert runs[0] == runs[1]
    here, _ = iris_synth.sample(40, method="morph", random_state=11)
    assert runs[0].strip() == here.to_csv(index=False).strip()


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda s: s.sample(5, cluster="rose"), UnknownClusterError, "unknown cluster 'rose'"),
        (lambda s: s.sample(5, method="teleport"), UnknownMethodError, "unknown method 'teleport'"),
        (lambda s: s.sample(0), ConfigError, "n must be a positive integer"),
        (lambda s: s.sample(-3), ConfigError, "n must be a positive integer"),
        (lambda s: s.sample(5, random_state=-1), ConfigError, "random_state"),
        (lambda s: s.sample(5, q=1.5), ConfigError, "q must be"),
    ],
)
def test_bad_sampling_requests(iris_synth, call, error, message):
    with pytest.raises(error, match=message):
        call(iris_synth)


def test_cluster_with_one_row_is_a_data_error():
    df = pd.DataFrame({"a": np.arange(12.0), "b": np.arange(12.0) % 5, "y": ["p"] * 11 + ["q"]})
    with pytest.raises(DataError, match="at least 2 rows.*'q': 1"):
        LatentSynthesizer(epochs=2, outlier_z=None).fit(df, y="y")


def test_unknown_option_and_model():
    with pytest.raises(ConfigError, match="unknown option"):
        LatentSynthesizer(latent_dims=3)
    with pytest.raises(ConfigError, match="unknown model"):
        LatentSynthesizer(model="transformer")


def test_unfitted_use_is_clear():
    with pytest.raises(ConfigError, match="not fitted"):
        LatentSynthesizer().sample(3)


def test_corrupt_and_foreign_artifacts(iris_synth, tmp_path):
    with pytest.raises(ArtifactError, match="not an artifact directory"):
        LatentSynthesizer.load(tmp_path / "missing")
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "model.json").write_text("{}")
    with pytest.raises(ArtifactError, match="missing"):
        LatentSynthesizer.load(tmp_path / "foreign")
    iris_synth.save(tmp_path / "ok")
    (tmp_path / "ok" / "model.json").write_text("{not json")
    with pytest.raises(ArtifactError, match="corrupt"):
        LatentSynthesizer.load(tmp_path / "ok")
    iris_synth.save(tmp_path / "w")
    (tmp_path / "w" / "weights.pt").write_bytes(b"garbage" * 10)
    with pytest.raises(ArtifactError, match="could not be loaded safely"):
        LatentSynthesizer.load(tmp_path / "w")
    iris_synth.save(tmp_path / "p")  # a pickle of a live object is refused by weights_only
    torch.save({"model": object()}, tmp_path / "p" / "weights.pt")
    with pytest.raises(ArtifactError, match="could not be loaded safely"):
        LatentSynthesizer.load(tmp_path / "p")
    iris_synth.save(tmp_path / "v")
    meta = json.loads((tmp_path / "v" / "model.json").read_text())
    meta["format_version"] = 99
    (tmp_path / "v" / "model.json").write_text(json.dumps(meta))
    with pytest.raises(ArtifactError, match="format version 99"):
        LatentSynthesizer.load(tmp_path / "v")
    iris_synth.save(tmp_path / "s")
    torch.save({"model": {"bogus": torch.zeros(2)}}, tmp_path / "s" / "weights.pt")
    with pytest.raises(ArtifactError, match="not a usable latentsynth artifact"):
        LatentSynthesizer.load(tmp_path / "s")


def test_unlabelled_table_clusters_with_polarized_tree(blobs_frame, tmp_path):
    syn = LatentSynthesizer(model="ae", latent_dim=2, epochs=80, random_state=0, n_clusters=3, outlier_z=None).fit(
        blobs_frame
    )
    assert syn.partition_kind_ == "polarized" and syn.cluster_names_ == [0, 1, 2]
    X, labels = syn.sample(30, cluster=2, random_state=0)
    assert X["b"].dtype == np.int64 and set(X["kind"]) <= {"x", "y", "z"}
    syn.save(tmp_path / "u")
    loaded = LatentSynthesizer.load(tmp_path / "u")
    pd.testing.assert_frame_equal(loaded.sample(30, cluster="2", random_state=0)[0], X)


def test_images_fit_and_sample():
    from synth.data.sources import load_embedded

    raw = load_embedded("digits")
    idx = np.flatnonzero(raw.labels < 3)[:150]
    syn = LatentSynthesizer(model="vae", latent_dim=4, epochs=3, random_state=0).fit(raw.data[idx], raw.labels[idx])
    images, labels = syn.sample(6, cluster=1, random_state=0)
    assert images.shape == (6, 1, 8, 8) and images.dtype == np.float32
    assert images.min() >= 0 and images.max() <= 16 and set(labels) == {1}


def test_constructor_arguments_are_kept_until_fit_and_cloneable(iris_frame):
    from sklearn.base import clone

    syn = LatentSynthesizer(model="vae", latent_dim=3, epochs=2, hidden=[8], random_state=5)
    params = {"model": "vae", "random_state": 5, "latent_dim": 3, "epochs": 2, "hidden": [8]}
    assert syn.get_params() == params
    assert clone(syn).get_params() == params
    syn.fit(iris_frame, y="species")
    assert syn.get_params() == params  # fit resolves into config_, never into the arguments
    assert syn.config_.hidden == (8,) and syn.config_.batch_size is not None
    assert syn.set_params(epochs=4) is syn and syn.get_params()["epochs"] == 4
    with pytest.raises(ConfigError, match="bogus"):
        syn.set_params(bogus=1)
    with pytest.raises(ConfigError, match="latent_dim"):
        syn.set_params(latent_dim=0)
    assert syn.get_params()["epochs"] == 4 and syn.get_params()["latent_dim"] == 3  # a refused call changes nothing


def test_predict_and_fit_predict_name_each_rows_cluster(iris_frame):
    syn = LatentSynthesizer(model="vae", latent_dim=3, epochs=30, random_state=0)
    names = syn.fit_predict(iris_frame, y="species")
    assert len(names) == len(iris_frame) and set(names) <= {"setosa", "versicolor", "virginica"}
    assert (names == iris_frame["species"].to_numpy()).mean() > 0.6
    np.testing.assert_array_equal(syn.predict(iris_frame), names)
