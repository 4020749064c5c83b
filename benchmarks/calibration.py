"""The marginal calibration on and off, for the default model and the baselines, on tables it was not tuned on.

    python benchmarks/calibration.py                 # four mixed tables, seeds 0 and 1
    python benchmarks/calibration.py --seeds 0 --models vae

The tables are those of benchmarks/beta_tables.py (the mixed table of ``tabular_scale.make_table``
at 2,000 and 400 rows, and a second generator with and without its categories): none of them was
looked at while the calibration was built, which was judged on the four embedded sets. Each fit is
scored as there (5-fold C2ST of gradient-boosted trees on held-out real rows against as many
synthetic rows as training rows, TSTR / TRTR by a random forest), with ``calibrate`` true (the
default) and false, at every other default. Writes benchmarks/results/calibration.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from beta_tables import score, tables  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "calibration.json"


def summary(runs: list[dict]) -> dict:
    """{table: {model: {"off"/"on": mean detection AUC and TSTR over seeds, "delta": on − off}}}."""
    out = {}
    for r in runs:
        cell = out.setdefault(r["table"], {}).setdefault(r["model"], {"off": [], "on": []})
        cell["on" if r["options"]["calibrate"] else "off"].append(r)
    for table in out.values():
        for model, cell in table.items():
            means = {
                side: {k: float(np.mean([r[k] for r in rs])) for k in ("detection_auc", "tstr_accuracy")}
                for side, rs in cell.items()
            }
            means["delta"] = {k: means["on"][k] - means["off"][k] for k in means["on"]}
            table[model] = means
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    parser.add_argument("--models", nargs="+", default=["vae", "identity", "pca"])
    args = parser.parse_args(argv)
    started, runs = time.perf_counter(), []
    print(f"{'table':22s} {'model':9s} {'seed':>4s} {'calibrate':>9s} {'detection':>9s} {'TSTR':>6s} {'TRTR':>6s}")
    for seed in args.seeds:
        for name, (frame, label) in tables(seed).items():
            for model in args.models:
                for calibrate in (False, True):
                    row = score(name, frame, label, None, seed, model=model, calibrate=calibrate)
                    runs.append({**row, "seed": seed})
                    print(
                        f"{name:22s} {model:9s} {seed:4d} {calibrate!s:>9s} {row['detection_auc']:9.3f} "
                        f"{row['tstr_accuracy']:6.3f} {row['trtr_accuracy']:6.3f}",
                        flush=True,
                    )
    out = {
        "benchmark": "calibration",
        "machine": {"platform": platform.platform(), "python": platform.python_version()},
        "seeds": args.seeds,
        "models": args.models,
        "note": "2-core VM, no GPU; fit seconds are wall time next to other jobs",
        "seconds": time.perf_counter() - started,
        "summary": summary(runs),
        "runs": runs,
    }
    RESULTS.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
