"""The artifact directory: model.json + weights.pt + clusters.npz + history (docs/artifacts.md).

``save_synthesizer`` / ``load_synthesizer`` say what a fitted ``LatentSynthesizer`` puts
there and read it back; ``write_artifact`` / ``read_artifact`` are the directory itself.

Written to a temporary sibling directory and renamed into place, so a crash
never leaves half an artifact and an existing one is only replaced when the
caller says so. Read back with ``torch.load(weights_only=True)`` and
``np.load(allow_pickle=False)``: loading never unpickles anything.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from cluster.formats import format_problem
from synth.conditions import Constraint
from synth.config import SynthConfig
from synth.data.images import ImageTransformer
from synth.data.records import RecordTransformer
from synth.data.tabular import TabularTransformer
from synth.errors import ArtifactError
from synth.latent_clusters import LatentClusters
from synth.marginals import MarginalCalibration
from synth.models import get_model_kind, network_to_dict

FORMAT = "latentsynth-artifact"
FORMAT_VERSION = 1
MODEL_JSON, WEIGHTS, CLUSTERS, HISTORY = "model.json", "weights.pt", "clusters.npz", "history.csv"
TRANSFORMERS = {"tabular": TabularTransformer, "image": ImageTransformer, "record": RecordTransformer}


def write_artifact(
    path: str | Path,
    *,
    meta: dict,
    weights: dict,
    arrays: dict[str, np.ndarray],
    extra_files: dict[str, bytes] | None = None,
    overwrite: bool = False,
) -> Path:
    """Atomically write an artifact directory. ``weights``: {module name: state_dict}."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ArtifactError(f"{path} exists and is not a directory")
    if path.exists() and any(path.iterdir()) and not overwrite:
        raise ArtifactError(
            f"{path} already exists and is not empty; choose another directory "
            "or pass overwrite=True (--force on the command line)"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        meta = {"format": FORMAT, "format_version": FORMAT_VERSION, **meta}
        (staging / MODEL_JSON).write_text(json.dumps(meta, indent=2, default=_json_default))
        torch.save({k: {n: t.detach().cpu() for n, t in sd.items()} for k, sd in weights.items()}, staging / WEIGHTS)
        np.savez(staging / CLUSTERS, **arrays)
        for name, data in (extra_files or {}).items():
            (staging / name).write_bytes(data)
        if path.exists():
            backup = Path(tempfile.mkdtemp(prefix=f".{path.name}.old.", dir=path.parent))
            os.replace(path, backup / "old")
            os.replace(staging, path)
            shutil.rmtree(backup, ignore_errors=True)
        else:
            os.replace(staging, path)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return path


def read_artifact(path: str | Path) -> tuple[dict, dict, dict[str, np.ndarray]]:
    """(meta, weights, arrays) of an artifact directory; ArtifactError on anything wrong."""
    path = Path(path)
    if not path.is_dir():
        raise ArtifactError(f"{path} is not an artifact directory (it does not exist or is a file)")
    missing = [f for f in (MODEL_JSON, WEIGHTS, CLUSTERS) if not (path / f).is_file()]
    if missing:
        raise ArtifactError(f"{path} is not a latentsynth artifact: missing {missing}")
    try:
        meta = json.loads((path / MODEL_JSON).read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"{path / MODEL_JSON} is corrupt: {exc}") from None
    problem = format_problem(meta, FORMAT, FORMAT_VERSION, version_key="format_version")
    if problem == "format":
        raise ArtifactError(f"{path} holds a model.json that is not a latentsynth artifact")
    if problem == "version":
        raise ArtifactError(
            f"{path} has artifact format version {meta.get('format_version')!r}; "
            f"this latentsynth reads version {FORMAT_VERSION}"
        )
    try:
        weights = torch.load(path / WEIGHTS, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for corrupt or foreign files
        raise ArtifactError(f"{path / WEIGHTS} could not be loaded safely: {str(exc).splitlines()[0]}") from None
    if not isinstance(weights, dict):
        raise ArtifactError(f"{path / WEIGHTS} does not hold state dicts")
    try:
        with np.load(path / CLUSTERS, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except Exception as exc:
        raise ArtifactError(f"{path / CLUSTERS} is corrupt: {str(exc).splitlines()[0]}") from None
    return meta, weights, arrays


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (Path, tuple, set)):
        return str(value) if isinstance(value, Path) else list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def save_synthesizer(syn, path: str | Path, *, overwrite: bool = False) -> Path:
    """A fitted ``LatentSynthesizer`` as an artifact directory."""
    from synth import __version__
    from synth.plots import history_png

    meta = {
        "latentsynth_version": __version__,
        "data_kind": syn.data_kind_,
        "model": syn.config_.model,
        "config": syn.config_.to_dict(),
        "network": network_to_dict(syn.network_),
        "schema": syn.transformer_.to_dict(),
        "label": {"name": syn.label_name_, "dtype": syn.label_dtype_},
        "clusters": syn.clusters_.to_dict(),
        "constraints": [c.to_dict() for c in syn.constraints_],
        "cleaning": syn.cleaning_report_,
        "training": syn.train_summary_,
        "metrics": syn.metrics_,
    }
    extra = {HISTORY: pd.DataFrame(syn.history_).to_csv(index=False).encode()}
    if syn.history_:
        extra["history.png"] = history_png(syn.history_, title=f"{syn.config_.model} training")
    weights = {"model": syn.module_.state_dict()}
    arrays = syn.clusters_.to_arrays()
    if syn.calibration_ is not None:
        arrays.update(syn.calibration_.to_arrays())
    return write_artifact(path, meta=meta, weights=weights, arrays=arrays, extra_files=extra, overwrite=overwrite)


def load_synthesizer(cls, path: str | Path):
    """``cls`` (``LatentSynthesizer``) restored from an artifact directory."""
    meta, weights, arrays = read_artifact(path)
    try:
        config = SynthConfig.from_dict(meta["config"])
        syn = cls(**config.to_dict())
        syn.kind_ = get_model_kind(meta["model"])
        syn.config_, syn.data_kind_ = config, meta["data_kind"]
        syn.network_ = syn.kind_.network_from_dict(meta["network"])
        syn.module_ = syn.kind_.build(syn.network_)
        syn.module_.load_state_dict(weights["model"])
        syn.module_.eval()
        syn.transformer_ = TRANSFORMERS[syn.data_kind_].from_dict(meta["schema"])
        syn.label_name_, syn.label_dtype_ = meta["label"]["name"], meta["label"]["dtype"]
        syn.clusters_ = LatentClusters.from_saved(meta["clusters"], arrays)
        syn.calibration_ = MarginalCalibration.from_arrays(arrays)
        if syn.calibration_ is None and config.calibrate:  # saved before calibration existed
            syn.config_ = config = replace(config, calibrate=False)
        syn.constraints_ = [Constraint.from_dict(c) for c in meta.get("constraints", [])]
        syn.cleaning_report_, syn.train_summary_ = meta.get("cleaning", {}), meta.get("training", {})
        syn.metrics_ = meta.get("metrics", {})
        syn.history_ = _read_history(Path(path) / HISTORY)
    except ArtifactError:
        raise
    except (KeyError, TypeError, ValueError, RuntimeError, IndexError) as exc:
        raise ArtifactError(
            f"{path} is not a usable latentsynth artifact: {type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else exc!r}"
        ) from None
    return syn


def _read_history(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    try:
        return pd.read_csv(path).to_dict("records")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
        return []
