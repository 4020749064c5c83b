"""Generation at scale: rows/s and peak RSS of chunked generation (``latentsynth generate
--format parquet [--workers K]``) for the Iris VAE, in-process and on Ray workers, and whether
peak memory grows with the number of rows (it should not: a chunk at a time).

Each measurement runs in its own process (``--one``) so its peak RSS (ru_maxrss) is its own;
with ``--workers`` > 1 the figure is the driver's (the Ray tasks hold one chunk each). The
manifests of the 1- and 2-worker runs are compared: same files, same SHA-256.

    python benchmarks/scale_out.py                  # 1M rows × {1, 2} workers, 10M in-process
    python benchmarks/scale_out.py --rows 200000    # a quick look
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


def one(artifact: str, n: int, workers: int, out: str, chunk_rows: int) -> dict:
    from latentsynth.cli import main

    started = time.perf_counter()
    args = ["generate", artifact, "--n", str(n), "--out", out, "--format", "parquet", "--chunk-rows", str(chunk_rows)]
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


def measure(artifact: Path, n: int, workers: int, scratch: Path, chunk_rows: int) -> dict:
    out = scratch / f"out-{n}-{workers}"
    cmd = [sys.executable, __file__, "--one", str(artifact), str(n), str(workers), str(out), str(chunk_rows)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"measurement failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--big", type=int, default=10_000_000, help="rows of the memory check (in-process)")
    parser.add_argument("--chunk-rows", type=int, default=100_000)
    parser.add_argument("--one", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        artifact, n, workers, out, chunk_rows = args.one
        print(json.dumps(one(artifact, int(n), int(workers), out, int(chunk_rows))))
        return

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
    result = {
        "model": "iris vae (package defaults)",
        "chunk_rows": args.chunk_rows,
        "runs": [{k: v for k, v in r.items() if k != "chunks"} for r in runs],
        "identical_for_1_and_2_workers": same,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.python_version()}",
        "note": "driver's peak RSS for the Ray run; the Ray figure includes Ray start-up",
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
