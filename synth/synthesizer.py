"""``LatentSynthesizer``: the method of paper 000 behind one estimator (SPEC §1, §5).

fit: clean → scale → train the latent learner → encode every row → partition
the latents (labels, or polarized hierarchical clustering) → one Gaussian per
cluster (+ micro-centroid anchors). sample: draw latents per cluster with a
generator method, optionally gated, decode, and undo the scaling. GANs have
no encoder: their latent is the generator's noise and their clusters' Gaussians
are its prior (``synth.families`` holds what differs per model family).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from cluster import ClusterGaussians, PolarizedHierarchical
from synth import artifacts
from synth.config import SynthConfig
from synth.data.images import ImageTransformer
from synth.data.prepare import PreparedData, prepare_data
from synth.data.records import RecordTransformer
from synth.data.tabular import CleaningOptions, TabularTransformer
from synth.errors import ArtifactError, ConfigError, DataError, UnknownClusterError
from synth.families import family_of, label_partition
from synth.generate import METHODS, MethodOptions, check_method, draw_cluster
from synth.models import get_model_kind, network_to_dict
from synth.train import TrainConfig, fit_local

DECODE_CHUNK = 256  # fixed decode batch: output bits never depend on how many rows go together


@dataclass
class Samples:
    """What ``generate`` returns; ``sample`` hands back ``(data, labels)`` of it."""

    data: pd.DataFrame | np.ndarray  # rows in original units, (n, C, H, W) images or (n, H, W) records
    labels: np.ndarray  # (n,) cluster name per sample
    latents: np.ndarray  # (n, d) the latents that were decoded
    provenance: pd.DataFrame  # cluster, method, seed, d2, in_region, accepted, back_projected
    stats: dict  # per cluster: drawn, accepted, acceptance_rate


@dataclass
class LatentDraw:
    """What ``draw_latents`` returns: a ``Samples`` before decoding."""

    latents: np.ndarray  # (n, d)
    labels: np.ndarray  # (n,) cluster name per sample
    codes: np.ndarray  # (n,) cluster index per sample (what a conditional GAN decodes for)
    provenance: pd.DataFrame
    stats: dict


def _allocate(n: int, weights: np.ndarray) -> np.ndarray:
    """Split n over clusters proportionally to weights (largest remainder, deterministic)."""
    share = n * weights / weights.sum()
    counts = np.floor(share).astype(int)
    order = np.argsort(-(share - counts), kind="stable")
    counts[order[: n - counts.sum()]] += 1
    return counts


def _fresh_seed() -> int:
    return int(np.random.SeedSequence().entropy % (2**63))


class LatentSynthesizer:
    """Cluster-specific latent Gaussian synthesizer.

    >>> syn = LatentSynthesizer(model="vae", latent_dim=5, random_state=0).fit(df, y="species")
    >>> X_new, labels = syn.sample(200, cluster="setosa", method="ellipsoid_walk", random_state=1)
    """

    def __init__(self, model: str = "vae", *, random_state: int | None = 0, **options):
        self.model = model
        self.random_state = random_state
        self.options = dict(options)
        self.config = SynthConfig.from_options(model=model, random_state=random_state, **options)
        get_model_kind(model)  # fail fast on an unknown model name

    # ------------------------------------------------------------------ fit
    def fit(self, X, y=None, *, train_fn=None, callbacks=()) -> LatentSynthesizer:
        """X: DataFrame, image array (N, C, H, W), or 2-D records (N, H, W) for a record model;
        y: label column name, labels, or None (unlabelled).
        ``train_fn`` replaces the in-process loop (``synth.distributed`` passes Ray Train's)."""
        cfg, kind = self.config, get_model_kind(self.config.model)
        data = prepare_data(
            X,
            y,
            options=CleaningOptions(cfg.na_tokens, cfg.missing, cfg.outlier_z, cfg.clip, drop_columns=cfg.drop_columns),
            data_kind="record" if kind.data_kinds == ("record",) else None,
            record_crop=cfg.record_crop,
            record_log=cfg.record_log,
        )
        if data.kind not in kind.data_kinds:
            raise ConfigError(f"model {cfg.model!r} does not take {data.kind} data; it takes {list(kind.data_kinds)}")
        seed = cfg.random_state if cfg.random_state is not None else _fresh_seed()
        cfg = cfg.resolve(
            data.kind,
            seed=seed,
            defaults=kind.defaults(cfg),
            n_features=int(np.prod(data.X.shape[1:])),
            labelled=data.labels is not None,
        )
        self._check_label_counts(data)
        self.config_, self.data_kind_, self.transformer_ = cfg, data.kind, data.transformer
        self.label_name_, self.label_dtype_, self.cleaning_report_ = data.label_name, data.label_dtype, data.report
        self.family_ = family_of(kind)
        n_classes = 0 if data.labels is None else len(label_partition(data.labels).classes_)
        self.network_ = kind.network_config(cfg, data.X.shape[1:], n_classes=n_classes)
        if self.network_.latent_dim != cfg.latent_dim:  # identity/pca: the latent size follows the data
            cfg = self.config_ = replace(cfg, latent_dim=self.network_.latent_dim)
        with torch.random.fork_rng(devices=[]):  # seeded init without touching the caller's RNG
            torch.manual_seed(seed)
            self.module_ = kind.build(self.network_)
        train_set, val_set = self.family_.datasets(self, data, seed)
        if kind.fit_closed_form is not None:  # nothing to iterate (or to distribute): train_fn is not needed
            self.history_, self.train_summary_ = kind.fit_closed_form(self.module_, train_set, val_set)
        else:
            recipe = kind.recipe(cfg, self.network_)
            train_cfg = TrainConfig(
                epochs=cfg.epochs,
                batch_size=cfg.batch_size,
                lr=cfg.lr,
                weight_decay=cfg.weight_decay,
                val_fraction=cfg.val_fraction,
                patience=cfg.patience,
                seed=seed,
            )
            self.history_, self.train_summary_ = (train_fn or fit_local)(
                self.module_, recipe, train_set, val_set, train_cfg, callbacks=tuple(callbacks)
            )
        self.module_.eval()
        self.family_.fit_clusters(self, data, seed)
        self.metrics_ = {}
        return self

    @staticmethod
    def _check_label_counts(data: PreparedData) -> None:
        if data.labels is None:
            return
        names, counts = np.unique(data.labels.astype(str), return_counts=True)
        small = {str(n): int(c) for n, c in zip(names, counts) if c < 2}
        if small:
            raise DataError(f"clusters need at least 2 rows after cleaning; these labels have fewer: {small}")

    # ------------------------------------------------------------ encode/decode
    def _check_fitted(self):
        if not hasattr(self, "gaussians_"):
            raise ConfigError("this LatentSynthesizer is not fitted yet; call fit() or load() first")

    @property
    def can_encode(self) -> bool:
        """False for GANs: no encoder, so no encode, back-projection or CAR."""
        self._check_fitted()
        return self.family_.has_encoder

    @torch.no_grad()
    def _encode_model(self, X: np.ndarray) -> np.ndarray:
        """Model-space rows/images/records → latents (n, d) float64."""
        self.family_.require_encoder("encoding")
        out = [
            self.module_.encode(torch.from_numpy(np.ascontiguousarray(X[i : i + DECODE_CHUNK], np.float32)))
            for i in range(0, len(X), DECODE_CHUNK)
        ]
        return torch.cat(out).double().numpy() if out else np.empty((0, self.network_.latent_dim))

    @torch.no_grad()
    def _decode_model(self, Z: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """Latents (n, d) and cluster codes (n,) → model-space float32, decoded in zero-padded
        chunks of DECODE_CHUNK (codes matter only to a conditional GAN)."""
        parts = []
        for i in range(0, len(Z), DECODE_CHUNK):
            chunk, chunk_codes = np.zeros((DECODE_CHUNK, Z.shape[1]), np.float32), np.zeros(DECODE_CHUNK, np.int64)
            rows = Z[i : i + DECODE_CHUNK]
            chunk[: len(rows)], chunk_codes[: len(rows)] = rows, codes[i : i + DECODE_CHUNK]
            out = self.family_.decode(self.module_, torch.from_numpy(chunk), chunk_codes)
            parts.append(out.numpy()[: len(rows)])
        return np.concatenate(parts) if parts else np.empty((0, *self.network_.input_shape), np.float32)

    def _to_model_space(self, X) -> np.ndarray:
        if self.data_kind_ == "tabular":
            if not isinstance(X, pd.DataFrame):
                raise DataError(f"expected a DataFrame with columns {[c.name for c in self.transformer_.columns_]}")
            return self.transformer_.transform(X)
        return self.transformer_.transform(X)

    def encode(self, X) -> np.ndarray:
        """Rows/images/records in original units → latents (n, d) float64 (not for GANs)."""
        self._check_fitted()
        self.family_.require_encoder("encode()")
        return self._encode_model(self._to_model_space(X))

    def decode(self, Z, *, clusters=None) -> pd.DataFrame | np.ndarray:
        """Latents (n, d) → rows/images/records in original units and dtypes. ``clusters``
        (one name, or one per row) is what a conditional GAN generates; others ignore it."""
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
            codes = np.zeros(len(Z), np.int64)
        elif np.ndim(clusters) == 0:
            codes = np.full(len(Z), self.cluster_code(clusters), np.int64)
        else:
            if len(clusters) != len(Z):
                raise DataError(f"got {len(clusters)} clusters for {len(Z)} latents")
            codes = np.array([self.cluster_code(c) for c in clusters], np.int64)
        return self.decode_codes(Z, codes)

    def decode_codes(self, Z: np.ndarray, codes: np.ndarray) -> pd.DataFrame | np.ndarray:
        """``decode`` with cluster indices (``LatentDraw.codes``) instead of names, unchecked."""
        return self.transformer_.inverse_transform(self._decode_model(np.asarray(Z, np.float64), codes))

    def _roundtrip(self, Z: np.ndarray) -> np.ndarray:
        """decode → what the user receives (scaled back, clipped, rounded) → encode."""
        return self.encode(self.decode(Z))

    def predict_cluster(self, X) -> np.ndarray:
        """Cluster name of each row/image (nearest Gaussian in latent space)."""
        codes = self.gaussians_.predict(self.encode(X))
        return np.array([self.cluster_names_[c] for c in codes], dtype=object)

    # ------------------------------------------------------------------ sample
    def cluster_code(self, cluster) -> int:
        """Index of a cluster given its name (int and str spellings both work)."""
        self._check_fitted()
        for k, name in enumerate(self.cluster_names_):
            if str(name) == str(cluster):
                return k
        raise UnknownClusterError(f"unknown cluster {cluster!r}; this model has clusters {self.cluster_names_}")

    def generate(
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
    ) -> Samples:
        """``n`` samples with provenance. ``cluster=None`` spreads n over clusters by size."""
        drawn = self.draw_latents(
            n,
            cluster=cluster,
            method=method,
            random_state=random_state,
            accept_reject=accept_reject,
            back_project=back_project,
            q=q,
            max_draws=max_draws,
            **method_options,
        )
        return Samples(
            self.decode_codes(drawn.latents, drawn.codes), drawn.labels, drawn.latents, drawn.provenance, drawn.stats
        )

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
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ConfigError(f"n must be a positive integer, got {n!r}")
        check_method(method)
        if back_project:
            self.family_.require_encoder("back-projection")
        options = MethodOptions(**method_options)
        q = self.config_.q if q is None else float(q)
        if not 0 < q < 1:
            raise ConfigError(f"q must be in (0, 1), got {q}")
        seed = _fresh_seed() if random_state is None else random_state
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ConfigError(f"random_state must be a non-negative integer or None, got {random_state!r}")
        if cluster is None:
            counts = _allocate(int(n), self.gaussians_.counts_.astype(float))
        else:
            counts = np.zeros(len(self.cluster_names_), int)
            counts[self.cluster_code(cluster)] = n
        latents, codes, d2s, stats = [], [], [], {}
        for k, count in enumerate(counts):
            if count == 0:
                continue
            rng = np.random.default_rng(np.random.SeedSequence([int(seed), k]))
            check = (lambda z, k=k: self._back_projection_ok(z, k, q)) if back_project else None
            draw = draw_cluster(
                method,
                int(count),
                rng,
                mean=self.gaussians_.means_[k],
                cov=self.gaussians_.covariances_[k],
                chol=self.gaussians_.cholesky_[k],
                anchors=self.anchors_[k],
                q=q,
                options=options,
                gate=accept_reject,
                extra_check=check,
                max_draws=max_draws,
            )
            latents.append(draw.z)
            codes.append(np.full(count, k))
            d2s.append(draw.d2)
            stats[str(self.cluster_names_[k])] = {
                "drawn": draw.drawn,
                "accepted": draw.accepted,
                "acceptance_rate": draw.acceptance_rate,
            }
        Z, codes, d2 = np.concatenate(latents), np.concatenate(codes), np.concatenate(d2s)
        names = np.array([self.cluster_names_[c] for c in codes], dtype=object)
        threshold = self.gaussians_.chi2_threshold(q)
        provenance = pd.DataFrame(
            {
                "cluster": names,
                "method": method,
                "seed": int(seed),
                "d2": d2,
                "in_region": d2 <= threshold * (1 + 1e-9),
                "accepted": True,
                "back_projected": bool(back_project),
            }
        )
        return LatentDraw(Z, names, codes, provenance, stats)

    def _back_projection_ok(self, z: np.ndarray, k: int, q: float) -> np.ndarray:
        z2 = self._roundtrip(z)
        return (self.gaussians_.predict(z2) == k) & self.gaussians_.in_region(z2, k, q)

    def sample(
        self, n: int, *, cluster=None, method: str = "random", random_state: int | None = None, **kwargs
    ) -> tuple[pd.DataFrame | np.ndarray, np.ndarray]:
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
            "family": self.family_.name,
            "encoder": self.family_.has_encoder,
            "latent_dim": self.network_.latent_dim,
            "clusters": [{"name": n, "size": s} for n, s in zip(self.cluster_names_, self.cluster_sizes_)],
            "methods": list(METHODS),
            "label": self.label_name_,
            "schema": self._schema(),
        }

    def _schema(self) -> dict:
        if self.data_kind_ == "tabular":
            return {
                "columns": [
                    {
                        "name": c.name,
                        "kind": c.kind,
                        "dtype": c.dtype,
                        **(
                            {"categories": list(c.categories)}
                            if c.kind == "categorical"
                            else {"min": c.minimum, "max": c.maximum}
                        ),
                    }
                    for c in self.transformer_.columns_
                ]
            }
        return {
            "shape": list(self.transformer_.shape_),
            "dtype": self.transformer_.dtype_,
            "value_range": [self.transformer_.low_, self.transformer_.high_],
        }

    # ------------------------------------------------------------- save/load
    def save(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Write the artifact directory (no training rows unless keep_latents, which stores
        encoded rows — see README's privacy note)."""
        self._check_fitted()
        from synth import __version__
        from synth.plots import history_png

        arrays = {f"gauss_{k}": v for k, v in self.gaussians_.to_arrays().items()}
        arrays["anchors"] = np.concatenate(self.anchors_)
        arrays["anchor_counts"] = np.array([len(a) for a in self.anchors_])
        meta = {
            "latentsynth_version": __version__,
            "data_kind": self.data_kind_,
            "model": self.config_.model,
            "config": self.config_.to_dict(),
            "network": network_to_dict(self.network_),
            "schema": self.transformer_.to_dict(),
            "label": {"name": self.label_name_, "dtype": self.label_dtype_},
            "clusters": {
                "names": self.cluster_names_,
                "sizes": self.cluster_sizes_,
                "partition": self.partition_kind_,
                "tree": self.partition_.to_json() if self.partition_kind_ == "polarized" else None,
                "anchors": "latents" if self.config_.keep_latents else "micro_centroids",
            },
            "cleaning": self.cleaning_report_,
            "training": self.train_summary_,
            "metrics": self.metrics_,
        }
        extra = {artifacts.HISTORY: pd.DataFrame(self.history_).to_csv(index=False).encode()}
        if self.history_:
            extra["history.png"] = history_png(self.history_, title=f"{self.config_.model} training")
        return artifacts.write_artifact(
            path,
            meta=meta,
            weights={"model": self.module_.state_dict()},
            arrays=arrays,
            extra_files=extra,
            overwrite=overwrite,
        )

    @classmethod
    def load(cls, path: str | Path) -> LatentSynthesizer:
        meta, weights, arrays = artifacts.read_artifact(path)
        try:
            cfg = SynthConfig.from_dict(meta["config"])
            kind = get_model_kind(meta["model"])
            self = cls(
                cfg.model,
                random_state=cfg.random_state,
                **{k: v for k, v in cfg.to_dict().items() if k not in ("model", "random_state")},
            )
            self.config_, self.data_kind_ = cfg, meta["data_kind"]
            self.family_ = family_of(kind)
            self.network_ = kind.network_from_dict(meta["network"])
            self.module_ = kind.build(self.network_)
            self.module_.load_state_dict(weights["model"])
            self.module_.eval()
            self.transformer_ = {"tabular": TabularTransformer, "image": ImageTransformer, "record": RecordTransformer}[
                self.data_kind_
            ].from_dict(meta["schema"])
            self.label_name_, self.label_dtype_ = meta["label"]["name"], meta["label"]["dtype"]
            clusters = meta["clusters"]
            self.cluster_names_, self.cluster_sizes_ = list(clusters["names"]), list(clusters["sizes"])
            self.gaussians_ = ClusterGaussians.from_arrays(
                {k[len("gauss_") :]: v for k, v in arrays.items() if k.startswith("gauss_")}
            )
            self.partition_kind_ = clusters["partition"]
            self.partition_ = (
                PolarizedHierarchical.from_json(clusters["tree"]) if self.partition_kind_ == "polarized" else None
            )
            bounds = np.cumsum(arrays["anchor_counts"])[:-1]
            self.anchors_ = np.split(arrays["anchors"], bounds)
            self.cleaning_report_, self.train_summary_ = meta.get("cleaning", {}), meta.get("training", {})
            self.metrics_ = meta.get("metrics", {})
            self.history_ = _read_history(Path(path) / artifacts.HISTORY)
        except ArtifactError:
            raise
        except (KeyError, TypeError, ValueError, RuntimeError, IndexError) as exc:
            raise ArtifactError(
                f"{path} is not a usable latentsynth artifact: {type(exc).__name__}: "
                f"{str(exc).splitlines()[0] if str(exc) else exc!r}"
            ) from None
        if len(self.anchors_) != len(self.cluster_names_) or self.gaussians_.n_clusters_ != len(self.cluster_names_):
            raise ArtifactError(
                f"{path} is inconsistent: {len(self.cluster_names_)} cluster names but "
                f"{self.gaussians_.n_clusters_} Gaussians"
            )
        return self


def _read_history(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    try:
        return pd.read_csv(path).to_dict("records")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
        return []
