"""Model kinds by name. Each kind says how to build its network from the
config, how to rebuild it from model.json, and which recipe trains it.

Other model families (GANs, the double autoencoder, linear baselines) add
themselves to ``MODEL_KINDS`` with ``register``.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Callable

from torch import nn

from synth.config import SynthConfig
from synth.errors import ConfigError
from synth.models.autoencoder import Autoencoder, AutoencoderConfig


@dataclass(frozen=True)
class ModelKind:
    name: str
    family: str                                  # "autoencoder": encode ⇄ decode a latent
    data_kinds: tuple[str, ...]
    network_config: Callable[[SynthConfig, tuple[int, ...]], Any]   # (config, input shape) → dataclass
    network_from_dict: Callable[[dict], Any]
    build: Callable[[Any], nn.Module]
    recipe: Callable[[SynthConfig, Any], Any]    # (config, network config) → Recipe
    description: str = ""


MODEL_KINDS: dict[str, ModelKind] = {}


def register(kind: ModelKind) -> ModelKind:
    MODEL_KINDS[kind.name] = kind
    return kind


def get_model_kind(name: str) -> ModelKind:
    if name not in MODEL_KINDS:
        raise ConfigError(f"unknown model {name!r}; choose one of {sorted(MODEL_KINDS)}")
    return MODEL_KINDS[name]


def network_to_dict(network_config) -> dict:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(network_config).items()}


def _autoencoder_kind(name: str, variational: bool) -> ModelKind:
    def network_config(config: SynthConfig, input_shape):
        return AutoencoderConfig(variational=variational, input_shape=tuple(input_shape),
                                 latent_dim=config.latent_dim, hidden=config.hidden,
                                 channels=config.channels, output=config.output)

    def from_dict(obj):
        return AutoencoderConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in obj.items()})

    def recipe(config: SynthConfig, network):
        from synth.recipes import AutoencoderRecipe
        from synth.schedules import KLSchedule
        kl = KLSchedule(config.kl_schedule, config.beta_max, config.warmup_epochs, config.kl_cycles)
        return AutoencoderRecipe(kl, variational=variational)

    text = "variational autoencoder (ELBO, KL schedule)" if variational else "autoencoder (reconstruction loss)"
    return ModelKind(name, "autoencoder", ("tabular", "image"), network_config, from_dict, Autoencoder, recipe, text)


register(_autoencoder_kind("ae", variational=False))
register(_autoencoder_kind("vae", variational=True))

__all__ = ["MODEL_KINDS", "Autoencoder", "AutoencoderConfig", "ModelKind", "get_model_kind", "network_to_dict",
           "register"]
