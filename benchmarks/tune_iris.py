"""A real Tune campaign on Iris: which latent size and KL schedule, and why.

The grid latent_dim ∈ {2, 3, 5, 8} × kl_schedule ∈ {constant, linear, sigmoid, cyclical}
(one trial per cell, β_max / warm-up / learning rate sampled per trial), ASHA over
``--epochs`` epochs. Copies the campaign's report.md, PNGs and results.csv into
benchmarks/results/tune_iris/ and writes benchmarks/results/tune_iris.json (trials,
epochs run against the budget, wall time, the best trial).

    python benchmarks/tune_iris.py [--epochs 100] [--num-cpus 2] [--samples 1]
    python benchmarks/tune_iris.py --epochs 6 --out /tmp/tune_small    # a seconds-size check
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
SPACE = """\
latent_dim: {grid: [2, 3, 5, 8]}
kl_schedule: {grid: [constant, linear, sigmoid, cyclical]}
beta_max: {loguniform: [1.0e-3, 1.0e-1]}
warmup_epochs: %s
lr: {loguniform: [1.0e-3, 5.0e-3]}
"""


def main() -> int:
    from latentsynth.cli import main as cli

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--samples", type=int, default=1, help="trials per grid cell (default 1 → 16 trials)")
    parser.add_argument("--num-cpus", type=int, default=2)
    parser.add_argument("--cpus-per-trial", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="copy the outputs here instead of benchmarks/results/tune_iris/")
    args = parser.parse_args()

    target = Path(args.out) if args.out else RESULTS / "tune_iris"
    warmups = sorted({max(1, round(args.epochs * f)) for f in (0.1, 0.25, 0.5)})
    with tempfile.TemporaryDirectory(prefix="tune_iris_") as tmp:
        space = Path(tmp) / "space.yaml"
        space.write_text(SPACE % json.dumps(warmups))
        out = Path(tmp) / "out"
        started = time.perf_counter()
        code = cli(
            [
                "tune",
                "--data",
                "iris",
                "--num-samples",
                str(args.samples),
                "--space",
                str(space),
                "--epochs",
                str(args.epochs),
                "--seed",
                str(args.seed),
                "--num-cpus",
                str(args.num_cpus),
                "--cpus-per-trial",
                str(args.cpus_per_trial),
                "--quiet",
                "--out",
                str(out),
            ]
        )
        wall = time.perf_counter() - started
        if code != 0:
            return code
        summary = json.loads((out / "campaign.json").read_text())
        target.mkdir(parents=True, exist_ok=True)
        for file in [*out.glob("*.png"), out / "report.md", out / "results.csv"]:
            shutil.copy(file, target / file.name)
    record = {
        "benchmark": "tune_iris",
        "machine": platform.platform(),
        "processor": platform.processor(),
        "num_cpus": args.num_cpus,
        "cpus_per_trial": args.cpus_per_trial,
        "epochs": args.epochs,
        "trials": summary["trials"],
        "completed": summary["completed"],
        "epochs_run": summary["epochs_run"],
        "epochs_budget": summary["epochs_budget"],
        "wall_s": round(wall, 1),
        "best": summary["best"],
        "outputs": os.path.relpath(target, Path(__file__).resolve().parents[1]),
    }
    if not args.out:
        (RESULTS / "tune_iris.json").write_text(json.dumps(record, indent=2, default=str))
    best = summary["best"]
    print(f"\n{'trials':>8} {'completed':>10} {'epochs run':>11} {'budget':>8} {'wall s':>8}")
    print(
        f"{record['trials']:>8} {record['completed']:>10} {record['epochs_run']:>11} {record['epochs_budget']:>8} "
        f"{record['wall_s']:>8}"
    )
    print("best:", best["trial_id"], best["config"], {k: best["final"].get(k) for k in ("objective", "car")})
    print("report:", target / "report.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
