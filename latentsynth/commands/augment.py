"""latentsynth augment"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from latentsynth.commands.args import (
    UsageError,
    add_data_options,
    add_model_options,
    data_options,
    model_options,
    positive_int,
)


def run(args) -> int:
    from latentsynth.workflows import source_kind
    from synth.augmentation import augmentation_experiment, augmentation_markdown
    from synth.data.sources import load_source
    from synth.errors import DataError

    out = Path(args.out)
    if out.exists() and any(out.iterdir()) and not args.force:
        raise UsageError(f"{out} already exists and is not empty; choose another --out or pass --force")
    options = model_options(args)
    load = data_options(args)
    raw = load_source(
        args.data,
        label=args.label,
        kind=source_kind(options["model"]),
        download=load.pop("download"),
        **{k: v for k, v in load.items() if v is not None},
    )
    if raw.kind == "tabular" or raw.labels is None:
        raise DataError(
            f"{args.data} is not a labelled image or record set; the augmentation experiment "
            "compares classifiers per class"
        )
    log = (lambda text: print(text, file=sys.stderr)) if not args.quiet else None
    result = augmentation_experiment(
        raw.data,
        raw.labels,
        options=options,
        folds=args.folds,
        ratio=args.ratio,
        method=args.method,
        components=args.components,
        random_state=args.seed,
        log=log,
    )
    result["settings"]["data"] = args.data
    out.mkdir(parents=True, exist_ok=True)
    (out / "augmentation.json").write_text(json.dumps(result, indent=2))
    (out / "augmentation.md").write_text(augmentation_markdown(result))
    print(augmentation_markdown(result))
    print(f"augmentation.json and augmentation.md → {out}")
    return 0


def register(sub) -> None:
    from synth.generate import METHODS

    p = sub.add_parser(
        "augment",
        help="k-fold classifier accuracy with and without class-wise synthetic data (double-AE paper)",
    )
    p.add_argument("--data", required=True, help="a labelled image or 2-D record source (see `train --help`)")
    p.add_argument("--label", help="label key of a .npz")
    p.add_argument("--folds", type=positive_int, default=5)
    p.add_argument("--ratio", type=float, default=1.0, help="synthetic items per real item of each class (default 1)")
    p.add_argument("--method", default="random", choices=list(METHODS))
    p.add_argument(
        "--components", type=positive_int, default=22, help="PCA components (the double-autoencoder paper: 22)"
    )
    p.add_argument("--out", required=True, help="report directory")
    p.add_argument("--force", action="store_true")
    p.add_argument("--quiet", action="store_true", help="no per-fold progress lines")
    add_model_options(p)
    add_data_options(p)
    p.set_defaults(func=run)
