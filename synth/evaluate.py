"""Score a fitted synthesizer against real data: every generation method, the
paper's latent metrics (CAR, latent FD, Bhattacharyya), fidelity, utility
(TSTR/TRTR/augmentation), realism (detection, α-precision / β-recall, PRDC) and privacy
(DCR, membership-inference audit). Writes report.json, report.md and
plots when given a directory. Orchestration only; the math is in synth.metrics.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from synth.errors import ConfigError, DataError
from synth.generate import METHODS, chi2_radius
from synth.metrics import (
    cluster_adherence_rate,
    correlation_difference,
    distance_to_closest_record,
    ks_per_column,
    latent_bhattacharyya,
    latent_frechet_distance,
    majority_utility_report,
    utility_report,
)
from synth.metrics.columns import column_kinds, comparable_frames
from synth.unlabelled import cluster_grid_png, majority_map, majority_markdown


@dataclass
class RealData:
    """Held-out evaluation data in original units; labels None for unlabelled sets.
    ``true_train`` / ``true_test``: for an unlabelled model, the classes of those rows when the
    evaluator knows them but the model never saw them (ARI, cluster purity, TSTR through the
    cluster → majority-label map)."""

    X_train: pd.DataFrame | np.ndarray
    y_train: np.ndarray | None
    X_test: pd.DataFrame | np.ndarray
    y_test: np.ndarray | None
    true_train: np.ndarray | None = None
    true_test: np.ndarray | None = None


def _features(syn, X) -> np.ndarray:
    """Classifier / distance features: model-space rows (scaled, one-hot) or flat pixels in [0, 1]."""
    return syn.transform_features(X).reshape(len(X), -1).astype(np.float64)


def _cluster_codes(syn, y) -> np.ndarray:
    return np.array([syn.cluster_code(v) for v in y])


def evaluate_method(
    syn,
    real: RealData,
    method: str,
    *,
    n: int,
    random_state: int,
    gate: bool = True,
    classifier: str = "random_forest",
    trtr: dict | None = None,
    detection_floor: dict | None = None,
    majority: dict | None = None,
) -> tuple[dict, object]:
    """Metrics of one method. Returns (metrics, Samples)."""
    samples = syn.generate(n, method=method, random_state=random_state, accept_reject=gate)
    return score_samples(
        syn,
        real,
        samples,
        gate=gate,
        random_state=random_state,
        classifier=classifier,
        trtr=trtr,
        detection_floor=detection_floor,
        majority=majority,
    ), samples


def score_samples(
    syn,
    real: RealData,
    samples,
    *,
    gate: bool,
    random_state: int,
    classifier: str = "random_forest",
    trtr: dict | None = None,
    detection_floor: dict | None = None,
    majority: dict | None = None,
) -> dict:
    """Metrics of generated ``samples`` (a ``Samples``) against ``real``: CAR, latent FD and
    Bhattacharyya per cluster, DCR and membership inference, detection, support metrics,
    per-column KS (tables), TSTR/TRTR/augmentation (labels, or an unlabelled model's clusters
    through ``majority``, the ``majority_map`` of ``real``, when ``real`` holds the true classes).
    ``detection_floor``: a previous report's ``detection["floor"]`` (it depends on the real rows only)."""
    from synth.realism import realism_metrics

    n = len(samples.labels)
    codes = _cluster_codes(syn, samples.labels)
    out = {
        "n": int(n),
        "gate": gate,
        "acceptance_rate": float(
            sum(s["accepted"] for s in samples.stats.values()) / max(1, sum(s["drawn"] for s in samples.stats.values()))
        ),
    }
    if syn.can_encode:
        out.update(_latent_metrics(syn, real, samples, codes))
    else:  # a GAN: no encoder, so no re-encoded latents (CAR, latent FD, Bhattacharyya)
        out.update(
            {
                "car": None,
                "car_mean": None,
                "car_min": None,
                "car_per_cluster": {},
                "latent_fd": {},
                "latent_fd_mean": None,
                "bhattacharyya": {},
                "bhattacharyya_mean": None,
            }
        )
    X_syn, X_train, X_test = _features(syn, samples.data), _features(syn, real.X_train), _features(syn, real.X_test)
    out["privacy"] = distance_to_closest_record(X_syn, X_train, X_holdout=X_test)
    realism = realism_metrics(syn, real, samples, random_state=random_state, floor=detection_floor)
    out["detection"], out["support"] = realism["detection"], realism["support"]
    out["privacy"]["membership"] = realism["membership"]
    if syn.data_kind_ == "tabular":
        real_cols, syn_cols, excluded = comparable_frames(real.X_train, samples.data, column_kinds(syn))
        fidelity = ks_per_column(real_cols, syn_cols)
        numeric = sum(pd.api.types.is_numeric_dtype(real_cols[c]) for c in real_cols.columns)
        out["fidelity"] = {
            "mean_ks": fidelity.get("mean_ks"),
            "columns": fidelity.get("columns", fidelity),
            "correlation_difference": correlation_difference(real_cols, syn_cols) if numeric >= 2 else None,
            "not_compared": excluded,
        }
    fit = {"classifier": classifier, "random_state": random_state, "trtr": trtr}
    if real.y_train is not None and syn.partition_kind_ == "label":
        y_train, y_test = np.asarray(real.y_train).astype(str), np.asarray(real.y_test).astype(str)
        out["utility"] = utility_report(X_train, y_train, X_test, y_test, X_syn, samples.labels.astype(str), **fit)
    elif real.true_train is not None and real.true_test is not None and syn.can_encode:
        mapping = (majority or majority_map(syn, real))["clusters"]
        try:
            out["utility"] = majority_utility_report(
                X_train, real.true_train, X_test, real.true_test, X_syn, samples.labels, mapping, **fit
            )
        except DataError as error:  # e.g. every cluster maps to one class
            out["utility_skipped"] = str(error)
    return out


def _latent_metrics(syn, real: RealData, samples, codes) -> dict:
    """CAR, latent Fréchet and Bhattacharyya distances per cluster (models with an encoder)."""
    # CAR on what the user receives: decoded, scaled back, re-encoded
    z_back = syn.encode(samples.data)
    car = cluster_adherence_rate(z_back, codes, predict=syn.gaussians_.predict, in_region=syn.gaussians_.in_region)
    per_cluster_car = {str(syn.cluster_names_[int(k)]): v for k, v in car["per_cluster"].items()}
    z_real = syn.encode(real.X_train)
    real_codes = _cluster_codes(syn, real.y_train) if real.y_train is not None else syn.gaussians_.predict(z_real)
    fd, bh = {}, {}
    for k, name in enumerate(syn.cluster_names_):
        zr, zg = z_real[real_codes == k], samples.latents[codes == k]
        if len(zr) >= 2 and len(zg) >= 2:
            fd[str(name)] = latent_frechet_distance(zr, zg)
            bh[str(name)] = latent_bhattacharyya(zr, zg, ridge=1e-9)
    return {
        "car": car["car"],
        "car_mean": float(np.mean(list(per_cluster_car.values()))),
        "car_min": float(np.min(list(per_cluster_car.values()))),
        "car_per_cluster": per_cluster_car,
        "latent_fd": fd,
        "latent_fd_mean": float(np.mean(list(fd.values()))) if fd else None,
        "bhattacharyya": bh,
        "bhattacharyya_mean": float(np.mean(list(bh.values()))) if bh else None,
    }


def evaluate(
    syn,
    real: RealData,
    *,
    methods=METHODS,
    n: int | None = None,
    random_state: int = 0,
    gate: bool = True,
    out_dir: str | Path | None = None,
    y_true_clusters=None,
    classifier: str = "random_forest",
) -> dict:
    """The full report. ``y_true_clusters``: true classes of ``real.X_train`` for an unlabelled
    model (or ``real.true_train``): the adjusted Rand index of its clustering against them and the
    cluster → majority-class map (``majority_map``); with ``real.true_test`` also TSTR through it."""
    from sklearn.metrics import adjusted_rand_score

    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ConfigError(f"unknown method(s) {unknown}; choose from {list(METHODS)}")
    n = n or len(real.X_train)
    report = {
        "data_kind": syn.data_kind_,
        "model": syn.config_.model,
        "latent_dim": syn.network_.latent_dim,
        "clusters": dict(zip(map(str, syn.cluster_names_), syn.cluster_sizes_)),
        "partition": syn.partition_kind_,
        "cleaning": syn.cleaning_report_,
        "training": {**syn.train_summary_, "final": syn.history_[-1] if syn.history_ else None},
        "methods": {},
    }
    if y_true_clusters is not None and real.true_train is None:
        real = replace(real, true_train=np.asarray(y_true_clusters))
    majority = None
    if real.true_train is not None and syn.can_encode:
        predicted = syn.gaussians_.predict(syn.encode(real.X_train))
        report["adjusted_rand_index"] = float(adjusted_rand_score(np.asarray(real.true_train).astype(str), predicted))
        report["majority_map"] = majority = majority_map(syn, real)
    samples_by_method, trtr, floor = {}, None, None
    for method in methods:
        report["methods"][method], samples_by_method[method] = evaluate_method(
            syn,
            real,
            method,
            n=n,
            random_state=random_state,
            gate=gate,
            classifier=classifier,
            trtr=trtr,
            detection_floor=floor,
            majority=majority,
        )
        trtr = report["methods"][method].get("utility", {}).get("trtr")
        floor = report["methods"][method]["detection"]["floor"] or None
    if out_dir is not None:
        write_report(syn, real, report, samples_by_method, Path(out_dir))
    return report


def write_report(syn, real: RealData, report: dict, samples_by_method: dict, out: Path) -> None:
    """report.json, report.md, samples (CSV or PNG grid per method) and plots."""
    from synth import plots
    from synth.plots_realism import realism_panel_png

    out.mkdir(parents=True, exist_ok=True)
    first = next(iter(samples_by_method.values()))
    if syn.can_encode:  # a GAN has no latents of real data to show
        z_real = syn.encode(real.X_train)
        codes = (
            _cluster_codes(syn, real.y_train)
            if real.y_train is not None and syn.partition_kind_ == "label"
            else syn.gaussians_.predict(z_real)
        )
        (out / "latent_scatter.png").write_bytes(
            plots.latent_scatter_png(
                z_real,
                codes,
                means=syn.gaussians_.means_,
                covariances=syn.gaussians_.covariances_,
                names=syn.cluster_names_,
                radius=chi2_radius(syn.network_.latent_dim, syn.config_.q),
                Z_generated=first.latents,
                generated_codes=_cluster_codes(syn, first.labels),
            )
        )
    if syn.partition_kind_ == "polarized" and syn.partition_.n_clusters_ > 1:
        (out / "dendrogram.png").write_bytes(
            plots.dendrogram_png(syn.partition_.linkage_matrix(), [str(n) for n in syn.cluster_names_])
        )
    for method, samples in samples_by_method.items():
        if syn.data_kind_ == "tabular":
            frame = samples.data.copy()
            frame[syn.label_name_ or "cluster"] = samples.labels
            frame.to_csv(out / f"samples_{method}.csv", index=False)
        else:
            order = np.argsort(_cluster_codes(syn, samples.labels), kind="stable")
            pick = order[np.linspace(0, len(order) - 1, min(len(order), 100)).astype(int)]
            (out / f"samples_{method}.png").write_bytes(
                plots.image_grid_png(syn.transformer_.transform(samples.data[pick]), labels=samples.labels[pick])
            )
    method = "random" if "random" in samples_by_method else next(iter(samples_by_method))
    if syn.data_kind_ != "tabular":
        grid = cluster_grid_png(syn, samples_by_method[method], report.get("majority_map"))
        (out / "samples_by_cluster.png").write_bytes(grid)
    if syn.data_kind_ == "tabular":
        (out / "kde.png").write_bytes(
            plots.kde_png(real.X_train, samples_by_method[method].data, list(real.X_train.columns))
        )
    figures = {}
    panel = realism_panel_png(syn, real, samples_by_method[method], report["methods"][method], title=f"method {method}")
    if panel is not None:
        (out / "realism.png").write_bytes(panel)
        figures["realism.png"] = f"real vs synthetic, method `{method}`, with its realism figures"
    (out / "report.json").write_text(json.dumps(report, indent=2, default=_plain))
    (out / "report.md").write_text(report_markdown(report, figures=figures))


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def _fmt(value, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def report_markdown(report: dict, *, title: str | None = None, figures: dict | None = None) -> str:
    """A human summary: one row per method. ``figures``: {file name beside report.md: caption}, linked."""
    lines = [
        f"# {title or 'latentsynth report'}",
        "",
        f"model `{report['model']}` on {report['data_kind']} data, latent dim {report['latent_dim']}, "
        f"{len(report['clusters'])} clusters ({report['partition']} partition): "
        + ", ".join(f"{k} ({v})" for k, v in report["clusters"].items()),
        "",
    ]
    if "adjusted_rand_index" in report:
        lines += [
            f"Adjusted Rand index of the polarized clustering vs the true classes: "
            f"**{report['adjusted_rand_index']:.3f}**",
            "",
        ]
    lines += majority_markdown(report)
    lines += [
        "| method | accept. rate | CAR | CAR min | latent FD | Bhattacharyya | TSTR acc | TRTR acc | "
        "TSTR F1 | aug. lift | DCR ratio | mean KS |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for method, m in report["methods"].items():
        u = m.get("utility", {})
        lines.append(
            "| "
            + " | ".join(
                [
                    method,
                    _fmt(m["acceptance_rate"]),
                    _fmt(m["car_mean"]),
                    _fmt(m["car_min"]),
                    _fmt(m["latent_fd_mean"]),
                    _fmt(m["bhattacharyya_mean"]),
                    _fmt(u.get("tstr", {}).get("accuracy")),
                    _fmt(u.get("trtr", {}).get("accuracy")),
                    _fmt(u.get("tstr", {}).get("macro_f1")),
                    _fmt(u.get("lift", {}).get("accuracy")),
                    _fmt(m["privacy"].get("dcr_ratio")),
                    _fmt(m.get("fidelity", {}).get("mean_ks")),
                ]
            )
            + " |"
        )
    not_compared = next(iter(report["methods"].values()), {}).get("fidelity", {}).get("not_compared") or {}
    if not_compared:
        lines += ["", "Not compared (mean KS and the quality score leave these columns out):"]
        lines += [f"- `{c}`: {why}" for c, why in not_compared.items()]
    if all("detection" in m for m in report["methods"].values()) and report["methods"]:
        from synth.realism import realism_markdown

        lines += ["", "## Realism and privacy", "", *realism_markdown(report["methods"])]
    for name, caption in (figures or {}).items():
        lines += ["", f"![{caption}]({name})", "", f"[{name}]({name}): {caption}."]
    c = report.get("cleaning", {})
    if "columns" in c or c.get("streamed"):
        from synth.data.tabular import summary_lines

        lines += ["", "```", *summary_lines(c), "```"]
    elif "rows_in" in c:
        lines += [
            "",
            f"Cleaning: {c['rows_in']} rows in, {c.get('rows_out')} kept "
            f"({c.get('dropped_missing', 0)} dropped for missing values, "
            f"{c.get('dropped_outliers', 0)} as |z| > 3 outliers).",
        ]
    lines += [
        "",
        "CAR: share of samples whose decoded-then-re-encoded latent is assigned to its cluster and lies "
        "in its χ² region. DCR ratio ≈ 1: synthetic rows are no closer to training rows than unseen real "
        "rows are.",
    ]
    return "\n".join(lines) + "\n"
