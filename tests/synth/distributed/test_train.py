"""Ray Train wrapper: same weights as the plain loop at one worker, DDP with two
workers for a VAE, the conditional WGAN-GP and the double autoencoder, a killed worker resumed
from its checkpoint with every epoch in the history exactly once, and run directories that
refuse another model's checkpoints."""

import dataclasses
import os

import numpy as np
import pandas as pd
import pytest
import torch
from torch.utils.data import TensorDataset

from synth.distributed import ray_train_fn
from synth.errors import ConfigError
from synth.models.autoencoder import Autoencoder, AutoencoderConfig, AutoencoderRecipe
from synth.training.checkpoints import STATE_FILE
from synth.training.loop import Callback, TrainConfig, fit_local
from synth.training.schedules import KLSchedule


def _data(n=96, seed=0):
    rng = np.random.default_rng(seed)
    base = rng.random((n, 2))
    X = np.concatenate([base, base @ rng.random((2, 3))], axis=1).astype(np.float32)
    return TensorDataset(torch.from_numpy(X))


def _vae(seed=0):
    torch.manual_seed(seed)
    return Autoencoder(AutoencoderConfig(variational=True, input_shape=(5,), latent_dim=2))


def _recipe():
    return AutoencoderRecipe(KLSchedule("linear", beta_max=0.01, warmup_epochs=3), variational=True)


def _weights(model):
    return torch.cat([t.detach().flatten().double() for t in model.state_dict().values()])


# ---------------------------------------------------------------- without a Ray cluster


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_workers": 0}, "num_workers"),
        ({"num_workers": 1, "resume": True}, "resume needs"),
        ({"num_workers": 1, "gpus_per_worker": -1}, "gpus_per_worker"),
        ({"num_workers": 1, "checkpoint_every": 0}, "checkpoint_every"),
    ],
)
def test_bad_ray_train_options(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        ray_train_fn(**kwargs)


def test_poll_interval_follows_the_epoch_time_and_leaves_the_model_alone():
    """Tiny epochs poll at the 20 ms floor; an epoch that takes seconds polls at the 0.5 s ceiling;
    the timing probe trains a copy, so neither the weights nor the global RNG move."""
    from synth.distributed import POLL_MAX_S, POLL_MIN_S, poll_interval

    model, config = _vae(), TrainConfig(epochs=3, batch_size=16, seed=0)
    before, rng = _weights(model), torch.get_rng_state()
    tiny = poll_interval(model, _recipe(), _data(), config, num_workers=1, gpus=0, cpus=1)
    huge = poll_interval(
        model,
        _recipe(),
        _data(4_000_000 // 16),
        dataclasses.replace(config, batch_size=1),
        num_workers=1,
        gpus=0,
        cpus=1,
    )
    assert tiny == POLL_MIN_S and huge == POLL_MAX_S
    assert torch.equal(_weights(model), before) and torch.equal(torch.get_rng_state(), rng)
    assert poll_interval(model, _recipe(), _data(), config, num_workers=1, gpus=1, cpus=1) == POLL_MIN_S


# ---------------------------------------------------------------------- with Ray Train


@pytest.mark.ray
def test_one_worker_gives_the_plain_loops_weights(ray_session, tmp_path):
    config = TrainConfig(epochs=6, batch_size=16, lr=1e-2, patience=2, seed=4)
    local, remote = _vae(), _vae()
    history, summary = fit_local(local, _recipe(), _data(), _data(24, 1), config)
    train_fn = ray_train_fn(num_workers=1, storage_path=str(tmp_path), run_name="one", checkpoint_every=2)
    ray_history, ray_summary = train_fn(remote, _recipe(), _data(), _data(24, 1), config)
    assert (_weights(remote) - _weights(local)).abs().max() <= 1e-6
    assert [h["loss"] for h in ray_history] == pytest.approx([h["loss"] for h in history], abs=1e-6)
    assert ray_summary["epochs_run"] == summary["epochs_run"] == len(history)
    assert ray_summary["ray_train"]["started_at_epochs"] == [0] and ray_summary["ray_train"]["threads_per_worker"] == 1
    states = sorted((tmp_path / "one").rglob(STATE_FILE))
    assert states, "no checkpoint was written"
    state = torch.load(states[-1], weights_only=True)  # weights_only-safe
    assert {"epoch", "modules", "optimizers", "generator", "history", "finished"} <= set(state)


class KillOnce(Callback):
    """Kills this worker's process at ``epoch`` the first time only (the marker file remembers)."""

    def __init__(self, *, epoch: int, rank: int, marker: str):
        self.epoch, self.rank, self.marker = epoch, rank, marker

    def on_epoch_end(self, loop, logs):
        if logs["epoch"] == self.epoch and loop.rank == self.rank and not os.path.exists(self.marker):
            open(self.marker, "w").close()
            os._exit(1)


@pytest.mark.ray
def test_two_workers_train_a_vae_through_a_killed_worker(ray_session, tmp_path, iris_frame):
    from synth.synthesizer import LatentSynthesizer

    marker = tmp_path / "killed"
    train_fn = ray_train_fn(
        num_workers=2, storage_path=str(tmp_path / "runs"), run_name="vae2", checkpoint_every=3, max_failures=1
    )
    syn = LatentSynthesizer(
        model="vae", latent_dim=3, epochs=14, patience=None, batch_size=16, lr=1e-2, random_state=0
    ).fit(iris_frame, y="species", train_fn=train_fn, callbacks=[KillOnce(epoch=8, rank=1, marker=str(marker))])
    assert marker.exists(), "the worker was never killed"
    starts = syn.train_summary_["ray_train"]["started_at_epochs"]
    assert starts[0] == 0 and len(starts) == 2 and starts[1] in (3, 6)  # resumed from a committed checkpoint
    syn.save(tmp_path / "artifact")
    history = pd.read_csv(tmp_path / "artifact" / "history.csv")
    assert history["epoch"].tolist() == list(range(1, 15))  # every epoch exactly once
    assert history["recon"].iloc[-1] < 0.5 * history["recon"].iloc[0]
    assert syn.sample(20, random_state=0)[0].shape == (20, 4)


@pytest.fixture(scope="module")
def digits_012():
    from synth.data.sources import load_embedded

    raw = load_embedded("digits")
    idx = np.flatnonzero(raw.labels < 3)[:96]
    return raw.data[idx], raw.labels[idx]


@pytest.mark.ray
def test_two_workers_train_a_conditional_wgan_gp(ray_session, tmp_path, digits_012):
    """The zoo's cWGAN-GP under DDP: two optimisers, 5 critic steps with a gradient penalty
    (double backward through DDP), BatchNorm in the generator, a label embedding."""
    from synth.synthesizer import LatentSynthesizer

    X, y = digits_012
    train_fn = ray_train_fn(num_workers=2, storage_path=str(tmp_path), run_name="gan", checkpoint_every=2)
    syn = LatentSynthesizer(model="cwgan-gp", epochs=4, gan_channels=16, random_state=0)
    syn.fit(X, y, train_fn=train_fn)
    assert [h["epoch"] for h in syn.history_] == [1, 2, 3, 4]
    assert {"d_loss", "g_loss", "gp", "wasserstein"} <= set(syn.history_[0])
    assert syn.history_[-1]["gp"] < syn.history_[0]["gp"]  # the critic learned the penalty
    assert syn.train_summary_["ray_train"]["workers"] == 2
    state = torch.load(sorted((tmp_path / "gan").rglob(STATE_FILE))[-1], weights_only=True)
    assert state["epoch"] == 4
    modules = syn.module_
    for name, tensors in state["modules"].items():
        for key, value in getattr(modules, name).state_dict().items():
            assert torch.equal(value, tensors[key]), (name, key)  # the driver holds the last epoch's weights
    images, labels = syn.sample(6, cluster=1, random_state=0)
    assert images.shape == (6, 1, 8, 8) and set(labels.tolist()) == {1}


@pytest.mark.ray
def test_two_workers_train_the_double_autoencoder_in_two_stages(ray_session, tmp_path, records):
    """The double-autoencoder paper's double AE: stage 1 trains only the column autoencoder, so the row autoencoder's
    parameters get no gradient on that stage — DDP must not hang or refuse."""
    from synth.synthesizer import LatentSynthesizer

    X, y = records
    train_fn = ray_train_fn(num_workers=2, storage_path=str(tmp_path), run_name="dae", checkpoint_every=3)
    syn = LatentSynthesizer(
        model="double-ae", epochs=6, column_dim=3, row_dim=2, record_training="two_stage", random_state=0
    ).fit(X, y, train_fn=train_fn)
    history = pd.DataFrame(syn.history_)
    assert history["epoch"].tolist() == list(range(1, 7))
    assert history["val_record_mse"].iloc[-1] < history["val_record_mse"].iloc[0]
    assert syn.sample(5, random_state=0)[0].shape == (5, 16, 20)


@pytest.mark.gpu
@pytest.mark.ray
def test_one_gpu_worker_trains_on_the_gpu(ray_session, tmp_path):
    model = _vae()
    train_fn = ray_train_fn(num_workers=1, use_gpu=True, storage_path=str(tmp_path), run_name="gpu")
    history, summary = train_fn(
        model, _recipe(), _data(), _data(24, 1), TrainConfig(epochs=20, batch_size=16, lr=1e-2, patience=None)
    )
    assert summary["ray_train"]["device"].startswith("cuda") and summary["ray_train"]["gpus_per_worker"] == 1
    assert history[-1]["recon"] < 0.5 * history[0]["recon"]
    assert all(t.device.type == "cpu" for t in model.state_dict().values())  # weights come back to the driver
