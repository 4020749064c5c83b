"""``latentsynth`` command line. Every command has --help; user errors print one
line and exit 2 (exit 1 for an unexpected failure, with --debug for the traceback).

Each sub-command is a module of ``latentsynth.commands`` with ``register(sub)``;
``COMMANDS`` gives their order in --help.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings

EXIT_USAGE, EXIT_FAILURE = 2, 1
COMMANDS = ("demo", "inspect", "train", "generate", "evaluate", "augment", "fid", "benchmark", "tune", "serve")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="latentsynth",
        description="Synthetic data from cluster-specific Gaussian models of a learned latent space.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"latentsynth.commands.{name.replace('-', '_')}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from latentsynth.commands.args import UsageError
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

    def note(message, category, filename, lineno, file=None, line=None):
        print(f"latentsynth {args.command}: note: {message}", file=sys.stderr)

    warnings.showwarning = note
    try:
        return args.func(args)
    except (LatentSynthError, UsageError) as exc:
        print(f"latentsynth {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as exc:
        print(f"latentsynth {args.command}: interrupted{f': {exc}' if str(exc) else ''}", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not bad input: still no traceback unless asked
        if args.debug:
            raise
        print(
            f"latentsynth {args.command}: unexpected error: {type(exc).__name__}: {exc} "
            "(rerun with --debug for the traceback)",
            file=sys.stderr,
        )
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
