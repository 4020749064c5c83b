"""The one frozen config that builds, trains, clusters and samples a model.

It is flat on purpose: the CLI flags, a Tune search space and model.json all
name the same fields. ``None`` means "the default for this kind of data"
(``resolve``); the resolved config is what travels with the weights.

The defaults are tuned against the identity baseline (class-wise Gaussians on
the scaled features) and pca on iris, wine, breast_cancer and digits, on TSTR,
quality and detection AUC — see benchmarks/results/benchmark.md for where the
default VAE wins and where it does not.
The VAE/GAN/FID report's original recipe is ``hidden=(16, 8), latent_dim=5, beta_max=0.01,
epochs=300, patience=40``: on those tables it loses 0.03–0.15 quality to identity.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from synth.errors import ConfigError

if TYPE_CHECKING:
    from synth.training.budget import Schedule

DATA_KINDS = ("tabular", "image", "record")


@dataclass(frozen=True)
class SynthConfig:
    model: str = "vae"
    latent_dim: int | None = None  # rows: min(features, 16); images: 48 labelled, 16 unlabelled
    # networks
    # MLP encoder widths (the VAE/GAN/FID report §4.3.1 had 16-8). 128-64 over 64-32, judged by detection
    # AUC (lower is better; benchmarks/results/benchmark.md, 3 seeds): wine 0.624 → 0.540, breast_cancer
    # 0.710 → 0.636 (with its long tails on the log scale), iris 0.511 → 0.521, digits (a conv VAE) the
    # same; on mixed 2,000-row tables it was not tuned on 0.793 → 0.746 and 0.858 → 0.785 (2 seeds).
    # Cost: iris quality 0.917 → 0.906, breast_cancer TSTR 0.934 → 0.920, ~20 % more fit time
    hidden: tuple[int, ...] = (128, 64)
    channels: tuple[int, ...] = (32, 64)  # conv widths per stride-2 stage
    # decoder output. None: "sigmoid" for images, "linear" for tables and 2-D records. On the embedded
    # digits (5 seeds, benchmarks/digits_output.py) a sigmoid took the CNN detection AUC from 0.733 to
    # 0.628 uncalibrated, and with the marginal calibration TSTR from 0.943 to 0.950 and quality from
    # 0.972 to 0.980: background and full-stroke pixels come out at the ends of their range
    output: str | None = None
    # VAE objective: β rises linearly over the warm-up to beta_max. None: 1e-4 for images and for tables
    # of continuous columns only (the VAE/GAN/FID report §4.4.1 had 0.01, which blurs them: the recon term
    # is a per-row sum over [0, 1] features, so KL outweighs it); 1e-2 for tables with one-hot or
    # missing-indicator features (see _table_beta_max)
    kl_schedule: str = "linear"
    beta_max: float | None = None
    warmup_epochs: int | None = None  # tables: a tenth of the planned epochs (100 of 1000); else 100
    kl_cycles: int = 4
    # training (None: the model kind's default, then the data kind's). Tables: from the row count
    # (synth.training.budget: batch 32 and 1000 epochs up to 2,048 training rows, then a step budget)
    epochs: int | None = None  # images: from pixels × rows, ≤ 300 (synth.training.budget); GANs and double AE 60
    batch_size: int | None = None  # 32 for small tables (the VAE/GAN/FID report), 64 for images; DCGAN 128
    lr: float | None = (
        None  # 1e-3 (the VAE/GAN/FID report VAE); DCGAN 2e-4, WGAN-GP 1e-4 (the VAE/GAN/FID report, Table 4.1)
    )
    adam_betas: tuple[float, float] | None = None  # (0.9, 0.999); DCGAN (0.5, 0.999), WGAN-GP (0.5, 0.9)
    weight_decay: float = 0.0
    val_fraction: float | None = None  # 0.1; GANs 0 (they have no validation loss)
    # None: tables cut short by the step budget stop early, others train every epoch (stopping on a 10 %
    # split picked under-trained models on small tables: quality −0.01 to −0.02 at patience 40 and 100);
    # 0: never stop early
    patience: int | None = None
    # GANs (the VAE/GAN/FID report §4.3.2–4.5)
    gan_channels: int | None = None  # channels of the generator's first feature map (256)
    critic_steps: int | None = None  # discriminator/critic steps per generator step (WGAN-GP 5)
    gp_weight: float = 10.0  # gradient-penalty λ (WGAN-GP)
    # double autoencoder for 2-D records (the double-autoencoder paper (arXiv 2502.13183) §II.B)
    column_dim: int | None = None  # d₁: each column (length H) → d₁ (8)
    row_dim: int | None = None  # d₂: each row of the d₁×W matrix → d₂ (8)
    record_encoder: str = "mlp"  # "mlp" or "transformer" (a small self-attention encoder)
    record_training: str = "two_stage"  # "two_stage" (column AE, then row AE) or "joint"
    record_hidden: tuple[int, ...] = (128, 64)  # MLP widths of the series encoders (decoders mirror)
    record_crop: tuple[int, int, int, int] | None = None  # (row0, row1, col0, col1) window of each record
    record_log: bool = False  # log1p intensities before min-max (the double-autoencoder paper preprocessing)
    # latent clusters
    n_clusters: int | str = "auto"  # unlabelled data only
    min_cluster_size: int = 5
    shrinkage: str = "ledoit_wolf"
    q: float = 0.95  # χ² gate quantile
    anchor_size: int = 5  # rows per micro-centroid
    keep_latents: bool = False  # store encoded rows as anchors (privacy trade-off)
    # map each continuous decoded feature through its cluster's F_real⁻¹ ∘ F_model (synth.marginals), as a
    # Gaussian copula fits each column's own distribution
    calibrate: bool = True
    # tabular cleaning (docs/tables.md; tokens from the VAE/GAN/FID report §4.2, missing only in numeric columns)
    na_tokens: tuple[str, ...] = ("-999", "N/A", "NA", "pending", "L", "")
    missing: str = "model"  # "model" (indicator + regenerated per cluster), "impute" or "drop"
    outlier_z: float | None = None  # drop rows with a numeric |z| above this (off by default)
    clip: bool = True
    drop_columns: tuple[str, ...] = ()
    schema: dict | None = None  # column → kind (numeric, categorical, datetime, identifier, text, constant)
    free_text: str = "omit"  # free-text columns: "omit" (left empty) or "top" (20 most frequent + "other")
    allow_drop: bool = False  # let cleaning drop more than half of the rows
    # constraints every generated row satisfies (dicts, see synth.conditions); fixed_combinations learn at fit
    constraints: tuple[dict, ...] = ()
    random_state: int | None = 0

    def __post_init__(self):
        for name in ("hidden", "channels", "na_tokens", "drop_columns", "record_hidden", "constraints"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        for name in ("adam_betas", "record_crop"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, tuple(getattr(self, name)))
        self._check_training_fields()
        if self.latent_dim is not None and not (isinstance(self.latent_dim, int) and self.latent_dim >= 1):
            raise ConfigError(f"latent_dim must be a positive integer, got {self.latent_dim!r}")
        if not (self.n_clusters == "auto" or (isinstance(self.n_clusters, int) and self.n_clusters >= 1)):
            raise ConfigError(f"n_clusters must be a positive integer or 'auto', got {self.n_clusters!r}")
        if not 0 < self.q < 1:
            raise ConfigError(f"q must be in (0, 1), got {self.q!r}")
        if self.shrinkage not in ("ledoit_wolf", "ridge", "none"):
            raise ConfigError(f"shrinkage must be 'ledoit_wolf', 'ridge' or 'none', got {self.shrinkage!r}")
        if self.output not in (None, "linear", "sigmoid"):
            raise ConfigError(f"output must be 'linear' or 'sigmoid', got {self.output!r}")
        if self.anchor_size < 1 or self.min_cluster_size < 1:
            raise ConfigError("anchor_size and min_cluster_size must be ≥ 1")
        if self.random_state is not None and not isinstance(self.random_state, int):
            raise ConfigError(f"random_state must be an int or None, got {self.random_state!r}")

    def _check_training_fields(self) -> None:
        if self.lr is not None and not (isinstance(self.lr, (int, float)) and self.lr > 0):
            raise ConfigError(f"lr must be a positive number, got {self.lr!r}")
        if self.adam_betas is not None and not (len(self.adam_betas) == 2 and all(0 <= b < 1 for b in self.adam_betas)):
            raise ConfigError(f"adam_betas must be two numbers in [0, 1), got {self.adam_betas!r}")
        if self.val_fraction is not None and not 0 <= self.val_fraction < 1:
            raise ConfigError(f"val_fraction must be in [0, 1), got {self.val_fraction!r}")
        for name in ("epochs", "batch_size", "gan_channels", "critic_steps", "column_dim", "row_dim"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, int) and value >= 1):
                raise ConfigError(f"{name} must be a positive integer, got {value!r}")
        for name in ("patience", "warmup_epochs"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, int) and value >= 0):
                raise ConfigError(f"{name} must be an integer ≥ 0, got {value!r}")
        if not self.gp_weight >= 0:
            raise ConfigError(f"gp_weight must be ≥ 0, got {self.gp_weight!r}")
        if self.record_encoder not in ("mlp", "transformer"):
            raise ConfigError(f"record_encoder must be 'mlp' or 'transformer', got {self.record_encoder!r}")
        if self.record_training not in ("two_stage", "joint"):
            raise ConfigError(f"record_training must be 'two_stage' or 'joint', got {self.record_training!r}")
        if self.record_crop is not None:
            crop = self.record_crop
            if (
                len(crop) != 4
                or not all(isinstance(c, int) and c >= 0 for c in crop)
                or crop[0] >= crop[1]
                or crop[2] >= crop[3]
            ):
                raise ConfigError(
                    f"record_crop must be (row0, row1, col0, col1) with row0 < row1 and col0 < col1, got {crop!r}"
                )

    @classmethod
    def from_options(cls, **options) -> SynthConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise ConfigError(f"unknown option(s) {unknown}; valid options are {sorted(known)}")
        return cls(**options)

    def resolve(
        self,
        data_kind: str,
        *,
        seed: int,
        defaults: dict | None = None,
        n_features: int | None = None,
        labelled: bool = True,
        n_rows: int | None = None,
        image_pixels: int | None = None,
        discrete_features: int = 0,
    ) -> SynthConfig:
        """Fill the unset fields: first from the model kind's ``defaults`` (DCGAN's lr, a
        double AE's latent size), then from the data kind's; record the seed actually used.
        ``n_features``: the model-space width of a table (one-hot columns counted), which sets
        its latent size; ``labelled``: whether clusters come from labels (images then get a
        wider latent); ``n_rows``: a table's rows, which set its schedule (``schedule``), or with
        ``image_pixels`` (H·W) an image set's, which set its epochs (``budget.image_epochs``);
        ``discrete_features``: a table's one-hot and missing-indicator features, which set β."""
        cfg = self.with_defaults(defaults)
        image = data_kind in ("image", "record")
        latent = _image_latent_dim(labelled) if image else _table_latent_dim(n_features)
        val_fraction = cfg.val_fraction if cfg.val_fraction is not None else 0.1
        cfg = dataclasses.replace(
            cfg,
            latent_dim=cfg.latent_dim or latent,
            lr=cfg.lr if cfg.lr is not None else 1e-3,
            output=cfg.output or ("sigmoid" if data_kind == "image" else "linear"),
            adam_betas=cfg.adam_betas or (0.9, 0.999),
            beta_max=cfg.beta_max
            if cfg.beta_max is not None
            else (IMAGE_BETA if image else _table_beta_max(discrete_features)),
            val_fraction=val_fraction,
            random_state=seed,
        )
        if image:
            epochs = cfg.epochs or 300
            if cfg.epochs is None and n_rows and image_pixels:
                from synth.training.budget import image_epochs

                rows = n_rows - math.floor(n_rows * val_fraction)
                epochs = image_epochs(rows, image_pixels, cfg.batch_size or 64)
            # the warm-up stays 100 epochs even when the budget plans fewer (β then ends below beta_max);
            # a warm-up of a third of the epochs measured no better on 28×28 images (benchmarks/conv28.py)
            return dataclasses.replace(
                cfg,
                epochs=epochs,
                batch_size=cfg.batch_size or 64,
                warmup_epochs=100 if cfg.warmup_epochs is None else cfg.warmup_epochs,
            )
        plan = cfg.schedule(n_rows)
        return dataclasses.replace(
            cfg,
            epochs=plan.epochs,
            batch_size=plan.batch_size,
            warmup_epochs=plan.warmup_epochs,
            patience=plan.patience,
        )

    def with_defaults(self, defaults: dict | None) -> SynthConfig:
        """The model kind's ``defaults`` filled in where this config leaves a field unset."""
        return dataclasses.replace(self, **{k: v for k, v in (defaults or {}).items() if getattr(self, k) is None})

    def schedule(self, n_rows: int | None) -> Schedule:
        """A table's training schedule for ``n_rows`` rows (``synth.training.budget``); the rows the
        validation split takes are not trained on. Unknown rows: the small-table schedule."""
        from synth.training.budget import table_schedule  # keeps this module free of torch

        val_fraction = self.val_fraction if self.val_fraction is not None else 0.1
        rows = 1 if n_rows is None else n_rows - math.floor(n_rows * val_fraction)
        return table_schedule(
            rows,
            batch_size=self.batch_size,
            epochs=self.epochs,
            warmup_epochs=self.warmup_epochs,
            patience=None if self.patience in (None, 0) else self.patience,
            patience_set=self.patience is not None,
        )

    def to_dict(self) -> dict:
        return {f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v) for f in fields(self)}

    @classmethod
    def from_dict(cls, obj: dict) -> SynthConfig:
        return cls.from_options(**obj)


IMAGE_BETA = 1e-4
CONTINUOUS_TABLE_BETA, DISCRETE_TABLE_BETA = 1e-4, 1e-2


def _table_beta_max(discrete_features: int) -> float:
    """β of a table's VAE. Binary features (one-hot categories, missing indicators) leave a weakly
    regularised latent in separate islands per value combination; one Gaussian per cluster then
    spans the gaps between them, and what it decodes there gives itself away. A stronger KL pulls
    the islands together: on four mixed tables (1,050–1,400 and 280 training rows; benchmarks/
    beta_tables.py) detection AUC fell from 0.81–0.95 at 1e-4 to 0.54–0.77 at 1e-2. Tables of
    continuous columns only lose at 1e-2 (iris 0.52 → 0.73, breast_cancer 0.64 → 0.73), so they
    keep 1e-4."""
    return DISCRETE_TABLE_BETA if discrete_features else CONTINUOUS_TABLE_BETA


def _table_latent_dim(n_features: int | None) -> int:
    """A table's latent is as wide as its features, up to 16: on small tables every
    dimension squeezed out costs fidelity (PCA to 5 dims loses 6 TSTR points on
    breast_cancer), while wide one-hot tables still get a compressed latent."""
    return 5 if n_features is None else max(1, min(int(n_features), 16))


def _image_latent_dim(labelled: bool) -> int:
    """With labels the clusters are given and a wide latent only buys detail (digits: TSTR
    0.938 at 32, 0.951 at 48 ≈ identity's 0.952). Without labels the latent serves the
    polarized clustering: on digits with labels hidden (K = 10) it scores ARI 0.80 at 16,
    against 0.71 at 10, 0.66 at 8 and 0.56 at 32 (only 7 splits pass the full-covariance BIC);
    β 1e-3 scores 0.78, so the default β stays (benchmarks/clustering.py)."""
    return 48 if labelled else 16
