"""The jobs behind the CLI and the demo: train from a data source (with a recorded
hold-out split), evaluate an artifact on the rows it never saw, write samples."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from synth.data.prepare import cleaning_options
from synth.data.sources import RawData, load_source
from synth.data.split import fingerprint, hash_holdout, holdout_split, row_fingerprint
from synth.data.tabular import clean_table
from synth.errors import ArtifactError, ConfigError, DataError
from synth.evaluate import RealData, evaluate
from synth.synthesizer import LatentSynthesizer


@dataclass
class FitInputs:
    X: pd.DataFrame | np.ndarray
    y: object  # column name, labels, or None
    true_labels: np.ndarray | None  # kept for ARI when fitting unlabelled


def fit_inputs(raw: RawData, *, unlabelled: bool = False) -> FitInputs:
    """What ``LatentSynthesizer.fit`` takes; ``unlabelled`` hides the labels from it."""
    if raw.kind == "tabular":
        if unlabelled and raw.label_column is not None:
            return FitInputs(raw.data.drop(columns=[raw.label_column]), None, raw.data[raw.label_column].to_numpy())
        return FitInputs(raw.data, raw.label_column, None)
    if unlabelled:
        return FitInputs(raw.data, None, raw.labels)
    return FitInputs(raw.data, raw.labels, None)


def source_kind(model: str) -> str | None:
    """ "record" when the model takes 2-D records only (array files are then read as records)."""
    from synth.models import get_model_kind

    return "record" if get_model_kind(model).data_kinds == ("record",) else None


def train_source(
    source: str,
    *,
    label: str | None = None,
    unlabelled: bool = False,
    holdout: float = 0.2,
    options: dict | None = None,
    train_fn=None,
    callbacks=(),
    raw: RawData | None = None,
    load_options: dict | None = None,
) -> tuple[LatentSynthesizer, dict]:
    """Fit on a data source minus a seeded hold-out. Returns (synthesizer, split record).
    ``load_options`` (root, download, image_size, split) go to ``load_source`` and are recorded
    so that ``evaluate`` reads the same data back."""
    options = dict(options or {})
    load = {k: v for k, v in (load_options or {}).items() if v not in (None, False)}
    load.pop("download", None)  # recorded data must already be on disk when evaluate reads it
    kind = source_kind(options.get("model", "vae"))
    if kind:
        load["kind"] = kind
    raw = raw or load_source(source, label=label, download=bool((load_options or {}).get("download")), **load)
    seed = options.get("random_state", 0)
    split = {
        "source": source,
        "label": label,
        "unlabelled": unlabelled,
        "holdout": holdout,
        "seed": seed,
        "fingerprint": fingerprint(raw),
        "load": load,
    }
    train = raw
    if holdout > 0:
        train, _ = holdout_split(raw, test_size=holdout, seed=seed if seed is not None else 0)
    inputs = fit_inputs(train, unlabelled=unlabelled)
    syn = LatentSynthesizer(**options).fit(inputs.X, inputs.y, train_fn=train_fn, callbacks=callbacks)
    syn.metrics_["split"] = split
    return syn, split


def train_dataset(
    source: str,
    *,
    label: str | None = None,
    unlabelled: bool = False,
    holdout: float = 0.2,
    options: dict | None = None,
    workers: int = 1,
    train_fn=None,
) -> tuple[LatentSynthesizer, dict]:
    """``train_source`` for a Parquet table read as a Ray Data dataset and fitted by streamed
    passes on ``workers`` Ray Train workers (``synth.distributed.fit_dataset``): no copy of the
    rows on the driver; the hold-out is a seeded hash of each row."""
    import logging

    import ray.data

    from synth.distributed.fit_dataset import fit_dataset
    from synth.distributed.streaming_fit import read_table

    logging.getLogger("ray.data").setLevel(logging.WARNING)  # a dozen INFO lines per pass otherwise
    ray.data.DataContext.get_current().enable_progress_bars = False
    syn = LatentSynthesizer(**dict(options or {}))
    return fit_dataset(
        syn,
        read_table(source),
        label=label,
        unlabelled=unlabelled,
        holdout=holdout,
        workers=workers,
        train_fn=train_fn,
        source=source,
    )


def real_data_for(syn: LatentSynthesizer, raw: RawData, split: dict) -> tuple[RealData, np.ndarray | None]:
    """The (train, test) real data of an artifact's recorded split, cleaned like training. For an
    unlabelled model the classes hidden from it ride along (``true_train``, ``true_test``) and
    come back second too (None for labelled models)."""
    streamed = split.get("rule") == "row-hash"  # a streamed fit: rows split by their hashes
    given = row_fingerprint(raw.data) if streamed and raw.kind == "tabular" else fingerprint(raw)
    if split.get("fingerprint") != given:
        raise DataError(
            f"the data given is not the data this model was trained on "
            f"(fingerprint {given} vs {split.get('fingerprint')})"
        )
    if not split.get("holdout"):
        raise ConfigError(
            "this model was trained on every row (no hold-out), so utility and privacy cannot be "
            "measured on unseen rows; retrain with --holdout 0.2"
        )
    seed = split["seed"] if split["seed"] is not None else 0
    divide = hash_holdout if streamed else holdout_split
    train, test = divide(raw, test_size=split["holdout"], seed=seed)
    cfg = syn.config_
    kinds = {c.name: c.kind for c in syn.transformer_.columns_} if raw.kind == "tabular" else None
    options = replace(cleaning_options(cfg), schema=kinds)  # the kinds the model was trained with
    parts = []
    for part, z_filter in ((train, cfg.outlier_z), (test, None)):
        inputs = fit_inputs(part, unlabelled=split.get("unlabelled", False))
        if raw.kind == "tabular":
            # unseen rows are never dropped for being unusual, nor for the share dropped
            part_options = replace(options, outlier_z=z_filter, allow_drop=True)
            frame, y, _ = clean_table(part.data, label=raw.label_column, options=part_options)
            parts.append((frame, None if y is None else y.to_numpy()))
        else:
            parts.append((inputs.X, part.labels))
    (X_train, y_train), (X_test, y_test) = parts
    if split.get("unlabelled"):  # the labels hidden from the model are known here: ARI, purity, TSTR
        return RealData(X_train, None, X_test, None, true_train=y_train, true_test=y_test), y_train
    return RealData(X_train, y_train, X_test, y_test), None


def evaluate_artifact(
    syn: LatentSynthesizer,
    raw: RawData,
    *,
    out_dir: str | Path | None,
    methods,
    n=None,
    random_state: int = 0,
    gate: bool = True,
) -> dict:
    split = syn.metrics_.get("split")
    if not split:
        raise ArtifactError("this artifact records no training split; it was not trained by `latentsynth train`")
    real, true = real_data_for(syn, raw, split)
    return evaluate(
        syn, real, methods=methods, n=n, random_state=random_state, gate=gate, out_dir=out_dir, y_true_clusters=true
    )


def write_samples(syn: LatentSynthesizer, samples, path: Path, fmt: str, *, force: bool = False) -> None:
    """csv/json for tables (with a label column), png grid / npz for images and 2-D records."""
    from synth.plots import image_grid_png

    if path.exists() and not force:
        raise ConfigError(f"{path} already exists; choose another --out or pass --force")
    path.parent.mkdir(parents=True, exist_ok=True)
    data, labels = samples.data, samples.labels
    key = "records" if syn.data_kind_ == "record" else "images"
    if isinstance(data, pd.DataFrame):
        if fmt not in ("csv", "json"):
            raise ConfigError(f"format {fmt!r} is for images; tables are written as csv or json")
        frame = data.assign(**{syn.label_name_ or "cluster": labels})
        path.write_text(frame.to_csv(index=False) if fmt == "csv" else frame.to_json(orient="records"))
        return
    if fmt == "png":
        path.write_bytes(image_grid_png(syn.transformer_.transform(data), labels=labels))
    elif fmt == "npz":
        np.savez(path, **{key: data}, labels=labels.astype(str), latents=samples.latents)
    elif fmt == "json":
        path.write_text(json.dumps({key: data.tolist(), "labels": labels.astype(str).tolist()}))
    else:
        raise ConfigError(f"format {fmt!r} is for tables; images are written as png, npz or json")
