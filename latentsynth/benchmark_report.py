"""The benchmark's files: benchmark.json, benchmark.md (one table per data set, best per
column in bold, the default model against the identity baseline) and a PNG chart."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np

from latentsynth.benchmark import METRICS, PANEL_METHOD
from synth.metrics.quality import SDMETRICS_MISSING

# the default model "matches" identity when its mean is at most this far below (seed noise:
# one test row of iris or wine moves TSTR accuracy by 0.019–0.022)
MATCH_TOLERANCE = 0.005
VERDICT_METHOD = "random"
VERDICT_METRICS = (("tstr_accuracy", "TSTR accuracy"), ("quality", "quality score"), ("detection_auc", "detection AUC"))
LOWER_IS_BETTER = {"detection_auc"}


def _best(values: list[float | None], rule: str | None) -> set[int]:
    """Indices of the best value(s) of a column; ties (at 3 decimals) all count."""
    scored = [(i, v) for i, v in enumerate(values) if v is not None]
    if rule is None or len(scored) < 2:
        return set()
    key = {"max": lambda v: -v, "min": lambda v: v, "one": lambda v: abs(v - 1.0), "half": lambda v: abs(v - 0.5)}[rule]
    target = round(min(key(v) for _, v in scored), 3)
    return {i for i, v in scored if round(key(v), 3) == target}


def _cell(stats: dict | None, key: str) -> str:
    if stats is None:
        return "–"
    digits = 2 if key.endswith("seconds") else 3
    text = f"{stats['mean']:.{digits}f}"
    return text + (f" ± {stats['std']:.{digits}f}" if stats["n"] > 1 else "")


def dataset_table(by_model: dict, *, quality: bool = True) -> list[str]:
    """Markdown rows for one data set: one row per model × method, best per column in bold."""
    metrics = [m for m in METRICS if quality or m[0] != "quality"]
    rows = [(model, method, cell) for model, by_method in by_model.items() for method, cell in by_method.items()]
    lines = [
        "| model | method | " + " | ".join(header for _, header, _ in metrics) + " |",
        "|---|---|" + "---|" * len(metrics),
    ]
    bold = {key: _best([(r[2].get(key) or {}).get("mean") for r in rows], rule) for key, _, rule in metrics}
    for i, (model, method, cell) in enumerate(rows):
        texts = []
        for key, _, _ in metrics:
            text = _cell(cell.get(key), key)
            texts.append(f"**{text}**" if i in bold[key] else text)
        lines.append(f"| {model} | {method} | " + " | ".join(texts) + " |")
    return lines


def verdict(summary: dict, *, model: str, baseline: str = "identity", method: str = VERDICT_METHOD) -> dict:
    """Per data set: does ``model`` match or beat ``baseline`` on TSTR accuracy, quality (higher is
    better) and detection AUC (lower is better), means over seeds, ``method``?
    {dataset: {metric: {model, baseline, delta, ok}, "ok": bool}}."""
    out = {}
    for dataset, by_model in summary.items():
        if model not in by_model or baseline not in by_model or method not in by_model[model]:
            continue
        row, ok = {}, True
        for key, _ in VERDICT_METRICS:
            ours, theirs = by_model[model][method].get(key), by_model[baseline][method].get(key)
            if ours is None or theirs is None:
                continue
            delta = ours["mean"] - theirs["mean"]
            gain = -delta if key in LOWER_IS_BETTER else delta
            row[key] = {model: ours["mean"], baseline: theirs["mean"], "delta": delta, "ok": gain >= -MATCH_TOLERANCE}
            ok &= row[key]["ok"]
        if row:
            out[dataset] = {**row, "ok": ok}
    return out


def detection_table(summary: dict, *, default: str, baselines=("identity", "pca")) -> list[str]:
    """Detection AUC of the default model beside the baselines', mean ± std over seeds (method
    ``VERDICT_METHOD``), and whether it is the lowest; empty when a baseline was not run."""
    rows = []
    for dataset, by_model in summary.items():
        cells = {m: (by_model.get(m) or {}).get(VERDICT_METHOD, {}).get("detection_auc") for m in (default, *baselines)}
        if any(v is None for v in cells.values()):
            continue
        lowest = all(cells[default]["mean"] <= cells[b]["mean"] for b in baselines)
        text = " | ".join(_cell(cells[m], "detection_auc") for m in (default, *baselines))
        rows.append(f"| {dataset} | {text} | {'yes' if lowest else '**no**'} |")
    if not rows:
        return []
    names = ", ".join(f"`{b}`" for b in baselines)
    return [
        f"## Detection AUC: `{default}` against {names}",
        "",
        f"Method `{VERDICT_METHOD}`, mean ± std over seeds (lower is better; 0.5 = indistinguishable). On the small "
        "sets the spread over seeds is about as large as the differences between models.",
        "",
        f"| data set | {default} | " + " | ".join(baselines) + f" | {default} lowest |",
        "|---|" + "---|" * (len(baselines) + 2),
        *rows,
        "",
        f"`{default}` has the lowest detection AUC on {sum('| yes |' in r for r in rows)} of {len(rows)} data sets.",
        "",
    ]


def before_after(result: dict, *, default: str) -> list[str]:
    """The default model's figures under the previous defaults (``result["previous_defaults"]``:
    {"label", "figures": {dataset: {metric: mean}}}) beside this run's, method ``VERDICT_METHOD``."""
    previous = result.get("previous_defaults")
    if not previous:
        return []
    lines = [
        f"## `{default}` before and after the defaults changed",
        "",
        f"{previous['label']} Method `{VERDICT_METHOD}`, means over seeds: before → after.",
        "",
        "| data set | " + " | ".join(name for _, name in VERDICT_METRICS) + " |",
        "|---|" + "---|" * len(VERDICT_METRICS),
    ]
    for dataset, before in previous["figures"].items():
        now = (result["summary"].get(dataset, {}).get(default) or {}).get(VERDICT_METHOD, {})
        cells = [
            f"{before[k]:.3f} → {now[k]['mean']:.3f}" if k in before and k in now else "–" for k, _ in VERDICT_METRICS
        ]
        lines.append(f"| {dataset} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def benchmark_markdown(result: dict) -> str:
    spec, env = result["spec"], result["environment"]
    quality = env.get("sdmetrics") is not None
    lines = [
        "# latentsynth benchmark",
        "",
        f"Models {', '.join(spec['models'])}; methods {', '.join(spec['methods'])}; seeds "
        f"{', '.join(map(str, spec['seeds']))} (mean ± std over seeds). Per seed one stratified "
        f"{1 - spec['test_size']:.0%}/{spec['test_size']:.0%} split shared by every model; "
        f"{'χ² gate on' if spec['gate'] else 'no gate'}; as many samples as real training rows.",
        "",
    ]
    if not quality:
        lines += [f"**{SDMETRICS_MISSING}.**", ""]
    default = spec.get("default_model", "vae")
    checks = verdict(result["summary"], model=default)
    if checks:
        lines += [
            f"## Default model (`{default}`) against the `identity` baseline",
            "",
            f'Method `{VERDICT_METHOD}`, means over seeds; "matches" = at most {MATCH_TOLERANCE} worse '
            "(detection AUC: lower is better).",
            "",
            "| data set | "
            + " | ".join(f"{name}: {default} / identity (Δ)" for _, name in VERDICT_METRICS)
            + " | matches or beats |",
            "|---|" + "---|" * (len(VERDICT_METRICS) + 1),
        ]
        for dataset, row in checks.items():
            cells = [
                (f"{row[k][default]:.3f} / {row[k]['identity']:.3f} ({row[k]['delta']:+.3f})" if k in row else "–")
                for k, _ in VERDICT_METRICS
            ]
            lines.append(f"| {dataset} | " + " | ".join(cells) + f" | {'yes' if row['ok'] else '**no**'} |")
        won = sum(r["ok"] for r in checks.values())
        lines += ["", f"`{default}` matches or beats `identity` on {won} of {len(checks)} data sets.", ""]
    lines += detection_table(result["summary"], default=default)
    lines += before_after(result, default=default)
    for dataset, by_model in result["summary"].items():
        lines += [f"## {dataset}", ""] + dataset_table(by_model, quality=quality) + [""]
        panels = [
            (r["model"], r["seed"], r["panel"])
            for r in result.get("runs", [])
            if r["dataset"] == dataset and "panel" in r
        ]
        if panels:
            links = " · ".join(f"[{model}]({name})" for model, _, name in panels)
            lines += [
                f"Real vs synthetic, method `{PANEL_METHOD}`, seed {panels[0][1]} (α-precision, β-recall, coverage "
                f"and detection AUC in each title): {links}",
                "",
            ]
    lines += [
        "Columns: quality = SDMetrics QualityReport score (column shapes and pair trends; images as "
        "pixel tables); TSTR / TRTR / aug. = random forest (200 trees) trained on synthetic / real / "
        "real + synthetic rows, accuracy and macro-F1 on the real hold-out; detection AUC = 5-fold ROC AUC of "
        "gradient-boosted trees (tables) or a small CNN (images) telling real hold-out rows from as many "
        "synthetic ones (0.5 = indistinguishable, 1 = told apart; the real-vs-real floor is in the JSON); "
        "α-precision / β-recall = Alaa et al. 2022 as synthcity computes them on scaled features or pixels "
        "(β-recall of a perfect fresh sample ≈ 0.5); MIA AUC = the stronger of two membership-inference "
        "attacks (distance to the closest synthetic row, k-NN density ratio) telling training from "
        "hold-out rows (0.5 = no leak); CAR = share of samples whose "
        "decoded-then-re-encoded latent stays in its cluster's χ² region; latent FD = Fréchet distance "
        "between real and generated latents per cluster (each model's own latent space, so compare it "
        "within a model only); DCR = median distance of a synthetic row to its closest training row "
        "(scaled features) and its ratio to the same distance for hold-out rows (≈ 1 good, ≪ 1 "
        "memorisation); fit / sample s = wall seconds. Bold: best per column (DCR ratio: closest to 1; MIA AUC: "
        "closest to 0.5; latent FD "
        "and DCR are not ranked; TRTR is the same real-data reference for every row).",
        "",
        f"Ran in {result['seconds']:.0f} s on {env.get('cpus')} CPUs (python {env.get('python')}, "
        f"torch {env.get('torch')}, scikit-learn {env.get('sklearn')}, sdmetrics {env.get('sdmetrics') or '–'}).",
    ]
    return "\n".join(lines) + "\n"


def benchmark_png(result: dict, *, method: str = VERDICT_METHOD) -> bytes:
    """TSTR accuracy and quality (mean ± std over seeds) per data set and model, for ``method``
    (or the first method benchmarked); TRTR as a dashed reference line."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    summary = result["summary"]
    datasets = list(summary)
    method = method if method in result["spec"]["methods"] else result["spec"]["methods"][0]
    keys = [
        k
        for k, _ in VERDICT_METRICS
        if any((summary[d][m][method].get(k) is not None) for d in datasets for m in summary[d])
    ]
    fig, axes = plt.subplots(
        len(keys) or 1, len(datasets), figsize=(3.2 * len(datasets), 2.8 * max(len(keys), 1)), squeeze=False
    )
    colors = plt.get_cmap("tab10")
    for col, dataset in enumerate(datasets):
        models = list(summary[dataset])
        for row, key in enumerate(keys):
            ax = axes[row, col]
            stats = [summary[dataset][m][method].get(key) for m in models]
            means = [s["mean"] if s else np.nan for s in stats]
            stds = [s["std"] if s else 0.0 for s in stats]
            ax.bar(range(len(models)), means, yerr=stds, color=[colors(i) for i in range(len(models))], capsize=3)
            finite = [m for m in means if np.isfinite(m)]
            if key == "tstr_accuracy":
                trtr = summary[dataset][models[0]][method].get("trtr_accuracy")
                if trtr:
                    ax.axhline(trtr["mean"], color="black", linestyle="--", linewidth=1, label="TRTR")
                    finite.append(trtr["mean"])
                    ax.legend(fontsize=7, loc="lower right")
            if finite:
                ax.set_ylim(max(0.0, min(finite) - 0.08), min(1.02, max(finite) + 0.04))
            ax.set_xticks(range(len(models)), models, fontsize=8)
            ax.set_title(f"{dataset}: {dict(VERDICT_METRICS)[key]}", fontsize=9)
    fig.suptitle(f"method {method}, mean ± std over seeds {list(result['spec']['seeds'])}", fontsize=9)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def write_benchmark(result: dict, out: str | Path) -> dict[str, Path]:
    """benchmark.json, benchmark.md and benchmark.png in ``out``; returns their paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "benchmark.json", "md": out / "benchmark.md", "png": out / "benchmark.png"}
    result = {**result, "verdict": verdict(result["summary"], model=result["spec"].get("default_model", "vae"))}
    paths["json"].write_text(json.dumps(result, indent=1, default=_plain))
    paths["md"].write_text(benchmark_markdown(result))
    paths["png"].write_bytes(benchmark_png(result))
    return paths


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (tuple, set)):
        return list(value)
    return str(value)
