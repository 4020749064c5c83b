"""latentsynth benchmark"""

from __future__ import annotations

from pathlib import Path

from latentsynth.commands.args import UsageError, fraction, non_negative_int, parse_set, positive_int


def run(args) -> int:
    from latentsynth.benchmark import BenchmarkSpec, run_benchmark
    from latentsynth.benchmark_report import write_benchmark
    from synth.metrics.quality import SDMETRICS_MISSING, sdmetrics_available

    out = Path(args.out)
    names = [out / f for f in ("benchmark.json", "benchmark.md", "benchmark.png")]
    if any(p.exists() for p in names) and not args.force:
        raise UsageError(f"{out} already holds benchmark results; choose another --out or pass --force")
    if not args.test_size > 0:
        raise UsageError("--test-size must be in (0, 1): TSTR and DCR need held-out real rows")
    spec = BenchmarkSpec(
        datasets=args.data,
        models=args.models,
        methods=args.methods,
        seeds=args.seeds,
        label=args.label,
        test_size=args.test_size,
        gate=not args.no_gate,
        n=args.n,
        options=parse_set(args.extra),
    )
    if not sdmetrics_available():
        print(f"note: {SDMETRICS_MISSING}")
    result = run_benchmark(spec, log=print, panel_dir=out)
    paths = write_benchmark(result, out)
    print()
    print(paths["md"].read_text())
    print(f"wrote {paths['json']}, {paths['md']}, {paths['png']} ({result['seconds']:.0f} s)")
    return 0


def register(sub) -> None:
    from synth.generate import METHODS
    from synth.models import MODEL_KINDS

    p = sub.add_parser(
        "benchmark",
        help="score model kinds side by side (identity, pca, ae, vae …) on shared splits; writes benchmark.json/md/png",
    )
    p.add_argument(
        "--data",
        nargs="+",
        default=["iris", "wine", "breast_cancer", "digits"],
        help="embedded names (iris wine breast_cancer digits) or CSV paths (default: all four embedded)",
    )
    p.add_argument("--label", help="label column of the CSV data sets (without it they are clustered unlabelled)")
    p.add_argument("--models", nargs="+", default=["identity", "pca", "ae", "vae"], choices=sorted(MODEL_KINDS))
    p.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    p.add_argument(
        "--seeds",
        nargs="+",
        type=non_negative_int,
        default=[0, 1, 2],
        help="one split and one model per seed; mean ± std over them (default 0 1 2)",
    )
    p.add_argument("--test-size", type=fraction, default=0.3, help="real rows held out per split (default 0.3)")
    p.add_argument("--n", type=positive_int, help="samples per method (default: as many as real training rows)")
    p.add_argument("--no-gate", action="store_true", help="sample without the χ² accept/reject gate")
    p.add_argument(
        "--set",
        dest="extra",
        action="append",
        metavar="KEY=VALUE",
        help="a config field for every model, e.g. --set epochs=200",
    )
    p.add_argument("--out", default="benchmark-out", help="output directory (default benchmark-out)")
    p.add_argument("--force", action="store_true", help="replace existing results in --out")
    p.set_defaults(func=run)
