"""What a perfect generator scores on the benchmark's detection test, and how far each model is from it.

    python benchmarks/detection_floor.py                     # four embedded sets, seeds 0-9
    python benchmarks/detection_floor.py --data iris --seeds 0 1 2

The detection test (C2ST) of ``latentsynth benchmark`` trains a classifier to tell the held-out
real rows from synthetic rows. Its "floor" in the reports splits the held-out rows in two halves,
so it runs on half as many rows as the real test. Here the synthetic set is replaced by real
training rows: fresh draws from the data's own distribution that the test has never seen, on the
same split, the same number of rows, the same detector and folds as the models get. No generator
can be expected to score below that. Per seed, the default model's and the baselines' detection
AUC from benchmarks/results/paired_seeds.json (the same splits) are paired with it: model −
oracle, mean ± standard error. Writes benchmarks/results/detection_floor.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


def oracle_detection(dataset: str, seed: int, *, test_size: float = 0.3) -> dict:
    """Detection AUC of the held-out rows against training rows of the seed's benchmark split."""
    from latentsynth.workflows import real_data_for, train_source
    from synth.data.sources import load_source
    from synth.realism import realism_metrics

    raw = load_source(dataset)
    # identity is fitted in closed form: only its column transform (the model space) is used here
    syn, split = train_source(dataset, holdout=test_size, raw=raw, options={"model": "identity", "random_state": seed})
    real, _ = real_data_for(syn, raw, split)
    out = realism_metrics(syn, real, SimpleNamespace(data=real.X_train), random_state=seed)["detection"]
    return {"auc": out["auc"], "floor_auc": out["floor_auc"], "detector": out["detector"]}


def paired_with(models: dict, oracle: dict[int, float]) -> dict:
    """{model: mean ± se of model − oracle over the seeds both have}."""
    out = {}
    for model, by_seed in models.items():
        seeds = sorted(set(by_seed) & set(oracle))
        diff = np.array([by_seed[s] - oracle[s] for s in seeds])
        se = float(diff.std(ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else None
        out[model] = {"mean": float(diff.mean()), "se": se, "seeds": len(seeds)}
    return out


def main(argv=None) -> None:
    from latentsynth.benchmark import environment

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", default=["iris", "wine", "breast_cancer", "digits"])
    parser.add_argument("--seeds", nargs="+", type=int, default=list(range(10)))
    args = parser.parse_args(argv)
    started = time.perf_counter()
    paired = json.loads((RESULTS / "paired_seeds.json").read_text())
    out = {"benchmark": "detection_floor", "seeds": args.seeds, "environment": environment(), "data": {}}
    print(f"{'data set':14s} {'oracle AUC':>16s} {'halves floor':>14s}   model − oracle (mean ± se)")
    for dataset in args.data:
        runs = {s: oracle_detection(dataset, s) for s in args.seeds}
        oracle = {s: r["auc"] for s, r in runs.items()}
        models = {}
        for r in paired["runs"]:
            if r["dataset"] == dataset and r["seed"] in oracle:
                models.setdefault(r["model"], {})[r["seed"]] = r["methods"]["random"]["detection_auc"]
        row = {
            "detector": runs[args.seeds[0]]["detector"],
            "oracle_auc": {"mean": float(np.mean(list(oracle.values()))), "std": float(np.std(list(oracle.values())))},
            "halves_floor_auc": {"mean": float(np.mean([r["floor_auc"] for r in runs.values()]))},
            "models_minus_oracle": paired_with(models, oracle),
            "per_seed": {str(s): r for s, r in runs.items()},
        }
        out["data"][dataset] = row
        gaps = "  ".join(f"{m} {c['mean']:+.3f}±{c['se']:.3f}" for m, c in row["models_minus_oracle"].items())
        print(
            f"{dataset:14s} {row['oracle_auc']['mean']:.3f} ± {row['oracle_auc']['std']:.3f}   "
            f"{row['halves_floor_auc']['mean']:12.3f}   {gaps}",
            flush=True,
        )
    out["seconds"] = time.perf_counter() - started
    (RESULTS / "detection_floor.json").write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {RESULTS / 'detection_floor.json'}")


if __name__ == "__main__":
    main()
