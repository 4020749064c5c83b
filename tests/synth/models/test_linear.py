"""identity and pca latents: exact round trips, the closed-form PCA error, every
generation method, artifacts — the same contracts as the autoencoders."""

import numpy as np
import pandas as pd
import pytest
import torch

from latentsynth import LatentSynthesizer
from synth.data.sources import load_embedded
from synth.generate import METHODS
from synth.models.linear import LinearLatentConfig, PCALatent, principal_axes


@pytest.fixture(scope="module")
def wine_frame():
    return load_embedded("wine").data


def test_identity_latent_is_the_scaled_table_and_round_trips_exactly(iris_frame):
    syn = LatentSynthesizer(model="identity", outlier_z=None).fit(iris_frame, y="species")
    X = iris_frame.drop(columns="species")
    Z = syn.encode(X)
    assert syn.network_.latent_dim == syn.config_.latent_dim == 4 and Z.shape == (150, 4)
    assert np.array_equal(Z, syn.transformer_.transform(X).astype(np.float64))  # the latent IS the scaled row
    assert Z.min() == 0.0 and Z.max() == 1.0
    back = syn.decode(Z, calibrate=False)  # the decoder itself, without the marginal calibration
    pd.testing.assert_frame_equal(back, X)  # exact, in original units
    assert dict(syn.module_.state_dict()) == {}  # nothing learned, nothing saved
    assert syn.history_[0]["recon"] == 0.0 and syn.train_summary_["closed_form"] is True


def test_identity_on_images_is_the_pixel_vector():
    raw = load_embedded("digits")
    syn = LatentSynthesizer(model="identity").fit(raw.data[:200], raw.labels[:200])
    Z = syn.encode(raw.data[:200])
    assert Z.shape == (200, 64) and np.array_equal(Z, raw.data[:200].reshape(200, 64) / 16.0)
    assert np.array_equal(syn.decode(Z, calibrate=False), raw.data[:200])


def test_pca_with_every_component_reconstructs_exactly(wine_frame):
    syn = LatentSynthesizer(model="pca", latent_dim=13, outlier_z=None).fit(wine_frame, y="cultivar")
    X = syn.transformer_.transform(wine_frame)
    Z = syn.encode_features(X)
    recon = syn.decode_features(Z, np.zeros(len(Z), np.int64))
    assert np.abs(recon - X).max() < 1e-6  # float32 output of a float64 map
    W = syn.module_.components.numpy()
    assert np.allclose(W.T @ W, np.eye(13), atol=1e-12)
    variance = syn.module_.explained_variance.numpy()
    assert np.all(np.diff(variance) <= 1e-15)


def test_pca_error_is_the_discarded_variance():
    """Closed form: mean squared reconstruction error · n/(n−1) = Σ of the dropped eigenvalues."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 6)) @ rng.standard_normal((6, 6))
    net = PCALatent(LinearLatentConfig("pca", (6,), 3)).fit(X)
    x = torch.from_numpy(X)
    err = (net.decode(net.encode(x)).double() - x).pow(2).sum(1).mean().item()
    eig = np.sort(np.linalg.eigvalsh(np.cov(X, rowvar=False)))[::-1]
    assert err * 300 / 299 == pytest.approx(eig[3:].sum(), rel=1e-5)
    mean, axes, values = principal_axes(X, 3)
    assert np.allclose(values, eig[:3]) and np.allclose(mean, X.mean(0))
    _, axes_again, _ = principal_axes(X, 3)
    assert np.array_equal(axes, axes_again)  # signs fixed: same data, same latent


def test_pca_latent_never_exceeds_the_features(iris_frame):
    syn = LatentSynthesizer(model="pca", latent_dim=9).fit(iris_frame, y="species")
    assert syn.network_.latent_dim == syn.config_.latent_dim == 4
    assert syn.encode(iris_frame.drop(columns="species")).shape == (len(iris_frame), 4)


def test_closed_form_kinds_never_call_the_training_loop(iris_frame):
    def boom(*args, **kwargs):
        raise AssertionError("a closed-form model must not be trained by train_fn")

    for model in ("identity", "pca"):
        syn = LatentSynthesizer(model=model).fit(iris_frame, y="species", train_fn=boom)
        assert len(syn.history_) == 1


@pytest.mark.parametrize("model", ["identity", "pca"])
@pytest.mark.parametrize("method", METHODS)
def test_every_method_runs_on_linear_latents(iris_frame, model, method):
    syn = LatentSynthesizer(model=model, latent_dim=3, random_state=0).fit(iris_frame, y="species")
    out = syn.generate(60, method=method, random_state=4, accept_reject=True, back_project=True)
    assert len(out.data) == 60 and list(out.data.columns) == list(iris_frame.columns[:4])
    assert out.provenance["in_region"].all()
    assert set(out.labels) == {"setosa", "versicolor", "virginica"}
    again = syn.generate(60, method=method, random_state=4, accept_reject=True, back_project=True)
    pd.testing.assert_frame_equal(out.data, again.data)


@pytest.mark.parametrize("model", ["identity", "pca"])
def test_linear_artifacts_round_trip(tmp_path, iris_frame, model):
    syn = LatentSynthesizer(model=model, latent_dim=2, random_state=0).fit(iris_frame, y="species")
    syn.save(tmp_path / model)
    weights = torch.load(tmp_path / model / "weights.pt", weights_only=True)
    assert set(weights["model"]) == ({"mean", "components", "explained_variance"} if model == "pca" else set())
    loaded = LatentSynthesizer.load(tmp_path / model)
    assert loaded.describe() == syn.describe()
    for method in METHODS:
        a, _ = syn.sample(30, method=method, random_state=2)
        b, _ = loaded.sample(30, method=method, random_state=2)
        pd.testing.assert_frame_equal(a, b)
