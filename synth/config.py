"""The one frozen config that builds, trains, clusters and samples a model.

It is flat on purpose: the CLI flags, a Tune search space and model.json all
name the same fields. ``None`` means "the default for this kind of data"
(``resolve``); the resolved config is what travels with the weights.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields

from synth.errors import ConfigError

DATA_KINDS = ("tabular", "image", "record")


@dataclass(frozen=True)
class SynthConfig:
    model: str = "vae"
    latent_dim: int | None = None          # 5 for rows (seed 001), 16 for images
    # networks
    hidden: tuple[int, ...] = (16, 8)      # MLP encoder widths, seed 001 §4.3.1
    channels: tuple[int, ...] = (32, 64)   # conv widths per stride-2 stage
    output: str = "linear"
    # VAE objective (seed 001 §4.4.1: β 0 → 0.01 linearly over 100 epochs)
    kl_schedule: str = "linear"
    beta_max: float = 0.01
    warmup_epochs: int = 100
    kl_cycles: int = 4
    # training
    epochs: int | None = None              # 300 for rows (seed 001), 60 for images
    batch_size: int | None = None          # 32 for rows (seed 001), 64 for images
    lr: float = 1e-3
    weight_decay: float = 0.0
    val_fraction: float = 0.1
    patience: int | None = 40
    # latent clusters (SPEC §5)
    n_clusters: int | str = "auto"         # unlabelled data only
    min_cluster_size: int = 5
    shrinkage: str = "ledoit_wolf"
    q: float = 0.95                        # χ² gate quantile
    anchor_size: int = 5                   # rows per micro-centroid
    keep_latents: bool = False             # store encoded rows as anchors (privacy trade-off)
    # tabular cleaning (seed 001 §4.2)
    na_tokens: tuple[str, ...] = ("-999", "N/A", "NA", "pending", "L", "")
    missing: str = "drop"
    outlier_z: float | None = 3.0
    clip: bool = True
    drop_columns: tuple[str, ...] = ()
    random_state: int | None = 0

    def __post_init__(self):
        for name in ("hidden", "channels", "na_tokens", "drop_columns"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if self.latent_dim is not None and not (isinstance(self.latent_dim, int) and self.latent_dim >= 1):
            raise ConfigError(f"latent_dim must be a positive integer, got {self.latent_dim!r}")
        if not (self.n_clusters == "auto" or (isinstance(self.n_clusters, int) and self.n_clusters >= 1)):
            raise ConfigError(f"n_clusters must be a positive integer or 'auto', got {self.n_clusters!r}")
        if not 0 < self.q < 1:
            raise ConfigError(f"q must be in (0, 1), got {self.q!r}")
        if self.shrinkage not in ("ledoit_wolf", "ridge", "none"):
            raise ConfigError(f"shrinkage must be 'ledoit_wolf', 'ridge' or 'none', got {self.shrinkage!r}")
        if self.output not in ("linear", "sigmoid"):
            raise ConfigError(f"output must be 'linear' or 'sigmoid', got {self.output!r}")
        if self.anchor_size < 1 or self.min_cluster_size < 1:
            raise ConfigError("anchor_size and min_cluster_size must be ≥ 1")
        if self.random_state is not None and not isinstance(self.random_state, int):
            raise ConfigError(f"random_state must be an int or None, got {self.random_state!r}")

    @classmethod
    def from_options(cls, **options) -> "SynthConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise ConfigError(f"unknown option(s) {unknown}; valid options are {sorted(known)}")
        return cls(**options)

    def resolve(self, data_kind: str, *, seed: int) -> "SynthConfig":
        """Fill the per-data-kind defaults and the seed actually used."""
        image = data_kind in ("image", "record")
        return dataclasses.replace(
            self,
            latent_dim=self.latent_dim or (16 if image else 5),
            epochs=self.epochs or (60 if image else 300),
            batch_size=self.batch_size or (64 if image else 32),
            random_state=seed,
        )

    def to_dict(self) -> dict:
        return {f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v) for f in fields(self)}

    @classmethod
    def from_dict(cls, obj: dict) -> "SynthConfig":
        return cls.from_options(**obj)
