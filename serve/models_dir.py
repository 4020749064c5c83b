"""Model names → artifact directories, with no way out of the models directory.

A name is a single path component matching ``NAME_PATTERN`` (so no ``/``,
no leading dot, no ``..``); its directory, once symlinks are resolved, must
still be a direct child of the models directory. Anything else is treated
as "no such model" — the server never says which rule a probe broke.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from synth.artifacts import MODEL_JSON

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
_NAME = re.compile(NAME_PATTERN)


def model_dir(root: Path, name: str) -> Path | None:
    """The artifact directory of ``name`` inside ``root``, or None when there is none.
    ``root`` must already be resolved (``ServeArgs`` does it)."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        return None
    candidate = root / name
    try:
        real = candidate.resolve(strict=True)
    except (OSError, RuntimeError):  # missing, or a symlink loop
        return None
    if real.parent != root or not real.is_dir() or not (real / MODEL_JSON).is_file():
        return None
    return real


def model_names(root: Path) -> list[str]:
    """Every servable name in ``root``, sorted."""
    try:
        entries = sorted(p.name for p in root.iterdir())
    except OSError:
        return []
    return [name for name in entries if model_dir(root, name) is not None]


def model_summary(root: Path, name: str) -> dict | None:
    """What model.json says about a model without loading its weights (for the listing)."""
    path = model_dir(root, name)
    if path is None:
        return None
    try:
        meta = json.loads((path / MODEL_JSON).read_text())
        clusters = meta["clusters"]
        return {
            "name": name,
            "model": str(meta["model"]),
            "data_kind": str(meta["data_kind"]),
            "clusters": [str(c) for c in clusters["names"]],
            "partition": str(clusters.get("partition", "")),
        }
    except (OSError, ValueError, KeyError, TypeError):
        return {
            "name": name,
            "model": "unknown",
            "data_kind": "unknown",
            "clusters": [],
            "partition": "",
            "error": "model.json is unreadable",
        }
