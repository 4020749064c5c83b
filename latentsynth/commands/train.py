"""latentsynth train"""

from __future__ import annotations

import argparse
from pathlib import Path

from latentsynth.commands.args import (
    UsageError,
    add_data_options,
    add_model_options,
    add_table_options,
    data_options,
    fraction,
    model_options,
    non_negative_float,
    non_negative_int,
    positive_int,
)

RAY_FLAGS = (
    "gpus_per_worker",
    "cpus_per_worker",
    "address",
    "run_dir",
    "storage_path",
    "max_failures",
    "checkpoint_every",
    "keep_checkpoints",
)


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
    if args.fid_every:
        from synth.metrics.fid import InceptionExtractor
        from synth.metrics.fid_callback import FIDCallback

        extractor = InceptionExtractor(args.fid_weights)  # a missing weights file fails now, not after epochs
        callbacks.append(FIDCallback(every=args.fid_every, n=args.fid_n, extractor=extractor))
    if args.sample_every:
        from synth.training.sample_grid import SampleGrid

        sample_dir = Path(args.sample_dir or f"{out}-samples")
        callbacks.append(SampleGrid(sample_dir, every=args.sample_every, seed=args.seed))
    train_fn = ray_train_fn_from_args(args)
    common = dict(label=args.label, unlabelled=args.unlabelled, holdout=args.holdout, options=model_options(args))
    if _streams(args, callbacks):
        from latentsynth.workflows import train_dataset

        syn, _ = train_dataset(args.data, **common, workers=args.workers, train_fn=train_fn)
    else:
        syn, _ = train_source(
            args.data, **common, load_options=data_options(args), train_fn=train_fn, callbacks=callbacks
        )
    syn.save(out, overwrite=args.force)
    if syn.data_kind_ == "tabular":
        from synth.data.tabular import summary_lines

        print("\n".join(summary_lines(syn.cleaning_report_)))
    print(
        f"trained {syn.config_.model} on {args.data}: {len(syn.history_)} epochs, {_summary(syn.history_)}, "
        f"{len(syn.cluster_names_)} clusters {syn.cluster_names_} → {out}"
    )
    if args.sample_every:
        print(f"sample grids every {args.sample_every} epochs → {callbacks[-1].out_dir}")
    fids = [(h["epoch"], h["fid"]) for h in syn.history_ if "fid" in h]
    if fids:
        note = "" if callbacks[0].extractor.official else " (stand-in Inception weights: checks plumbing, not quality)"
        print("FID by epoch: " + ", ".join(f"{e}: {v:.4g}" for e, v in fids) + note)
    ray_run = syn.train_summary_.get("ray_train")
    if ray_run:
        from synth.training.runs import upload_directory

        upload_directory(str(out), f"{ray_run['run_dir']}/artifact")
        print(
            f"Ray Train: {ray_run['workers']} worker(s) on {ray_run['device']}; checkpoints and a copy of the "
            f"artifact in {ray_run['run_dir']}"
        )
    return 0


def _streams(args, callbacks) -> bool:
    """Whether to fit by streamed passes over a Ray Data dataset: a Parquet table (file, folder,
    glob or URI) trained by Ray Train workers, unless --no-stream."""
    from synth.data.parquet import is_parquet_source
    from synth.distributed.fit_dataset import STREAM_MODELS

    if args.workers is None or args.no_stream or callbacks or not is_parquet_source(args.data):
        return False
    if args.model not in STREAM_MODELS:
        models = " or ".join(STREAM_MODELS)
        print(f"note: {args.model} trains on a copy of the table in memory; a streamed fit trains {models}")
        return False
    return True


def ray_train_fn_from_args(args):
    """None (the plain in-process loop) without --workers; else Ray Train's train_fn, after checking
    the cluster can be reached and can place the workers."""
    if args.workers is None:
        given = [f"--{f.replace('_', '-')}" for f in RAY_FLAGS if getattr(args, f) not in (None, False)]
        if given or args.resume:
            raise UsageError(
                f"{' '.join(given + (['--resume'] if args.resume else []))} need(s) --workers N "
                "(Ray Train); without --workers the model trains in this process"
            )
        return None
    if args.resume and not args.run_dir:
        raise UsageError("--resume needs --run-dir DIR: the run to continue")
    if args.run_dir and args.storage_path:
        raise UsageError("give --run-dir (one run's directory) or --storage-path (where new runs go), not both")
    from synth.distributed import check_resources, connect, ray_train_fn
    from synth.training.runs import split_run_dir

    storage, name = split_run_dir(args.run_dir) if args.run_dir else (args.storage_path, None)
    gpus = 0.0 if args.gpus_per_worker is None else args.gpus_per_worker
    cpus = 1.0 if args.cpus_per_worker is None else args.cpus_per_worker
    train_fn = ray_train_fn(
        num_workers=args.workers,
        gpus_per_worker=gpus,
        cpus_per_worker=cpus,
        storage_path=storage,
        run_name=name,
        checkpoint_every=args.checkpoint_every or 10,
        num_to_keep=args.keep_checkpoints or 2,
        max_failures=args.max_failures or 0,
        resume=args.resume,
        address=args.address,
    )  # checks the numbers first
    connect(args.address)
    check_resources(num_workers=args.workers, gpus_per_worker=gpus, cpus_per_worker=cpus)
    return train_fn


def add_ray_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("Ray Train (multi-worker, multi-GPU; see docs/ray-cluster.md)")
    g.add_argument(
        "--workers",
        type=positive_int,
        help="train with N Ray Train workers (DDP); without it the plain loop runs in this process",
    )
    g.add_argument("--gpus-per-worker", type=non_negative_float, help="GPUs per worker (default 0: CPU, gloo)")
    g.add_argument("--cpus-per-worker", type=non_negative_float, help="CPUs per worker (default 1)")
    g.add_argument(
        "--address", help="Ray cluster: auto, host:port or ray://host:port (default: RAY_ADDRESS, else a local Ray)"
    )
    g.add_argument(
        "--run-dir", help="this run's checkpoint directory (local path or URI); with --resume, the run to continue"
    )
    g.add_argument(
        "--storage-path",
        help="where new runs get their directory (local path or URI shared by all nodes; default ~/latentsynth-runs)",
    )
    g.add_argument("--resume", action="store_true", help="continue the run in --run-dir from its latest checkpoint")
    g.add_argument("--max-failures", type=non_negative_int, help="worker-group restarts after a failure (default 0)")
    g.add_argument("--checkpoint-every", type=positive_int, help="epochs between checkpoints (default 10)")
    g.add_argument("--keep-checkpoints", type=positive_int, help="checkpoints kept (default 2)")
    g.add_argument(
        "--no-stream",
        action="store_true",
        help="with --workers and a Parquet table: read it into memory here instead of streaming it "
        "to the workers through Ray Data",
    )


def register(sub) -> None:
    p = sub.add_parser("train", help="train a model on a data set and save the artifact directory")
    p.add_argument(
        "--data",
        required=True,
        help="embedded name (iris, wine, breast_cancer, digits), torchvision name (mnist, fashion_mnist, "
        "cifar10, flowers102), a CSV file, an image folder (class sub-folders = labels), "
        "or a .npy/.npz array (images; 2-D records N×H×W for --model double-ae)",
    )
    p.add_argument("--label", help="label column of a CSV, or label key of a .npz (one cluster per label)")
    p.add_argument("--unlabelled", action="store_true", help="ignore labels; cluster the latent space instead")
    p.add_argument(
        "--holdout",
        type=fraction,
        default=0.2,
        help="share of rows held out for `evaluate` (default 0.2; 0 trains on every row)",
    )
    p.add_argument("--out", required=True, help="artifact directory to create")
    p.add_argument("--force", action="store_true", help="replace an existing artifact directory")
    p.add_argument(
        "--sample-every",
        type=positive_int,
        metavar="N",
        help="write a PNG grid of samples every N epochs (images and records)",
    )
    p.add_argument("--sample-dir", help="where the sample grids go (default OUT-samples)")
    add_model_options(p)
    add_table_options(p)
    add_data_options(p)
    add_ray_options(p)
    g = p.add_argument_group("FID over epochs (image data)")
    g.add_argument(
        "--fid-every",
        type=positive_int,
        metavar="K",
        help="every K epochs, log the FID of --fid-n decoded images against --fid-n training images "
        "(history.csv column fid, plotted in history.png)",
    )
    g.add_argument("--fid-n", type=positive_int, default=200, help="images per side for --fid-every (default 200)")
    g.add_argument("--fid-weights", help="Inception weights file (default: pytorch-fid's, in $TORCH_HOME/hub)")
    p.set_defaults(func=run)
