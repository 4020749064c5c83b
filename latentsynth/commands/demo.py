"""latentsynth demo"""
from __future__ import annotations

from pathlib import Path


def run(args) -> int:
    from latentsynth.demo import run_demo
    run_demo(Path(args.out), force=args.force, quick=args.quick)
    return 0


def register(sub) -> None:
    p = sub.add_parser("demo", help="run the whole method on embedded Iris and digits; writes demo-out/")
    p.add_argument("--out", default="demo-out", help="output directory (default demo-out)")
    p.add_argument("--force", action="store_true", help="replace an existing output directory")
    p.add_argument("--quick", action="store_true", help="a few epochs only (smoke test, numbers meaningless)")
    p.set_defaults(func=run)
