"""``latentsynth`` command line. Every command has --help; user errors print one
line and exit 2 (exit 1 for an unexpected failure, with --debug for the traceback)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

EXIT_USAGE, EXIT_FAILURE = 2, 1


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be ≥ 1, got {value}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer ≥ 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be ≥ 0, got {value}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {text!r}") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {value}")
    return value


def _n_clusters(text: str):
    if text == "auto":
        return text
    return _positive_int(text)


def _parse_set(pairs: list[str]) -> dict:
    """--set key=value: value parsed as JSON when it can be (numbers, lists, null), else text."""
    out = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise argparse.ArgumentTypeError(f"--set expects key=value, got {pair!r}")
        key, value = pair.split("=", 1)
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out


def _add_model_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("model and training")
    g.add_argument("--model", default="vae", help="latent learner: ae, vae (default) …")
    g.add_argument("--latent-dim", type=_positive_int, help="latent size (default 5 for tables, 16 for images)")
    g.add_argument("--epochs", type=_positive_int, help="training epochs (default 300 for tables, 60 for images)")
    g.add_argument("--batch-size", type=_positive_int)
    g.add_argument("--lr", type=float)
    g.add_argument("--kl-schedule", choices=["constant", "linear", "sigmoid", "cyclical"])
    g.add_argument("--beta-max", type=float, help="final KL weight (seed 001: 0.01)")
    g.add_argument("--warmup-epochs", type=_non_negative_int)
    g.add_argument("--n-clusters", type=_n_clusters, help="clusters for unlabelled data: an integer or 'auto'")
    g.add_argument("--seed", type=_non_negative_int, default=0, help="random_state for every random step")
    g.add_argument("--set", dest="extra", action="append", metavar="KEY=VALUE",
                   help="any other config field, e.g. --set hidden=[32,16] --set q=0.9")


def _model_options(args) -> dict:
    options = {"model": args.model, "random_state": args.seed}
    for flag in ("latent_dim", "epochs", "batch_size", "lr", "kl_schedule", "beta_max", "warmup_epochs",
                 "n_clusters"):
        if getattr(args, flag) is not None:
            options[flag] = getattr(args, flag)
    options.update(_parse_set(args.extra))
    return options


# ---------------------------------------------------------------- commands
def cmd_demo(args) -> int:
    from latentsynth.demo import run_demo
    run_demo(Path(args.out), force=args.force, quick=args.quick)
    return 0


def cmd_train(args) -> int:
    from latentsynth.workflows import train_source
    out = Path(args.out)
    if out.exists() and any(out.iterdir()) and not args.force:
        raise _usage(f"{out} already exists and is not empty; choose another --out or pass --force")
    syn, split = train_source(args.data, label=args.label, unlabelled=args.unlabelled, holdout=args.holdout,
                              options=_model_options(args))
    syn.save(out, overwrite=args.force)
    last = syn.history_[-1] if syn.history_ else {}
    print(f"trained {syn.config_.model} on {args.data}: {len(syn.history_)} epochs, "
          f"final loss {last.get('loss', float('nan')):.4g}, {len(syn.cluster_names_)} clusters "
          f"{syn.cluster_names_} → {out}")
    return 0


def cmd_generate(args) -> int:
    from latentsynth.workflows import write_samples
    from synth.synthesizer import LatentSynthesizer
    syn = LatentSynthesizer.load(args.artifact)
    fmt = args.format or ("csv" if syn.data_kind_ == "tabular" else "png")
    samples = syn.generate(args.n, cluster=args.cluster, method=args.method, random_state=args.seed,
                           accept_reject=args.accept_reject, back_project=args.back_project, q=args.q)
    if args.out is None:
        if fmt not in ("csv", "json") or syn.data_kind_ != "tabular":
            raise _usage(f"format {fmt} needs --out FILE")
        frame = samples.data.assign(**{syn.label_name_ or "cluster": samples.labels})
        sys.stdout.write(frame.to_csv(index=False) if fmt == "csv" else frame.to_json(orient="records") + "\n")
        return 0
    write_samples(syn, samples, Path(args.out), fmt, force=args.force)
    rate = {k: round(v["acceptance_rate"], 3) for k, v in samples.stats.items()}
    print(f"wrote {args.n} samples ({args.method}) to {args.out}; acceptance rate per cluster {rate}")
    return 0


def cmd_evaluate(args) -> int:
    from latentsynth.workflows import evaluate_artifact
    from synth.data.sources import load_source
    from synth.evaluate import report_markdown
    from synth.synthesizer import LatentSynthesizer
    syn = LatentSynthesizer.load(args.artifact)
    split = syn.metrics_.get("split", {})
    out = Path(args.out)
    if out.exists() and any(out.iterdir()) and not args.force:
        raise _usage(f"{out} already exists and is not empty; choose another --out or pass --force")
    raw = load_source(args.data or split.get("source", ""), label=args.label or split.get("label"))
    report = evaluate_artifact(syn, raw, out_dir=out, methods=args.methods, n=args.n, random_state=args.seed,
                               gate=not args.no_gate)
    print(report_markdown(report))
    print(f"report.json, report.md and plots → {out}")
    return 0


class _UsageError(Exception):
    pass


def _usage(message: str) -> _UsageError:
    return _UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    from synth.generate import METHODS
    parser = argparse.ArgumentParser(prog="latentsynth", description="Synthetic data from cluster-specific "
                                     "Gaussian models of a learned latent space.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("demo", help="run the whole method on embedded Iris and digits; writes demo-out/")
    p.add_argument("--out", default="demo-out", help="output directory (default demo-out)")
    p.add_argument("--force", action="store_true", help="replace an existing output directory")
    p.add_argument("--quick", action="store_true", help="a few epochs only (smoke test, numbers meaningless)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("train", help="train a model on a data set and save the artifact directory")
    p.add_argument("--data", required=True, help="embedded name (iris, wine, breast_cancer, digits) or a CSV path")
    p.add_argument("--label", help="label column of a CSV (one cluster per label)")
    p.add_argument("--unlabelled", action="store_true", help="ignore labels; cluster the latent space instead")
    p.add_argument("--holdout", type=_fraction, default=0.2,
                   help="share of rows held out for `evaluate` (default 0.2; 0 trains on every row)")
    p.add_argument("--out", required=True, help="artifact directory to create")
    p.add_argument("--force", action="store_true", help="replace an existing artifact directory")
    _add_model_options(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("generate", help="sample from a saved model")
    p.add_argument("artifact", help="artifact directory written by `latentsynth train`")
    p.add_argument("--n", type=_positive_int, default=100, help="number of samples (default 100)")
    p.add_argument("--cluster", help="cluster name (default: all clusters, in proportion to their sizes)")
    p.add_argument("--method", default="random", choices=list(METHODS))
    p.add_argument("--seed", type=_non_negative_int, default=0)
    p.add_argument("--accept-reject", action="store_true", help="keep only samples inside the χ² region")
    p.add_argument("--back-project", action="store_true",
                   help="keep only samples whose decoded-then-re-encoded latent stays in the cluster")
    p.add_argument("--q", type=float, help="χ² quantile of the gate (default: the model's, 0.95)")
    p.add_argument("--format", choices=["csv", "json", "png", "npz"],
                   help="csv/json for tables (default csv), png/npz for images (default png)")
    p.add_argument("--out", help="output file (tables default to stdout)")
    p.add_argument("--force", action="store_true", help="replace an existing output file")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("evaluate", help="score a saved model on its held-out rows; writes report.json/md + plots")
    p.add_argument("artifact")
    p.add_argument("--data", help="the data it was trained on (default: the source recorded in the artifact)")
    p.add_argument("--label")
    p.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    p.add_argument("--n", type=_positive_int, help="samples per method (default: as many as training rows)")
    p.add_argument("--seed", type=_non_negative_int, default=0)
    p.add_argument("--no-gate", action="store_true", help="evaluate without the χ² accept/reject gate")
    p.add_argument("--out", required=True, help="report directory")
    p.add_argument("--force", action="store_true")
    p.set_defaults(func=cmd_evaluate)
    return parser


def main(argv: list[str] | None = None) -> int:
    from synth.errors import LatentSynthError
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from synth import __version__
        print(f"latentsynth {__version__}")
        return 0
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    import warnings

    def _note(message, category, filename, lineno, file=None, line=None):
        print(f"latentsynth {args.command}: note: {message}", file=sys.stderr)

    warnings.showwarning = _note
    try:
        return args.func(args)
    except (LatentSynthError, _UsageError) as exc:
        print(f"latentsynth {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"latentsynth {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not bad input: still no traceback unless asked
        if args.debug:
            raise
        print(f"latentsynth {args.command}: unexpected error: {type(exc).__name__}: {exc} "
              "(rerun with --debug for the traceback)", file=sys.stderr)
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
