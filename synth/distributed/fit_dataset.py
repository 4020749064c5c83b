"""``fit_dataset``: a table model fitted from a Ray Data dataset without the rows ever sitting
on the driver. Every step is a streamed pass whose tasks return statistics only:

1. a plan pass: rows in, rows without a label, the labels seen, the rows a seeded hash holds
   out (``synth.data.split.row_units``) and the fingerprint ``evaluate`` checks;
2. the column transform from mergeable statistics (``synth.distributed.streaming_fit``) of
   the training rows;
3. a count of each Ray Train rank's training and validation rows (again by a seeded hash);
4. training: rank r reads its rows with ``ray.train.get_dataset_shard`` (``shards``);
5. per-cluster Gaussians from sums n, Σz, Σzzᵀ of every training row's latent (the merge law
   of FID's statistics), with the missing rates per cluster.

A seeded sample of ``sample_rows`` rows (all rows of a smaller table) gives the column kinds
(then checked on all rows), the shift that keeps the latent sums well conditioned, the anchors
that ``morph``/``crossover`` mix and, without labels, the polarized clustering, whose tree then
assigns every row. Model: the tabular autoencoders (``ae``, ``vae``); the cluster model is that
of Feyiz & Ozkazanc (doi 10.1109/access.2026.3692685).
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import torch

from cluster import PolarizedHierarchical
from synth.data.prepare import cleaning_options, native_values
from synth.data.schema import blank_mask
from synth.data.split import (
    HOLDOUT_SALT,
    ORDER_SALT,
    RANK_SALT,
    VAL_SALT,
    hash_sums,
    row_hashes,
    row_units,
    rows_digest,
)
from synth.data.stream_fit import SAMPLE_ROWS, clean_block, missing_columns
from synth.distributed.shards import StreamedRows
from synth.distributed.streaming_fit import block_results, fit_transformer_ray, merge_sums, sample_frame, sums_json
from synth.errors import ConfigError, DataError
from synth.latent_clusters import LatentClusters, assemble_clusters, label_partition
from synth.latent_moments import ClusterMoments
from synth.marginals import calibrate_synthesizer
from synth.models import get_model_kind
from synth.sampling import fresh_seed
from synth.training.budget import loop_config

STREAM_MODELS = ("ae", "vae")


def _units(raw, seed: int, salt: int) -> np.ndarray:
    return row_units(raw, 4 * seed + salt)


def _labelled(raw, label):
    """The rows that keep a label (``clean_table`` leaves the others out) and that mask."""
    if label is None:
        return raw, np.ones(len(raw), bool)
    keep = ~np.asarray(blank_mask(raw[label]))
    return raw.loc[keep].reset_index(drop=True), keep


def _plan_block(raw, *, label, holdout: float, seed: int) -> dict:
    held = _units(raw, seed, HOLDOUT_SALT) < holdout if holdout > 0 else np.zeros(len(raw), bool)
    out = {"rows": len(raw), "held": int(held.sum()), "hash": hash_sums(row_hashes(raw))}
    out["columns"] = list(map(str, raw.columns))
    if label is not None:
        if label not in raw.columns:
            raise DataError(f"label column {label!r} not found; the columns are {list(raw.columns)}")
        blank = np.asarray(blank_mask(raw[label]))
        values = raw[label][~blank & ~held]
        out["no_label"] = int((blank & ~held).sum())
        out["labels"] = {json.dumps(v): int(c) for v, c in zip(*np.unique(native_values(values), return_counts=True))}
    return out


def _split_block(raw, *, label, seed: int, val_fraction: float, workers: int):
    """(labelled rows, rank of each, validation mask): the hashes decide, so a row's place
    does not depend on its block."""
    rows, _ = _labelled(raw, label)
    rank = np.minimum((_units(rows, seed, RANK_SALT) * workers).astype(np.int64), workers - 1)
    val = _units(rows, seed, VAL_SALT) < val_fraction if val_fraction > 0 else np.zeros(len(rows), bool)
    return rows, rank, val


def _numpy_results(ds, fn) -> list:
    """fn(block as a dict of numpy arrays) → one JSON-able result per block."""
    out = ds.map_batches(lambda b: {"json": np.array([json.dumps(fn(b))])}, batch_format="numpy", batch_size=None)
    return [json.loads(row["json"]) for row in out.iter_rows()]


def _filter(ds, keep_fn):
    """Rows of ``ds`` where ``keep_fn(pandas block)`` is True, kept as Arrow (types unchanged)."""
    return ds.map_batches(
        lambda t: t.filter(pa.array(keep_fn(t.to_pandas()), pa.bool_())), batch_format="pyarrow", batch_size=None
    )


def fit_dataset(
    syn,
    ds,
    *,
    label: str | None = None,
    unlabelled: bool = False,
    holdout: float = 0.0,
    workers: int = 1,
    train_fn=None,
    sample_rows: int = SAMPLE_ROWS,
    callbacks=(),
    source: str | None = None,
):
    """Fit ``syn`` (a ``LatentSynthesizer``, unfitted) on the Ray Data dataset ``ds`` with
    ``workers`` Ray Train workers (``train_fn``: a ``ray_train_fn`` for as many workers, to set
    storage, resources or a cluster; default ``ray_train_fn(num_workers=workers)``). ``holdout``:
    the share of rows a seeded hash keeps out for ``evaluate``; ``unlabelled``: the ``label``
    column is left out and the latent space clustered. Returns (syn, split)."""
    from synth.distributed.train import ray_train_fn

    cfg = syn.config
    if cfg.model not in STREAM_MODELS:
        raise ConfigError(f"a streamed fit trains {' or '.join(STREAM_MODELS)}, not {cfg.model!r}")
    if cfg.constraints:
        raise ConfigError(
            "constraints are learned from the whole table in memory; a streamed fit takes none (--no-stream)"
        )
    if not 0 <= holdout < 1:
        raise ConfigError(f"holdout must be in [0, 1), got {holdout}")
    kind = get_model_kind(cfg.model)
    seed = cfg.random_state if cfg.random_state is not None else fresh_seed()
    clean = cleaning_options(cfg)

    # 1. plan: rows, labels, hold-out, fingerprint (the in-memory one: sha256 of the row hashes)
    plan = block_results(ds, lambda b: _plan_block(b, label=None if unlabelled else label, holdout=holdout, seed=seed))
    digest = rows_digest([p["hash"] for p in plan], plan[0]["columns"])
    rows_in = sum(p["rows"] for p in plan)
    held = sum(p["held"] for p in plan)
    train_raw = _filter(ds, lambda b: _units(b, seed, HOLDOUT_SALT) >= holdout) if holdout > 0 else ds
    split_label, label = label, (None if unlabelled else label)
    if unlabelled and split_label is not None:
        train_raw = train_raw.drop_columns([split_label])
    labels = None
    if label is not None:
        counts: dict = {}
        for part in plan:
            for key, c in part["labels"].items():
                counts[key] = counts.get(key, 0) + c
        small = {json.loads(k): c for k, c in counts.items() if c < 2}
        if small:
            raise DataError(f"clusters need at least 2 rows after cleaning; these labels have fewer: {small}")
        partition = label_partition(np.array([json.loads(k) for k in counts], dtype=object))
        labels = list(partition.classes_)

    # 2. the column transform, and the seeded sample
    transformer, stats, schema, _ = fit_transformer_ray(
        train_raw, label=label, options=clean, sample_rows=sample_rows, seed=seed
    )
    sample = sample_frame(train_raw, sample_rows=sample_rows, seed=seed)
    frame_s, y_s = clean_block(sample, schema, label=label, options=clean)
    X_s = transformer.transform(frame_s)
    rows_used = int(stats["rows"])
    cfg = cfg.resolve(
        "tabular",
        seed=seed,
        defaults=kind.defaults(cfg),
        n_features=int(X_s.shape[1]),
        labelled=label is not None,
        n_rows=rows_used,
        discrete_features=transformer.n_discrete_,
    )
    syn.kind_, syn.data_kind_, syn.transformer_ = kind, "tabular", transformer
    syn.label_name_ = label
    syn.label_dtype_ = str(sample[label].dtype) if label is not None else None
    cfg = syn.build_network(kind, cfg, X_s.shape[1:], n_classes=len(labels or ()), seed=seed)

    # 3. each rank's rows
    val_fraction = cfg.val_fraction

    def counts_of(b):
        _, rank, val = _split_block(b, label=label, seed=seed, val_fraction=val_fraction, workers=workers)
        return {
            "train": np.bincount(rank[~val], minlength=workers).tolist(),
            "val": np.bincount(rank[val], minlength=workers).tolist(),
        }

    parts = block_results(train_raw, counts_of)
    train_counts = np.sum([p["train"] for p in parts], axis=0).astype(int).tolist()
    val_counts = np.sum([p["val"] for p in parts], axis=0).astype(int).tolist()
    if min(train_counts) == 0:
        raise DataError(f"{rows_used} rows are too few for {workers} workers (a worker would get none)")
    if min(val_counts) == 0:  # every rank must log a validation loss, or none: the rows train
        val_fraction, train_counts, val_counts = 0.0, [t + v for t, v in zip(train_counts, val_counts)], None

    missing = tuple(missing_columns(stats)) if cfg.missing == "model" else ()
    index = {json.dumps(v): k for k, v in enumerate(labels)} if labels is not None else None

    def encode(table):
        rows, ranks, val = _split_block(
            table.to_pandas(), label=label, seed=seed, val_fraction=val_fraction, workers=workers
        )
        frame, y = clean_block(rows, schema, label=label, options=clean)
        x = transformer.transform(frame).astype(np.float32).reshape(-1, X_s.shape[1])
        # key: a row's place in its rank's order; part: 2·rank + (1 if validation); code: the
        # label's cluster; miss: the missing cells of the columns whose rates are modelled
        out = {"x": x, "key": row_units(rows, ORDER_SALT), "part": 2 * ranks + val.astype(np.int64)}
        if index is not None:
            out["code"] = np.array([index[json.dumps(v)] for v in native_values(y)], dtype=np.int64)
        if missing:
            out["miss"] = np.stack([frame[c].isna().to_numpy() for c in missing], axis=1).astype(np.uint8)
        return out

    # encoded once into Ray's object store (not the driver): every rank's dataset filters it
    encoded = train_raw.map_batches(encode, batch_format="pyarrow", batch_size=None).materialize()

    def rank_rows(rank: int, want_val: bool):
        part = 2 * rank + int(want_val)
        return encoded.map_batches(
            lambda b: {k: b[k][b["part"] == part] for k in ("x", "key")}, batch_format="numpy", batch_size=None
        )

    probe = torch.utils.data.TensorDataset(torch.from_numpy(np.ascontiguousarray(X_s[:512], dtype=np.float32)))
    train_rows = StreamedRows([rank_rows(r, False) for r in range(workers)], train_counts, X_s.shape[1], ("x",), probe)
    val_rows = (
        StreamedRows([rank_rows(r, True) for r in range(workers)], val_counts, X_s.shape[1], ("x",))
        if val_counts
        else None
    )

    # 4. training
    recipe, train_cfg = kind.recipe(cfg, syn.network_), loop_config(cfg, seed=seed)
    train_fn = train_fn or ray_train_fn(num_workers=workers)
    syn.history_, syn.train_summary_ = train_fn(
        syn.module_, recipe, train_rows, val_rows, train_cfg, callbacks=tuple(callbacks)
    )
    syn.module_.eval()
    plan_rows = syn.config.with_defaults(kind.defaults(syn.config)).schedule(rows_used)
    syn.train_summary_["schedule"] = plan_rows.to_dict()

    # 5. clusters: partition and anchors from the sample, Gaussians and missing rates from all rows
    syn.clusters_, codes_s = _clusters(syn, encoded, X_s, y_s, labels, index, missing, cfg=cfg, seed=seed)
    # the marginal calibration from the seeded sample of rows, each in the cluster the fit gives it
    syn.calibration_ = calibrate_synthesizer(syn, X_s, codes_s, seed=seed)
    syn.constraints_, syn.metrics_ = [], {}
    syn.cleaning_report_ = {
        "rows_in": rows_in,
        "rows_held_out": held,
        "rows_without_label": sum(p.get("no_label", 0) for p in plan),
        "rows_out": rows_used,
        "streamed": True,
        "sample_rows": int(len(sample)),
        "schema": schema,
    }
    syn.train_summary_["stream"] = {
        "train_rows_per_worker": train_counts,
        "val_rows_per_worker": val_counts or [0] * workers,
        "padded_rows_per_worker": [max(train_counts) - c for c in train_counts],
        "sample_rows": int(len(sample)),
    }
    split = {
        "source": source,
        "label": split_label,
        "unlabelled": unlabelled,
        "holdout": holdout,
        "seed": seed,
        "fingerprint": digest,
        "load": {},
        "rule": "row-hash",
    }
    syn.metrics_["split"] = split
    return syn, split


def _clusters(syn, encoded, X_s, y_s, labels, index, missing, *, cfg, seed) -> tuple[LatentClusters, np.ndarray]:
    """Clusters of the encoded training rows (``encoded``: columns x, code with labels, miss), and the
    cluster of each sample row."""
    Z_s = syn.encode_features(X_s)
    wanted, d = cfg.n_clusters, Z_s.shape[1]
    if labels is not None:
        kind, partition, names = "label", label_partition(np.array(labels, dtype=object)), labels
        codes_s = np.array([index[json.dumps(v)] for v in native_values(y_s)], dtype=np.int64)
    while True:
        if labels is None:  # every row, the sample's too, goes to its most likely leaf Gaussian
            partition = PolarizedHierarchical(wanted, min_size=cfg.min_cluster_size, random_state=seed).fit(Z_s)
            kind, names, codes_s = "polarized", list(range(partition.n_clusters_)), partition.predict(Z_s)
        K = len(names)
        shift = np.array([Z_s[codes_s == k].mean(axis=0) if (codes_s == k).any() else np.zeros(d) for k in range(K)])

        def block(batch, partition=partition, shift=shift):
            torch.set_num_threads(1)
            Z = syn.encode_features(batch["x"]) if len(batch["x"]) else np.zeros((0, d))
            if index is not None:
                codes = batch["code"]
            else:
                codes = partition.predict(Z) if len(Z) else np.zeros(0, np.int64)
            masks = {c: batch["miss"][:, j].astype(bool) for j, c in enumerate(missing)}
            return sums_json(ClusterMoments.from_block(Z, codes, shift, missing=masks))

        total = merge_sums(_numpy_results(encoded, block), shift, missing)
        small = int((total.counts < 2).sum())
        if labels is not None or not small or K == 1:
            break
        wanted = K - small  # a leaf that wins fewer than 2 rows of the whole table: one leaf fewer
    gaussians = total.gaussians(shrinkage=cfg.shrinkage, q=cfg.q)
    syn.transformer_.missing_rates_ = total.missing_rates() if cfg.missing == "model" else {}
    return assemble_clusters(names, kind, partition, gaussians, Z_s, codes_s, config=cfg, seed=seed), codes_s
