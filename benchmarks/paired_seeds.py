"""The default model against the identity and pca baselines over many seeds, paired by seed.

    python benchmarks/paired_seeds.py                         # four embedded sets, seeds 0-9
    python benchmarks/paired_seeds.py --data iris --seeds 0 1 2 3
    python benchmarks/paired_seeds.py --data digits --merge   # re-run one set, keep the others' runs

``latentsynth benchmark`` reports mean ± std over 3 seeds, and on the small sets the spread over
seeds is as large as the differences between models. Here every seed is one split that all three
models share, so the difference default − baseline is taken per seed, and its mean comes with a
standard error (std of the differences / √seeds) and the number of seeds the default won. Method
`random` with the χ² gate, as many samples as training rows, the benchmark's metrics. Writes
benchmarks/results/paired_seeds.json.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results" / "paired_seeds.json"
METRICS = (("detection_auc", "min"), ("tstr_accuracy", "max"), ("quality", "max"))
BASELINES = ("identity", "pca")


def paired(runs: list[dict], dataset: str, model: str, base: str, key: str, better: str) -> dict:
    """Mean and standard error of model − base over the seeds both ran, and the seeds model won."""
    cell = {(r["model"], r["seed"]): r["methods"]["random"].get(key) for r in runs if r["dataset"] == dataset}
    seeds = sorted(s for m, s in cell if m == model and (base, s) in cell)
    diff = np.array([cell[model, s] - cell[base, s] for s in seeds], dtype=float)
    wins = int((diff < 0).sum() if better == "min" else (diff > 0).sum())
    se = float(diff.std(ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else None
    return {"mean": float(diff.mean()), "se": se, "wins": wins, "seeds": len(seeds)}


def summary(runs: list[dict], default: str) -> dict:
    out = {}
    for dataset in dict.fromkeys(r["dataset"] for r in runs):
        row = {}
        for key, better in METRICS:
            values = {
                m: [r["methods"]["random"][key] for r in runs if r["dataset"] == dataset and r["model"] == m]
                for m in (default, *BASELINES)
            }
            row[key] = {
                "mean": {m: float(np.mean(v)) for m, v in values.items()},
                "std": {m: float(np.std(v)) for m, v in values.items()},
                **{f"{default}-{b}": paired(runs, dataset, default, b, key, better) for b in BASELINES},
            }
        out[dataset] = row
    return out


def main(argv=None) -> None:
    from latentsynth.benchmark import BenchmarkSpec, _default_model, environment, run_benchmark

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", default=["iris", "wine", "breast_cancer", "digits"])
    parser.add_argument("--seeds", nargs="+", type=int, default=list(range(10)))
    parser.add_argument(
        "--merge", action="store_true", help="keep the runs of the other data sets in the existing results file"
    )
    args = parser.parse_args(argv)
    default = _default_model()
    spec = BenchmarkSpec(
        datasets=tuple(args.data), models=(default, *BASELINES), methods=("random",), seeds=tuple(args.seeds)
    )
    result = run_benchmark(spec, log=lambda line: print(line, flush=True))
    runs = [{k: r[k] for k in ("dataset", "model", "seed", "fit_seconds", "methods")} for r in result["runs"]]
    for r in runs:
        r["methods"] = {"random": {k: r["methods"]["random"].get(k) for k, _ in METRICS}}
    data, earlier = list(args.data), None
    if args.merge and RESULTS.is_file():
        kept = json.loads(RESULTS.read_text())
        others = [d for d in kept["data"] if d not in args.data]
        runs = [r for r in kept["runs"] if r["dataset"] in others] + runs
        data = others + data
        # where the kept runs came from: an earlier run of this script (its own "earlier" kept too)
        earlier = {
            "data": others,
            "seconds": kept["seconds"],
            "environment": kept["environment"],
            "earlier": kept.get("earlier"),
        }
    out = {
        "benchmark": "paired_seeds",
        "default_model": default,
        "data": data,
        "seeds": args.seeds,
        "environment": environment(),
        "seconds": result["seconds"],
        "earlier": earlier,
        "summary": summary(runs, default),
        "runs": runs,
    }
    print(f"\n{'data set':14s} {'metric':14s} " + " ".join(f"{default}-{b:9s}" for b in BASELINES))
    for dataset, row in out["summary"].items():
        for key, _ in METRICS:
            cells = [row[key][f"{default}-{b}"] for b in BASELINES]
            text = " ".join(f"{c['mean']:+.3f}±{c['se']:.3f} ({c['wins']}/{c['seeds']})" for c in cells)
            print(f"{dataset:14s} {key:14s} {text}")
    RESULTS.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
