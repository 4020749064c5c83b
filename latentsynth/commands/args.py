"""Argument types and shared option groups of the command line."""

from __future__ import annotations

import argparse
import json


class UsageError(Exception):
    """A command-line mistake the parser could not catch (exit 2, one line)."""


def _checked(name: str, cast, ok, expected: str, bound: str):
    """An argparse ``type=``: ``cast`` the text, then require ``ok(value)``; messages name both."""

    def parse(text: str):
        try:
            value = cast(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if not ok(value):
            raise argparse.ArgumentTypeError(f"must be {bound}, got {value}")
        return value

    parse.__name__ = name
    return parse


positive_int = _checked("positive_int", int, lambda v: v >= 1, "a positive integer", "≥ 1")
non_negative_int = _checked("non_negative_int", int, lambda v: v >= 0, "an integer ≥ 0", "≥ 0")
fraction = _checked("fraction", float, lambda v: 0 <= v < 1, "a number in [0, 1)", "in [0, 1)")
non_negative_float = _checked("non_negative_float", float, lambda v: v >= 0, "a number ≥ 0", "≥ 0")


def image_size(text: str):
    """ "32" → 32, "32x48" → (32, 48) (H×W)."""
    try:
        parts = [int(p) for p in text.lower().replace("×", "x").split("x")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected SIZE or HxW, e.g. 64 or 32x48, got {text!r}") from None
    if len(parts) not in (1, 2) or min(parts) < 1:
        raise argparse.ArgumentTypeError(f"expected SIZE or HxW with positive sizes, got {text!r}")
    return parts[0] if len(parts) == 1 else tuple(parts)


def add_data_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("data sources (image folders, .npy/.npz, torchvision sets)")
    g.add_argument(
        "--root", help="folder holding the torchvision sets (mnist, fashion_mnist, cifar10, flowers102); default ./data"
    )
    g.add_argument("--download", action="store_true", help="let torchvision download the set into --root")
    g.add_argument(
        "--split",
        choices=["train", "test", "val"],
        default=None,
        help="torchvision split (default train; val exists for flowers102 only)",
    )
    g.add_argument(
        "--image-size",
        type=image_size,
        metavar="SIZE|HxW",
        help="bring images to this size (mixed-size folders default to their most common size, flowers102 to 64)",
    )


def data_options(args) -> dict:
    return {"root": args.root, "download": args.download, "split": args.split, "image_size": args.image_size}


def n_clusters(text: str):
    if text == "auto":
        return text
    return positive_int(text)


def parse_set(pairs: list[str]) -> dict:
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


def add_model_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("model and training")
    g.add_argument(
        "--model",
        default="vae",
        help="ae, vae (default), the closed-form baselines pca and identity "
        "(tables, images); dcgan, wgan-gp, cdcgan, cwgan-gp (images); double-ae (2-D records)",
    )
    g.add_argument(
        "--latent-dim",
        type=positive_int,
        help="latent size (default: a table's feature count up to "
        "16; 48 for labelled images, 16 for unlabelled ones; GAN noise: 100 DCGAN, 128 WGAN-GP)",
    )
    g.add_argument(
        "--epochs",
        type=positive_int,
        help="training epochs (tables: from the row count, 1000 up to 2,048 training rows; 300 for images; "
        "60 for GANs and the double autoencoder)",
    )
    g.add_argument("--batch-size", type=positive_int, help="default: tables from the row count (32 to 1024); images 64")
    g.add_argument("--lr", type=float)
    g.add_argument("--kl-schedule", choices=["constant", "linear", "sigmoid", "cyclical"])
    g.add_argument(
        "--beta-max",
        type=float,
        help="final KL weight (default: 1e-4 for images and continuous tables, 1e-2 for tables with categories "
        "or missing cells)",
    )
    g.add_argument("--warmup-epochs", type=non_negative_int, help="KL warm-up (default: tables a tenth of the epochs)")
    g.add_argument("--n-clusters", type=n_clusters, help="clusters for unlabelled data: an integer or 'auto'")
    g.add_argument("--seed", type=non_negative_int, default=0, help="random_state for every random step")
    g.add_argument(
        "--set",
        dest="extra",
        action="append",
        metavar="KEY=VALUE",
        help="any other config field, e.g. --set hidden=[32,16] --set q=0.9",
    )


def add_table_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("tables (docs/tables.md)")
    g.add_argument(
        "--na-values",
        action="append",
        metavar="TOKEN",
        help="extra token meaning 'missing' in numeric columns (repeatable; -999, N/A, NA, pending, L and "
        "empty cells are always)",
    )
    g.add_argument("--schema", metavar="FILE", help="JSON or YAML file mapping columns to kinds, overriding detection")
    g.add_argument(
        "--missing",
        choices=["model", "impute", "drop"],
        help="missing cells: model them (default), impute them, or drop their rows",
    )
    g.add_argument(
        "--allow-drop", action="store_true", help="let cleaning drop more than half of the rows (otherwise an error)"
    )


def table_options(args) -> dict:
    """SynthConfig fields of the table options (only those given)."""
    from synth.data.schema import read_schema_file
    from synth.data.tabular import DEFAULT_NA_TOKENS

    options = {}
    if getattr(args, "na_values", None):
        options["na_tokens"] = list(DEFAULT_NA_TOKENS) + [t for t in args.na_values if t not in DEFAULT_NA_TOKENS]
    if getattr(args, "schema", None):
        options["schema"] = read_schema_file(args.schema)
    if getattr(args, "missing", None):
        options["missing"] = args.missing
    if getattr(args, "allow_drop", False):
        options["allow_drop"] = True
    return options


def model_options(args) -> dict:
    options = {"model": args.model, "random_state": args.seed, **table_options(args)}
    for flag in ("latent_dim", "epochs", "batch_size", "lr", "kl_schedule", "beta_max", "warmup_epochs", "n_clusters"):
        if getattr(args, flag) is not None:
            options[flag] = getattr(args, flag)
    options.update(parse_set(args.extra))
    return options
