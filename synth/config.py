"""The one frozen config that builds, trains, clusters and samples a model.

It is flat on purpose: the CLI flags, a Tune search space and model.json all
name the same fields. ``None`` means "the default for this kind of data"
(``resolve``); the resolved config is what travels with the weights.

The defaults are tuned so the default VAE matches or beats the identity
baseline (class-wise Gaussians on the scaled features) on iris, wine,
breast_cancer and digits — see benchmarks/results/benchmark.md (issue 9).
Seed 001's original recipe is ``hidden=(16, 8), latent_dim=5, beta_max=0.01,
epochs=300, patience=40``: on those tables it loses 0.03–0.15 quality to identity.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields

from synth.errors import ConfigError

DATA_KINDS = ("tabular", "image", "record")


@dataclass(frozen=True)
class SynthConfig:
    model: str = "vae"
    latent_dim: int | None = None          # rows: min(features, 16); images: 48 labelled, 16 unlabelled
    # networks
    hidden: tuple[int, ...] = (64, 32)     # MLP encoder widths (seed 001 §4.3.1 had 16-8)
    channels: tuple[int, ...] = (32, 64)   # conv widths per stride-2 stage
    output: str = "linear"
    # VAE objective: β 0 → 1e-4 linearly over 100 epochs (seed 001 §4.4.1 had 0.01, which
    # blurs: the recon term is a per-row sum over [0, 1] features, so KL outweighs it)
    kl_schedule: str = "linear"
    beta_max: float = 1e-4
    warmup_epochs: int = 100
    kl_cycles: int = 4
    # training
    epochs: int | None = None              # 1000 for rows, 300 for images
    batch_size: int | None = None          # 32 for rows (seed 001), 64 for images
    lr: float = 1e-3
    weight_decay: float = 0.0
    val_fraction: float = 0.1
    # None: train every epoch. Stopping on a 10 % validation split picked under-trained
    # models on small tables (quality −0.01 to −0.02 at patience 40 and 100, issue 9)
    patience: int | None = None
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

    def resolve(self, data_kind: str, *, seed: int, n_features: int | None = None,
                labelled: bool = True) -> "SynthConfig":
        """Fill the per-data-kind defaults and the seed actually used. ``n_features``: the
        model-space width of a table (one-hot columns counted), which sets its latent size;
        ``labelled``: whether clusters come from labels (images then get a wider latent)."""
        image = data_kind in ("image", "record")
        latent = _image_latent_dim(labelled) if image else _table_latent_dim(n_features)
        return dataclasses.replace(
            self,
            latent_dim=self.latent_dim or latent,
            epochs=self.epochs or (300 if image else 1000),
            batch_size=self.batch_size or (64 if image else 32),
            random_state=seed,
        )

    def to_dict(self) -> dict:
        return {f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v) for f in fields(self)}

    @classmethod
    def from_dict(cls, obj: dict) -> "SynthConfig":
        return cls.from_options(**obj)


def _table_latent_dim(n_features: int | None) -> int:
    """A table's latent is as wide as its features, up to 16: on small tables every
    dimension squeezed out costs fidelity (issue 9: PCA to 5 dims loses 6 TSTR points on
    breast_cancer), while wide one-hot tables still get a compressed latent."""
    return 5 if n_features is None else max(1, min(int(n_features), 16))


def _image_latent_dim(labelled: bool) -> int:
    """With labels the clusters are given and a wide latent only buys detail (digits: TSTR
    0.938 at 32, 0.951 at 48 ≈ identity's 0.952). Without labels the latent must stay small
    enough for the BIC-gated polarized clustering, whose full covariances cost d(d+3)/2
    parameters each (digits, K = 10 asked: 3 clusters found at 48, 7 at 32, 10 at 16)."""
    return 48 if labelled else 16
