"""The GAN zoo and the double autoencoder as model kinds (registered on import).

Defaults follow seed 001 Table 4.1 (DCGAN: 100-d noise, lr 2e-4, β₁ 0.5, batch
128; WGAN-GP: 128-d noise, lr 1e-4, λ = 10, 5 critic steps, batch 64) and
seed 003 (double AE: d₁ × d₂ latent matrix, two-stage training).
"""

from __future__ import annotations

from synth.config import SynthConfig
from synth.errors import ConfigError
from synth.models import ModelKind, register
from synth.models.double_ae import DoubleAEConfig, DoubleAutoencoder
from synth.models.gan import GAN, GANConfig

GAN_DEFAULTS = {
    "dcgan": {
        "latent_dim": 100,
        "lr": 2e-4,
        "adam_betas": (0.5, 0.999),
        "batch_size": 128,
        "critic_steps": 1,
        "gan_channels": 256,
        "val_fraction": 0.0,
        "epochs": 60,
    },
    # seed 001 gives lr and λ but not WGAN-GP's betas: (0.5, 0.9) as in Gulrajani et al.'s released code
    "wgan-gp": {
        "latent_dim": 128,
        "lr": 1e-4,
        "adam_betas": (0.5, 0.9),
        "batch_size": 64,
        "critic_steps": 5,
        "gan_channels": 256,
        "val_fraction": 0.0,
        "epochs": 60,
    },
}


def _gan_kind(name: str, base: str, conditional: bool) -> ModelKind:
    def network_config(config: SynthConfig, input_shape, *, n_classes: int = 0):
        if len(input_shape) != 3:
            raise ConfigError(f"{name} takes images (C, H, W), got data of shape {tuple(input_shape)}")
        if conditional and n_classes < 2:
            raise ConfigError(
                f"{name} is class-conditional and needs labelled images with at least 2 classes "
                f"(got {n_classes}); pass labels, or use {base} for unlabelled data"
            )
        return GANConfig(
            input_shape=tuple(input_shape),
            latent_dim=config.latent_dim,
            n_classes=n_classes if conditional else 0,
            channels=config.gan_channels,
            activation="relu" if base == "wgan-gp" else "leaky_relu",
        )

    def from_dict(obj):
        return GANConfig(**obj)

    def recipe(config: SynthConfig, network: GANConfig):
        from synth.gan_recipes import GANRecipe

        return GANRecipe(
            objective="wasserstein" if base == "wgan-gp" else "standard",
            latent_dim=network.latent_dim,
            conditional=network.conditional,
            critic_steps=config.critic_steps,
            gp_weight=config.gp_weight,
            betas=config.adam_betas,
        )

    def defaults(config: SynthConfig) -> dict:
        if config.val_fraction:
            raise ConfigError(
                f"{name} has no validation loss to monitor; leave val_fraction unset (GANs train "
                "on every row they are given)"
            )
        return GAN_DEFAULTS[base]

    what = {
        "dcgan": "DCGAN (non-saturating loss, BatchNorm + LeakyReLU)",
        "wgan-gp": "WGAN-GP (Wasserstein loss, gradient penalty, critic without BatchNorm)",
    }[base]
    text = f"class-conditional {what}, projection discriminator" if conditional else what
    return ModelKind(name, "gan", ("image",), network_config, from_dict, GAN, recipe, text, defaults)


register(_gan_kind("dcgan", "dcgan", conditional=False))
register(_gan_kind("wgan-gp", "wgan-gp", conditional=False))
register(_gan_kind("cdcgan", "dcgan", conditional=True))
register(_gan_kind("cwgan-gp", "wgan-gp", conditional=True))


def _double_ae_defaults(config: SynthConfig) -> dict:
    d1, d2 = config.column_dim or 8, config.row_dim or 8
    if config.latent_dim is not None and config.latent_dim != d1 * d2:
        raise ConfigError(
            f"double-ae's latent is the d₁×d₂ matrix ({d1}×{d2} = {d1 * d2}); set column_dim and "
            f"row_dim instead of latent_dim={config.latent_dim}"
        )
    return {"column_dim": d1, "row_dim": d2, "latent_dim": d1 * d2, "batch_size": 16, "epochs": 60}


def _double_ae_network(config: SynthConfig, input_shape, *, n_classes: int = 0):
    if len(input_shape) != 2:
        raise ConfigError(f"double-ae takes 2-D records (H, W), got data of shape {tuple(input_shape)}")
    return DoubleAEConfig(
        input_shape=tuple(input_shape),
        column_dim=config.column_dim,
        row_dim=config.row_dim,
        encoder=config.record_encoder,
        hidden=config.record_hidden,
    )


def _double_ae_recipe(config: SynthConfig, network: DoubleAEConfig):
    from synth.double_ae_recipe import DoubleAERecipe

    return DoubleAERecipe(training=config.record_training, epochs=config.epochs, betas=config.adam_betas)


register(
    ModelKind(
        "double-ae",
        "autoencoder",
        ("record",),
        _double_ae_network,
        lambda obj: DoubleAEConfig(**obj),
        DoubleAutoencoder,
        _double_ae_recipe,
        "seed 003's sequential double autoencoder: columns → d₁, rows of that → d₂ (2-D records)",
        _double_ae_defaults,
    )
)
