"""The training schedule of a table: rows → batch, epochs, steps, warm-up, patience; explicit
values win; the four embedded tables keep batch 32 × 1000 epochs; early stopping keeps the
best weights."""

import math

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from synth.config import SynthConfig
from synth.errors import ConfigError
from synth.training import budget
from synth.training.budget import budget_batch_size, table_schedule
from synth.training.loop import EarlyStopping, TrainConfig, TrainingLoop


@pytest.mark.parametrize("rows", [150, 178, 569, 1797])  # iris, wine, breast_cancer, digits
def test_embedded_tables_keep_the_small_table_schedule(rows):
    cfg = SynthConfig().resolve("tabular", seed=0, n_features=4, n_rows=rows)
    assert (cfg.batch_size, cfg.epochs, cfg.warmup_epochs, cfg.patience) == (32, 1000, 100, None)


def test_large_tables_get_a_bounded_step_budget():
    previous = None
    for rows in (5_000, 20_000, 100_000, 1_000_000):
        plan = SynthConfig().schedule(rows)
        assert plan.rows == rows - math.floor(0.1 * rows)
        assert plan.batch_size == budget_batch_size(plan.rows) <= budget.MAX_BATCH
        assert plan.steps_per_epoch == math.ceil(plan.rows / plan.batch_size)
        assert plan.planned_steps == plan.epochs * plan.steps_per_epoch
        assert plan.epochs * plan.rows >= min(budget.ROWS_SEEN, budget.MAX_EPOCHS * plan.rows)
        assert plan.planned_steps >= budget.MIN_STEPS
        # the shortest such run: one epoch fewer would miss one of the two floors
        less = plan.epochs - 1
        assert less * plan.rows < budget.ROWS_SEEN or less * plan.steps_per_epoch < budget.MIN_STEPS
        assert plan.warmup_epochs == max(1, round(0.1 * plan.epochs)) and plan.patience >= budget.MIN_PATIENCE
        assert previous is None or plan.batch_size >= previous.batch_size
        previous = plan
    assert SynthConfig().schedule(100_000).planned_steps < 1000 * SynthConfig().schedule(1_797).steps_per_epoch


def test_batch_grows_in_powers_of_two():
    assert [budget_batch_size(n) for n in (10, 2_048, 2_049, 18_000, 90_000, 10**7)] == [32, 32, 64, 512, 1024, 1024]


def test_explicit_values_win():
    plan = SynthConfig(epochs=7, batch_size=100).schedule(100_000)
    assert (plan.epochs, plan.batch_size, plan.warmup_epochs, plan.patience) == (7, 100, 100, None)
    assert plan.source == {"batch_size": "user", "epochs": "user", "warmup_epochs": "budget", "patience": "budget"}
    cfg = SynthConfig(warmup_epochs=3, patience=0).resolve("tabular", seed=0, n_rows=100_000)
    assert cfg.warmup_epochs == 3 and cfg.patience is None  # 0: never stop early
    assert SynthConfig(patience=4).resolve("tabular", seed=0, n_rows=150).patience == 4
    only_batch = table_schedule(90_000, batch_size=64)
    assert only_batch.batch_size == 64 and only_batch.epochs == max(23, math.ceil(4_000 / only_batch.steps_per_epoch))
    image = SynthConfig().resolve("image", seed=0, n_rows=100_000)
    assert (image.epochs, image.batch_size, image.warmup_epochs) == (300, 64, 100)


def test_images_train_for_a_pixel_budget():
    from synth.training.budget import IMAGE_PIXELS_SEEN, image_epochs

    digits = SynthConfig().resolve("image", seed=0, n_rows=1_797, image_pixels=64)
    assert (digits.epochs, digits.warmup_epochs) == (300, 100)  # 1,617 small images: the cap, as before
    proxy = SynthConfig().resolve("image", seed=0, n_rows=5_000, image_pixels=784)
    assert proxy.epochs == math.ceil(IMAGE_PIXELS_SEEN / (4_500 * 784)) == 29 and proxy.warmup_epochs == 100
    assert image_epochs(54_000, 784) == 5  # MNIST's training set: the floor
    assert image_epochs(918, 64 * 64) == math.ceil(2_000 / 15) == 134  # few large images: at least 2,000 steps
    assert SynthConfig(epochs=12).resolve("image", seed=0, n_rows=5_000, image_pixels=784).epochs == 12


def test_fit_records_the_schedule():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=60), "y": rng.normal(size=60), "c": rng.choice(["a", "b"], 60)})
    from synth.synthesizer import LatentSynthesizer

    syn = LatentSynthesizer("vae", epochs=2, random_state=0).fit(frame)
    plan = syn.train_summary_["schedule"]
    assert plan["epochs"] == 2 == syn.train_summary_["epochs_run"] and plan["batch_size"] == 32
    assert plan["rows"] == 54 and plan["planned_steps"] == 2 * 2 and syn.describe()["training"] == plan


class _Drift(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1))


class _DriftRecipe:
    """Moves w by one per epoch; validation loss (w − 3)² is best at epoch 3, then rises."""

    settled_epoch = 0

    def modules(self, model):
        return {"m": model}

    def make_optimizers(self, modules, config):
        return {}

    def train_step(self, modules, batch, optimizers, *, epoch, total_epochs, generator):
        with torch.no_grad():
            modules["m"].w += 1.0 / 4  # 4 batches of 1 row per epoch
        return {"loss": 0.0}

    def eval_step(self, modules, batch, *, epoch, total_epochs):
        return {"loss": float((modules["m"].w - 3.0) ** 2)}

    def epoch_logs(self, epoch, total_epochs):
        return {}


def test_early_stopping_restores_the_best_weights():
    model = _Drift()
    data = TensorDataset(torch.zeros(4, 1))
    config = TrainConfig(epochs=50, batch_size=1, patience=2, seed=0)
    stop = EarlyStopping(monitor="val_loss", patience=2)
    loop = TrainingLoop(model, _DriftRecipe(), data, data, config=config, callbacks=(stop,))
    history = loop.run()
    assert len(history) == 5  # epochs 4 and 5 do not improve on epoch 3
    assert float(model.w.detach()) == 3.0 and loop.summary["best_epoch"] == 3 and loop.summary["best_val_loss"] == 0.0


def test_beta_follows_a_tables_binary_features():
    """Tables of continuous columns and images keep β = 1e-4; one-hot or missing-indicator
    features raise it to 1e-2; a value the user sets wins."""
    continuous = SynthConfig().resolve("tabular", seed=0, n_features=4, n_rows=150)
    mixed = SynthConfig().resolve("tabular", seed=0, n_features=40, n_rows=150, discrete_features=30)
    assert (continuous.beta_max, mixed.beta_max) == (1e-4, 1e-2)
    assert SynthConfig(beta_max=3e-3).resolve("tabular", seed=0, n_rows=150, discrete_features=30).beta_max == 3e-3
    assert SynthConfig().resolve("image", seed=0, n_rows=100, discrete_features=5).beta_max == 1e-4


def test_decoder_output_follows_the_data_kind():
    """Images decode through a sigmoid, tables and 2-D records stay linear; a value the user sets
    wins, and the resolved value is what the network is built with."""
    assert SynthConfig().resolve("image", seed=0, n_rows=100).output == "sigmoid"
    assert SynthConfig().resolve("tabular", seed=0, n_rows=150).output == "linear"
    assert SynthConfig().resolve("record", seed=0).output == "linear"
    assert SynthConfig(output="linear").resolve("image", seed=0, n_rows=100).output == "linear"
    assert SynthConfig(output="sigmoid").resolve("tabular", seed=0, n_rows=150).output == "sigmoid"
    with pytest.raises(ConfigError, match="output"):
        SynthConfig(output="tanh")
