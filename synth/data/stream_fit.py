"""The streamed fit of a table's transform: kinds from a seeded sample, checked over all
blocks; statistics merged block by block (``synth.data.streaming``); exact medians by
further passes (``synth.data.streaming_select``). ``fit_blocks`` runs it over blocks in
this process; ``synth.distributed.streaming_fit`` runs the same passes on Ray Data.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from synth.data.schema import blank_mask, plan_column
from synth.data.streaming import block_stats, merge_all, transformer_from_stats
from synth.data.streaming_select import block_pass, exact_order_stats
from synth.data.table_transform import TabularTransformer
from synth.data.tabular import CleaningOptions, clean_table
from synth.errors import DataError

SAMPLE_ROWS = 100_000


def sample_rows(n: int, size: int = SAMPLE_ROWS, *, seed: int = 0) -> np.ndarray:
    """Sorted positions of a seeded sample of ``size`` of ``n`` rows (all rows when n ≤ size)."""
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size, replace=False))


def detect_schema(sample: pd.DataFrame, *, label: str | None = None, options: CleaningOptions = CleaningOptions()):
    """(schema, dtypes) that ``clean_table`` detects on the sample; schema entries also say
    whether a categorical column's cleaned values are integers (``ints``)."""
    if options.missing != "model" or options.outlier_z is not None:
        raise DataError(
            "a streamed fit models missing cells (missing='model') and keeps every row (outlier_z=None); "
            "imputing, dropping rows or outliers needs the whole table in memory"
        )
    frame, _, report = clean_table(sample, label=label, options=options)
    schema = {}
    for name, info in report.schema.items():
        present = frame[name].dropna()
        ints = info["kind"] == "categorical" and len(present) and all(isinstance(v, int) for v in present.head(50))
        schema[name] = {**info, "ints": bool(ints)}
    return schema, dict(report.dtypes)


def clean_block(
    raw: pd.DataFrame, schema: dict, *, label: str | None = None, options: CleaningOptions = CleaningOptions()
) -> tuple[pd.DataFrame, pd.Series | None]:
    """One block cleaned with the sample's kinds: (features with missing cells as NaN, labels);
    rows without a label are left out, as ``clean_table`` leaves them out."""
    raw = raw.reset_index(drop=True)
    raw.columns = [str(c) for c in raw.columns]
    y = None
    if label is not None:
        keep = ~blank_mask(raw[label])
        raw, y = raw.loc[keep].reset_index(drop=True), raw.loc[keep, label].reset_index(drop=True)
    out = {}
    for name, info in schema.items():
        if name not in raw.columns:
            raise DataError(f"column {name!r} of the sample is missing from a block; the block has {list(raw.columns)}")
        try:
            plan = plan_column(
                name, raw[name], tokens=options.na_tokens, max_categories=options.max_categories, kind=info["kind"]
            )
        except DataError as exc:
            raise DataError(f"column {name!r} does not hold what the sample showed ({info['kind']}): {exc}") from None
        values = plan.values
        if info.get("ints") and values.dtype.kind == "f":
            if not np.all(values.dropna() == np.round(values.dropna())):
                raise DataError(f"column {name!r} holds integer categories in the sample, but fractions in a block")
            values = values.map(lambda v: v if pd.isna(v) else int(v), na_action="ignore").astype(object)
        out[name] = values
    return pd.DataFrame(out), y


def check_stats(stats: dict, schema: dict, *, options: CleaningOptions = CleaningOptions()) -> dict:
    """The sample's kinds checked against all rows; "top" set where a categorical column has more
    than ``max_categories`` values over all rows."""
    schema = {k: dict(v) for k, v in schema.items()}
    for name, c in stats["columns"].items():
        if c["kind"] == "constant" and c["varies"]:
            raise DataError(
                f"column {name!r} is constant in the sample but not over all rows; "
                "give its kind in a schema or use a larger sample"
            )
        if c["kind"] == "categorical" and len(c["counts"]) > options.max_categories:
            schema[name]["top"] = True
        if c["kind"] in ("numeric", "datetime") and c["min"] is None:
            raise DataError(f"column {name!r} has no usable value over all rows; drop it")
    return schema


def fit_blocks(
    blocks: Iterable[pd.DataFrame],
    schema: dict,
    *,
    dtypes: dict | None = None,
    options: CleaningOptions = CleaningOptions(),
) -> tuple[TabularTransformer, dict, dict]:
    """(transformer, merged statistics, checked schema) from cleaned blocks (kept in memory here;
    the Ray path keeps them in the object store)."""
    blocks = list(blocks)
    offsets = np.concatenate([[0], np.cumsum([len(b) for b in blocks])[:-1]]).astype(int)
    stats = merge_all(block_stats(b, schema, offset=int(o)) for b, o in zip(blocks, offsets))
    schema = check_stats(stats, schema, options=options)
    medians = exact_order_stats(stats, lambda targets: [block_pass(b, schema, targets) for b in blocks])
    transformer = transformer_from_stats(stats, medians, schema=schema, dtypes=dtypes, clip=options.clip)
    return transformer, stats, schema


def missing_columns(stats: dict) -> list[str]:
    """Columns whose missing cells get per-cluster rates (``missing.learn_missing_rates``)."""
    return [name for name, c in stats["columns"].items() if c["kind"] != "text" and c["missing"]]
