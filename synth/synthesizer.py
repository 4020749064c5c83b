"""``LatentSynthesizer``: the method of Feyiz & Ozkazanc (doi 10.1109/access.2026.3692685)
behind one scikit-learn-style estimator.

fit: clean → scale → train the model kind's network → fit the latent clusters
(encode every row, partition by labels or polarized hierarchical clustering, one
Gaussian per cluster + micro-centroid anchors; a GAN's clusters are its prior).
sample: draw latents per cluster with a generator method, optionally gated, decode,
and undo the scaling. What differs per model kind lives in ``synth.models``; the
fitted cluster state is one ``LatentClusters`` (``clusters_``).
"""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from synth import artifacts
from synth.conditional import generate_conditional, one_cluster, request_filter
from synth.conditions import fit_constraints
from synth.config import SynthConfig
from synth.data.missing import learn_missing_rates
from synth.data.prepare import cleaning_options, feature_schema, prepare_data
from synth.errors import ConfigError, DataError
from synth.generate import METHODS, MethodOptions
from synth.latent_clusters import LatentClusters, check_label_counts, label_partition
from synth.marginals import calibrate_synthesizer
from synth.models import get_model_kind
from synth.sampling import LatentDraw, Samples, check_seed, draw_latents, fresh_seed
from synth.training.budget import loop_config
from synth.training.loop import fit_local

DECODE_CHUNK = 256  # fixed decode batch: output bits never depend on how many rows go together

__all__ = ["DECODE_CHUNK", "LatentDraw", "LatentSynthesizer", "Samples"]


class LatentSynthesizer:
    """Cluster-specific latent Gaussian synthesizer.

    >>> syn = LatentSynthesizer(model="vae", latent_dim=5, random_state=0).fit(df, y="species")
    >>> X_new, labels = syn.sample(200, cluster="setosa", method="ellipsoid_walk", random_state=1)

    Constructor arguments are any ``SynthConfig`` field; they are validated here and kept
    as given (``get_params``) until ``fit`` resolves them into ``config_``.
    """

    def __init__(self, model: str = "vae", *, random_state: int | None = 0, **options):
        self.model = model
        self.random_state = random_state
        self.options = dict(options)
        get_model_kind(model)  # fail fast on an unknown model name or option
        SynthConfig.from_options(**self.get_params())

    # ------------------------------------------------------------ parameters
    def get_params(self, deep: bool = True) -> dict:
        """The constructor arguments, as scikit-learn's ``get_params`` (``deep`` is accepted for
        compatibility; there are no nested estimators)."""
        return {"model": self.model, "random_state": self.random_state, **self.options}

    def set_params(self, **params) -> LatentSynthesizer:
        """Change constructor arguments (validated at once); a fitted model keeps its fitted
        state until the next ``fit``."""
        merged = {**self.get_params(), **params}
        SynthConfig.from_options(**merged)
        get_model_kind(merged["model"])
        self.model, self.random_state = merged.pop("model"), merged.pop("random_state")
        self.options = merged
        return self

    @property
    def config(self) -> SynthConfig:
        """The constructor arguments as an (unresolved) ``SynthConfig``."""
        return SynthConfig.from_options(**self.get_params())

    # ------------------------------------------------------------------ fit
    def fit(self, X, y=None, *, train_fn=None, callbacks=()) -> LatentSynthesizer:
        """X: DataFrame, image array (N, C, H, W), or 2-D records (N, H, W) for a record model;
        y: label column name, labels, or None (unlabelled).
        ``train_fn`` replaces the in-process loop (``synth.distributed`` passes Ray Train's)."""
        cfg = self.config
        kind = get_model_kind(cfg.model)
        data = prepare_data(
            X,
            y,
            options=cleaning_options(cfg),
            data_kind="record" if kind.data_kinds == ("record",) else None,
            record_crop=cfg.record_crop,
            record_log=cfg.record_log,
        )
        if data.kind not in kind.data_kinds:
            raise ConfigError(f"model {cfg.model!r} does not take {data.kind} data; it takes {list(kind.data_kinds)}")
        seed = cfg.random_state if cfg.random_state is not None else fresh_seed()
        cfg = cfg.resolve(
            data.kind,
            seed=seed,
            defaults=kind.defaults(cfg),
            n_features=int(np.prod(data.X.shape[1:])),
            labelled=data.labels is not None,
            n_rows=len(data.X) if data.kind in ("tabular", "image") else None,
            image_pixels=int(np.prod(data.X.shape[2:])) if data.kind == "image" else None,
            discrete_features=data.transformer.n_discrete_ if data.kind == "tabular" else 0,
        )
        check_label_counts(data.labels)
        self.kind_, self.data_kind_, self.transformer_ = kind, data.kind, data.transformer
        self.label_name_, self.label_dtype_, self.cleaning_report_ = data.label_name, data.label_dtype, data.report
        n_classes = 0 if data.labels is None else len(label_partition(data.labels).classes_)
        cfg = self.build_network(kind, cfg, data.X.shape[1:], n_classes=n_classes, seed=seed)
        train_set, val_set = kind.training_sets(
            data.X, data.labels, network=self.network_, val_fraction=cfg.val_fraction, seed=seed
        )
        if kind.closed_form:  # nothing to iterate (or to distribute): train_fn is not needed
            self.history_, self.train_summary_ = kind.fit_closed_form(self.module_, train_set, val_set)
        else:
            recipe, train_cfg = kind.recipe(cfg, self.network_), loop_config(cfg, seed=seed)
            fit = train_fn or fit_local
            self.history_, self.train_summary_ = fit(
                self.module_, recipe, train_set, val_set, train_cfg, callbacks=tuple(callbacks)
            )
            if data.kind == "tabular":  # what the row count chose (synth.training.budget)
                plan = self.config.with_defaults(kind.defaults(self.config)).schedule(len(data.X))
                self.train_summary_["schedule"] = plan.to_dict()
        self.module_.eval()
        self.constraints_ = fit_constraints(cfg.constraints, data.frame) if data.kind == "tabular" else []
        self.clusters_ = kind.fit_clusters(
            data.X, data.labels, encode=self.encode_features, network=self.network_, config=cfg, seed=seed
        )
        if data.kind == "tabular":
            learn_missing_rates(self.transformer_, data.frame, self.clusters_, cfg.missing)
        self.calibration_ = calibrate_synthesizer(self, data.X, seed=seed)
        self.metrics_ = {}
        return self

    def build_network(self, kind, cfg: SynthConfig, shape, *, n_classes: int, seed: int) -> SynthConfig:
        """Set ``network_``, ``config_`` and a seeded ``module_``; returns the config (whose latent
        size follows the data for identity and pca)."""
        self.network_ = kind.network_config(cfg, shape, n_classes=n_classes)
        if self.network_.latent_dim != cfg.latent_dim:
            cfg = replace(cfg, latent_dim=self.network_.latent_dim)
        self.config_ = cfg
        with torch.random.fork_rng(devices=[]):  # seeded init without touching the caller's RNG
            torch.manual_seed(seed)
            self.module_ = kind.build(self.network_)
        return cfg

    def with_clusters(self, clusters: LatentClusters) -> LatentSynthesizer:
        """A shallow copy (sharing the network) whose latent clusters are ``clusters``."""
        other = copy.copy(self)
        other.clusters_ = clusters
        other.calibration_ = None  # it was fitted per cluster of the old clusters
        return other

    # ------------------------------------------------------- fitted state views
    def _check_fitted(self):
        if not hasattr(self, "clusters_"):
            raise ConfigError("this LatentSynthesizer is not fitted yet; call fit() or load() first")

    @property
    def cluster_names_(self) -> list:
        return self.clusters_.names

    @property
    def cluster_sizes_(self) -> list[int]:
        return self.clusters_.sizes

    @property
    def gaussians_(self):
        return self.clusters_.gaussians

    @property
    def anchors_(self) -> list[np.ndarray]:
        return self.clusters_.anchors

    @property
    def partition_(self):
        return self.clusters_.partition

    @property
    def partition_kind_(self) -> str:
        return self.clusters_.partition_kind

    @property
    def can_encode(self) -> bool:
        """False for GANs: no encoder, so no encode, back-projection or CAR."""
        self._check_fitted()
        return self.kind_.has_encoder

    # ------------------------------------------------------------ encode/decode
    def transform_features(self, X) -> np.ndarray:
        """Rows/images/records in original units → model space (scaled, one-hot), float32."""
        if self.data_kind_ == "tabular" and not isinstance(X, pd.DataFrame):
            raise DataError(f"expected a DataFrame with columns {[c.name for c in self.transformer_.columns_]}")
        return self.transformer_.transform(X)

    @torch.no_grad()
    def encode_features(self, X: np.ndarray) -> np.ndarray:
        """Model-space rows/images/records → latents (n, d) float64."""
        self.kind_.require_encoder("encoding")
        out = [
            self.module_.encode(torch.from_numpy(np.ascontiguousarray(X[i : i + DECODE_CHUNK], np.float32)))
            for i in range(0, len(X), DECODE_CHUNK)
        ]
        return torch.cat(out).double().numpy() if out else np.empty((0, self.network_.latent_dim))

    @torch.no_grad()
    def decode_features(self, Z: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """Latents (n, d) and cluster codes (n,) → model-space float32, decoded in zero-padded
        chunks of DECODE_CHUNK (codes matter only to a conditional GAN)."""
        parts = []
        for i in range(0, len(Z), DECODE_CHUNK):
            chunk, chunk_codes = np.zeros((DECODE_CHUNK, Z.shape[1]), np.float32), np.zeros(DECODE_CHUNK, np.int64)
            rows = Z[i : i + DECODE_CHUNK]
            chunk[: len(rows)], chunk_codes[: len(rows)] = rows, codes[i : i + DECODE_CHUNK]
            out = self.kind_.decode(self.module_, torch.from_numpy(chunk), chunk_codes)
            parts.append(out.numpy()[: len(rows)])
        return np.concatenate(parts) if parts else np.empty((0, *self.network_.input_shape), np.float32)

    def encode(self, X) -> np.ndarray:
        """Rows/images/records in original units → latents (n, d) float64 (not for GANs)."""
        self._check_fitted()
        self.kind_.require_encoder("encode()")
        return self.encode_features(self.transform_features(X))

    def decode(self, Z, *, clusters=None, calibrate: bool = True) -> pd.DataFrame | np.ndarray:
        """Latents (n, d) → what ``generate`` returns for them, in original units and dtypes. ``clusters``
        (a name, or one per row; else the most likely Gaussian's) set missing rates and marginal calibration;
        ``calibrate=False``: the decoder's own output (``decode(encode(X), calibrate=False)`` reconstructs)."""
        self._check_fitted()
        Z = np.asarray(Z, dtype=np.float64)
        if Z.ndim != 2 or Z.shape[1] != self.network_.latent_dim:
            raise DataError(f"latents must have shape (n, {self.network_.latent_dim}), got {Z.shape}")
        if clusters is None:
            if getattr(self.network_, "conditional", False):
                raise ConfigError(
                    f"a conditional GAN decodes for a class: pass clusters= one of "
                    f"{self.cluster_names_} (or one per row)"
                )
            codes = self.gaussians_.predict(Z)
        elif np.ndim(clusters) == 0:
            codes = np.full(len(Z), self.cluster_code(clusters), np.int64)
        else:
            if len(clusters) != len(Z):
                raise DataError(f"got {len(clusters)} clusters for {len(Z)} latents")
            codes = np.array([self.cluster_code(c) for c in clusters], np.int64)
        return self.decode_codes(Z, codes, calibrate=calibrate)

    def decode_codes(self, Z: np.ndarray, codes: np.ndarray, *, calibrate: bool = True) -> pd.DataFrame | np.ndarray:
        """``decode`` with cluster indices (``LatentDraw.codes``) instead of names, unchecked."""
        features = self.decode_features(np.asarray(Z, np.float64), codes)
        if calibrate and self.calibration_ is not None:
            features = self.calibration_.apply(features, codes)
        if self.data_kind_ == "tabular":
            return self.transformer_.inverse_transform(features, codes=codes)
        return self.transformer_.inverse_transform(features)

    def predict(self, X) -> np.ndarray:
        """Cluster name of each row/image: the Gaussian of highest log-density at its latent."""
        self._check_fitted()
        return self.clusters_.name_of(self.gaussians_.predict(self.encode(X)))

    predict_cluster = predict

    def fit_predict(self, X, y=None, **fit_options) -> np.ndarray:
        """``fit(X, y)``, then the cluster name of each row of X (models with an encoder)."""
        get_model_kind(self.model).require_encoder("fit_predict()")
        return self.fit(X, y, **fit_options).predict(X)

    # ------------------------------------------------------------------ sample
    def cluster_code(self, cluster) -> int:
        """Index of a cluster given its name (int and str spellings both work)."""
        self._check_fitted()
        return self.clusters_.code(cluster)

    def generate(
        self,
        n: int,
        *,
        cluster=None,
        method: str = "random",
        random_state: int | None = None,
        conditions: dict | None = None,
        constraints: list | None = None,
        max_tries: int | None = None,
        time_budget_s: float | None = None,
        steer: bool = True,
        **kwargs,
    ) -> Samples:
        """``n`` samples with provenance; ``cluster=None`` spreads n over clusters by size. ``kwargs``:
        accept_reject, back_project, q, max_draws and the method's options. ``conditions`` and
        ``constraints`` (the model's declared ones always apply): every row satisfies them, drawn
        from the model's conditional distribution within ``max_tries`` / ``time_budget_s``
        (``synth.conditional``; ``Samples.report`` says what was met)."""
        self._check_fitted()
        row_filter = request_filter(self, conditions, constraints)
        if row_filter and self.data_kind_ != "tabular":  # arrays: a label condition is a cluster
            cluster, row_filter = one_cluster(row_filter), None
        if row_filter:
            return generate_conditional(
                self,
                n,
                row_filter=row_filter,
                cluster=cluster,
                method=method,
                random_state=random_state,
                max_tries=max_tries,
                time_budget_s=time_budget_s,
                steer=steer,
                **kwargs,
            )
        drawn = self.draw_latents(n, cluster=cluster, method=method, random_state=random_state, **kwargs)
        data = self.decode_codes(drawn.latents, drawn.codes)
        return Samples(data, drawn.labels, drawn.latents, drawn.provenance, drawn.stats)

    def draw_settings(self, kwargs: dict):
        """(method options, q, back-projection check or None) of a request's keyword arguments."""
        method_options = {
            k: v for k, v in kwargs.items() if k not in ("accept_reject", "back_project", "q", "max_draws")
        }
        if kwargs.get("back_project"):
            self.kind_.require_encoder("back-projection")
        q = self.config_.q if kwargs.get("q") is None else float(kwargs["q"])
        if not 0 < q < 1:
            raise ConfigError(f"q must be in (0, 1), got {q}")
        back = (lambda z, k: self._back_projection_ok(z, k, q)) if kwargs.get("back_project") else None
        return MethodOptions(**method_options), q, back

    def draw_latents(
        self,
        n: int,
        *,
        cluster=None,
        method: str = "random",
        random_state: int | None = None,
        accept_reject: bool = False,
        back_project: bool = False,
        q: float | None = None,
        max_draws: int | None = None,
        **method_options,
    ) -> LatentDraw:
        """``generate`` without the final decode: the latents (n, d), their cluster names and
        provenance. A server decodes many requests' latents together (serve/packing.py)."""
        self._check_fitted()
        options, q, back = self.draw_settings({**method_options, "back_project": back_project, "q": q})
        return draw_latents(
            self.clusters_,
            n,
            cluster=cluster,
            method=method,
            seed=check_seed(random_state),
            q=q,
            accept_reject=accept_reject,
            back_projection=back,
            max_draws=max_draws,
            options=options,
        )

    def _back_projection_ok(self, z: np.ndarray, k: int, q: float) -> np.ndarray:
        """decode → what the user receives (scaled back, clipped, rounded) → encode: assigned to
        cluster k and inside its χ² region?"""
        z2 = self.encode(self.decode_codes(z, np.full(len(z), k, np.int64)))
        return (self.gaussians_.predict(z2) == k) & self.gaussians_.in_region(z2, k, q)

    def sample(self, n: int, *, cluster=None, method: str = "random", random_state: int | None = None, **kwargs):
        """(X, labels): n synthetic rows/images and the cluster each was drawn for."""
        out = self.generate(n, cluster=cluster, method=method, random_state=random_state, **kwargs)
        return out.data, out.labels

    # --------------------------------------------------------------- describe
    def describe(self) -> dict:
        """What a model offers: kind, clusters with sizes, methods, feature schema (for HTTP)."""
        self._check_fitted()
        return {
            "data_kind": self.data_kind_,
            "model": self.config_.model,
            "family": self.kind_.family,
            "encoder": self.kind_.has_encoder,
            "latent_dim": self.network_.latent_dim,
            "clusters": [{"name": n, "size": s} for n, s in zip(self.cluster_names_, self.cluster_sizes_)],
            "methods": list(METHODS),
            "label": self.label_name_,
            "schema": feature_schema(self.transformer_, self.data_kind_),
            "cleaning": self.cleaning_report_,
            "training": self.train_summary_.get("schedule"),
        }

    # ------------------------------------------------------------- save/load
    def save(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Write the artifact directory (docs/artifacts.md): no training rows unless keep_latents,
        which stores encoded rows (see docs/method.md on anchors and privacy)."""
        self._check_fitted()
        return artifacts.save_synthesizer(self, path, overwrite=overwrite)

    @classmethod
    def load(cls, path: str | Path) -> LatentSynthesizer:
        """Read an artifact directory back; ArtifactError if it is not a usable one."""
        return artifacts.load_synthesizer(cls, path)
