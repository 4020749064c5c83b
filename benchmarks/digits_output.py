"""The conv VAE's decoder output and the marginal calibration on the embedded digits, paired by seed.

    python benchmarks/digits_output.py                  # seeds 0-4
    python benchmarks/digits_output.py --seeds 0 1

Four variants of the default model: a linear or a sigmoid decoder output (``output``), each with
the per-cluster marginal calibration off and on (``calibrate``). Every seed is one split that the
variants share (the benchmark's 70/30 split; method ``random``, χ² gate on, as many samples as
training rows), scored with ``latentsynth benchmark``'s metrics: the CNN detector's AUC (lower is
better), TSTR and SDMetrics' quality. Writes benchmarks/results/digits_output.json.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results" / "digits_output.json"
VARIANTS = {
    "linear": {"output": "linear", "calibrate": False},
    "sigmoid": {"output": "sigmoid", "calibrate": False},
    "linear + calibration": {"output": "linear", "calibrate": True},
    "sigmoid + calibration": {"output": "sigmoid", "calibrate": True},
}
KEYS = ("detection_auc", "tstr_accuracy", "quality")


def main(argv=None) -> None:
    from latentsynth.benchmark import BenchmarkSpec, environment, run_benchmark

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=list(range(5)))
    args = parser.parse_args(argv)
    runs, seconds = [], 0.0
    for name, options in VARIANTS.items():
        spec = BenchmarkSpec(
            datasets=("digits",), models=("vae",), methods=("random",), seeds=tuple(args.seeds), options=options
        )
        result = run_benchmark(spec, log=lambda line: None)
        seconds += result["seconds"]
        for r in result["runs"]:
            runs.append({"variant": name, "seed": r["seed"], **{k: r["methods"]["random"][k] for k in KEYS}})
    base = {r["seed"]: r for r in runs if r["variant"] == "linear"}
    summary = {}
    print(f"{'variant':24s} {'detection AUC':>16s} {'TSTR':>7s} {'quality':>8s}   detection − linear (mean ± se)")
    for name in VARIANTS:
        rows = [r for r in runs if r["variant"] == name]
        diff = np.array([r["detection_auc"] - base[r["seed"]]["detection_auc"] for r in rows])
        se = float(diff.std(ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else 0.0
        spread = {k: [r[k] for r in rows] for k in KEYS}
        summary[name] = {k: {"mean": float(np.mean(v)), "std": float(np.std(v))} for k, v in spread.items()}
        summary[name]["detection_minus_linear"] = {"mean": float(diff.mean()), "se": se}
        s = summary[name]
        print(
            f"{name:24s} {s['detection_auc']['mean']:.3f} ± {s['detection_auc']['std']:.3f} "
            f"{s['tstr_accuracy']['mean']:7.3f} {s['quality']['mean']:8.3f}   {diff.mean():+.3f} ± {se:.3f}",
            flush=True,
        )
    out = {
        "benchmark": "digits_output",
        "seeds": args.seeds,
        "variants": VARIANTS,
        "environment": environment(),
        "seconds": seconds,
        "summary": summary,
        "runs": runs,
    }
    RESULTS.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
