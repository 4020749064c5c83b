"""How a model and its training state travel and persist, without Ray.

A model leaves the process as its *blueprint* — class, config dataclass and
state dict (nanoGPT's ``model_args`` + weights) — never as a pickled module,
and is rebuilt as ``cls(config)``. A training state is
``TrainingLoop.state_dict()`` (tensors and plain Python only) written with
``torch.save`` and read back with ``weights_only=True``. A run directory
carries a fingerprint (model class, network config, recipe, data shape) so a
resume never mixes two models' checkpoints.
"""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import TensorDataset

from synth.errors import ConfigError, TrainingError

STATE_FILE = "state.pt"


@dataclasses.dataclass(frozen=True)
class ModelBlueprint:
    """Everything that rebuilds a model elsewhere: ``cls(config)`` then ``load_state_dict(state)``."""

    cls: type
    config: object
    state: dict[str, torch.Tensor]

    def build(self) -> nn.Module:
        model = self.cls(self.config)
        model.load_state_dict(self.state)
        return model


def blueprint(model: nn.Module) -> ModelBlueprint:
    """The model as class + config + CPU weights. Every model kind's network is built from its
    config dataclass alone (``Autoencoder(AutoencoderConfig)``), which is what makes this exact."""
    config = getattr(model, "config", None)
    if config is None or not dataclasses.is_dataclass(config):
        raise ConfigError(
            f"{type(model).__name__} cannot be rebuilt on another worker: it needs a dataclass "
            "`.config` attribute that its constructor takes as its only argument"
        )
    return ModelBlueprint(type(model), config, {k: v.detach().cpu().clone() for k, v in model.state_dict().items()})


def state_bytes(state: dict) -> bytes:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


def save_state(state: dict, directory: str | Path) -> Path:
    path = Path(directory) / STATE_FILE
    path.write_bytes(state_bytes(state))
    return path


def load_state(directory: str | Path) -> dict:
    """A training state written by ``save_state``; never unpickles arbitrary objects."""
    path = Path(directory) / STATE_FILE
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise TrainingError(f"checkpoint {directory} has no {STATE_FILE}; it was not written by latentsynth") from None
    except Exception as exc:  # torch raises many types for corrupt or foreign files
        raise TrainingError(f"checkpoint {path} could not be loaded safely: {str(exc).splitlines()[0]}") from None


def load_modules(modules: dict[str, nn.Module], state: dict) -> None:
    """Copy a training state's module weights into ``modules`` ({name: nn.Module}, as recipe.modules gives)."""
    for name, module in modules.items():
        module.load_state_dict(state["modules"][name])


def run_fingerprint(model: nn.Module, recipe, train: TensorDataset) -> dict:
    """What must match for a checkpoint to be resumed into this run (JSON-ready)."""
    config = getattr(model, "config", None)
    network = (
        json.loads(json.dumps(dataclasses.asdict(config), default=list)) if dataclasses.is_dataclass(config) else None
    )
    return {
        "model": f"{type(model).__module__}.{type(model).__qualname__}",
        "network": network,
        "recipe": f"{type(recipe).__module__}.{type(recipe).__qualname__}",
        "data_shape": [list(t.shape) for t in train.tensors],
    }


def fingerprint_differences(stored: dict, current: dict) -> list[str]:
    """Human-readable 'field: stored → current' lines; empty when the run dir belongs to this model."""
    out = []
    for key in sorted(set(stored) | set(current)):
        if stored.get(key) != current.get(key):
            out.append(f"{key}: {stored.get(key)!r} there, {current.get(key)!r} here")
    return out
