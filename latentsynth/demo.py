"""``latentsynth demo``: the whole method on embedded data, no downloads (SPEC §1).

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

from synth.data.sources import load_embedded
from synth.errors import ConfigError
from synth.evaluate import report_markdown

from latentsynth.workflows import evaluate_artifact, train_source

HOLDOUT = 0.3

# (run name, data set, unlabelled?, options)
RUNS = (
    ("iris", "iris", False, {"model": "vae", "latent_dim": 5}),
    ("digits", "digits", False, {"model": "vae", "latent_dim": 16, "epochs": 150}),
    ("digits_unlabelled", "digits", True, {"model": "vae", "latent_dim": 16, "epochs": 150, "n_clusters": 10}),
)


def _summary_row(name: str, report: dict) -> dict:
    random = report["methods"].get("random", {})
    utility = random.get("utility", {})
    return {"run": name, "model": report["model"], "clusters": len(report["clusters"]),
            "car_mean": random.get("car_mean"), "car_min": random.get("car_min"),
            "tstr_accuracy": utility.get("tstr", {}).get("accuracy"),
            "trtr_accuracy": utility.get("trtr", {}).get("accuracy"),
            "latent_fd": random.get("latent_fd_mean"), "ari": report.get("adjusted_rand_index"),
            "dcr_ratio": random.get("privacy", {}).get("dcr_ratio")}


def _table(rows: list[dict]) -> str:
    cols = ["run", "clusters", "car_mean", "car_min", "tstr_accuracy", "trtr_accuracy", "latent_fd", "ari",
            "dcr_ratio"]
    fmt = lambda v: "–" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))  # noqa: E731
    widths = {c: max(len(c), *(len(fmt(r[c])) for r in rows)) for c in cols}
    lines = ["  ".join(c.ljust(widths[c]) for c in cols)]
    lines += ["  ".join(fmt(r[c]).ljust(widths[c]) for c in cols) for r in rows]
    return "\n".join(lines)


def run_demo(out: Path, *, force: bool = False, quick: bool = False, train_fn=None, log=print) -> dict:
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        if not force:
            raise ConfigError(f"{out} already exists; pass --force to replace it or --out to choose another")
        shutil.rmtree(out)
    out.mkdir(parents=True)
    started = time.perf_counter()
    reports, rows, timings = {}, [], {}
    for name, data, unlabelled, options in RUNS:
        t0 = time.perf_counter()
        options = {**options, "random_state": 0, **({"epochs": 3} if quick else {})}
        log(f"[{name}] training {options['model']} on {data}{' (labels hidden)' if unlabelled else ''} …")
        raw = load_embedded(data)
        syn, _ = train_source(data, unlabelled=unlabelled, holdout=HOLDOUT, options=options, raw=raw,
                              train_fn=train_fn)
        t_fit = time.perf_counter() - t0
        report = evaluate_artifact(syn, raw, out_dir=out / name, methods=_methods(), random_state=0,
                                   n=100 if quick else None)
        syn.metrics_["evaluation"] = {m: {k: v for k, v in r.items() if k in ("car_mean", "car_min", "latent_fd_mean")}
                                      for m, r in report["methods"].items()}
        syn.save(out / name / "model")
        timings[name] = {"fit_seconds": round(t_fit, 2), "total_seconds": round(time.perf_counter() - t0, 2)}
        report["timings"] = timings[name]
        reports[name] = report
        rows.append(_summary_row(name, report))
        log(f"[{name}] done in {timings[name]['total_seconds']:.1f} s → {out / name}")
    summary = {"runs": rows, "seconds": round(time.perf_counter() - started, 1), "quick": quick}
    full = {"summary": summary, **reports}
    (out / "report.json").write_text(json.dumps(full, indent=2, default=str))
    md = ["# latentsynth demo", "", "```", _table(rows), "```", ""]
    md += [report_markdown(r, title=name).replace("# ", "## ", 1) for name, r in reports.items()]
    (out / "report.md").write_text("\n".join(md))
    log("")
    log(_table(rows))
    log("")
    log(f"wrote {out}/report.json, {out}/report.md; per run: model/ (artifact), samples_*.csv|png, "
        f"kde.png, latent_scatter.png, dendrogram.png — {summary['seconds']:.0f} s in all")
    return full


def _methods():
    from synth.generate import METHODS
    return list(METHODS)
