import numpy as np
import pytest
import torch
from torch.utils.data import TensorDataset

from synth.errors import ConfigError, TrainingError
from synth.models.autoencoder import Autoencoder, AutoencoderConfig, AutoencoderRecipe
from synth.training.loop import Callback, EarlyStopping, TrainConfig, TrainingLoop, fit_local
from synth.training.schedules import KLSchedule


def _data(n=120, seed=0):
    rng = np.random.default_rng(seed)
    base = rng.random((n, 2))
    X = np.concatenate([base, base @ rng.random((2, 3))], axis=1).astype(np.float32)
    return TensorDataset(torch.from_numpy(X))


def _model(seed=0, variational=True):
    torch.manual_seed(seed)
    return Autoencoder(AutoencoderConfig(variational=variational, input_shape=(5,), latent_dim=2))


def _recipe(variational=True):
    return AutoencoderRecipe(KLSchedule("linear", beta_max=0.01, warmup_epochs=5), variational=variational)


def test_loss_falls_and_history_has_every_loss_and_beta():
    history, summary = fit_local(
        _model(), _recipe(), _data(), _data(30, 1), TrainConfig(epochs=40, batch_size=16, lr=1e-2, patience=None)
    )
    assert len(history) == 40 and summary["epochs_run"] == 40
    assert {"epoch", "beta", "loss", "recon", "kl", "val_loss", "val_recon", "val_kl", "seconds"} <= set(history[0])
    assert history[-1]["recon"] < 0.5 * history[0]["recon"]
    assert [h["beta"] for h in history[:6]] == pytest.approx([0, 0.002, 0.004, 0.006, 0.008, 0.01])


def test_same_seed_same_weights_different_seed_differs():
    def run(seed):
        model = _model()
        fit_local(model, _recipe(), _data(), None, TrainConfig(epochs=5, batch_size=16, seed=seed))
        return torch.cat([p.flatten() for p in model.parameters()])

    assert torch.equal(run(0), run(0))
    assert not torch.equal(run(0), run(1))


def test_resume_from_state_matches_uninterrupted_run():
    cfg = TrainConfig(epochs=8, batch_size=16, patience=None)
    full = _model()
    TrainingLoop(full, _recipe(), _data(), None, config=cfg).run()

    class Stop(Callback):
        def on_epoch_end(self, loop, logs):
            if logs["epoch"] == 3:
                loop.stop_training = True

    first = _model()
    loop = TrainingLoop(first, _recipe(), _data(), None, config=cfg, callbacks=(Stop(),))
    loop.run()
    state = loop.state_dict()
    buffer = __import__("io").BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    state = torch.load(buffer, weights_only=True)
    resumed = _model(seed=123)  # different init: everything must come from the state
    loop2 = TrainingLoop(resumed, _recipe(), _data(), None, config=cfg)
    loop2.load_state_dict(state)
    history = loop2.run()
    assert [h["epoch"] for h in history] == list(range(1, 9))
    for a, b in zip(full.parameters(), resumed.parameters()):
        assert torch.equal(a, b)


def test_early_stopping_stops_and_restores_best():
    class Fake(Callback):
        pass

    model = _model(variational=False)
    stopper = EarlyStopping(monitor="val_loss", patience=3, start_epoch=0)
    loop = TrainingLoop(
        model,
        _recipe(False),
        _data(),
        _data(30, 1),
        config=TrainConfig(epochs=500, batch_size=16, lr=0.5),
        callbacks=(stopper, Fake()),
    )
    history = loop.run()  # lr 0.5 makes the validation loss bounce: it must stop long before 500
    assert len(history) < 500
    best = min(h["val_loss"] for h in history)
    assert loop.summary["best_val_loss"] == best
    assert stopper.best_epoch == min(history, key=lambda h: h["val_loss"])["epoch"]
    # the restored weights are the best epoch's: re-evaluating gives its validation loss
    with torch.no_grad():
        X = _data(30, 1).tensors[0]
        recon = model.decode(model.encode(X))
        assert float((recon - X).pow(2).sum(1).mean()) == pytest.approx(best, rel=1e-5)


def test_early_stopping_waits_for_warmup():
    stopper = EarlyStopping(monitor="val_loss", patience=1, start_epoch=10)
    loop = TrainingLoop(
        _model(), _recipe(), _data(), _data(30, 1), config=TrainConfig(epochs=12, batch_size=16), callbacks=(stopper,)
    )
    history = loop.run()
    assert len(history) >= 11


def test_divergence_is_a_training_error():
    with pytest.raises(TrainingError, match="diverged"):
        fit_local(_model(), _recipe(), _data(), None, TrainConfig(epochs=30, batch_size=16, lr=1e9))


@pytest.mark.parametrize(
    "kwargs", [{"epochs": 0}, {"batch_size": 0}, {"lr": 0}, {"val_fraction": 1.0}, {"patience": 0}]
)
def test_bad_train_config(kwargs):
    with pytest.raises(ConfigError):
        TrainConfig(**kwargs)
