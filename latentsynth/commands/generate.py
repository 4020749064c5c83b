"""latentsynth generate"""

from __future__ import annotations

import sys
from pathlib import Path

from latentsynth.commands.args import UsageError, non_negative_int, positive_int
from latentsynth.commands.conditions import add_condition_options, describe_report, request_from_args


def run(args) -> int:
    from latentsynth.commands.generate_chunked import run_chunked, wants_chunks
    from latentsynth.workflows import write_samples
    from synth.errors import ConfigError
    from synth.synthesizer import LatentSynthesizer

    syn = LatentSynthesizer.load(args.artifact)
    if wants_chunks(args):
        conditions, constraints = request_from_args(args, syn)
        options = {"cluster": args.cluster, "method": args.method, "accept_reject": args.accept_reject}
        options |= {"back_project": args.back_project, "q": args.q}
        if conditions or constraints:
            options |= {"conditions": conditions, "constraints": constraints, "steer": not args.no_steer}
            options |= {"max_tries": args.max_tries, "time_budget_s": args.time_budget}
        return run_chunked(args, options)
    fmt = args.format or ("csv" if syn.data_kind_ == "tabular" else "png")
    if args.out is None and (fmt not in ("csv", "json") or syn.data_kind_ != "tabular"):
        raise UsageError(f"format {fmt} needs --out FILE")
    if args.provenance and Path(args.provenance).exists() and not args.force:
        raise ConfigError(f"{args.provenance} already exists; choose another --provenance or pass --force")
    conditions, constraints = request_from_args(args, syn)
    samples = syn.generate(
        args.n,
        cluster=args.cluster,
        method=args.method,
        random_state=args.seed,
        accept_reject=args.accept_reject,
        back_project=args.back_project,
        q=args.q,
        conditions=conditions,
        constraints=constraints,
        max_tries=args.max_tries,
        time_budget_s=args.time_budget,
        steer=not args.no_steer,
    )
    if args.provenance:
        Path(args.provenance).parent.mkdir(parents=True, exist_ok=True)
        samples.provenance.to_csv(args.provenance, index=False)
    if args.out is None:
        frame = samples.data.assign(**{syn.label_name_ or "cluster": samples.labels})
        sys.stdout.write(frame.to_csv(index=False) if fmt == "csv" else frame.to_json(orient="records") + "\n")
        if samples.report is not None:  # stdout carries the rows
            print(f"latentsynth generate: {describe_report(samples.report)}", file=sys.stderr)
        return 0
    write_samples(syn, samples, Path(args.out), fmt, force=args.force)
    rate = {k: round(v["acceptance_rate"], 3) for k, v in samples.stats.items()}
    print(f"wrote {len(samples.labels)} samples ({args.method}) to {args.out}; acceptance rate per cluster {rate}")
    if samples.report is not None:
        print(describe_report(samples.report))
    return 0


def register(sub) -> None:
    from latentsynth.commands.generate_chunked import register_options
    from synth.generate import METHODS

    p = sub.add_parser("generate", help="sample from a saved model")
    p.add_argument("artifact", help="artifact directory written by `latentsynth train`")
    p.add_argument("--n", type=positive_int, default=100, help="number of samples (default 100)")
    p.add_argument("--cluster", help="cluster name (default: all clusters, in proportion to their sizes)")
    p.add_argument("--method", default="random", choices=list(METHODS))
    p.add_argument("--seed", type=non_negative_int, default=0)
    p.add_argument("--accept-reject", action="store_true", help="keep only samples inside the χ² region")
    p.add_argument(
        "--back-project",
        action="store_true",
        help="keep only samples whose decoded-then-re-encoded latent stays in the cluster",
    )
    p.add_argument("--q", type=float, help="χ² quantile of the gate (default: the model's, 0.95)")
    p.add_argument(
        "--format",
        choices=["csv", "json", "parquet", "png", "npz"],
        help="csv/json for tables (default csv; parquet is chunked, see below), png/npz for images (default png)",
    )
    p.add_argument("--out", help="output file (tables default to stdout); a directory for chunked output")
    p.add_argument(
        "--provenance",
        metavar="FILE.csv",
        help="also write each sample's provenance (cluster, seed, d2, accepted, conditions, tries, …)",
    )
    p.add_argument("--force", action="store_true", help="replace existing output files")
    add_condition_options(p)
    register_options(p)
    p.set_defaults(func=run)
