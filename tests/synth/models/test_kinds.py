"""Every model kind through the facade: fit → sample → save → load → bit-identical samples;
GAN-specific facade behaviour (noise latent, prior Gaussians, no encoder); old artifacts load."""

import json

import numpy as np
import pytest
import torch

from synth.errors import ConfigError
from synth.generate import METHODS
from synth.models import MODEL_KINDS, get_model_kind
from synth.synthesizer import LatentSynthesizer

TINY = {"epochs": 1, "gan_channels": 16}


@pytest.fixture(scope="module")
def digits_small():
    from synth.data.sources import load_embedded

    raw = load_embedded("digits")
    idx = np.flatnonzero(raw.labels < 3)[:60]
    return raw.data[idx], raw.labels[idx]


def _fit(kind, digits_small, records, **extra):
    if kind == "double-ae":
        X, y = records
        return LatentSynthesizer(model=kind, epochs=1, column_dim=3, row_dim=2, random_state=0, **extra).fit(X, y)
    X, y = digits_small
    options = {**TINY, "latent_dim": 4} if kind in ("ae", "vae") else dict(TINY)
    return LatentSynthesizer(model=kind, random_state=0, **options, **extra).fit(X, y)


def test_registry_lists_the_zoo():
    assert {"ae", "vae", "dcgan", "wgan-gp", "cdcgan", "cwgan-gp", "double-ae"} <= set(MODEL_KINDS)
    assert get_model_kind("cwgan-gp").family == "gan" and get_model_kind("double-ae").data_kinds == ("record",)


@pytest.mark.parametrize("kind", ["ae", "vae", "dcgan", "wgan-gp", "cdcgan", "cwgan-gp", "double-ae"])
def test_every_kind_round_trips_bit_identically(kind, digits_small, records, tmp_path):
    syn = _fit(kind, digits_small, records)
    syn.save(tmp_path / kind)
    loaded = LatentSynthesizer.load(tmp_path / kind)
    cluster = syn.cluster_names_[-1]
    for method in METHODS:
        a, la = syn.sample(9, cluster=cluster, method=method, random_state=3)
        b, lb = loaded.sample(9, cluster=cluster, method=method, random_state=3)
        np.testing.assert_array_equal(a, b)
        assert list(la) == list(lb) == [cluster] * 9
    assert loaded.describe() == syn.describe()
    weights = torch.load(tmp_path / kind / "weights.pt", weights_only=True)
    assert set(weights) == {"model"}


@pytest.mark.parametrize("encoder", ["mlp", "transformer"])
@pytest.mark.parametrize("training", ["two_stage", "joint"])
def test_double_ae_options_round_trip(encoder, training, records, tmp_path):
    X, y = records
    syn = LatentSynthesizer(
        model="double-ae",
        epochs=2,
        column_dim=2,
        row_dim=2,
        record_encoder=encoder,
        record_training=training,
        random_state=0,
    ).fit(X[::3], y[::3])
    syn.save(tmp_path / "m")
    loaded = LatentSynthesizer.load(tmp_path / "m")
    np.testing.assert_array_equal(syn.sample(4, random_state=1)[0], loaded.sample(4, random_state=1)[0])
    assert loaded.config_.record_encoder == encoder and loaded.network_.encoder == encoder


def test_same_seed_same_gan(digits_small):
    a = _fit("cwgan-gp", digits_small, None)
    b = _fit("cwgan-gp", digits_small, None)
    for (k, va), vb in zip(a.module_.state_dict().items(), b.module_.state_dict().values()):
        assert torch.equal(va, vb), k


def test_conditional_gan_clusters_are_classes_with_prior_gaussians(digits_small):
    syn = _fit("cdcgan", digits_small, None)
    assert syn.cluster_names_ == [0, 1, 2] and syn.partition_kind_ == "label"
    assert syn.cluster_sizes_ == [int(c) for c in np.bincount(digits_small[1])]
    assert syn.config_.latent_dim == 100 and syn.config_.lr == 2e-4 and syn.config_.adam_betas == (0.5, 0.999)
    np.testing.assert_array_equal(syn.gaussians_.means_, 0)
    np.testing.assert_array_equal(syn.gaussians_.covariances_[1], np.eye(100))
    assert syn.anchors_[0].shape == (64, 100)
    d = syn.describe()
    assert d["family"] == "gan" and d["encoder"] is False and d["latent_dim"] == 100
    out = syn.generate(12, method="random", accept_reject=True, random_state=0)
    assert out.provenance["in_region"].all() and out.data.shape == (12, 1, 8, 8)
    assert out.data.min() >= 0 and out.data.max() <= 16
    # the same noise decoded for two classes gives two different images (compared in model space: this
    # barely trained generator's class differences are below one grey level, which rounding hides)
    z = np.random.default_rng(0).standard_normal((2, 100))
    for_class = lambda k: syn.decode_features(z, np.full(2, k, np.int64))  # noqa: E731
    assert not np.array_equal(for_class(0), for_class(2))
    np.testing.assert_array_equal(syn.decode(z, clusters=[0, 2])[1], syn.decode(z, clusters=2)[1])


def test_gan_without_encoder_says_so(digits_small):
    syn = _fit("dcgan", digits_small, None)
    assert syn.cluster_names_ == ["all"] and syn.partition_kind_ == "single" and syn.cluster_sizes_ == [60]
    X, _ = digits_small
    with pytest.raises(ConfigError, match="GAN has none"):
        syn.encode(X)
    with pytest.raises(ConfigError, match="back-projection needs an encoder"):
        syn.generate(5, back_project=True)
    assert syn.decode(np.zeros((3, 100))).shape == (3, 1, 8, 8)  # unconditional: no clusters needed


def test_gan_option_errors(digits_small):
    X, y = digits_small
    with pytest.raises(ConfigError, match="needs labelled images"):
        LatentSynthesizer(model="cdcgan", **TINY).fit(X)
    with pytest.raises(ConfigError, match="no validation loss"):
        LatentSynthesizer(model="dcgan", val_fraction=0.2, **TINY).fit(X)
    with pytest.raises(ConfigError, match="does not take tabular data"):
        import pandas as pd

        LatentSynthesizer(model="wgan-gp", **TINY).fit(pd.DataFrame({"a": [1.0, 2.0, 3.0]}))
    syn = _fit("cdcgan", digits_small, None)
    with pytest.raises(ConfigError, match="pass clusters="):
        syn.decode(np.zeros((2, 100)))
    with pytest.raises(ConfigError, match="unknown cluster 7"):
        syn.sample(3, cluster=7)


def test_old_artifacts_without_the_new_fields_still_load(iris_synth, tmp_path):
    iris_synth.save(tmp_path / "m")
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    new = {
        "adam_betas",
        "gan_channels",
        "critic_steps",
        "gp_weight",
        "column_dim",
        "row_dim",
        "record_encoder",
        "record_training",
        "record_hidden",
        "record_crop",
        "record_log",
    }
    meta["config"] = {k: v for k, v in meta["config"].items() if k not in new}
    meta["config"].update(lr=0.001, val_fraction=0.1)  # as the foundation wrote them
    (tmp_path / "m" / "model.json").write_text(json.dumps(meta))
    loaded = LatentSynthesizer.load(tmp_path / "m")
    a, _ = iris_synth.sample(20, random_state=4)
    b, _ = loaded.sample(20, random_state=4)
    assert a.equals(b) and loaded.describe()["family"] == "autoencoder"
