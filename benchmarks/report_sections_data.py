"""Renderers of the table-scale, conditional-sampling and 28×28 conv VAE results (see benchmarks/report.py); imported
after report_sections, so these sections follow its sections on the page."""

from __future__ import annotations

from report_format import command, fmt, from_keys, grid, section, table

# --- tabular scale ----------------------------------------------------------------------------


def _scale_command(d: dict) -> str:
    rows = sorted({r["rows"] for r in d["runs"]})
    systems = list(dict.fromkeys(r["system"] for r in d["runs"]))
    every = d["sdv"] and set(systems) == {"latentsynth", "gaussian_copula", "tvae"}
    pairs = [("rows", rows), ("columns", None if d["columns"] in ("auto", "compat") else d["columns"])]
    pairs += [("systems", None if every or not d["sdv"] else systems)]
    return command(
        "python benchmarks/tabular_scale.py", pairs + [("seed", d["seed"] or None), ("no-sdv", not d["sdv"])]
    )


@section(
    "tabular_scale.json",
    "Tabular fit and sample cost by row count",
    "Fit seconds, sample rows/s and peak RSS of the default VAE on a seeded mixed table (numbers, heavy tails, "
    "integers, categories, a boolean, a date, an id, missing cells) at growing row counts, against SDV's "
    "GaussianCopula and TVAE on the same table; quality figures of `latentsynth benchmark` at the smallest size.",
    _scale_command,
)
def render_tabular_scale(data: dict) -> list[str]:
    lines = [data["note"], ""]
    lines += [f"Columns handed to every system: `{data['columns']}`" + (":" if data["column_notes"] else "."), ""]
    lines += [f"- {note}" for note in data["column_notes"]] + ([""] if data["column_notes"] else [])
    steps = lambda r: (r.get("schedule") or {}).get("planned_steps")  # noqa: E731
    plan = lambda r: (r.get("schedule") or {}).get("batch_size")  # noqa: E731
    columns = [("system", "system"), ("rows", "rows", ","), ("fit s", "fit_seconds", ".1f")]
    columns += [("sample rows/s", "sample_rows_per_s", ",.0f"), ("fit + sample s", "total_seconds", ".1f")]
    columns += [("peak RSS MiB", "peak_rss_mib", ",.0f"), ("batch", plan), ("steps", steps, ",")]
    columns += [("epochs run", "epochs_run"), ("quality", "quality", ".3f"), ("TSTR acc", "tstr_accuracy", ".3f")]
    lines += grid([r for r in data["runs"] if "error" not in r], columns)
    lines += [f"- {r['system']} at {r['rows']:,} rows: {r['error']}" for r in data["runs"] if "error" in r]
    if data.get("speedup_vs_tvae"):
        pairs = ", ".join(f"{int(n):,} rows {x:.1f}×" for n, x in data["speedup_vs_tvae"].items())
        lines += [f"TVAE fit + sample time over latentsynth's: {pairs}.", ""]
    if not data.get("sdv"):
        lines += ["SDV was not installed (`pip install 'latentsynth[bench]'`): no GaussianCopula / TVAE rows.", ""]
    return lines


# --- conditional sampling ------------------------------------------------------------------------


@section(
    "conditions.json",
    "Conditional sampling",
    "Rows that satisfy a condition ([conditions](conditions.md)), three ways: `steered` (the default "
    "conditional sampler), `mixture` (`steer=False`: the pilot-estimated cluster mixture, plain rejection inside "
    "clusters) and `reject` (plain accept/reject of decoded rows: unconditional batches filtered by the "
    "condition), for upper-tail conditions keeping about 50 %, 10 %, 1 % and 0.2 % of the model's own rows (the "
    "share of real rows kept is given too). Decodes per returned row is the cost that grows as a condition gets "
    "rarer; rows/s includes the pilot draws.",
    from_keys("python benchmarks/conditions.py", "n", "seeds", "epochs"),
)
def render_conditions(data: dict) -> list[str]:
    columns = [("table", "table"), ("condition", "condition"), ("model share", "model_share", ".3f")]
    columns += [("real share", "real_share", ".3f"), ("sampler", "mode"), ("rows/s", "rows_per_s", ",.0f")]
    columns += [("acceptance", "acceptance_rate", ".4f"), ("decodes/row", "decodes_per_row", ".1f")]
    columns += [("share met", "share_met", ".3f")]
    lines = [f"{data['n']} rows per request; means over seeds {', '.join(map(str, data['seeds']))}.", ""]
    lines += grid(data["results"], columns)
    by = {(r["table"], r["target_share"], r["mode"]): r for r in data["results"]}
    ratios = [
        f"{t} at {s:.1%}: {by[(t, s, 'reject')]['decodes_per_row'] / by[(t, s, 'steered')]['decodes_per_row']:.1f}×"
        for t, s, mode in by
        if mode == "steered" and s <= 0.01 and (t, s, "reject") in by
    ]
    if ratios:
        lines += [f"Decodes of plain accept/reject over those of the steered sampler: {'; '.join(ratios)}.", ""]
    return lines


# --- scale-out ----------------------------------------------------------------------------------


def _scale_out_command(d: dict) -> str:
    fit = d.get("streamed_fit") or {}
    pairs = [("fit-rows", fit.get("rows") if fit.get("rows") != 1_000_000 else None)]
    pairs += [("fit-parts", fit.get("parts") if fit.get("parts") != 10 else None)]
    return command("python benchmarks/scale_out.py", ([("part", "fit")] if "runs" not in d else []) + pairs)


@section(
    "scale_out.json",
    "Generation and fitting at scale",
    "Chunked generation (`latentsynth generate --format parquet [--workers K]`): rows/s and peak RSS in process "
    "and on Ray workers, and whether 1 and 2 workers write byte-identical chunks; the same for a 28×28 conv "
    "VAE's images (npz chunks). Streamed fit "
    "([big data](big-data.md)): the transform of a seeded mixed Parquet table fitted in memory (pandas read + "
    "`clean_table` + `TabularTransformer.fit`) and by streaming passes on Ray Data, seconds, the driver's peak "
    "RSS and whether the fitted states are equal.",
    _scale_out_command,
)
def render_scale_out(data: dict) -> list[str]:
    lines = []
    if "runs" in data:
        lines += [f"Generation, {data['model']}, chunks of {data['chunk_rows']:,} rows; {data['note']}.", ""]
        columns = [("rows", "rows", ","), ("workers", "workers"), ("seconds", "seconds", ".2f")]
        columns += [("rows/s", "rows_per_s", ",.0f"), ("peak RSS MiB", "peak_rss_mib", ",.0f")]
        lines += grid(data["runs"], columns)
        lines += [f"1 and 2 workers write byte-identical chunks: {fmt(data['identical_for_1_and_2_workers'])}.", ""]
    images = data.get("images")
    if images:
        lines += [
            f"Images, {images['model']} ({'×'.join(map(str, images['image_shape']))}), chunks of "
            f"{images['chunk_rows']:,} images, {images['output_mib']:,.0f} MiB written per run; {images['note']}.",
            "",
        ]
        columns = [("images", "rows", ","), ("workers", "workers"), ("seconds", "seconds", ".2f")]
        columns += [("images/s", "rows_per_s", ",.0f"), ("peak RSS MiB", "peak_rss_mib", ",.0f")]
        lines += grid(images["runs"], columns)
        lines += [f"1 and 2 workers write byte-identical chunks: {fmt(images['identical_for_1_and_2_workers'])}.", ""]
    fit = data.get("streamed_fit")
    if fit:
        lines += [f"Streamed fit, {fit['rows']:,} rows in {fit['parts']} Parquet files: {fit['columns']}.", ""]
        columns = [("fit", "mode"), ("seconds", "seconds", ".1f"), ("without Ray start s", "seconds_without_ray_start")]
        lines += grid(fit["runs"], columns + [("peak RSS MiB", "peak_rss_mib", ",.0f")])
        lines += [f"Fitted states equal (the transformer's JSON): {fmt(fit['fitted_state_equal'])}. {fit['note']}.", ""]
    return lines


# --- 28×28 conv VAE on the digits proxy ------------------------------------------------------------


def _conv28_row(r: dict) -> dict:
    det, floor, prdc = r["detection"], r.get("detection_floor", {}), r["prdc"]
    return {
        **r,
        "det_logistic": det.get("logistic"),
        "det_cnn": det.get("cnn"),
        "floor_logistic": floor.get("logistic"),
        "floor_cnn": floor.get("cnn"),
        **{f"prdc_{k}": v for k, v in prdc.items()},
    }


CONV28_COLUMNS = [("run", "label"), ("epochs", "epochs_run"), ("warm-up", lambda r: r["config"]["warmup_epochs"])]
CONV28_COLUMNS += [("fit s", "fit_seconds", ".1f")]
CONV28_COLUMNS += [("detection logistic", "det_logistic", ".3f"), ("floor", "floor_logistic", ".3f")]
CONV28_COLUMNS += [("detection CNN", "det_cnn", ".3f"), ("floor", "floor_cnn", ".3f")]
CONV28_COLUMNS += [("α-precision", "alpha_precision", ".3f"), ("β-recall", "beta_recall", ".3f")]
CONV28_COLUMNS += [("precision", "prdc_precision", ".3f"), ("recall", "prdc_recall", ".3f")]
CONV28_COLUMNS += [("coverage", "prdc_coverage", ".3f"), ("TSTR", "tstr_accuracy", ".3f")]
CONV28_COLUMNS += [("TRTR", "trtr_accuracy", ".3f")]


@section(
    "conv28.json",
    "Conv VAE on 28×28 images (digits proxy)",
    "The conv VAE at the defaults a 28×28 image set gets, against the identity and pca baselines, on a proxy: "
    "the embedded 8×8 digits brought to 28×28 through the product's array-loading path, drawn with "
    "replacement to 5,000 training images with a small seeded affine jitter. Fit seconds, detection (logistic "
    "regression on pixels and the small CNN, beside their real-vs-real floors), α-precision / β-recall and "
    "PRDC on pixels, TSTR against TRTR; samples as many as held-out images (method `random`).",
    from_keys("python benchmarks/conv28.py", "n_train", "n_test", "seed"),
)
def render_conv28(data: dict) -> list[str]:
    p = data["proxy"]
    lines = [
        f"Proxy: {p['rows']['train']:,} training images from {p['originals']['train']:,} originals, "
        f"{p['rows']['test']:,} held-out images from the other {p['originals']['test']:,} (split before "
        f"augmenting); resize: {p['resize']}; {p['augmentation']}.",
        "",
    ]
    lines += grid([_conv28_row(r) for r in data["runs"]], CONV28_COLUMNS)
    by = {r["model"]: r for r in data["runs"]}
    if "vae" in by and "identity" in by:
        vae, ident = by["vae"]["detection"], by["identity"]["detection"]
        lines += [
            f"Detection of the conv VAE against the identity baseline: CNN {vae['cnn']:.3f} vs {ident['cnn']:.3f}, "
            f"logistic regression on pixels {vae['logistic']:.3f} vs {ident['logistic']:.3f}; TSTR "
            f"{fmt(by['vae']['tstr_accuracy'], '.3f')} vs {fmt(by['identity']['tstr_accuracy'], '.3f')}.",
            "",
        ]
    if data.get("default_changes"):
        lines += [
            "Candidate default changes, measured on the same proxy under the defaults of their day, before the "
            "sigmoid output and the marginal calibration (earlier `--models vae --variant KEY=VALUE "
            "--jsonl FILE` runs, recorded with `--experiments FILE`; an explicit `epochs` keeps the 100-epoch "
            "warm-up). The CNN detector (3 folds of 2 epochs) moves by a few hundredths between near-identical "
            "runs (epochs 29 and 30), so differences of that size are noise:",
            "",
        ]
        options = lambda r: ", ".join(f"{k}={v}" for k, v in r["options"].items()) or "defaults"  # noqa: E731
        lines += grid([_conv28_row(r) for r in data["default_changes"]], [("options", options)] + CONV28_COLUMNS[1:])
    train_rows = p["rows"]["train"] - p["rows"]["train"] // 10  # the 10 % validation split is not trained on
    steps = -(-train_rows // 64)
    for probe in data.get("threads_probes", []):
        ms = probe["ms_per_step"]
        lines += [
            f"- one batch-64 step of the 28×28 conv VAE ({probe['parameters']:,} parameters), 1-min load average "
            f"{probe['load_average_1min']:.1f}: {ms['1']:.0f} ms on one thread, {ms['2']:.0f} ms on two; the "
            f"defaults before (300 epochs of {steps} steps, two threads) ≈ {300 * steps * ms['2'] / 60_000:.0f} min"
        ]
    if data.get("threads_probes"):
        lines += [
            "",
            "Two threads win a little on quiet cores and lose many times over on busy ones, so on ≤ 2 cores the "
            "training loop takes one thread; the pixel budget then plans the epochs.",
            "",
        ]
    lines += ["What this proxy can show:", ""] + [f"- {x}" for x in data["can_show"]] + [""]
    lines += ["What it cannot show:", ""] + [f"- {x}" for x in data["cannot_show"]] + [""]
    return lines + [data["environment"]["note"] + ".", ""]


# --- a whole model fitted from a copy in the driver vs streamed ---------------------------------


@section(
    "stream_train.json",
    "Training from a driver copy vs streamed on Ray Data",
    "The default VAE fitted on 2 Ray Train workers from one seeded mixed Parquet table two ways: from a copy "
    "read whole into the driver (`train --workers 2 --no-stream`) and streamed (`train --workers 2`: Ray Data "
    "passes, each rank reading its own rows with `ray.train.get_dataset_shard`); seconds, the driver's peak RSS, "
    "and whether the fitted column transforms and the clusters' row counts are equal.",
    from_keys("python benchmarks/stream_train.py", "rows", "parts", "epochs"),
)
def render_stream_train(data: dict) -> list[str]:
    lines = [f"{data['rows']:,} rows in {data['parts']} Parquet files, {data['epochs']} epoch(s); {data['note']}.", ""]
    lines += grid(
        data["runs"], [("fit", "mode"), ("seconds", "seconds", ".1f"), ("peak RSS MiB", "peak_rss_mib", ",.0f")]
    )
    lines += [
        f"Column transforms equal: {fmt(data['transform_equal'])}; cluster row counts equal: "
        f"{fmt(data['cluster_sizes_equal'])}.",
        "",
    ]
    return lines


# --- the KL weight on mixed tables -----------------------------------------------------------------


@section(
    "beta_tables.json",
    "The KL weight β on mixed tables",
    "The default VAE at β = 1e-4 (the default for tables of continuous columns) and 1e-2 (the default once a "
    "table has one-hot or missing-indicator features) on mixed tables: two sizes of the `tabular_scale` table and "
    "a second generator written after the rule was chosen, with and without its categorical columns. Detection "
    "AUC (C2ST of gradient-boosted trees, held-out real rows against as many synthetic ones; lower is better) "
    "and random-forest TSTR / TRTR accuracy on the hold-out.",
    from_keys("python benchmarks/beta_tables.py", "seed"),
)
def render_beta_tables(data: dict) -> list[str]:
    lines = [f"Seed {data['seed']}; {data['note']}.", ""]
    return lines + grid(
        data["runs"],
        [
            ("table", "table"),
            ("β", "beta_max", ".0e"),
            ("training rows", "train_rows"),
            ("features", "features"),
            ("binary features", "discrete_features"),
            ("fit s", "fit_seconds", ".1f"),
            ("detection AUC", "detection_auc", ".3f"),
            ("TSTR", "tstr_accuracy", ".3f"),
            ("TRTR", "trtr_accuracy", ".3f"),
        ],
    )


# --- the default model against the baselines, paired by seed ----------------------------------------


@section(
    "paired_seeds.json",
    "The default model against the baselines over many seeds",
    "The default model against `identity` and `pca` with one shared split per seed: the per-seed difference "
    "default − baseline, its mean ± standard error and the seeds the default won (method `random`, χ² gate on, "
    "as many samples as training rows). Lower is better for detection AUC, higher for TSTR and quality.",
    lambda d: command("python benchmarks/paired_seeds.py", [("data", d["data"]), ("seeds", d["seeds"])]),
)
def render_paired_seeds(data: dict) -> list[str]:
    model = data["default_model"]
    rows = []
    for dataset, metrics in data["summary"].items():
        for key, cell in metrics.items():
            mean, std = cell["mean"], cell["std"]
            row = [dataset, key.replace("_", " ")]
            row += [f"{mean[m]:.3f} ± {std[m]:.3f}" for m in (model, "identity", "pca")]
            for base in ("identity", "pca"):
                d = cell[f"{model}-{base}"]
                row.append(f"{d['mean']:+.3f} ± {d['se']:.3f} ({d['wins']}/{d['seeds']})")
            rows.append(row)
    headers = ["data set", "metric", model, "identity", "pca", f"{model} − identity", f"{model} − pca"]
    env = data["environment"]
    note = f"{len(data['seeds'])} seeds, {data['seconds']:.0f} s on {env.get('cpus', '?')} CPUs."
    if earlier := data.get("earlier"):
        rerun = [d for d in data["data"] if d not in earlier["data"]]
        note = (
            f"{len(data['seeds'])} seeds; {', '.join(rerun)} re-run ({data['seconds']:.0f} s on {env.get('cpus', '?')} "
            f"CPUs), {', '.join(earlier['data'])} kept from the earlier run ({earlier['seconds']:.0f} s)."
        )
    return [note, ""] + table(headers, rows) + [""]


# --- the detection test's own floor -------------------------------------------------------------


@section(
    "detection_floor.json",
    "What a perfect generator scores on the detection test",
    "The benchmark's detection test with real training rows in place of synthetic ones: fresh draws of the data's "
    "own distribution on the same split, as many rows, the same detector and folds (the 'oracle'). Beside it the "
    "report's real-vs-real floor (two halves of the held-out rows, so half as many rows), and each model's "
    "detection AUC from the paired-seed runs minus the oracle's on the same seed (mean ± standard error). "
    "Cross-validated AUC on sets of a few dozen rows sits below 0.5 when nothing separates them, so the oracle, "
    "not 0.5, is the score to reach.",
    lambda d: command("python benchmarks/detection_floor.py", [("seeds", d["seeds"])]),
)
def render_detection_floor(data: dict) -> list[str]:
    models = list(dict.fromkeys(m for row in data["data"].values() for m in row["models_minus_oracle"]))
    rows = []
    for dataset, row in data["data"].items():
        oracle = row["oracle_auc"]
        cells = [dataset, row["detector"], f"{oracle['mean']:.3f} ± {oracle['std']:.3f}"]
        cells.append(f"{row['halves_floor_auc']['mean']:.3f}")
        for m in models:
            c = row["models_minus_oracle"].get(m)
            cells.append("–" if c is None else f"{c['mean']:+.3f} ± {c['se']:.3f}")
        rows.append(cells)
    headers = ["data set", "detector", "oracle AUC", "halves floor", *(f"{m} − oracle" for m in models)]
    env = data["environment"]
    note = f"{len(data['seeds'])} seeds, {data['seconds']:.0f} s on {env.get('cpus', '?')} CPUs."
    return [note, ""] + table(headers, rows) + [""]


# --- marginal calibration on and off --------------------------------------------------------------


@section(
    "calibration.json",
    "Marginal calibration on tables it was not tuned on",
    "The default VAE and the identity and pca baselines with the per-cluster marginal calibration "
    "([method](method.md#marginal-calibration)) off and on, at every other default, on the mixed tables of the "
    "β benchmark (built before the calibration and not looked at while it was judged). Detection AUC (C2ST of "
    "gradient-boosted trees, held-out real rows against as many synthetic ones; lower is better) and "
    "random-forest TSTR accuracy, means over the seeds.",
    lambda d: command("python benchmarks/calibration.py", [("seeds", d["seeds"]), ("models", d["models"])]),
)
def render_calibration(data: dict) -> list[str]:
    rows = []
    for name, models in data["summary"].items():
        for model, cell in models.items():
            off, on, delta = cell["off"], cell["on"], cell["delta"]
            rows.append(
                [name, model]
                + [f"{off[k]:.3f} → {on[k]:.3f} ({delta[k]:+.3f})" for k in ("detection_auc", "tstr_accuracy")]
            )
    note = f"Seeds {', '.join(map(str, data['seeds']))}; {data['seconds']:.0f} s; {data['note']}."
    return [note, ""] + table(["table", "model", "detection AUC off → on", "TSTR off → on"], rows)


# --- the conv VAE's decoder output and the calibration on digits ---------------------------------


@section(
    "digits_output.json",
    "Decoder output and marginal calibration on digits",
    "The default conv VAE on the embedded digits with a linear or a sigmoid decoder output, each with the "
    "per-cluster marginal calibration off and on; one shared split per seed, method `random`, χ² gate on, as many "
    "samples as training rows. The CNN detector's AUC (lower is better; paired with the linear, uncalibrated "
    "variant on each seed), TSTR and SDMetrics' quality.",
    lambda d: command("python benchmarks/digits_output.py", [("seeds", d["seeds"])]),
)
def render_digits_output(data: dict) -> list[str]:
    rows = []
    for name, s in data["summary"].items():
        paired = s["detection_minus_linear"]
        rows.append(
            [name]
            + [f"{s[k]['mean']:.3f} ± {s[k]['std']:.3f}" for k in ("detection_auc", "tstr_accuracy", "quality")]
            + [f"{paired['mean']:+.3f} ± {paired['se']:.3f}"]
        )
    env = data["environment"]
    note = f"Seeds {', '.join(map(str, data['seeds']))}; {data['seconds']:.0f} s on {env.get('cpus', '?')} CPUs."
    headers = ["variant", "detection AUC (cnn)", "TSTR", "quality", "detection − linear"]
    return [note, ""] + table(headers, rows)
