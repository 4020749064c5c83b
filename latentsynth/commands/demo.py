"""latentsynth demo"""

from __future__ import annotations

import sys
from pathlib import Path


def run(args) -> int:
    from latentsynth.demo import run_demo

    out = Path(args.out)
    run_demo(out, force=args.force, quick=args.quick, train_fn=None if args.no_ray else demo_train_fn(out))
    return 0


def demo_train_fn(out: Path):
    """Ray Train with one worker — the path a cluster job takes — when Ray is installed; checkpoints
    go to OUT/ray-runs. None (the plain loop) without Ray."""
    try:
        import ray  # noqa: F401

        from synth.distributed import ray_train_fn
    except ImportError:
        print("latentsynth demo: note: Ray is not installed; training in this process", file=sys.stderr)
        return None
    print("training through Ray Train (1 worker; Ray starts in ~20 s; --no-ray trains in this process)")
    return ray_train_fn(num_workers=1, storage_path=str(out.resolve() / "ray-runs"), checkpoint_every=50)


def register(sub) -> None:
    p = sub.add_parser("demo", help="run the whole method on embedded Iris and digits; writes demo-out/")
    p.add_argument("--out", default="demo-out", help="output directory (default demo-out)")
    p.add_argument("--force", action="store_true", help="replace an existing output directory")
    p.add_argument("--quick", action="store_true", help="a few epochs only (smoke test, numbers meaningless)")
    p.add_argument("--no-ray", action="store_true", help="train in this process instead of through Ray Train")
    p.set_defaults(func=run)
