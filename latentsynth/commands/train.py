"""latentsynth train"""
from __future__ import annotations

from pathlib import Path

from latentsynth.commands.args import UsageError, add_model_options, fraction, model_options, positive_int


def run(args) -> int:
    from latentsynth.workflows import train_source
    out = Path(args.out)
    if out.exists() and any(out.iterdir()) and not args.force:
        raise UsageError(f"{out} already exists and is not empty; choose another --out or pass --force")
    callbacks = ()
    if args.fid_every:
        from synth.metrics.fid import InceptionExtractor
        from synth.metrics.fid_callback import FIDCallback
        extractor = InceptionExtractor(args.fid_weights)   # a missing weights file fails now, not after epochs
        callbacks = (FIDCallback(every=args.fid_every, n=args.fid_n, extractor=extractor),)
    syn, _ = train_source(args.data, label=args.label, unlabelled=args.unlabelled, holdout=args.holdout,
                          options=model_options(args), callbacks=callbacks)
    syn.save(out, overwrite=args.force)
    last = syn.history_[-1] if syn.history_ else {}
    print(f"trained {syn.config_.model} on {args.data}: {len(syn.history_)} epochs, "
          f"final loss {last.get('loss', float('nan')):.4g}, {len(syn.cluster_names_)} clusters "
          f"{syn.cluster_names_} → {out}")
    fids = [(h["epoch"], h["fid"]) for h in syn.history_ if "fid" in h]
    if fids:
        note = "" if callbacks[0].extractor.official else " (stand-in Inception weights: checks plumbing, not quality)"
        print("FID by epoch: " + ", ".join(f"{e}: {v:.4g}" for e, v in fids) + note)
    return 0


def register(sub) -> None:
    p = sub.add_parser("train", help="train a model on a data set and save the artifact directory")
    p.add_argument("--data", required=True, help="embedded name (iris, wine, breast_cancer, digits) or a CSV path")
    p.add_argument("--label", help="label column of a CSV (one cluster per label)")
    p.add_argument("--unlabelled", action="store_true", help="ignore labels; cluster the latent space instead")
    p.add_argument("--holdout", type=fraction, default=0.2,
                   help="share of rows held out for `evaluate` (default 0.2; 0 trains on every row)")
    p.add_argument("--out", required=True, help="artifact directory to create")
    p.add_argument("--force", action="store_true", help="replace an existing artifact directory")
    add_model_options(p)
    g = p.add_argument_group("FID over epochs (image data)")
    g.add_argument("--fid-every", type=positive_int, metavar="K",
                   help="every K epochs, log the FID of --fid-n decoded images against --fid-n training images "
                        "(history.csv column fid, plotted in history.png)")
    g.add_argument("--fid-n", type=positive_int, default=200, help="images per side for --fid-every (default 200)")
    g.add_argument("--fid-weights", help="Inception weights file (default: pytorch-fid's, in $TORCH_HOME/hub)")
    p.set_defaults(func=run)
