"""latentsynth evaluate"""

from __future__ import annotations

from pathlib import Path

from latentsynth.commands.args import UsageError, add_data_options, non_negative_int, positive_int


def run(args) -> int:
    from latentsynth.workflows import evaluate_artifact
    from synth.data.sources import load_source
    from synth.evaluate import report_markdown
    from synth.synthesizer import LatentSynthesizer

    syn = LatentSynthesizer.load(args.artifact)
    split = syn.metrics_.get("split", {})
    out = Path(args.out)
    if out.exists() and any(out.iterdir()) and not args.force:
        raise UsageError(f"{out} already exists and is not empty; choose another --out or pass --force")
    load = dict(split.get("load", {}))
    load.update(
        {
            k: v
            for k, v in (("root", args.root), ("split", args.split), ("image_size", args.image_size))
            if v is not None
        }
    )
    raw = load_source(
        args.data or split.get("source", ""), label=args.label or split.get("label"), download=args.download, **load
    )
    report = evaluate_artifact(
        syn, raw, out_dir=out, methods=args.methods, n=args.n, random_state=args.seed, gate=not args.no_gate
    )
    print(report_markdown(report))
    print(f"report.json, report.md and plots → {out}")
    return 0


def register(sub) -> None:
    from synth.generate import METHODS

    p = sub.add_parser("evaluate", help="score a saved model on its held-out rows; writes report.json/md + plots")
    p.add_argument("artifact")
    p.add_argument("--data", help="the data it was trained on (default: the source recorded in the artifact)")
    p.add_argument("--label")
    p.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    p.add_argument("--n", type=positive_int, help="samples per method (default: as many as training rows)")
    p.add_argument("--seed", type=non_negative_int, default=0)
    p.add_argument("--no-gate", action="store_true", help="evaluate without the χ² accept/reject gate")
    p.add_argument("--out", required=True, help="report directory")
    p.add_argument("--force", action="store_true")
    add_data_options(p)
    p.set_defaults(func=run)
