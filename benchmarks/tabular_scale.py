"""Fit and sample cost of a mixed table at 2k / 20k / 100k rows, against SDV when installed.

    python benchmarks/tabular_scale.py                       # 2k, 20k, 100k; SDV if importable
    python benchmarks/tabular_scale.py --rows 2000 --no-sdv  # one size, latentsynth only

The table (``make_table``, seeded) has continuous, skewed and heavy-tailed numbers, bounded
and count integers, categorical columns of 4 and 30 levels, a boolean, a 3-class label that
depends on the features, a datetime column, an identifier column and missing cells (5 %,
30 % and 10 % in three columns). ``--columns native`` hands that table to latentsynth as it
is; ``compat`` first turns what this version refuses or drops into what it takes (the id
column dropped, dates as days since 1970, missing cells imputed with missing="impute", the
|z| filter off so no row is lost) and prints what it changed; ``auto`` (default) probes a
300-row head natively and falls back to ``compat`` if fitting fails or loses rows. Every
system gets the same table.

Each (system, size) runs in its own subprocess, so its peak RSS (``ru_maxrss``) is its own:
fit seconds, sample rows/s (as many rows as the table has), peak RSS, the schedule the row
count chose, and at the smallest size the quality figures of ``latentsynth benchmark``
(SDMetrics quality score; TSTR accuracy and macro-F1 on a stratified 30 % hold-out, features
encoded the same way for every system). Writes benchmarks/results/tabular_scale.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

RESULTS = Path(__file__).resolve().parent / "results" / "tabular_scale.json"
LABEL = "segment"
SDV_SYSTEMS = ("gaussian_copula", "tvae")
TVAE_MAX_ROWS = 20_000  # TVAE's 300 default epochs grow with rows; 100k would take most of an hour here
QUALITY_MAX_ROWS = 2_000
NOTE = (
    "Timings taken on a 2-core VM with no GPU, shared with other jobs (other benchmarks and test runs "
    "were active), so they are upper bounds; each system × size ran in its own subprocess."
)


def make_table(n: int, seed: int = 0) -> pd.DataFrame:
    """A seeded mixed table of ``n`` rows and 14 columns (the label ``segment`` included)."""
    rng = np.random.default_rng(seed)
    segment = rng.choice(np.array(["a", "b", "c"]), n, p=[0.5, 0.3, 0.2])
    shift = pd.Series(segment).map({"a": 0.0, "b": 1.0, "c": 2.0}).to_numpy()
    income = np.exp(rng.normal(10 + 0.3 * shift, 0.6))
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{i:07d}" for i in rng.permutation(n) + 1_000_000],
            "signup": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1_400 * 24, n), unit="h"),
            "score": rng.normal(50 + 5 * shift, 10).round(2),
            "income": income.round(2),
            "returns": (rng.standard_t(3, n) * 2 + shift).round(3),
            "age": np.clip(rng.normal(40 + 3 * shift, 12), 18, 90).astype(int),
            "visits": rng.poisson(2 + shift),
            "ratio": rng.beta(2 + shift, 5, n).round(4),
            "region": rng.choice(np.array(["north", "south", "east", "west"]), n),
            "product": np.array([f"p{k:02d}" for k in range(30)])[np.minimum(rng.zipf(1.6, n) - 1, 29)],
            "member": rng.random(n) < 0.3 + 0.2 * shift,
            "balance": (income * rng.uniform(0.1, 0.5, n)).round(2),
            "channel": rng.choice(np.array(["web", "store", "phone"]), n, p=[0.6, 0.3, 0.1]),
            LABEL: segment,
        }
    )
    for column, share in (("score", 0.05), ("balance", 0.30), ("channel", 0.10)):
        frame.loc[rng.random(n) < share, column] = np.nan
    return frame


def compat_table(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The table in a form this version takes without losing a row, and what was changed."""
    out, notes = frame.copy(), []
    for name in out.columns:
        column = out[name]
        if pd.api.types.is_datetime64_any_dtype(column):
            out[name] = (column - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)
            notes.append(f"{name}: datetime → days since 1970 (float)")
        elif name.endswith("_id") or (column.dtype == object and column.nunique() == len(column)):
            out = out.drop(columns=name)
            notes.append(f"{name}: identifier dropped (not modelled)")
    gaps = [f"{c} ({share:.0%})" for c, share in out.isna().mean().items() if share]
    if gaps:
        notes.append(f"missing cells imputed (missing='impute'): {', '.join(gaps)}")
    notes.append("outlier_z=None (the |z| > 3 filter would drop the heavy tails)")
    return out, notes


COMPAT_OPTIONS = {"missing": "impute", "outlier_z": None}


def choose_columns(mode: str, seed: int) -> tuple[str, list[str]]:
    """``native`` or ``compat`` for ``mode="auto"``: does a 300-row head fit as it is, every row used?"""
    if mode != "auto":
        return mode, []
    from synth.errors import LatentSynthError
    from synth.synthesizer import LatentSynthesizer

    head = make_table(300, seed)
    try:
        syn = LatentSynthesizer("vae", epochs=1, random_state=seed).fit(head, y=LABEL)
    except LatentSynthError as exc:
        return "compat", [f"native table refused: {exc}"]
    used = syn.cleaning_report_.get("rows_out", len(head))
    if used < len(head):
        return "compat", [f"native table fitted on {used} of {len(head)} rows"]
    return "native", []


def split(frame: pd.DataFrame, seed: int):
    from sklearn.model_selection import train_test_split

    train, test = train_test_split(frame, test_size=0.3, stratify=frame[LABEL], random_state=seed)
    return train.reset_index(drop=True), test.reset_index(drop=True)


def quality_figures(real_train: pd.DataFrame, real_test: pd.DataFrame, synthetic: pd.DataFrame, seed: int) -> dict:
    """SDMetrics quality and TSTR (random forest, as ``latentsynth benchmark``) of ``synthetic``;
    features for TSTR: the identity model's encoding (scaled numbers, one-hot categories)."""
    from synth.metrics import utility_report
    from synth.metrics.columns import column_kinds, comparable_frames
    from synth.metrics.detection import detection_auc
    from synth.metrics.quality import as_quality_table, quality_score
    from synth.synthesizer import LatentSynthesizer

    X_train, y_train = real_train.drop(columns=LABEL), real_train[LABEL].to_numpy()
    X_syn, y_syn = synthetic.drop(columns=LABEL), synthetic[LABEL].astype(str).to_numpy()
    X_test = real_test.drop(columns=LABEL)
    encoder = LatentSynthesizer("identity", random_state=seed, **COMPAT_OPTIONS).fit(real_train, y=LABEL)
    encode = lambda X: encoder.transform_features(X.fillna(X_train.median(numeric_only=True)))  # noqa: E731
    utility = utility_report(
        encode(X_train),
        y_train.astype(str),
        encode(X_test),
        real_test[LABEL].astype(str).to_numpy(),
        encode(X_syn),
        y_syn,
        random_state=seed,
    )
    # ids (fresh by design) and free text are not compared; dates as seconds (synth.metrics.columns)
    real_q, syn_q, not_compared = comparable_frames(X_train, X_syn, column_kinds(encoder))
    return {
        "quality": quality_score(as_quality_table(real_q, y_train), as_quality_table(syn_q, y_syn)),
        "quality_not_compared": sorted(not_compared),
        # C2ST of held-out real rows against synthetic ones, on the same encoding
        "detection_auc": detection_auc(encode(X_test), encode(X_syn), n_folds=5, random_state=seed)["auc"],
        "tstr_accuracy": utility["tstr"]["accuracy"],
        "tstr_f1": utility["tstr"]["macro_f1"],
        "trtr_accuracy": utility["trtr"]["accuracy"],
    }


def fit_sample(system: str, train: pd.DataFrame, n: int, seed: int, options: dict):
    """(fit seconds, sample seconds, synthetic table, extra facts) of one system."""
    if system == "latentsynth":
        import torch

        from synth.synthesizer import LatentSynthesizer

        torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))])  # torch.optim's lazy imports: not fit time
        started = time.perf_counter()
        syn = LatentSynthesizer("vae", random_state=seed, **options).fit(train, y=LABEL)
        fitted = time.perf_counter()
        X, labels = syn.sample(n, random_state=seed + 1)
        synthetic = X.assign(**{LABEL: labels})
        extra = {"schedule": syn.train_summary_.get("schedule"), "epochs_run": syn.train_summary_.get("epochs_run")}
        extra["best_epoch"] = syn.train_summary_.get("best_epoch")
    else:
        from sdv.metadata import Metadata
        from sdv.single_table import GaussianCopulaSynthesizer, TVAESynthesizer

        started = time.perf_counter()
        metadata = Metadata.detect_from_dataframes({"table": train})
        model = (GaussianCopulaSynthesizer if system == "gaussian_copula" else TVAESynthesizer)(metadata)
        model.fit({"table": train})  # SDV 2 takes {table name: frame}
        fitted = time.perf_counter()
        synthetic = model.sample(n)
        synthetic = synthetic["table"] if isinstance(synthetic, dict) else synthetic
        extra = {"epochs": 300} if system == "tvae" else {}
    done = time.perf_counter()
    return fitted - started, done - fitted, synthetic, extra


def worker(system: str, rows: int, columns: str, seed: int) -> dict:
    frame = make_table(rows, seed)
    options = COMPAT_OPTIONS if columns == "compat" else {}
    if columns == "compat":
        frame, _ = compat_table(frame)
    quality = rows <= QUALITY_MAX_ROWS
    train, test = split(frame, seed) if quality else (frame, None)
    fit_s, sample_s, synthetic, extra = fit_sample(system, train, rows, seed, options)
    out = {
        "system": system,
        "rows": rows,
        "train_rows": len(train),
        "columns": frame.shape[1],
        "fit_seconds": fit_s,
        "sample_seconds": sample_s,
        "sample_rows_per_s": rows / sample_s if sample_s > 0 else None,
        "total_seconds": fit_s + sample_s,
        "load_average": list(os.getloadavg()),
        **extra,
    }
    if quality:
        out.update(quality_figures(train, test, synthetic, seed))
    out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return out


def run_one(system: str, rows: int, columns: str, seed: int, timeout: float) -> dict:
    command = [sys.executable, __file__, "--worker", system, "--rows", str(rows), "--columns", columns]
    command += ["--seed", str(seed)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=os.environ.copy())
    except subprocess.TimeoutExpired:
        return {"system": system, "rows": rows, "error": f"timed out after {timeout:.0f} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        return {"system": system, "rows": rows, "error": (done.stderr or done.stdout).strip().splitlines()[-1:]}
    return json.loads(lines[-1])


def machine() -> dict:
    import torch

    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
    }


def sdv_version() -> str | None:
    try:
        import sdv
    except ImportError:
        return None
    return sdv.__version__


def _fmt(value, digits: int = 2) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}" if isinstance(value, float) else str(value)


def print_table(runs: list[dict]) -> None:
    head = (
        "system",
        "rows",
        "fit s",
        "sample rows/s",
        "fit+sample s",
        "peak RSS MiB",
        "steps",
        "quality",
        "detect AUC",
        "TSTR acc",
    )
    print(" | ".join(head))
    for r in runs:
        if "error" in r:
            print(f"{r['system']} | {r['rows']} | error: {r['error']}")
            continue
        steps = (r.get("schedule") or {}).get("planned_steps")
        cells = (r["system"], r["rows"], r["fit_seconds"], r["sample_rows_per_s"], r["total_seconds"])
        cells += (r["peak_rss_mib"], steps, r.get("quality"), r.get("detection_auc"), r.get("tstr_accuracy"))
        print(" | ".join(_fmt(c, 3 if i >= 7 else (0 if i in (3, 5) else 1)) for i, c in enumerate(cells)))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[2_000, 20_000, 100_000])
    parser.add_argument("--columns", choices=("auto", "native", "compat"), default="auto")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-sdv", action="store_true", help="skip SDV even when it is installed")
    parser.add_argument("--systems", nargs="+", default=["latentsynth", *SDV_SYSTEMS], help="systems to run")
    parser.add_argument("--timeout", type=float, default=1_800, help="seconds per system × size")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--merge", action="store_true", help="keep the runs of other sizes already in --out (re-run some sizes only)"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.rows[0], args.columns, args.seed), default=str))
        return
    columns, why = choose_columns(args.columns, args.seed)
    notes = why + (compat_table(make_table(20_000, args.seed))[1] if columns == "compat" else [])
    print(f"columns: {columns}" + "".join(f"\n  - {n}" for n in notes))
    version = None if args.no_sdv else sdv_version()
    if version is None:
        print("SDV is not installed (pip install 'latentsynth[bench]'): GaussianCopula and TVAE skipped")
    runs = []
    for rows in args.rows:
        systems = ["latentsynth"] + (
            [s for s in SDV_SYSTEMS if s != "tvae" or rows <= TVAE_MAX_ROWS] if version else []
        )
        for system in [s for s in systems if s in args.systems]:
            runs.append(run_one(system, rows, columns, args.seed, args.timeout))
            print(f"  {system} {rows}: {_fmt(runs[-1].get('total_seconds'), 1)} s", flush=True)
            args.out.with_suffix(".partial.json").write_text(json.dumps(runs, indent=2, default=str))
    if args.merge and args.out.exists():
        kept = [r for r in json.loads(args.out.read_text())["runs"] if r["rows"] not in args.rows]
        runs = sorted(kept + runs, key=lambda r: (r["rows"], r["system"] != "latentsynth", r["system"]))
    print_table(runs)
    latent = {r["rows"]: r for r in runs if r["system"] == "latentsynth" and "error" not in r}
    tvae = {r["rows"]: r for r in runs if r["system"] == "tvae" and "error" not in r}
    speedup = {str(n): tvae[n]["total_seconds"] / latent[n]["total_seconds"] for n in tvae if n in latent}
    result = {
        "note": NOTE,
        "machine": machine(),
        "sdv": version,
        "seed": args.seed,
        "columns": columns,
        "column_notes": notes,
        "table_columns": list(make_table(5, args.seed).columns),
        "label": LABEL,
        "targets": {"100k_total_seconds": 60, "100k_peak_rss_mib": 2048, "speedup_vs_tvae_at_20k": 3},
        "speedup_vs_tvae": speedup,
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
