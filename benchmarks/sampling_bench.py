"""Latents per second of every generation method, with and without the χ² gate, on one core.

Goal: ≥ 1e6 latents/s/core for `random`. Pure numpy (synth.generate), no
decoding: this measures the latent generators alone. Writes benchmarks/results/sampling.json.

    python benchmarks/sampling_bench.py [--n 200000] [--dims 5 16]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # "per core": pin BLAS to one thread before numpy loads
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from synth.generate import METHODS, draw_cluster  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "sampling.json"


def bench(method: str, d: int, n: int, gate: bool, repeats: int = 3) -> float:
    rng = np.random.default_rng(0)
    A = rng.standard_normal((d, d))
    cov = A @ A.T / d + 0.1 * np.eye(d)
    chol = np.linalg.cholesky(cov)
    mean = rng.standard_normal(d)
    anchors = mean + rng.standard_normal((40, d)) @ chol.T
    n_run = n if method != "random_walk" else n // 10  # the walk is sequential by definition
    best = float("inf")
    for r in range(repeats):
        t0 = time.perf_counter()
        draw_cluster(
            method, n_run, np.random.default_rng(r), mean=mean, cov=cov, chol=chol, anchors=anchors, q=0.95, gate=gate
        )
        best = min(best, time.perf_counter() - t0)
    return n_run / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--dims", type=int, nargs="+", default=[5, 16])
    args = parser.parse_args()
    rows = []
    for d in args.dims:
        for method in METHODS:
            for gate in (False, True):
                rows.append(
                    {"method": method, "latent_dim": d, "gate": gate, "latents_per_s": bench(method, d, args.n, gate)}
                )
    print(f"{'method':16} {'d':>3} {'gate':>5} {'latents/s':>14}")
    for r in rows:
        print(f"{r['method']:16} {r['latent_dim']:>3} {str(r['gate']):>5} {r['latents_per_s']:>14,.0f}")
    random5 = next(r["latents_per_s"] for r in rows if r["method"] == "random" and not r["gate"])
    print(
        f"\nrandom, d={args.dims[0]}, no gate: {random5:,.0f} latents/s on one core "
        f"(goal ≥ 1,000,000: {'met' if random5 >= 1e6 else 'NOT met'})"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "sampling",
                "machine": platform.machine(),
                "processor": platform.processor() or platform.platform(),
                "threads": 1,
                "n": args.n,
                "results": rows,
                "goal_random_per_s": 1e6,
                "goal_met": random5 >= 1e6,
            },
            indent=2,
        )
    )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
