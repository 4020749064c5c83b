"""``latentsynth demo``: the whole method on embedded data, no downloads.

Iris (labelled table, VAE, latent 5), digits 8×8 labelled (conv VAE, one
cluster per digit) and digits unlabelled (polarized hierarchical clustering,
scored by adjusted Rand index): clean → train → encode → cluster → Gaussians
→ every generation method → decode → evaluate. Writes demo-out/.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from latentsynth.workflows import evaluate_artifact, train_source
from synth.data.sources import load_embedded
from synth.data.tabular import summary_lines
from synth.errors import ConfigError
from synth.evaluate import report_markdown

HOLDOUT = 0.3
MAJORITY = "cluster majority"  # utility["labels"] of an unlabelled run scored through the majority map

# (run name, data set, unlabelled?, options)
RUNS = (
    ("iris", "iris", False, {"model": "vae", "latent_dim": 5}),
    ("digits", "digits", False, {"model": "vae"}),
    ("digits_unlabelled", "digits", True, {"model": "vae", "n_clusters": 10}),
)
# the benchmark table the demo prints: the identity baseline against the default model
BENCHMARK_DATA = ("iris", "digits")


def _summary_row(name: str, report: dict) -> dict:
    random = report["methods"].get("random", {})
    utility = random.get("utility", {})
    return {
        "run": name,
        "model": report["model"],
        "clusters": len(report["clusters"]),
        "car_mean": random.get("car_mean"),
        "car_min": random.get("car_min"),
        "tstr_accuracy": utility.get("tstr", {}).get("accuracy"),
        "trtr_accuracy": utility.get("trtr", {}).get("accuracy"),
        "latent_fd": random.get("latent_fd_mean"),
        "ari": report.get("adjusted_rand_index"),
        "purity": report.get("majority_map", {}).get("purity"),
        "tstr_labels": utility.get("labels", "true" if utility else None),
        "dcr_ratio": random.get("privacy", {}).get("dcr_ratio"),
        "detection_auc": random.get("detection", {}).get("auc"),
        "detection_floor": random.get("detection", {}).get("floor_auc"),
        "alpha_precision": random.get("support", {}).get("alpha_precision"),
        "beta_recall": random.get("support", {}).get("beta_recall"),
        "mia_auc": random.get("privacy", {}).get("membership", {}).get("max_auc"),
    }


def _table(rows: list[dict]) -> str:
    cols = [
        *("run", "clusters", "car_mean", "car_min", "tstr_accuracy", "trtr_accuracy", "latent_fd", "ari", "purity"),
        "dcr_ratio",
        *("detection_auc", "detection_floor", "alpha_precision", "beta_recall", "mia_auc"),
    ]
    fmt = lambda v: "–" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))  # noqa: E731
    # the TSTR of an unlabelled run is marked: its classifier learnt from cluster-majority labels
    cell = lambda r, c: fmt(r[c]) + ("*" if c == "tstr_accuracy" and r["tstr_labels"] == MAJORITY else "")  # noqa: E731
    widths = {c: max(len(c), *(len(cell(r, c)) for r in rows)) for c in cols}
    lines = ["  ".join(c.ljust(widths[c]) for c in cols)]
    lines += ["  ".join(cell(r, c).ljust(widths[c]) for c in cols) for r in rows]
    if any(r["tstr_labels"] == MAJORITY for r in rows):
        lines.append(
            "* labels hidden from the model: each synthetic row takes its cluster's majority true class "
            "(the cluster → majority-label map of the real training rows, purity = share of rows in their "
            "cluster's majority class); TSTR/TRTR are scored on the held-out rows' true classes"
        )
    return "\n".join(lines)


def run_demo(out: Path, *, force: bool = False, quick: bool = False, train_fn=None, log=print) -> dict:
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        if not force:
            raise ConfigError(f"{out} already exists; pass --force to replace it or --out to choose another")
        shutil.rmtree(out)
    out.mkdir(parents=True)
    started = time.perf_counter()
    reports, rows, timings, fitted = {}, [], {}, {}
    for name, data, unlabelled, options in RUNS:
        t0 = time.perf_counter()
        options = {**options, "random_state": 0, **({"epochs": 3} if quick else {})}
        log(f"[{name}] training {options['model']} on {data}{' (labels hidden)' if unlabelled else ''} …")
        raw = load_embedded(data)
        syn, split = train_source(
            data, unlabelled=unlabelled, holdout=HOLDOUT, options=options, raw=raw, train_fn=train_fn
        )
        t_fit = time.perf_counter() - t0
        if syn.data_kind_ == "tabular":
            for line in summary_lines(syn.cleaning_report_):
                log(f"[{name}] {line}")
        if (
            not unlabelled
            and set(options) == {"model", "random_state", *(("epochs",) if quick else ())}
            and options["model"] == _default_model()
        ):
            fitted[(data, options["model"])] = (syn, split, t_fit)  # the default model: the benchmark reuses it
        report = evaluate_artifact(
            syn, raw, out_dir=out / name, methods=_methods(), random_state=0, n=100 if quick else None
        )
        syn.metrics_["evaluation"] = {
            m: {k: v for k, v in r.items() if k in ("car_mean", "car_min", "latent_fd_mean")}
            for m, r in report["methods"].items()
        }
        syn.save(out / name / "model")
        timings[name] = {"fit_seconds": round(t_fit, 2), "total_seconds": round(time.perf_counter() - t0, 2)}
        report["timings"] = timings[name]
        reports[name] = report
        rows.append(_summary_row(name, report))
        log(f"[{name}] done in {timings[name]['total_seconds']:.1f} s → {out / name}")
    log("[benchmark] identity baseline vs the default model on iris and digits (seed 0, method random) …")
    bench = demo_benchmark(fitted, quick=quick)
    bench_text = benchmark_text(bench)
    summary = {"runs": rows, "seconds": round(time.perf_counter() - started, 1), "quick": quick}
    full = {"summary": summary, **reports, "benchmark": bench}
    (out / "report.json").write_text(json.dumps(full, indent=2, default=str))
    md = [
        "# latentsynth demo",
        "",
        "```",
        _table(rows),
        "```",
        "",
        "## identity baseline vs the default model",
        "",
        "```",
        bench_text,
        "```",
        "",
    ]
    md += [report_markdown(r, title=name).replace("# ", "## ", 1) for name, r in reports.items()]
    (out / "report.md").write_text("\n".join(md))
    log("")
    log(_table(rows))
    log("")
    log(bench_text)
    log("")
    log(
        f"wrote {out}/report.json, {out}/report.md; per run: model/ (artifact), samples_*.csv|png, "
        f"kde.png, latent_scatter.png, dendrogram.png, samples_by_cluster.png (image runs: 10 samples per "
        f"cluster, a row each, captioned with the cluster → majority class and purity) — "
        f"{summary['seconds']:.0f} s in all"
    )
    return full


def demo_benchmark(fitted: dict, *, quick: bool = False) -> dict:
    """``latentsynth benchmark`` in miniature: identity vs the default model on iris and digits,
    seed 0, the ``random`` method, the demo's 70/30 split; ``fitted`` holds demo runs to reuse."""
    from latentsynth.benchmark import BenchmarkSpec, fit_and_score, summarise
    from latentsynth.benchmark_report import verdict

    default = _default_model()
    spec = BenchmarkSpec(
        datasets=BENCHMARK_DATA,
        models=("identity", default),
        methods=("random",),
        seeds=(0,),
        test_size=HOLDOUT,
        n=100 if quick else None,
        options={"epochs": 3} if quick else {},
    )
    runs = []
    for dataset in spec.datasets:
        raw, trtr = load_embedded(dataset), None
        for model in spec.models:
            run = fit_and_score(
                dataset, raw, model=model, seed=0, spec=spec, trtr=trtr, fitted=fitted.get((dataset, model))
            )
            trtr = {
                "accuracy": run["methods"]["random"]["trtr_accuracy"],
                "macro_f1": run["methods"]["random"]["trtr_f1"],
            }
            runs.append(run)
    summary = summarise(runs)
    return {
        "default_model": default,
        "runs": [{k: v for k, v in r.items() if k != "config"} for r in runs],
        "summary": summary,
        "verdict": verdict(summary, model=default),
    }


def benchmark_text(bench: dict) -> str:
    """The comparison as a plain-text table (one row per data set × model) and a verdict line."""
    from synth.metrics.quality import SDMETRICS_MISSING

    cols = [
        *("data", "model", "latent", "quality", "tstr_accuracy", "trtr_accuracy", "detection_auc", "car"),
        *("dcr_ratio", "mia_auc", "fit_s"),
    ]
    rows = []
    for run in bench["runs"]:
        m = run["methods"]["random"]
        rows.append(
            {
                "data": run["dataset"],
                "model": run["model"],
                "latent": str(run["latent_dim"]),
                "quality": m["quality"],
                "tstr_accuracy": m["tstr_accuracy"],
                "trtr_accuracy": m["trtr_accuracy"],
                "detection_auc": m.get("detection_auc"),
                "car": m["car"],
                "dcr_ratio": m["dcr_ratio"],
                "mia_auc": m.get("mia_auc"),
                "fit_s": f"{run['fit_seconds']:.1f}",
            }
        )
    fmt = lambda v: "–" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))  # noqa: E731
    widths = {c: max(len(c), *(len(fmt(r[c])) for r in rows)) for c in cols}
    lines = ["  ".join(c.ljust(widths[c]) for c in cols)]
    lines += ["  ".join(fmt(r[c]).ljust(widths[c]) for c in cols) for r in rows]
    default = bench["default_model"]
    verdicts = ", ".join(f"{d}: {'yes' if v['ok'] else 'no'}" for d, v in bench["verdict"].items())
    lines.append(f"{default} matches or beats identity on TSTR accuracy, quality and detection AUC? {verdicts}")
    if all(r["quality"] is None for r in rows):
        lines.append(f"(quality: {SDMETRICS_MISSING})")
    lines.append("(one seed; `latentsynth benchmark` runs every model, method and seed)")
    return "\n".join(lines)


def _default_model() -> str:
    from synth.config import SynthConfig

    return SynthConfig().model


def _methods():
    from synth.generate import METHODS

    return list(METHODS)
