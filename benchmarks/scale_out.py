"""Generation at scale: rows/s and peak RSS of chunked generation (``latentsynth generate
--format parquet [--workers K]``) for the Iris VAE, in-process and on Ray workers, and whether
peak memory grows with the number of rows (it should not: a chunk at a time).

Each measurement runs in its own process (``--one``) so its peak RSS (ru_maxrss) is its own;
with ``--workers`` > 1 the figure is the driver's (the Ray tasks hold one chunk each). The
manifests of the 1- and 2-worker runs are compared: same files, same SHA-256.

    python benchmarks/scale_out.py                  # 1M rows × {1, 2} workers, 10M in-process
    python benchmarks/scale_out.py --rows 200000    # a quick look
    python benchmarks/scale_out.py --part fit       # only the streamed fit (merged into the JSON)

The "streamed fit" part writes a seeded mixed Parquet table (numbers, categories, dates as text
and as timestamps, missing cells) and fits its transform twice, each in its own process: in memory
(read whole with pandas, ``clean_table`` + ``TabularTransformer.fit``) and streamed on Ray Data
with 2 CPUs (``synth.distributed.streaming_fit``); seconds, the driver's peak RSS and whether the
two fitted states are equal.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "scale_out.json"


def one(artifact: str, n: int, workers: int, out: str, chunk_rows: int, file_format: str = "parquet") -> dict:
    from latentsynth.cli import main

    started = time.perf_counter()
    args = ["generate", artifact, "--n", str(n), "--out", out, "--format", file_format, "--chunk-rows", str(chunk_rows)]
    code = main([*args, "--workers", str(workers)])
    seconds = time.perf_counter() - started
    manifest = json.loads((Path(out) / "manifest.json").read_text())
    return {
        "rows": n,
        "workers": workers,
        "exit": code,
        "seconds": round(seconds, 2),
        "rows_per_s": round(n / seconds),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "chunks": [c["sha256"] for c in manifest["chunks"]],
    }


def measure(artifact: Path, n: int, workers: int, scratch: Path, chunk_rows: int, file_format: str = "parquet") -> dict:
    out = scratch / f"out-{artifact.name}-{n}-{workers}"
    cmd = [sys.executable, __file__, "--one", str(artifact), str(n), str(workers), str(out), str(chunk_rows)]
    cmd.append(file_format)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"measurement failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def mixed_table(n: int, seed: int = 0):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    x = rng.normal(10.0, 3.0, n)
    x[rng.random(n) < 0.05] = np.nan
    day = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1500, n), unit="D")
    when = day.strftime("%Y-%m-%d").to_numpy(object)
    when[rng.random(n) < 0.02] = None
    city = rng.choice([f"city-{i:02d}" for i in range(30)], n).astype(object)
    city[rng.random(n) < 0.1] = None
    return pd.DataFrame(
        {
            "x": x,
            "price": rng.gamma(2.0, 50.0, n).round(2),
            "count": rng.poisson(40, n),
            "grade": rng.choice(["A", "B", "C", "D", "E"], n, p=[0.3, 0.3, 0.2, 0.1, 0.1]),
            "city": city,
            "day": when,
            "stamp": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 86400 * 30, n), unit="s"),
        }
    )


def fit_one(mode: str, source: str, state_out: str) -> dict:
    started = time.perf_counter()
    if mode == "memory":
        from synth.data.parquet import read_parquet_source
        from synth.data.tabular import TabularTransformer, clean_table

        frame, _, report = clean_table(read_parquet_source(source))
        state = TabularTransformer().fit(frame, dtypes=report.dtypes, schema=report.schema).to_dict()
        extra = {}
    else:
        import ray

        from synth.distributed.streaming_fit import fit_transformer_ray, read_table

        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        ray_started = time.perf_counter()
        transformer, _, _, _ = fit_transformer_ray(read_table(source))
        state = transformer.to_dict()
        extra = {"seconds_without_ray_start": round(time.perf_counter() - ray_started, 2)}
        ray.shutdown()
    seconds = time.perf_counter() - started
    Path(state_out).write_text(json.dumps(state, sort_keys=True))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"mode": mode, "seconds": round(seconds, 2), "peak_rss_mib": round(rss, 1), **extra}


def streamed_fit(n: int, parts: int, small: int = 10_000) -> dict:
    """Both fits of an n-row table; the Ray fit of a ``small``-row table too, whose driver RSS is
    the baseline of Ray and its libraries."""
    fit = fit_table(n, parts)
    base = fit_table(small, parts, modes=("ray",))
    fit["runs"] += [{**r, "mode": f"ray, {small:,} rows"} for r in base["runs"]]
    return fit


def fit_table(n: int, parts: int, modes=("memory", "ray")) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    with tempfile.TemporaryDirectory() as tmp:
        table = Path(tmp) / "table"
        table.mkdir()
        frame = mixed_table(n)
        edges = [round(i * n / parts) for i in range(parts + 1)]
        for i, (a, b) in enumerate(zip(edges[:-1], edges[1:])):
            frame.iloc[a:b].to_parquet(table / f"part-{i:05d}.parquet", index=False)
        del frame
        runs, states = [], []
        for mode in modes:
            state = Path(tmp) / f"{mode}.json"
            cmd = [sys.executable, __file__, "--fit-one", mode, str(table), str(state)]
            done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
            if done.returncode != 0:
                raise SystemExit(f"{mode} fit failed:\n{done.stderr[-2000:]}")
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
            states.append(state.read_text())
    return {
        "rows": n,
        "parts": parts,
        "columns": "x (float, 5 % missing), price (2 decimals), count (int), grade (5 levels), "
        "city (30 levels, 10 % missing), day (text dates, 2 % missing), stamp (datetime64)",
        "runs": runs,
        "fitted_state_equal": len(states) == 2 and states[0] == states[1],
        "note": "Ray: local, 2 CPUs, the driver's peak RSS (the small-table run gives Ray's own baseline); seconds "
        "include Ray start-up (see the column without it)",
    }


def image_generation(rows: int, chunk_rows: int, seed: int = 0) -> dict:
    """Chunked generation of ``rows`` 28×28 images (npz chunks) by a conv VAE fitted on the digits
    proxy of ``benchmarks/conv28.py``, in-process and on 2 Ray workers. The model trains 2 epochs
    only: how fast it decodes does not depend on how well it was trained."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from conv28 import build_proxy

    from synth.synthesizer import LatentSynthesizer

    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        real, info = build_proxy(scratch, n_train=5000, n_test=10, seed=seed)
        artifact = scratch / "conv28"
        started = time.perf_counter()
        syn = LatentSynthesizer(model="vae", random_state=seed, epochs=2).fit(real.X_train, real.y_train)
        fit_seconds = time.perf_counter() - started
        syn.save(artifact)
        runs = [measure(artifact, rows, w, scratch, chunk_rows, "npz") for w in (1, 2)]
        sizes = sorted((scratch / f"out-conv28-{rows}-1").glob("*.npz"))
        mib = sum(p.stat().st_size for p in sizes) / 2**20
    return {
        "model": "the conv VAE (package defaults but epochs=2) on 5,000 training images of the 28×28 digits proxy",
        "image_shape": info["image_shape"],
        "fit_seconds": round(fit_seconds, 1),
        "chunk_rows": chunk_rows,
        "output_mib": round(mib, 1),
        "runs": [{k: v for k, v in r.items() if k != "chunks"} for r in runs],
        "identical_for_1_and_2_workers": runs[0]["chunks"] == runs[1]["chunks"],
        "note": "npz chunks; driver's peak RSS for the Ray run (each task holds one chunk); Ray start-up included",
    }


def _write(result: dict) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--big", type=int, default=10_000_000, help="rows of the memory check (in-process)")
    parser.add_argument("--chunk-rows", type=int, default=100_000)
    parser.add_argument("--fit-rows", type=int, default=1_000_000, help="rows of the streamed-fit table")
    parser.add_argument("--fit-parts", type=int, default=10, help="Parquet files of the streamed-fit table")
    parser.add_argument("--part", choices=("all", "generate", "fit", "images"), default="all")
    parser.add_argument("--image-rows", type=int, default=1_000_000, help="images of the 28×28 conv VAE part")
    parser.add_argument("--image-chunk-rows", type=int, default=20_000)
    parser.add_argument("--one", nargs=6, help=argparse.SUPPRESS)
    parser.add_argument("--fit-one", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fit_one:
        print(json.dumps(fit_one(*args.fit_one)))
        return
    if args.one:
        artifact, n, workers, out, chunk_rows, file_format = args.one
        print(json.dumps(one(artifact, int(n), int(workers), out, int(chunk_rows), file_format)))
        return
    result = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    if args.part in ("all", "images"):
        images = image_generation(args.image_rows, args.image_chunk_rows)
        print(f"{'images':>10} {'workers':>7} {'seconds':>8} {'images/s':>9} {'peak RSS MiB':>12}   (28×28 conv VAE)")
        for r in images["runs"]:
            print(f"{r['rows']:>10} {r['workers']:>7} {r['seconds']:>8} {r['rows_per_s']:>9} {r['peak_rss_mib']:>12}")
        print(f"1 vs 2 workers: {'byte-identical' if images['identical_for_1_and_2_workers'] else 'DIFFERENT'} chunks")
        result["images"] = images
        if args.part == "images":
            return _write(result)
    if args.part in ("all", "fit"):
        fit = streamed_fit(args.fit_rows, args.fit_parts)
        print(f"{'fit':>8} {'seconds':>8} {'peak RSS MiB':>12}   ({fit['rows']} rows, {fit['parts']} files)")
        for r in fit["runs"]:
            print(f"{r['mode']:>8} {r['seconds']:>8} {r['peak_rss_mib']:>12}")
        print(f"fitted state equal: {fit['fitted_state_equal']}")
        result["streamed_fit"] = fit
        if args.part == "fit":
            return _write(result)

    from synth.data.sources import load_embedded
    from synth.synthesizer import LatentSynthesizer

    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        artifact = scratch / "iris"
        LatentSynthesizer(model="vae", random_state=0).fit(load_embedded("iris").data, y="species").save(artifact)
        runs = [measure(artifact, args.rows, w, scratch, args.chunk_rows) for w in (1, 2)]
        runs.append(measure(artifact, args.big, 1, scratch, args.chunk_rows))
    same = runs[0]["chunks"] == runs[1]["chunks"]
    print(f"{'rows':>10} {'workers':>7} {'seconds':>8} {'rows/s':>9} {'peak RSS MiB':>12}")
    for r in runs:
        print(f"{r['rows']:>10} {r['workers']:>7} {r['seconds']:>8} {r['rows_per_s']:>9} {r['peak_rss_mib']:>12}")
    print(f"1 vs 2 workers: {'byte-identical' if same else 'DIFFERENT'} chunks")
    result |= {
        "model": "iris vae (package defaults)",
        "chunk_rows": args.chunk_rows,
        "runs": [{k: v for k, v in r.items() if k != "chunks"} for r in runs],
        "identical_for_1_and_2_workers": same,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.python_version()}",
        "note": "driver's peak RSS for the Ray run; the Ray figure includes Ray start-up",
    }
    _write(result)


if __name__ == "__main__":
    main()
