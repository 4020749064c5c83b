"""Models travel as class + config + weights; training states round-trip weights_only."""

import pytest
import torch
from torch import nn

from synth.errors import ConfigError, TrainingError
from synth.training.checkpoints import blueprint, fingerprint_differences, load_state, run_fingerprint, save_state
from synth.training.loop import TrainConfig, TrainingLoop


def _weights(model):
    return torch.cat([t.detach().flatten() for t in model.state_dict().values()])


def test_blueprint_rebuilds_the_same_model_and_refuses_a_configless_one(tiny):
    model = tiny.vae(3)
    assert torch.equal(_weights(blueprint(model).build()), _weights(model))
    with pytest.raises(ConfigError, match="dataclass `.config`"):
        blueprint(nn.Linear(2, 2))


def test_a_training_state_round_trips_weights_only(tmp_path, tiny):
    loop = TrainingLoop(tiny.vae(), tiny.recipe(), tiny.data(), None, config=TrainConfig(epochs=2, batch_size=16))
    loop.run()
    save_state({**loop.state_dict(), "finished": True}, tmp_path)
    state = load_state(tmp_path)
    assert state["finished"] and [h["epoch"] for h in state["history"]] == [1, 2]
    (tmp_path / "state.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(TrainingError, match="could not be loaded safely"):
        load_state(tmp_path)
    with pytest.raises(TrainingError, match="has no state.pt"):
        load_state(tmp_path / "empty")


def test_fingerprint_names_what_differs(tiny):
    a = run_fingerprint(tiny.vae(), tiny.recipe(), tiny.data())
    b = run_fingerprint(tiny.vae(latent_dim=3), tiny.recipe(), tiny.data(80))
    assert fingerprint_differences(a, a) == []
    assert [line.split(":")[0] for line in fingerprint_differences(a, b)] == ["data_shape", "network"]
