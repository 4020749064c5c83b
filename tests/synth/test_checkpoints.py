"""Models travel as class + config + weights; training states round-trip weights_only."""
import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from synth.checkpoints import blueprint, fingerprint_differences, load_state, run_fingerprint, save_state
from synth.errors import ConfigError, TrainingError
from synth.models.autoencoder import Autoencoder, AutoencoderConfig
from synth.recipes import AutoencoderRecipe
from synth.schedules import KLSchedule
from synth.train import TrainConfig, TrainingLoop


def _data(n=96):
    return TensorDataset(torch.from_numpy(np.random.default_rng(0).random((n, 5), dtype=np.float32)))


def _vae(seed=0, latent_dim=2):
    torch.manual_seed(seed)
    return Autoencoder(AutoencoderConfig(variational=True, input_shape=(5,), latent_dim=latent_dim))


def _recipe():
    return AutoencoderRecipe(KLSchedule("linear", beta_max=0.01, warmup_epochs=3), variational=True)


def _weights(model):
    return torch.cat([t.detach().flatten() for t in model.state_dict().values()])


def test_blueprint_rebuilds_the_same_model_and_refuses_a_configless_one():
    model = _vae(3)
    assert torch.equal(_weights(blueprint(model).build()), _weights(model))
    with pytest.raises(ConfigError, match="dataclass `.config`"):
        blueprint(nn.Linear(2, 2))


def test_a_training_state_round_trips_weights_only(tmp_path):
    loop = TrainingLoop(_vae(), _recipe(), _data(), None, config=TrainConfig(epochs=2, batch_size=16))
    loop.run()
    save_state({**loop.state_dict(), "finished": True}, tmp_path)
    state = load_state(tmp_path)
    assert state["finished"] and [h["epoch"] for h in state["history"]] == [1, 2]
    (tmp_path / "state.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(TrainingError, match="could not be loaded safely"):
        load_state(tmp_path)
    with pytest.raises(TrainingError, match="has no state.pt"):
        load_state(tmp_path / "empty")


def test_fingerprint_names_what_differs():
    a = run_fingerprint(_vae(), _recipe(), _data())
    b = run_fingerprint(_vae(latent_dim=3), _recipe(), _data(80))
    assert fingerprint_differences(a, a) == []
    assert [line.split(":")[0] for line in fingerprint_differences(a, b)] == ["data_shape", "network"]
