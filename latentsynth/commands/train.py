"""latentsynth train"""
from __future__ import annotations

from pathlib import Path

from latentsynth.commands.args import (UsageError, add_data_options, add_model_options, data_options, fraction,
                                       model_options, positive_int)


def _summary(history: list[dict]) -> str:
    last = history[-1] if history else {}
    shown = [k for k in ("loss", "d_loss", "g_loss", "wasserstein", "record_mse") if k in last]
    return ", ".join(f"final {k} {last[k]:.4g}" for k in shown) or "no epochs run"


def run(args) -> int:
    from latentsynth.workflows import train_source
    out = Path(args.out)
    if out.exists() and any(out.iterdir()) and not args.force:
        raise UsageError(f"{out} already exists and is not empty; choose another --out or pass --force")
    callbacks = []
    if args.sample_every:
        from synth.sample_grid import SampleGrid
        sample_dir = Path(args.sample_dir or f"{out}-samples")
        callbacks.append(SampleGrid(sample_dir, every=args.sample_every, seed=args.seed))
    syn, _ = train_source(args.data, label=args.label, unlabelled=args.unlabelled, holdout=args.holdout,
                          options=model_options(args), load_options=data_options(args), callbacks=callbacks)
    syn.save(out, overwrite=args.force)
    print(f"trained {syn.config_.model} on {args.data}: {len(syn.history_)} epochs, {_summary(syn.history_)}, "
          f"{len(syn.cluster_names_)} clusters {syn.cluster_names_} → {out}")
    if callbacks:
        print(f"sample grids every {args.sample_every} epochs → {callbacks[0].out_dir}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("train", help="train a model on a data set and save the artifact directory")
    p.add_argument("--data", required=True,
                   help="embedded name (iris, wine, breast_cancer, digits), torchvision name (mnist, fashion_mnist, "
                        "cifar10, flowers102), a CSV file, an image folder (class sub-folders = labels), "
                        "or a .npy/.npz array (images; 2-D records N×H×W for --model double-ae)")
    p.add_argument("--label", help="label column of a CSV, or label key of a .npz (one cluster per label)")
    p.add_argument("--unlabelled", action="store_true", help="ignore labels; cluster the latent space instead")
    p.add_argument("--holdout", type=fraction, default=0.2,
                   help="share of rows held out for `evaluate` (default 0.2; 0 trains on every row)")
    p.add_argument("--out", required=True, help="artifact directory to create")
    p.add_argument("--force", action="store_true", help="replace an existing artifact directory")
    p.add_argument("--sample-every", type=positive_int, metavar="N",
                   help="write a PNG grid of samples every N epochs (images and records)")
    p.add_argument("--sample-dir", help="where the sample grids go (default OUT-samples)")
    add_model_options(p)
    add_data_options(p)
    p.set_defaults(func=run)
