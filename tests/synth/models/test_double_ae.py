"""The double-autoencoder paper's double autoencoder: shapes, the column/row reshapes, which module each
training stage moves, and reconstruction on synthetic 2-D records below a stated bound."""

import numpy as np
import pytest
import torch

from synth.errors import ConfigError
from synth.models.double_ae import (
    DoubleAEConfig,
    DoubleAERecipe,
    DoubleAutoencoder,
    columns_of,
    matrix_from_columns,
    records_from_columns,
    rows_of,
)
from synth.synthesizer import LatentSynthesizer
from synth.training.loop import TrainConfig

# Stated bound: after 40 epochs on the peak records (noise σ = 0.02), the per-pixel squared error of
# encode → decode in model space ([0, 1]) is below 15 % of the records' per-pixel variance, i.e. the
# 6×6 latent matrix explains more than 85 % of the variance. Measured: see the test's message.
VARIANCE_SHARE_BOUND = 0.15


def test_reshapes_are_exact_inverses():
    x = torch.arange(2 * 3 * 4, dtype=torch.float32).view(2, 3, 4)  # n=2, H=3, W=4
    cols = columns_of(x)
    assert cols.shape == (8, 3) and torch.equal(cols[1], x[0, :, 1])  # the second column of record 0
    assert torch.equal(records_from_columns(cols, 2), x)
    matrix = matrix_from_columns(cols, 2)  # (n, H, W) when d₁ = H
    assert torch.equal(matrix, x) and rows_of(matrix).shape == (6, 4)


@pytest.mark.parametrize("encoder", ["mlp", "transformer"])
def test_encode_decode_shapes(encoder):
    net = DoubleAutoencoder(
        DoubleAEConfig(
            input_shape=(12, 7), column_dim=5, row_dim=3, encoder=encoder, hidden=(16,), model_dim=8, heads=2, layers=1
        )
    )
    x = torch.rand(4, 12, 7)
    z = net.encode(x)
    assert z.shape == (4, 15) and net.config.latent_dim == 15
    assert net.decode(z).shape == (4, 12, 7)


def test_config_checks():
    with pytest.raises(ConfigError, match="records"):
        DoubleAEConfig(input_shape=(8, 8, 1))
    with pytest.raises(ConfigError, match="encoder"):
        DoubleAEConfig(encoder="lstm")
    with pytest.raises(ConfigError, match="column_dim and row_dim"):
        LatentSynthesizer(model="double-ae", latent_dim=10, column_dim=4, row_dim=4).fit(
            np.random.default_rng(0).random((6, 8, 8))
        )


def _changed(net, before):
    return {k.split(".")[0] for k, v in net.state_dict().items() if not torch.equal(v, before[k])}


@pytest.mark.parametrize(
    "training, epoch, moved", [("two_stage", 0, {"column"}), ("two_stage", 5, {"row"}), ("joint", 0, {"column", "row"})]
)
def test_each_stage_moves_the_right_autoencoder(training, epoch, moved):
    net = DoubleAutoencoder(DoubleAEConfig(input_shape=(6, 5), column_dim=3, row_dim=2, hidden=(8,)))
    recipe = DoubleAERecipe(training=training, epochs=10)
    modules = recipe.modules(net)
    optimizers = recipe.make_optimizers(modules, TrainConfig(lr=1e-2))
    before = {k: v.clone() for k, v in net.state_dict().items()}
    logs = recipe.train_step(
        modules, (torch.rand(4, 6, 5),), optimizers, epoch=epoch, total_epochs=10, generator=torch.Generator()
    )
    assert _changed(net, before) == moved
    assert logs["record_mse"] >= 0 and recipe.settled_epoch == (5 if training == "two_stage" else 0)


@pytest.mark.parametrize("training", ["two_stage", "joint"])
def test_reconstruction_below_the_stated_bound(records, training):
    X, y = records
    syn = LatentSynthesizer(
        model="double-ae", column_dim=6, row_dim=6, epochs=40, record_training=training, random_state=0
    ).fit(X, y)
    model_space = syn.transformer_.transform(X)
    recon = syn.transformer_.transform(syn.decode(syn.encode(X), calibrate=False))
    mse, variance = float(np.mean((recon - model_space) ** 2)), float(model_space.var())
    assert mse < VARIANCE_SHARE_BOUND * variance, f"{training}: mse {mse:.5f}, pixel variance {variance:.5f}"
    # class-wise Gaussian resampling (the double-autoencoder paper §II.C): synthetic records re-encode into their class
    out = syn.generate(60, random_state=0)
    codes = np.array([syn.cluster_code(c) for c in out.labels])
    assert np.mean(syn.gaussians_.predict(syn.encode(out.data)) == codes) >= 0.9
    assert out.data.shape == (60, 16, 20) and out.latents.shape == (60, 36)


def test_crop_and_log_preprocessing_round_trip(records):
    X, y = records
    syn = LatentSynthesizer(
        model="double-ae",
        column_dim=4,
        row_dim=4,
        epochs=2,
        record_crop=(2, 14, 0, 16),
        record_log=True,
        random_state=0,
    ).fit(X * 1000, y)
    assert syn.transformer_.shape_ == (12, 16) and syn.describe()["schema"]["shape"] == [12, 16]
    data, _ = syn.sample(5, cluster="c2", random_state=0)
    assert data.shape == (5, 12, 16) and data.min() >= 0 and data.max() <= (X * 1000)[:, 2:14, :16].max() * 1.0001
    # full-size and cropped records both encode (decode returns the cropped window)
    np.testing.assert_array_equal(syn.encode(X[:3] * 1000), syn.encode((X * 1000)[:3, 2:14, :16]))
