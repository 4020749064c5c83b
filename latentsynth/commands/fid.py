"""latentsynth fid"""

from __future__ import annotations

import json
import sys

from latentsynth.commands.args import UsageError, non_negative_int, positive_int

SIDES = (
    "an image folder, a .npy/.npz image array, a statistics .npz (ours or pytorch-fid's), "
    "or model:ARTIFACT_DIR (samples --n images)"
)


def run(args) -> int:
    from synth.metrics.fid import fid_score

    if any(str(side).startswith("model:") for side in (args.real, args.gen)) and args.n is None:
        raise UsageError("a model:PATH side needs --n (how many images to generate)")
    options = dict(
        batch_size=args.batch_size,
        device=args.device,
        weights=args.weights,
        cache_dir=args.cache,
        n=args.n,
        seed=args.seed,
        method=args.method,
        recursive=args.recursive,
    )
    if args.workers > 1:
        from synth.distributed import fid_distributed

        result = fid_distributed(args.real, args.gen, workers=args.workers, **options)
    else:
        result = fid_score(args.real, args.gen, **options)
    if args.json:
        print(json.dumps({"real": args.real, "gen": args.gen, "workers": args.workers, **result.to_dict()}))
        return 0

    def count(n, cached):
        return f"{n if n is not None else '?'} images{' (cached statistics)' if cached else ''}"

    print(
        f"FID {result.fid:.6f}  real: {args.real}, {count(result.n_real, result.real_cached)}; "
        f"generated: {args.gen}, {count(result.n_gen, result.gen_cached)}; "
        f"{args.workers} worker(s), {result.seconds:.1f} s"
    )
    if result.note:
        print(f"note: {result.note}", file=sys.stderr)
    return 0


def register(sub) -> None:
    from synth.generate import METHODS

    p = sub.add_parser(
        "fid",
        help="Fréchet Inception Distance (pytorch-fid's numbers, streamed, optionally sharded over Ray workers)",
        description=f"FID between REAL and GEN; each is {SIDES}. Same value as "
        "`python -m pytorch_fid REAL GEN` on the same files, without holding the images or "
        "their features in memory.",
    )
    p.add_argument("real", metavar="REAL", help="reference images or statistics")
    p.add_argument("gen", metavar="GEN", help="generated images, statistics or model:ARTIFACT_DIR")
    p.add_argument(
        "--workers",
        type=positive_int,
        default=1,
        help="Ray actors to shard the images over (default 1: no Ray, this process)",
    )
    p.add_argument("--batch-size", type=positive_int, default=50, help="images per Inception batch (default 50)")
    p.add_argument("--device", help="cpu, cuda or cuda:N (default: cuda when available)")
    p.add_argument("--cache", metavar="DIR", help="cache folder/array statistics here, keyed by data and weights")
    p.add_argument("--n", type=positive_int, help="images to generate from a model:PATH side")
    p.add_argument("--seed", type=non_negative_int, default=0, help="sampling seed of a model side (default 0)")
    p.add_argument("--method", default="random", choices=list(METHODS), help="generation method of a model side")
    p.add_argument("--weights", help="Inception weights file (default: pytorch-fid's, in $TORCH_HOME/hub)")
    p.add_argument("--recursive", action="store_true", help="also read images in sub-folders")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.set_defaults(func=run)
