"""One renderer per benchmarks/results file of the performance scripts (see benchmarks/report.py).
Importing this module registers them, in page order."""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from pathlib import Path

from report_format import METHODS, command, fmt, from_keys, grid, named, section, table


def _benchmark_command(d: dict) -> str:
    s = d["spec"]
    methods = None if tuple(s["methods"]) == METHODS else s["methods"]
    pairs = [("data", s["datasets"]), ("models", s["models"]), ("methods", methods), ("seeds", s["seeds"])]
    pairs += [("label", s.get("label")), ("test-size", s["test_size"]), ("n", s.get("n")), ("no-gate", not s["gate"])]
    pairs += [("set", f"{k}={json.dumps(v)}") for k, v in sorted(s["options"].items())]
    return command("latentsynth benchmark", pairs + [("out", "benchmarks/results"), ("force", True)])


BENCH = {"quality": "quality", "tstr_accuracy": "TSTR acc", "trtr_accuracy": "TRTR acc"}
BENCH |= {"augmented_accuracy": "aug. acc", "car": "CAR", "dcr_ratio": "DCR ratio"}


@section(
    "benchmark.json",
    "Model kinds side by side",
    "`latentsynth benchmark`: every model kind on the same seeded hold-out splits, scored for every generation "
    "method on the held-out rows, mean ± std over seeds ([the columns](evaluation.md#latentsynth-benchmark)).",
    _benchmark_command,
)
def render_benchmark(data: dict) -> list[str]:
    s, summary, default = data["spec"], data["summary"], data["spec"]["default_model"]
    lines = [
        f"Data sets {', '.join(s['datasets'])}; models {', '.join(s['models'])}; seeds "
        f"{', '.join(map(str, s['seeds']))}; {s['test_size']:.0%} of the rows held out per split; χ² gate "
        f"{'on' if s['gate'] else 'off'}; {s['n'] or 'as many samples as training rows'} per method.",
        "",
    ]
    if data.get("verdict"):
        pair = lambda m: f"{m[default]:.3f} / {m['identity']:.3f} ({m['delta']:+.3f})"  # noqa: E731
        rows = [[ds, pair(v["tstr_accuracy"]), pair(v["quality"]), fmt(v["ok"])] for ds, v in data["verdict"].items()]
        lines += [f"Default model `{default}` against the `identity` baseline (method `random`, means over seeds):", ""]
        lines += table(["data set", "TSTR accuracy", "quality score", "matches or beats"], rows)
    cells = [
        {"data set": ds, "model": model, "method": method, **cell}
        for ds, by_model in summary.items()
        for model, by_method in by_model.items()
        for method, cell in by_method.items()
    ]
    metrics = [(header, key, ".3f") for key, header in BENCH.items()]
    random = [c for c in cells if c["method"] == "random"]
    lines += ["Every model, method `random`:", ""]
    lines += grid(random, [("data set", "data set"), ("model", "model"), *metrics, ("fit s", "fit_seconds", ".2f")])
    lines += [f"The default model `{default}`, every method:", ""]
    lines += grid(
        [c for c in cells if c["model"] == default], [("data set", "data set"), ("method", "method"), *metrics]
    )
    return lines + ["Every model × method × metric: `benchmarks/results/benchmark.md`.", ""]


# --- unlabelled clustering ---------------------------------------------------------------------

CLUSTERERS = {"polarized": "polarized", "polarized_auto": "polarized auto", "kmeans": "k-means", "ward": "Ward"}
CLUSTERERS |= {"gmm": "GMM"}


@section(
    "clustering.json",
    "Unlabelled clustering",
    "The polarized hierarchical clustering against k-means, Ward and a full-covariance GMM, each given the true "
    "number of classes (polarized auto: the K it picks), scored by ARI / NMI against the hidden labels, on the "
    "encoded latents and on the model-space features; and its cost on 10k–100k latents.",
    lambda d: command(
        "python benchmarks/clustering.py",
        [("latent-options", d["settings"]["latent_options"]), ("sizes", d["settings"]["sizes"])],
    ),
)
def render_clustering(data: dict) -> list[str]:
    lines = [
        "Digits is the demo's `digits_unlabelled` run (default VAE, latent 16, seed 0, 70 % of the rows); the "
        "tables are the default VAE fitted unlabelled on the same 70 % split. Cells: ARI / NMI.",
        "",
    ]
    rows = []
    for name, d in data["datasets"].items():
        for space, by in d["spaces"].items():
            cells = [f"{by[k]['ari']:.3f} / {by[k]['nmi']:.3f}" for k in CLUSTERERS]
            cells[1] += f" (K {by['polarized_auto']['k']})"
            rows.append([name, space, d["classes"], *cells])
    lines += table(["data", "space", "classes", *CLUSTERERS.values()], rows)
    columns = [("latents", "n", ","), ("d", "latent_dim"), ("cluster s", "cluster_seconds", ".1f")]
    columns += [("fit s (est.)", "fit_seconds_estimate", ".0f"), ("share", "share_of_fit", ".1%")]
    lines += ["Polarized clustering (K = 10) of synthetic blobs; fit time estimated linear in rows from digits:", ""]
    return lines + grid(data["timing"], columns)


# --- sampling, GANs, double autoencoder ------------------------------------------------------


def _dims(d: dict) -> list[int]:
    return sorted({r["latent_dim"] for r in d["results"]})


@section(
    "sampling.json",
    "Latent sampling speed",
    "Latents per second of every generation method, with and without the χ² gate, on one thread (the latent "
    "generators alone, no decoding).",
    lambda d: command("python benchmarks/sampling_bench.py", [("n", d["n"]), ("dims", _dims(d))]),
)
def render_sampling(data: dict) -> list[str]:
    rate = {(r["method"], r["latent_dim"], r["gate"]): r["latents_per_s"] for r in data["results"]}
    columns = [("method", "name")]
    columns += [(f"d = {d}{', gated' * g}", lambda m, d=d, g=g: rate.get((m["name"], d, g)), ",.0f")
                for d in _dims(data) for g in (False, True)]  # fmt: skip
    methods = [{"name": m} for m in dict.fromkeys(r["method"] for r in data["results"])]
    lines = [f"{data['n']:,} latents per measurement; latents/s:", ""] + grid(methods, columns)
    if "goal_random_per_s" in data:
        met = "met" if data.get("goal_met") else "not met"
        lines += [f"Goal: ≥ {data['goal_random_per_s']:,.0f} latents/s for `random` — {met}.", ""]
    return lines


@section(
    "gan_digits.json",
    "Conditional GANs on digits",
    "Class consistency of conditional GANs on the embedded 8×8 digits: the share of generated images that an SVC "
    "trained on real digits labels as the class asked for, per generation method and over epochs.",
    from_keys(
        "python benchmarks/gan_digits.py",
        *("models", "epochs", "channels", "critic_steps", "n_per_class", "probe_every", "grid_every", "seed", "quick"),
        under="settings",
    ),
)
def render_gan_digits(data: dict) -> list[str]:
    s, models = data["settings"], data["models"]
    lines = [
        f"{s['train_images']} training images, {s['epochs']} epochs, `gan_channels` {s['channels']}, "
        f"{s['n_per_class']} images per class and method. The classifier's accuracy on real held-out digits "
        f"(the ceiling): {data['classifier_accuracy_on_real']:.3f}.",
        "",
    ]
    columns = [("model", "name"), ("s/epoch", "seconds_per_epoch", ".1f")]
    columns += [(k, lambda m, k=k: m["methods"][k]["rate"], ".3f") for k in next(iter(models.values()))["methods"]]
    lines += grid(named(models), columns)
    curve = {(name, p["epoch"]): p["rate"] for name, m in models.items() for p in m.get("curve", [])}
    rows = [[e] + [fmt(curve.get((name, e)), ".3f") for name in models] for e in sorted({e for _, e in curve})]
    lines += (["Rate over epochs (probed on fixed noise):", ""] + table(["epoch", *models], rows)) if rows else []
    return lines + ["Sample grids: `benchmarks/results/gan_digits_grids/`.", ""]


@section(
    "double_ae_records.json",
    "Double autoencoder on 2-D records",
    "The double autoencoder on toy 2-D records: reconstruction error for every encoder × training mode, and the "
    "augmentation experiment (classifier accuracy with and without class-wise synthetic records).",
    from_keys("python benchmarks/double_ae_records.py", "epochs", "folds", "seed", "quick", under="settings"),
)
def render_double_ae(data: dict) -> list[str]:
    rec, aug, st = data["reconstruction"], data["augmentation"], data["augmentation"]["settings"]
    columns = [("encoder", "encoder"), ("training", "training"), ("epochs", "epochs_run"), ("MSE", "mse", ".2e")]
    columns += [("MSE / pixel variance", "mse_share_of_variance", ".3f"), ("train s", "train_seconds", ".1f")]
    columns += [("synthetic reassigned to class", "synthetic_reassigned_to_class", ".3f")]
    lines = [f"Reconstruction, per-pixel MSE in model space ({rec['data']}):", ""] + grid(rec["runs"], columns)
    lines += [
        f"Augmentation ({aug['data']}; {st['folds']} folds, {st['ratio']:g}× synthetic per class, method "
        f"`{st['method']}`, {st['classifier']}); accuracy on each fold's held-out real records:",
        "",
    ]
    columns = [("trained on", "name"), ("mean", "mean", ".3f"), ("std", "std", ".3f")]
    columns += [("per fold", lambda r: " ".join(f"{v:.2f}" for v in r["per_fold"]))]
    return lines + grid(named(aug["rows"]), columns)


# --- FID ------------------------------------------------------------------------------------------

FID_MEASURES = (
    "Our streamed FID (one process, or sharded over Ray workers) against `python -m pytorch_fid` on the same PNG "
    "files: value, relative difference, wall time, images/s and peak memory of each run's whole process tree."
)


def _fid_command(file: str) -> Callable[[dict], str]:
    def build(d: dict) -> str:
        rows, real = d["results"], d.get("real_side")
        sizes, reference = sorted({r["n"] for r in rows}), {r["n"] for r in rows if r["method"] == "pytorch-fid"}
        pairs = [("sizes", sizes), ("workers", sorted({r["workers"] for r in rows if r["method"] == "ours"}))]
        pairs += [("skip-pytorch-fid", [n for n in sizes if n not in reference] or None)]
        pairs += [("real-n", real["n"] if isinstance(real, dict) else None), ("no-sqrtm", d.get("sqrtm") is None)]
        pairs += [("image-size", d["image_size"]), ("batch-size", d["batch_size"]), ("device", d["device"])]
        return command("python benchmarks/fid_bench.py", pairs + [("out", f"benchmarks/results/{file}")])

    return build


def _contender(r: dict) -> str:
    if r["method"] != "ours":
        return r["method"]
    return "ours, 1 process" if r["workers"] == 1 else f"ours, {r['workers']} Ray workers"


FID_COLUMNS = [("N per side", "n", ","), ("contender", _contender), ("FID", "fid", ".10g")]
FID_COLUMNS += [("rel. diff.", "relative_difference", ".2g"), ("s", "seconds", ".0f")]
FID_COLUMNS += [("images/s", "images_per_s", ".2f"), ("peak RSS MiB", "peak_rss_mib", ",.0f")]
FID_COLUMNS += [("peak PSS MiB", "peak_pss_mib", ",.0f"), ("processes", "processes")]


def render_fid(data: dict) -> list[str]:
    lines = [f"Note: {data['note']}.", ""] if data.get("note") else []
    lines += [f"Images {data['image_size']}×{data['image_size']}, batches of {data['batch_size']}.", ""]
    if isinstance(real := data.get("real_side"), dict):
        lines += [
            f"Real side: statistics of {real['n']:,} real images, computed once in {real['seconds']:.0f} s "
            f"(peak RSS {real['peak_rss_mib']:,.0f} MiB).",
            "",
        ]
    lines += grid(data["results"], FID_COLUMNS)
    if sq := data.get("sqrtm"):
        lines += [
            f"tr √(Σ₁Σ₂) of two {sq['d']}×{sq['d']} covariances: ours {sq['ours_s']:.2f} s, SciPy `sqrtm` "
            f"(pytorch-fid's) {sq['scipy_sqrtm_s']:.2f} s; the FIDs differ by {sq['relative_difference']:.2g} "
            "relative.",
            "",
        ]
    summary = [[k.replace("_", " "), fmt(v, ".4g")] for k, v in data.get("summary", {}).items()]
    return lines + (table(["summary", "value"], summary) if summary else [])


section("fid.json", "FID against pytorch-fid", FID_MEASURES, _fid_command("fid.json"))(render_fid)
section(
    "fid_n2100.json",
    "FID with full-rank covariances",
    FID_MEASURES + " 2,100 images per side, so both 2048×2048 covariances are full rank.",
    _fid_command("fid_n2100.json"),
)(render_fid)


def _rank_command(d: dict) -> str:
    features = [Path(p).name for p in d.get("source", {}).get("features", [])] or None
    sizes = [r["n"] for r in d["results"]]
    return command("python benchmarks/fid_rank_deficient.py", [("features", features), ("sizes", sizes)])


@section(
    "fid_rank_deficient.json",
    "FID with singular covariances",
    "With fewer images than the 2048 feature dimensions both covariances are singular: ours and pytorch-fid's FID "
    "against the exact value computed from the raw features (singular values of A₁A₂ᵀ).",
    _rank_command,
)
def render_fid_rank(data: dict) -> list[str]:
    columns = [("n per side", "n", ","), ("singular", "rank_deficient"), ("exact", "exact", ".12g")]
    columns += [("ours", "ours", ".12g"), ("pytorch-fid", "pytorch_fid", ".12g")]
    columns += [("ours vs exact", "ours_vs_exact", ".2g"), ("pytorch-fid vs exact", "pytorch_fid_vs_exact", ".2g")]
    columns += [("ours s", "ours_seconds", ".2f")]
    return ([f"Note: {data['note']}.", ""] if data.get("note") else []) + grid(data["results"], columns)


section(
    "fid_stream20k.json",
    "FID memory up to 20000 images",
    FID_MEASURES + " Campaign mode: the real side's statistics are computed once and read from a stats `.npz` by "
    "every contender, so each row streams only its generated images.",
    _fid_command("fid_stream20k.json"),
)(render_fid)


# --- Ray: Train overhead, Tune, Serve ----------------------------------------------------------


def _overhead_command(d: dict) -> str:
    w, threads = d["workload"], sorted({r["threads"] for r in d["rows"]})
    pairs = [(k.replace("_", "-"), w[k]) for k in ("rows", "features", "hidden", "batch_size", "epochs")]
    pairs += [("checkpoint-every", w["checkpoint_every"]), ("repeats", d["repeats"])]
    pairs += [("workers", sorted({r["workers"] for r in d["rows"] if r["workers"]}))]
    pairs += [("threads", threads[0] if len(threads) == 1 else None), ("device", d["device"])]
    return command("python benchmarks/train_overhead.py", pairs)


@section(
    "train_overhead.json",
    "Ray Train overhead",
    "Seconds per epoch of the plain loop against Ray Train with 1 and 2 workers on the same data and model; the "
    "configurations interleaved in rounds, each Ray run divided by its own round's plain run.",
    _overhead_command,
)
def render_train_overhead(data: dict) -> list[str]:
    w, runs = data["workload"], {}
    for r in data["rows"]:
        runs.setdefault(r["config"], []).append(r)
    lines = [
        f"Workload: {w['rows']:,} rows × {w['features']} features, MLP {'-'.join(map(str, w['hidden']))}, batch "
        f"{w['batch_size']}, {w['epochs']} epochs, a checkpoint every {w['checkpoint_every']}; {data['repeats']} "
        f"rounds. Goal: {data.get('goal', '–')}. In-run overhead: time per epoch spent outside the loop's own "
        "epoch (reports, checkpoints) relative to the plain loop's, measured within each run. Start-up: from `fit` "
        "to the end of the first epoch minus that epoch's compute, `ray.init` apart.",
        "",
    ]
    columns = [("configuration", "name"), ("median s/epoch", "median_s_per_epoch", ".3f")]
    columns += [("median ratio", "median_ratio_vs_plain", ".3f"), ("in-run overhead", "in_run_overhead_ratio", ".3f")]
    columns += [("ratio per round", lambda s: " ".join(f"{r:.2f}" for r in s["ratios"]))]

    def startup(s: dict) -> float:
        return statistics.median(r["startup_s"] for r in runs[s["name"]])

    def init(s: dict) -> float | None:  # the plain loop starts no Ray
        return max(r["ray_init_s"] for r in runs[s["name"]]) if "ray_init_s" in runs[s["name"]][0] else None

    columns += [("median start-up s", startup, ".1f"), ("longest ray.init s", init, ".1f")]
    return lines + grid(named(data["summary"]), columns)


@section(
    "tune_iris.json",
    "Tune campaign on Iris",
    "A real Ray Tune campaign on Iris: latent size × KL schedule (β_max, warm-up and learning rate sampled per "
    "trial) under ASHA; which setting wins, and how much of the epoch budget ASHA spent.",
    from_keys("python benchmarks/tune_iris.py", "epochs", "num_cpus", "cpus_per_trial"),
)
def render_tune(data: dict) -> list[str]:
    best = data["best"]
    config = ", ".join(f"`{k}` {fmt(v, '.4g') if isinstance(v, float) else v}" for k, v in best["config"].items())
    final = [[k, fmt(best["final"][k], ".4g")] for k in ("objective", "val_elbo", "car", "latent_fd_rel")]
    lines = [
        f"{data['trials']} trials, {data['completed']} trained to the end; {data['epochs_run']:,} of "
        f"{data['epochs_budget']:,} budgeted epochs run; {data['wall_s']:.0f} s wall time.",
        "",
        f"Best trial `{best['trial_id']}` ({best['epochs_run']} epochs): {config}.",
        "",
    ]
    lines += table(["final metric", "value"], final)
    return lines + [f"Report, plots and results table: `{data.get('outputs', 'benchmarks/results/tune_iris')}/`.", ""]


def _serve_command(d: dict) -> str:
    script = "python benchmarks/serve_load.py --models " + " ".join(dict.fromkeys(r["model"] for r in d["results"]))
    keys = ("clients", "requests", "n", "format", "max_batch_size", "batch_wait=batch_wait_timeout_s")
    return from_keys(script, *keys)(d)


@section(
    "serve.json",
    "Serving under load",
    "Requests per second and p50/p99 latency of small `POST /v1/models/{name}/generate` requests from concurrent "
    "clients, with `@serve.batch` on and off (the same app; `max_batch_size` 1 = off).",
    _serve_command,
)
def render_serve(data: dict) -> list[str]:
    lines = [
        f"{data['clients']} clients share {data['requests']:,} requests of n = {data['n']} ({data['format']}) per "
        f"run; batches of up to {data['max_batch_size']} requests, waiting {data['batch_wait_timeout_s']:g} s to fill"
        + (f"; {data['note']}." if data.get("note") else "."),
        "",
    ]
    columns = [("model", "model"), ("batching", "batching"), ("req/s", "req_per_s", ".1f")]
    columns += [("p50 ms", "p50_ms", ",.0f"), ("p99 ms", "p99_ms", ",.0f"), ("mean batch", "mean_batch", ".1f")]
    lines += grid(data["results"], columns + [("ok", lambda r: f"{r['ok']}/{r['requests']}")])
    rows = [[m, f"{v:.2f}×"] for m, v in data.get("ratio_on_off", {}).items()]
    return lines + (table(["model", "req/s with batching ÷ without"], rows) if rows else [])
