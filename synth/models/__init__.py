"""The model zoo: every model kind by name.

One module per kind holds its network, the recipe that trains it and its defaults
(``autoencoder``: ae, vae; ``linear``: identity, pca; ``gan``: dcgan, wgan-gp,
cdcgan, cwgan-gp; ``double_ae``: double-ae). ``ModelKind`` (``kind``) says what
every kind provides. The registry below lists them explicitly: importing a
module registers nothing.
"""

from __future__ import annotations

from synth.errors import ConfigError
from synth.models import autoencoder, double_ae, gan, linear
from synth.models.autoencoder import Autoencoder, AutoencoderConfig
from synth.models.kind import ModelKind, network_to_dict
from synth.models.linear import IdentityLatent, LinearLatentConfig, PCALatent

MODEL_KINDS: dict[str, ModelKind] = {
    kind.name: kind for kind in (*autoencoder.KINDS, *linear.KINDS, *gan.KINDS, *double_ae.KINDS)
}


def get_model_kind(name: str) -> ModelKind:
    if name not in MODEL_KINDS:
        raise ConfigError(f"unknown model {name!r}; choose one of {sorted(MODEL_KINDS)}")
    return MODEL_KINDS[name]


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
]
