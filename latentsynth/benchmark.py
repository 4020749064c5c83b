"""``latentsynth benchmark``: every model kind side by side on the same splits.

Per seed, ONE stratified hold-out split of each data set is shared by every
model (the split and the models both take the seed). Each data set × model is
fitted once per seed and scored for every generation method on the held-out
rows: SDMetrics quality, TSTR / TRTR / augmentation accuracy and macro-F1
(random forest, 200 trees), detection (C2ST) AUC, α-precision, β-recall, mean CAR, latent Fréchet distance, distance to
closest record, the membership-inference attack AUC, fit and sample seconds. ``summarise`` turns the runs into
mean ± std over seeds; ``latentsynth.benchmark_report`` writes the files.
"""

from __future__ import annotations

import platform
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from latentsynth.workflows import real_data_for, train_source
from synth.data.sources import load_source
from synth.errors import ConfigError
from synth.evaluate import RealData, score_samples
from synth.generate import METHODS
from synth.metrics.columns import column_kinds, comparable_frames
from synth.metrics.quality import as_quality_table, quality_score, sdmetrics_available
from synth.models import MODEL_KINDS
from synth.plots_realism import realism_panel_png

# (key, column header, which value is best: "max", "min", "one" (closest to 1), "half" (closest
# to 0.5) or None)
METRICS = (
    ("quality", "quality", "max"),
    ("tstr_accuracy", "TSTR acc", "max"),
    ("tstr_f1", "TSTR F1", "max"),
    ("trtr_accuracy", "TRTR acc", None),
    ("trtr_f1", "TRTR F1", None),
    ("augmented_accuracy", "aug. acc", "max"),
    ("augmented_f1", "aug. F1", "max"),
    ("detection_auc", "detection AUC", "min"),
    ("alpha_precision", "α-precision", "max"),
    ("beta_recall", "β-recall", "max"),
    ("car", "CAR", "max"),
    ("latent_fd", "latent FD", None),  # each model has its own latent space: not comparable across models
    ("dcr", "DCR", None),
    ("dcr_ratio", "DCR ratio", "one"),
    ("mia_auc", "MIA AUC", "half"),
    ("fit_seconds", "fit s", "min"),
    ("sample_seconds", "sample s", "min"),
)
METRIC_KEYS = tuple(key for key, _, _ in METRICS)
PANEL_METHOD = "random"  # the method whose real-vs-synthetic panel is drawn, for the first seed only


@dataclass(frozen=True)
class BenchmarkSpec:
    datasets: tuple[str, ...] = ("iris", "wine", "breast_cancer", "digits")
    models: tuple[str, ...] = ("identity", "pca", "ae", "vae")
    methods: tuple[str, ...] = METHODS
    seeds: tuple[int, ...] = (0, 1, 2)
    label: str | None = None  # label column of CSV data sets
    test_size: float = 0.3  # the 70/30 stratified split
    gate: bool = True  # χ² accept/reject on every method, as `evaluate` does
    n: int | None = None  # samples per method; None = as many as real training rows
    options: dict = field(default_factory=dict)  # extra SynthConfig fields for every model

    def __post_init__(self):
        for name in ("datasets", "models", "methods", "seeds"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
            if not getattr(self, name):
                raise ConfigError(f"benchmark needs at least one of {name}")
        unknown = [m for m in self.models if m not in MODEL_KINDS]
        if unknown:
            raise ConfigError(f"unknown model(s) {unknown}; choose from {sorted(MODEL_KINDS)}")
        bad = [m for m in self.methods if m not in METHODS]
        if bad:
            raise ConfigError(f"unknown method(s) {bad}; choose from {list(METHODS)}")
        if not 0 < self.test_size < 1:
            raise ConfigError(f"test_size must be in (0, 1), got {self.test_size}")
        clash = sorted({"model", "random_state"} & set(self.options))
        if clash:
            raise ConfigError(f"options {clash} are set by the benchmark itself (use models= and seeds=)")


def score_model(
    syn,
    real: RealData,
    *,
    methods,
    seed: int,
    gate: bool = True,
    n: int | None = None,
    trtr: dict | None = None,
    panel: Path | None = None,
) -> dict:
    """{method: metrics} of one fitted synthesizer on its real (train, test) data: the
    benchmark's columns (see METRICS) and a few more numbers of ``score_samples`` under "extra".
    ``panel``: where to write the real-vs-synthetic panel of method ``PANEL_METHOD`` (if benchmarked)."""
    n = n or len(real.X_train)
    kinds = column_kinds(syn)
    out, floor = {}, None
    for method in methods:
        started = time.perf_counter()
        samples = syn.generate(n, method=method, random_state=seed, accept_reject=gate)
        sample_seconds = time.perf_counter() - started
        detail = score_samples(syn, real, samples, gate=gate, random_state=seed, trtr=trtr, detection_floor=floor)
        floor = detail["detection"]["floor"] or None
        if panel is not None and method == PANEL_METHOD:
            png = realism_panel_png(syn, real, samples, detail, title=f"{panel.stem} · method {method} · seed {seed}")
            if png is not None:
                panel.write_bytes(png)
        labels = samples.labels if real.y_train is not None else None
        real_cols, syn_cols, _ = (
            comparable_frames(real.X_train, samples.data, kinds) if kinds else (real.X_train, samples.data, {})
        )
        quality = quality_score(as_quality_table(real_cols, real.y_train), as_quality_table(syn_cols, labels))
        out[method] = {
            **cell_metrics(detail),
            "quality": quality,
            "sample_seconds": sample_seconds,
            "extra": extra_metrics(detail),
        }
        trtr = detail.get("utility", {}).get("trtr", trtr)
    return out


def cell_metrics(detail: dict) -> dict:
    """The benchmark's numbers out of one ``score_samples`` report (None where not measured)."""
    utility = detail.get("utility", {})
    pick = lambda part, key: utility.get(part, {}).get(key)  # noqa: E731
    return {
        "tstr_accuracy": pick("tstr", "accuracy"),
        "tstr_f1": pick("tstr", "macro_f1"),
        "trtr_accuracy": pick("trtr", "accuracy"),
        "trtr_f1": pick("trtr", "macro_f1"),
        "augmented_accuracy": pick("augmented", "accuracy"),
        "augmented_f1": pick("augmented", "macro_f1"),
        "car": detail["car_mean"],
        "latent_fd": detail["latent_fd_mean"],
        "dcr": detail["privacy"]["synthetic"]["median"],
        "dcr_ratio": detail["privacy"].get("dcr_ratio"),
        "detection_auc": detail["detection"]["auc"],
        "alpha_precision": detail["support"]["alpha_precision"],
        "beta_recall": detail["support"]["beta_recall"],
        "mia_auc": detail["privacy"]["membership"]["max_auc"],
    }


def extra_metrics(detail: dict) -> dict:
    fidelity = detail.get("fidelity", {})
    return {
        "car_min": detail["car_min"],
        "acceptance_rate": detail["acceptance_rate"],
        "bhattacharyya": detail["bhattacharyya_mean"],
        "mean_ks": fidelity.get("mean_ks"),
        "correlation_difference": fidelity.get("correlation_difference"),
        "exact_copies": detail["privacy"]["synthetic"]["exact_copies"],
        "detection_floor": detail["detection"]["floor_auc"],
        "detection_detectors": {k: v["auc"] for k, v in detail["detection"]["detectors"].items()},
        "authenticity": detail["support"]["authenticity"],
        "prdc": {k: v for k, v in detail["support"]["prdc"].items() if k != "nearest_k"},
        "support_feature_space": detail["support"].get("feature_space"),
        "mia": {k: detail["privacy"]["membership"][k]["auc"] for k in ("dcr", "domias")},
    }


def run_benchmark(spec: BenchmarkSpec, *, log=print, panel_dir: str | Path | None = None) -> dict:
    """Fit and score every data set × model × seed. Returns {"spec", "environment", "runs",
    "summary", "seconds"}; each run is one fitted model with its per-method metrics.
    ``panel_dir``: write there the real-vs-synthetic panel of each data set × model for method
    ``PANEL_METHOD`` and the first seed (the run records its file name under "panel")."""
    started = time.perf_counter()
    runs = []
    for dataset in spec.datasets:
        raw = load_source(dataset, label=spec.label)
        for seed in spec.seeds:
            trtr = None  # the real-on-real score depends on the split only: computed once per seed
            for model in spec.models:
                panel = None
                if panel_dir is not None and seed == spec.seeds[0] and PANEL_METHOD in spec.methods:
                    Path(panel_dir).mkdir(parents=True, exist_ok=True)
                    panel = Path(panel_dir) / panel_name(raw.name, model)
                run = fit_and_score(dataset, raw, model=model, seed=seed, spec=spec, trtr=trtr, panel=panel)
                trtr = _trtr(run["methods"]) or trtr
                runs.append(run)
                log(
                    f"[{raw.name}] {model} seed {seed}: fit {run['fit_seconds']:.1f} s, latent {run['latent_dim']}, "
                    + ", ".join(
                        f"{k} TSTR {_fmt(v['tstr_accuracy'])} quality {_fmt(v['quality'])}"
                        for k, v in run["methods"].items()
                    )
                )
    return {
        "spec": {**asdict(spec), "default_model": _default_model()},
        "environment": environment(),
        "runs": runs,
        "summary": summarise(runs),
        "seconds": time.perf_counter() - started,
    }


def panel_name(dataset: str, model: str) -> str:
    """realism_<data set>_<model>.png, with anything but letters, digits, '.', '-' and '_' as '_'."""
    return "realism_" + re.sub(r"[^A-Za-z0-9._-]", "_", f"{dataset}_{model}") + ".png"


def fit_and_score(
    dataset: str,
    raw,
    *,
    model: str,
    seed: int,
    spec: BenchmarkSpec,
    trtr: dict | None = None,
    fitted=None,
    panel: Path | None = None,
) -> dict:
    """One run: fit ``model`` on the seed's split of ``raw`` (or take ``fitted`` = (synthesizer,
    split record, fit seconds) from ``train_source`` with that split) and score every method;
    ``panel``: the path of its real-vs-synthetic panel (see ``score_model``)."""
    if fitted is None:
        t0 = time.perf_counter()
        syn, split = train_source(
            dataset,
            label=spec.label,
            holdout=spec.test_size,
            raw=raw,
            options={**spec.options, "model": model, "random_state": seed},
        )
        fitted = (syn, split, time.perf_counter() - t0)
    syn, split, fit_seconds = fitted
    if split.get("holdout") != spec.test_size or split.get("seed") != seed:
        raise ConfigError(
            f"the fitted model used split {split.get('holdout')}/seed {split.get('seed')}, "
            f"not the benchmark's {spec.test_size}/seed {seed}"
        )
    real, _ = real_data_for(syn, raw, split)
    if panel is not None:
        panel.unlink(missing_ok=True)  # a stale panel of an earlier run must not be linked
    methods = score_model(syn, real, methods=spec.methods, seed=seed, gate=spec.gate, n=spec.n, trtr=trtr, panel=panel)
    for metrics in methods.values():
        metrics["fit_seconds"] = fit_seconds
    return {
        "dataset": raw.name,
        "model": model,
        "seed": seed,
        **({"panel": panel.name} if panel is not None and panel.exists() else {}),
        "latent_dim": syn.network_.latent_dim,
        "epochs_run": len(syn.history_),
        "fit_seconds": fit_seconds,
        "config": syn.config_.to_dict(),
        "methods": methods,
    }


def _trtr(methods: dict) -> dict | None:
    first = next(iter(methods.values()))
    if first["trtr_accuracy"] is None:
        return None
    return {"accuracy": first["trtr_accuracy"], "macro_f1": first["trtr_f1"]}


def _fmt(value) -> str:
    return "–" if value is None else f"{value:.3f}"


def _default_model() -> str:
    from synth.config import SynthConfig

    return SynthConfig().model


def summarise(runs: list[dict]) -> dict:
    """{dataset: {model: {method: {metric: {"mean", "std", "n"} | None}}}} over seeds
    (std with ddof=0; None where a metric was not measured, e.g. TSTR without labels)."""
    grouped: dict = {}
    for run in runs:
        for method, metrics in run["methods"].items():
            cell = grouped.setdefault(run["dataset"], {}).setdefault(run["model"], {}).setdefault(method, {})
            for key in METRIC_KEYS:
                cell.setdefault(key, []).append(metrics.get(key))
    return {
        ds: {
            model: {method: {key: _stats(values) for key, values in cell.items()} for method, cell in by_method.items()}
            for model, by_method in by_model.items()
        }
        for ds, by_model in grouped.items()
    }


def _stats(values: list) -> dict | None:
    values = [float(v) for v in values if v is not None]
    if not values:
        return None
    return {"mean": float(np.mean(values)), "std": float(np.std(values)), "n": len(values)}


def environment() -> dict:
    import os

    import sklearn
    import torch

    sdm = None
    if sdmetrics_available():
        from importlib.metadata import version

        sdm = version("sdmetrics")
    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "torch": torch.__version__,
        "sklearn": sklearn.__version__,
        "sdmetrics": sdm,
    }
