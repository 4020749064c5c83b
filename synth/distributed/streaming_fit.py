"""The streamed table fit on Ray Data: ``fit_transformer_ray(ds)`` for a ``ray.data.Dataset``
(e.g. ``read_table("data/")`` of Parquet parts). Each pass is a ``map_batches`` whose tasks clean
their block with the sample's kinds and return only its statistics, a one-row JSON string
(``synth.data.streaming``); the driver merges them and never holds the rows. Kinds come from a
seeded ``random_sample`` of about ``sample_rows`` rows (all rows of a smaller table), then are
checked over every block. ``cluster_moments_ray`` sums the latents that a saved model encodes, per
cluster, in the same way (``synth.latent_moments``). All logic but the fan-out lives in the Ray-free modules.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import ray

from synth.data.parquet import check_schemas, parquet_files
from synth.data.stream_fit import SAMPLE_ROWS, check_stats, clean_block, detect_schema
from synth.data.streaming import block_stats, merge_all, promote_dtype, shift_positions, transformer_from_stats
from synth.data.streaming_select import block_pass, exact_order_stats
from synth.data.tabular import CleaningOptions
from synth.errors import DataError
from synth.latent_moments import EXTRACTOR, ClusterMoments
from synth.metrics.feature_stats import FeatureStats


def read_table(source: str | Path) -> ray.data.Dataset:
    """A Parquet file, folder of parts, glob or URI as a Dataset, parts in sorted order (as
    ``read_parquet_source``); local parts must share one schema."""
    source = str(source)
    if "://" in source:
        try:
            return ray.data.read_parquet(source)
        except Exception as exc:  # pyarrow/fsspec raise many kinds: one line names the source
            raise DataError(f"cannot read Parquet from {source}: {str(exc).strip().splitlines()[0]}") from None
    files = parquet_files(source)
    check_schemas(files)
    return ray.data.read_parquet([str(f) for f in files])


def block_results(ds: ray.data.Dataset, fn, **kwargs) -> list:
    """fn(block as pandas) → one JSON string per block, collected in the dataset's order. Blocks
    come as Arrow tables turned to pandas here, as ``read_parquet_source`` turns each part."""
    ctx = ray.data.DataContext.get_current()
    ctx.execution_options.preserve_order = True
    out = ds.map_batches(
        lambda table: pd.DataFrame({"json": [json.dumps(fn(table.to_pandas()))]}),
        batch_format="pyarrow",
        batch_size=None,
        **kwargs,
    )
    return [json.loads(row["json"]) for row in out.iter_rows()]


def sample_frame(ds: ray.data.Dataset, *, sample_rows: int = SAMPLE_ROWS, seed: int = 0) -> pd.DataFrame:
    n = ds.count()
    if n == 0:
        raise DataError("the dataset holds no rows")
    if n > sample_rows:
        ds = ds.random_sample(sample_rows / n, seed=seed)
    tables = [t for t in ray.get(ds.to_arrow_refs()) if t.num_rows]
    return pa.concat_tables(tables).to_pandas()  # as read_parquet_source converts (Ray's to_pandas differs)


def fit_transformer_ray(
    ds: ray.data.Dataset,
    *,
    label: str | None = None,
    options: CleaningOptions = CleaningOptions(),
    sample_rows: int = SAMPLE_ROWS,
    seed: int = 0,
):
    """(TabularTransformer, merged statistics, checked schema, dtypes): the transform that
    ``clean_table`` + ``TabularTransformer.fit`` give on all rows, from streamed passes."""
    schema, _ = detect_schema(sample_frame(ds, sample_rows=sample_rows, seed=seed), label=label, options=options)

    def stats_of(batch: pd.DataFrame) -> dict:
        dtypes = {str(k): str(v) for k, v in batch.dtypes.items()}
        cleaned, _ = clean_block(batch, schema, label=label, options=options)
        return {"stats": block_stats(cleaned, schema), "dtypes": dtypes}

    parts = block_results(ds, stats_of)
    offsets = np.concatenate([[0], np.cumsum([p["stats"]["rows"] for p in parts])[:-1]]).astype(int)
    stats = merge_all(shift_positions(p["stats"], int(o)) for p, o in zip(parts, offsets))
    dtypes = {}
    for p in parts:
        for name, dtype in p["dtypes"].items():
            dtypes[name] = promote_dtype(dtypes[name], dtype) if name in dtypes else dtype
    checked = check_stats(stats, schema, options=options)

    def scan(targets: list) -> list:
        return block_results(
            ds, lambda b: block_pass(clean_block(b, checked, label=label, options=options)[0], checked, targets)
        )

    medians = exact_order_stats(stats, scan)
    dtypes = {k: v for k, v in dtypes.items() if k in checked}
    transformer = transformer_from_stats(stats, medians, schema=checked, dtypes=dtypes, clip=options.clip)
    return transformer, stats, checked, dtypes


_MODELS: dict = {}  # artifact → LatentSynthesizer, one load per worker process


def _model(artifact: str):
    from synth.synthesizer import LatentSynthesizer

    if artifact not in _MODELS:
        _MODELS.clear()
        _MODELS[artifact] = LatentSynthesizer.load(artifact)
    return _MODELS[artifact]


def block_moments(raw: pd.DataFrame, artifact: str, schema: dict, shift, *, label: str, options, missing=()) -> dict:
    """One block's per-cluster latent sums (``ClusterMoments``) as JSON-able lists: rows cleaned
    with ``schema``, encoded by the saved model, clusters from the label column."""
    import torch

    torch.set_num_threads(1)
    syn = _model(artifact)
    frame, y = clean_block(raw, schema, label=label, options=options)
    Z = syn.encode_features(syn.transformer_.transform(frame))
    codes = np.array([syn.cluster_code(v) for v in y], dtype=np.int64)
    return sums_json(
        ClusterMoments.from_block(Z, codes, shift, missing={c: frame[c].isna().to_numpy() for c in missing})
    )


def sums_json(sums: ClusterMoments) -> dict:
    """A block's ``ClusterMoments`` as JSON-able lists (what a task sends back)."""
    return {
        "stats": [[s.n, s.total.tolist(), s.outer.tolist()] for s in sums.stats],
        "p21": sums.p21.tolist(),
        "p22": sums.p22.tolist(),
        "missing": sums.missing.tolist(),
    }


def merge_sums(parts: list, shift: np.ndarray, missing: tuple) -> ClusterMoments:
    """The blocks' ``sums_json`` merged into one ``ClusterMoments``."""
    total = None
    for part in parts:
        stats = tuple(FeatureStats(n, np.asarray(t), np.asarray(o), EXTRACTOR) for n, t, o in part["stats"])
        hits = np.asarray(part["missing"], dtype=np.float64).reshape(len(missing), shift.shape[0])
        sums = ClusterMoments(shift, stats, np.asarray(part["p21"]), np.asarray(part["p22"]), missing, hits)
        total = sums if total is None else total.merge(sums)
    if total is None:
        raise DataError("the dataset holds no rows")
    return total


def cluster_moments_ray(
    ds: ray.data.Dataset,
    artifact: str | Path,
    schema: dict,
    shift,
    *,
    label: str,
    options: CleaningOptions = CleaningOptions(),
    missing=(),
) -> ClusterMoments:
    """Per-cluster sums n, Σy, Σyyᵀ (and the fourth moments) of the latents of every row of ``ds``
    encoded by the saved model at ``artifact`` (readable on every node), clusters given by the
    ``label`` column; ``shift`` (K, d): e.g. the clusters' means on a seeded sample. Only the sums
    come back; ``.gaussians()`` and ``.missing_rates()`` of the result give the model's state."""
    artifact, shift = str(Path(artifact).resolve()), np.asarray(shift, dtype=np.float64)
    missing = tuple(missing)
    parts = block_results(
        ds, lambda b: block_moments(b, artifact, schema, shift, label=label, options=options, missing=missing)
    )
    return merge_sums(parts, shift, missing)
