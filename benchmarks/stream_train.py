"""A whole table model fitted two ways on 2 Ray Train workers: from a copy of the table in the
driver (``latentsynth train --workers 2 --no-stream``: pandas reads it whole, Ray ships it to the
workers) and streamed (``--workers 2``: Ray Data passes, each rank reading its own rows with
``ray.train.get_dataset_shard``; ``synth.distributed.fit_dataset``). Each fit runs in its own
process, so the driver's peak RSS (ru_maxrss) is its own.

    python benchmarks/stream_train.py                 # 1M rows of the mixed table, 1 epoch
    python benchmarks/stream_train.py --rows 100000   # a quick look

The table is ``scale_out.py``'s seeded mixed table (numbers, categories, text dates, timestamps,
missing cells), labelled by its ``grade`` column; no hold-out, so both fits see the same rows.
Compared: seconds, the driver's peak RSS, whether the fitted column transforms are equal and
whether the clusters hold the same rows. The two networks differ (different batches), so their
Gaussians are not compared here; that the streamed sums equal the in-memory Gaussians of the
same latents is a test (``tests/synth/distributed/test_streaming_fit.py``).
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
RESULTS = ROOT / "benchmarks" / "results" / "stream_train.json"


def fit_one(mode: str, source: str, epochs: int, state_out: str) -> dict:
    import ray

    from latentsynth.workflows import train_dataset, train_source
    from synth.distributed.train import ray_train_fn

    started = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    options = {"model": "vae", "epochs": epochs, "random_state": 0}
    with tempfile.TemporaryDirectory() as runs:
        train_fn = ray_train_fn(num_workers=2, cpus_per_worker=0.5, storage_path=runs)
        common = dict(label="grade", holdout=0.0, options=options, train_fn=train_fn)
        if mode == "stream":
            syn, _ = train_dataset(source, workers=2, **common)
        else:
            syn, _ = train_source(source, **common)
    seconds = time.perf_counter() - started
    state = {"transform": syn.transformer_.to_dict(), "sizes": syn.clusters_.sizes}
    Path(state_out).write_text(json.dumps(state, sort_keys=True, default=str))
    ray.shutdown()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"mode": mode, "seconds": round(seconds, 1), "peak_rss_mib": round(rss, 1), "epochs": len(syn.history_)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--parts", type=int, default=10, help="Parquet files of the table")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--fit-one", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fit_one:
        mode, source, epochs, state = args.fit_one
        print(json.dumps(fit_one(mode, source, int(epochs), state)))
        return
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from scale_out import mixed_table

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    runs, states = [], []
    with tempfile.TemporaryDirectory() as tmp:
        table = Path(tmp) / "table"
        table.mkdir()
        frame = mixed_table(args.rows)
        edges = [round(i * args.rows / args.parts) for i in range(args.parts + 1)]
        for i, (a, b) in enumerate(zip(edges[:-1], edges[1:])):
            frame.iloc[a:b].to_parquet(table / f"part-{i:05d}.parquet", index=False)
        del frame
        for mode in ("memory", "stream"):
            state = Path(tmp) / f"{mode}.json"
            cmd = [sys.executable, __file__, "--fit-one", mode, str(table), str(args.epochs), str(state)]
            done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
            if done.returncode != 0:
                raise SystemExit(f"{mode} fit failed:\n{done.stderr[-3000:]}")
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
            states.append(json.loads(state.read_text()))
            print(f"{mode:>8} {runs[-1]['seconds']:>8} s {runs[-1]['peak_rss_mib']:>10} MiB", flush=True)
    result = {
        "rows": args.rows,
        "parts": args.parts,
        "epochs": args.epochs,
        "runs": runs,
        "transform_equal": states[0]["transform"] == states[1]["transform"],
        "cluster_sizes_equal": states[0]["sizes"] == states[1]["sizes"],
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, no GPU",
        "note": "local Ray with 2 CPUs, 2 Ray Train workers of 0.5 CPU; seconds include Ray's and Ray Train's "
        "start-up; peak RSS is the driver's (the streamed driver holds statistics and a seeded sample only)",
    }
    print(f"transform equal: {result['transform_equal']}, cluster sizes equal: {result['cluster_sizes_equal']}")
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
