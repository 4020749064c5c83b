"""Conditional sampling: rows/s, acceptance rate and decodes per returned row for conditions keeping
about 50 %, 10 %, 1 % and 0.2 % of the model's rows, three ways:

- ``steered``: ``generate(conditions=…)``: pilot-estimated cluster mixture, then steered proposals
  inside clusters that rarely pass;
- ``mixture``: the same with ``steer=False`` (cluster mixture, plain rejection inside clusters);
- ``reject``: plain accept/reject of decoded rows, as a filter after unconditional sampling does:
  unconditional batches of the model, kept where the condition holds, until n rows are found.

A VAE is fitted per embedded table (iris, wine; fixed recipe and seed). Each condition is an upper
tail ``column ≥ t`` with ``t`` the matching quantile of the column in a large unconditional sample
of the model, so the target share is the model's own; the share of real rows it keeps is reported
too. Each (table, share, mode) is run for ``--seeds`` seeds; the figures are their means. Writes
benchmarks/results/conditions.json and prints a table.

    python benchmarks/conditions.py [--n 200] [--seeds 0 1 2] [--epochs 300]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "conditions.json"
TABLES = {"iris": ("species", "petal_length"), "wine": ("cultivar", "flavanoids")}
KEEP = (0.5, 0.1, 0.01, 0.002)
MODES = ("steered", "mixture", "reject")


def fit(name: str, label: str, epochs: int):
    from synth.data.sources import load_embedded
    from synth.synthesizer import LatentSynthesizer

    frame = load_embedded(name).data
    syn = LatentSynthesizer(model="vae", epochs=epochs, random_state=0).fit(frame, y=label)
    return syn, frame


def reject(syn, n: int, conditions: dict, *, seed: int, batch: int = 4096, limit: int = 5_000_000) -> dict:
    """Unconditional batches filtered by the condition until ``n`` rows pass."""
    from synth.conditional import request_filter

    row_filter = request_filter(syn, conditions, None)
    t0, kept, decoded, i = time.perf_counter(), 0, 0, 0
    while kept < n and decoded < limit:
        out = syn.generate(batch, random_state=seed * 1_000_003 + i)
        kept += int(row_filter.mask(out.data).sum())
        decoded, i = decoded + batch, i + 1
    seconds = time.perf_counter() - t0
    returned = min(kept, n)
    return {
        "seconds": seconds,
        "rows_per_s": returned / seconds,
        "acceptance_rate": kept / decoded,
        "decodes_per_row": decoded / max(returned, 1),
        "draws_per_row": decoded / max(returned, 1),
        "share_met": returned / n,
        "steered_clusters": 0,
    }


def run(syn, n: int, conditions: dict, *, mode: str, seed: int) -> dict:
    if mode == "reject":
        return reject(syn, n, conditions, seed=seed)
    steer = mode == "steered"
    t0 = time.perf_counter()
    out = syn.generate(n, conditions=conditions, random_state=seed, steer=steer, max_tries=2_000_000)
    seconds = time.perf_counter() - t0
    r = out.report
    return {
        "seconds": seconds,
        "rows_per_s": r["returned"] / seconds,
        "acceptance_rate": r["acceptance_rate"],
        "decodes_per_row": r["decoded"] / max(r["returned"], 1),
        "draws_per_row": r["drawn"] / max(r["returned"], 1),
        "share_met": r["share_met"],
        "steered_clusters": sum(bool(s.get("steered")) for s in out.stats.values()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="rows per request")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--tables", nargs="+", default=list(TABLES), choices=list(TABLES))
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    rows = []
    for name in args.tables:
        label, column = TABLES[name]
        syn, frame = fit(name, label, args.epochs)
        model_rows = syn.generate(50_000, random_state=12345).data[column]
        for keep in KEEP:
            threshold = float(model_rows.quantile(1 - keep))
            conditions = {column: [threshold, None]}
            real_share = float((frame[column] >= threshold).mean())
            for mode in MODES:
                runs = [run(syn, args.n, conditions, mode=mode, seed=s) for s in args.seeds]
                mean = {k: statistics.fmean(r[k] for r in runs) for k in runs[0]}
                rows.append(
                    {
                        "table": name,
                        "condition": f"{column} ≥ {threshold:.4g}",
                        "target_share": keep,
                        "model_share": float((model_rows >= threshold).mean()),
                        "real_share": real_share,
                        "mode": mode,
                        **mean,
                    }
                )
                r = rows[-1]
                print(
                    f"{name:5} keep {keep:>5.1%} (real {real_share:6.1%}) {r['mode']:8} "
                    f"{r['rows_per_s']:10,.0f} rows/s  acceptance {r['acceptance_rate']:.4f}  "
                    f"{r['decodes_per_row']:8.1f} decodes/row  share met {r['share_met']:.3f}",
                    flush=True,
                )
    out = {
        "n": args.n,
        "seeds": args.seeds,
        "epochs": args.epochs,
        "results": rows,
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average": list(os.getloadavg()),
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
