"""Model kinds by name. Each kind says how to build its network from the
config, how to rebuild it from model.json, which recipe trains it, and which
defaults it brings (seed 001's GAN learning rates, a double AE's latent size).

Families: "autoencoder" (encode ⇄ decode a latent: ae, vae, double-ae, and
the closed-form baselines identity and pca) and "gan" (decode only: the latent
is the generator's noise; dcgan, wgan-gp and their class-conditional variants).
``synth.families`` says what each family means for the facade. Other kinds add
themselves with ``register``. A kind with ``fit_closed_form`` (identity, pca) is
fitted by that function in one step instead of by the training loop; its
``recipe`` is then never asked for.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from torch import nn

from synth.config import SynthConfig
from synth.errors import ConfigError
from synth.models.autoencoder import Autoencoder, AutoencoderConfig
from synth.models.linear import IdentityLatent, LinearLatentConfig, PCALatent, fit_linear_latent


@dataclass(frozen=True)
class ModelKind:
    name: str
    family: str  # "autoencoder": encode ⇄ decode; "gan": decode only
    data_kinds: tuple[str, ...]
    # (config, input shape, *, n_classes) → network dataclass; n_classes = labelled classes (0: none)
    network_config: Callable[..., Any]
    network_from_dict: Callable[[dict], Any]
    build: Callable[[Any], nn.Module]
    recipe: Callable[[SynthConfig, Any], Any]  # (config, network config) → Recipe
    description: str = ""
    # config → {field: value} filled where the user left the field unset (SynthConfig.resolve)
    defaults: Callable[[SynthConfig], dict] = field(default=lambda config: {})
    # (module, train TensorDataset, val TensorDataset | None) → (history, summary), as fit_local
    fit_closed_form: Callable[[nn.Module, Any, Any], tuple[list[dict], dict]] | None = None


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
    def network_config(config: SynthConfig, input_shape, *, n_classes: int = 0):
        return AutoencoderConfig(
            variational=variational,
            input_shape=tuple(input_shape),
            latent_dim=config.latent_dim,
            hidden=config.hidden,
            channels=config.channels,
            output=config.output,
        )

    def from_dict(obj):
        return AutoencoderConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in obj.items()})

    def recipe(config: SynthConfig, network):
        from synth.recipes import AutoencoderRecipe
        from synth.schedules import KLSchedule

        kl = KLSchedule(config.kl_schedule, config.beta_max, config.warmup_epochs, config.kl_cycles)
        return AutoencoderRecipe(kl, variational=variational, betas=config.adam_betas or (0.9, 0.999))

    text = "variational autoencoder (ELBO, KL schedule)" if variational else "autoencoder (reconstruction loss)"
    return ModelKind(name, "autoencoder", ("tabular", "image"), network_config, from_dict, Autoencoder, recipe, text)


def _linear_kind(name: str, module: type[nn.Module], text: str) -> ModelKind:
    def network_config(config: SynthConfig, input_shape, *, n_classes: int = 0):
        n_features = math.prod(input_shape)
        # identity's latent is the feature space; PCA cannot have more axes than features
        latent_dim = n_features if name == "identity" else min(config.latent_dim, n_features)
        return LinearLatentConfig(kind=name, input_shape=tuple(input_shape), latent_dim=latent_dim)

    def from_dict(obj):
        return LinearLatentConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in obj.items()})

    def recipe(config: SynthConfig, network):
        raise ConfigError(f"model {name!r} is fitted in closed form; it has no training recipe")

    return ModelKind(
        name,
        "autoencoder",
        ("tabular", "image"),
        network_config,
        from_dict,
        module,
        recipe,
        text,
        fit_closed_form=fit_linear_latent,
    )


register(_autoencoder_kind("ae", variational=False))
register(_autoencoder_kind("vae", variational=True))
register(_linear_kind("identity", IdentityLatent, "baseline: the scaled feature space is the latent (no learning)"))
register(
    _linear_kind(
        "pca", PCALatent, "baseline: linear autoencoder on the latent_dim leading principal axes (closed form)"
    )
)

from synth.models import kinds  # noqa: E402,F401  (registers the GAN and double-AE kinds)

__all__ = [
    "MODEL_KINDS",
    "Autoencoder",
    "AutoencoderConfig",
    "IdentityLatent",
    "LinearLatentConfig",
    "ModelKind",
    "PCALatent",
    "get_model_kind",
    "network_to_dict",
    "register",
]
