"""Fitting a table's feature transform by streaming passes over blocks of rows.

Each block of rows gives small, JSON-able statistics per column (``block_stats``);
statistics of disjoint blocks combine with ``merge``, which is associative and
commutative, so any split of the table into blocks, in any order, gives the same
merged statistics. ``transformer_from_stats`` turns them into the same
``TabularTransformer`` state as ``TabularTransformer().fit`` on all rows at once
(both go through ``table_transform.spec_from_facts``). What each kind keeps:

- every column: rows, missing cells, the block's pandas dtype (dtypes that differ
  between blocks, e.g. int64 and float64 where only some blocks hold a missing
  cell, are promoted as ``pd.concat`` promotes them);
- numeric and datetime: min, max, the per-value tests behind the learned
  decimals and datetime resolution (combined with ``and``), and a histogram of
  the top 16 bits of each value's order-preserving 64-bit key. The fill value is
  the exact median: the histogram finds the buckets of the middle order
  statistics, and further passes (``streaming_select``) refine those buckets
  until their values are few enough to collect and sort;
- categorical: the count of every value (ties in count are ordered by value, so the
  mode and the most frequent values kept for free text, ``top``, do not depend on
  the order of the rows or blocks);
- constant: the first present value (by position) and whether any other occurs;
- identifier: the facts of ``missing.id_shape`` (prefix, suffix, digit widths,
  largest number; or the character classes per position per value length).

The column kinds come from a seeded sample (``detect_schema``: the cleaning of
``synth.data.tabular`` on at most ``sample_rows`` rows) and are then checked
over all rows (``check_stats``): a numeric column with a value that is not a
number, a datetime cell that does not parse with the sample's format, or a
"constant" that varies is a DataError naming the column; a categorical column
with more than ``max_categories`` values over all rows becomes "top" values +
"other", as the in-memory cleaning decides. Only ``missing="model"`` streams
(imputing or dropping rows needs the whole column first).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synth.data.missing import char_class, id_shape
from synth.data.table_transform import TabularTransformer, decimals_ok, spec_from_facts, steps_ok, to_seconds
from synth.errors import DataError

TOP_BITS = 16
_ID_PARTS = r"^(\D*?)(\d+)(\D*)$"


def plain(value):
    return value.item() if isinstance(value, np.generic) else value


def order_keys(values: np.ndarray) -> np.ndarray:
    """float64 → uint64 keys in the same order (negative values flipped), for radix selection."""
    bits = np.ascontiguousarray(values, dtype=np.float64).view(np.uint64)
    return np.where(bits >> np.uint64(63), ~bits, bits | np.uint64(1 << 63))


def column_values(column: pd.Series, info: dict) -> np.ndarray:
    """The float64 values the transformer scales: numbers, or datetimes as seconds; present cells only."""
    if info["kind"] == "datetime":
        seconds = to_seconds(column, info.get("fmt"), info.get("tz"))
        return seconds[~np.isnan(seconds)]
    return column.dropna().to_numpy(float)


def _hist(keys: np.ndarray, shift: int) -> list:
    buckets, counts = np.unique((keys >> np.uint64(shift)) & np.uint64(0xFFFF), return_counts=True)
    return [[int(b), int(c)] for b, c in zip(buckets, counts)]


def _column_stats(column: pd.Series, info: dict, offset: int) -> dict:
    kind, present = info["kind"], column.dropna()
    out = {"kind": kind, "dtype": str(column.dtype), "rows": len(column), "missing": int(column.isna().sum())}
    if kind in ("numeric", "datetime"):
        values = column_values(column, info)
        if kind == "datetime" and len(values) != len(present):
            bad = present[np.isnan(to_seconds(present, info.get("fmt"), info.get("tz")))]
            raise DataError(
                f"column {info['name']!r} is a datetime (format {info.get('fmt')!r} from the sample), but "
                f"row {offset + int(bad.index[0])} holds {bad.iloc[0]!r}, which does not parse with it"
            )
        out["ok"] = steps_ok(values) if kind == "datetime" else decimals_ok(values)
        out["min"] = float(values.min()) if len(values) else None
        out["max"] = float(values.max()) if len(values) else None
        out["hist"] = _hist(order_keys(values), 64 - TOP_BITS)
    elif kind == "categorical":
        counts = present.map(plain).value_counts(sort=False)
        out["counts"] = [[plain(v), int(n)] for v, n in counts.items()]
    elif kind == "constant":
        out["first"] = [offset + int(present.index[0]), plain(present.iloc[0])] if len(present) else None
        out["varies"] = bool(present.nunique() > 1)
    elif kind == "identifier":
        out["shape"] = _id_facts(present)
    return out


def _id_facts(present: pd.Series) -> dict:
    text = present.astype(str)
    if pd.api.types.is_numeric_dtype(present):
        return {"numeric": True, "rows": len(text), "max": int(present.astype(np.int64).max()) if len(text) else None}
    parts = text.str.extract(_ID_PARTS)
    digits = parts[1].dropna()
    lengths = text.str.len().value_counts()
    chars = {}
    for length in lengths.index:
        same = text[text.str.len() == length].tolist()
        chars[int(length)] = ["".join(sorted({v[i] for v in same})) for i in range(int(length))]
    return {
        "numeric": False,
        "rows": len(text),
        "match": bool(parts.notna().all().all()),
        "prefixes": sorted(set(parts[0].dropna()))[:2],
        "suffixes": sorted(set(parts[2].dropna()))[:2],
        "widths": sorted(set(digits.str.len().astype(int).tolist()))[:2],
        "zero": bool(digits.str.startswith("0").any()),
        "max": int(digits.astype(np.int64).max()) if len(digits) else None,
        "lengths": [[int(k), int(v)] for k, v in lengths.items()],
        "chars": [[k, v] for k, v in chars.items()],
    }


def block_stats(frame: pd.DataFrame, schema: dict, *, offset: int = 0) -> dict:
    """Statistics of one block of cleaned rows (``offset``: the global position of its first row)."""
    frame = frame.reset_index(drop=True)
    columns = {}
    for name in frame.columns:
        info = {"name": name, **(schema.get(name) or {"kind": _default_kind(frame[name])})}
        columns[name] = _column_stats(frame[name], info, offset)
    return {"rows": len(frame), "columns": columns}


def _default_kind(column: pd.Series) -> str:
    numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
    return "numeric" if numeric else "categorical"


def shift_positions(stats: dict, offset: int) -> dict:
    """The same statistics with row positions moved by ``offset`` (blocks counted from 0 on a worker)."""
    out = {"rows": stats["rows"], "columns": {}}
    for name, c in stats["columns"].items():
        c = dict(c)
        if c.get("first") is not None:
            c["first"] = [c["first"][0] + offset, c["first"][1]]
        out["columns"][name] = c
    return out


def promote_dtype(a: str, b: str) -> str:
    """The dtype of two blocks' column concatenated (int64 and float64 → float64; else object)."""
    if a == b:
        return a
    try:
        return str(np.result_type(np.dtype(a), np.dtype(b)))
    except TypeError:
        return "object"


def _merge_pairs(a: list, b: list, add) -> list:
    table = {}
    for key, *rest in a + b:
        table[key] = add(table[key], rest) if key in table else rest
    return [[k, *v] for k, v in sorted(table.items(), key=lambda kv: (str(type(kv[0])), kv[0]))]


def _merge_column(a: dict, b: dict) -> dict:
    if a["kind"] != b["kind"]:
        raise DataError(f"cannot merge statistics of a {a['kind']} and a {b['kind']} column")
    out = {**a, "dtype": promote_dtype(a["dtype"], b["dtype"]), "rows": a["rows"] + b["rows"]}
    out["missing"] = a["missing"] + b["missing"]
    if "ok" in a:
        out["ok"] = [x and y for x, y in zip(a["ok"], b["ok"])]
        out["min"] = min((v for v in (a["min"], b["min"]) if v is not None), default=None)
        out["max"] = max((v for v in (a["max"], b["max"]) if v is not None), default=None)
        out["hist"] = _merge_pairs(a["hist"], b["hist"], lambda x, y: [x[0] + y[0]])
    if "counts" in a:
        out["counts"] = _merge_pairs(a["counts"], b["counts"], lambda x, y: [x[0] + y[0]])
    if "first" in a:
        firsts = [f for f in (a["first"], b["first"]) if f is not None]
        out["first"] = min(firsts, key=lambda f: f[0]) if firsts else None
        values = {plain(f[1]) for f in firsts}
        out["varies"] = a["varies"] or b["varies"] or len(values) > 1
    if "shape" in a:
        out["shape"] = _merge_ids(a["shape"], b["shape"])
    return out


def _merge_ids(a: dict, b: dict) -> dict:
    rows = a["rows"] + b["rows"]
    top = max((v for v in (a["max"], b["max"]) if v is not None), default=None)
    if a["numeric"]:
        return {"numeric": True, "rows": rows, "max": top}
    chars = {k: v for k, v in a["chars"]}
    for k, v in b["chars"]:
        chars[k] = ["".join(sorted(set(x) | set(y))) for x, y in zip(chars[k], v)] if k in chars else v
    return {
        "numeric": False,
        "rows": rows,
        "match": a["match"] and b["match"],
        "prefixes": sorted(set(a["prefixes"]) | set(b["prefixes"]))[:2],
        "suffixes": sorted(set(a["suffixes"]) | set(b["suffixes"]))[:2],
        "widths": sorted(set(a["widths"]) | set(b["widths"]))[:2],
        "zero": a["zero"] or b["zero"],
        "max": top,
        "lengths": _merge_pairs(a["lengths"], b["lengths"], lambda x, y: [x[0] + y[0]]),
        "chars": sorted([k, v] for k, v in chars.items()),
    }


def merge(a: dict, b: dict) -> dict:
    """Statistics of the union of two disjoint blocks (global row positions)."""
    if set(a["columns"]) != set(b["columns"]):
        raise DataError(f"blocks have different columns: {sorted(a['columns'])} vs {sorted(b['columns'])}")
    columns = {name: _merge_column(a["columns"][name], b["columns"][name]) for name in a["columns"]}
    return {"rows": a["rows"] + b["rows"], "columns": columns}


def merge_all(parts) -> dict:
    parts = list(parts)
    if not parts:
        raise DataError("no blocks to fit on")
    out = parts[0]
    for part in parts[1:]:
        out = merge(out, part)
    return out


def _shape(f: dict) -> dict:
    """``missing.id_shape`` from merged identifier facts."""
    if f["numeric"]:
        top = f["max"] or 0
        return {"style": "number", "prefix": "", "suffix": "", "width": 0, "max": top, "int": True, "rows": f["rows"]}
    if f["rows"] and f["match"] and len(f["prefixes"]) == 1 and len(f["suffixes"]) == 1:
        padded = len(f["widths"]) == 1 and f["zero"]
        return {
            "style": "number",
            "prefix": f["prefixes"][0],
            "suffix": f["suffixes"][0],
            "width": f["widths"][0] if padded else 0,
            "max": f["max"] or 0,
            "int": False,
            "rows": f["rows"],
        }
    if not f["rows"]:
        return id_shape(pd.Series([], dtype=object))
    best = max(n for _, n in f["lengths"])
    length = min(k for k, n in f["lengths"] if n == best)
    return {"style": "pattern", "classes": [char_class(set(c)) for c in dict(f["chars"])[length]]}


def column_facts(c: dict, order: dict | float | None) -> dict:
    """The facts ``spec_from_facts`` needs, from one column's merged statistics and its exact
    order statistics (``streaming_select.exact_order_stats``: median and quartiles; a bare median
    leaves the quartiles unknown, so no column goes on the asinh scale)."""
    facts = {"missing": c["missing"] > 0}
    if "ok" in c:
        key = "steps_ok" if c["kind"] == "datetime" else "decimals_ok"
        order = order if isinstance(order, dict) else {"median": order}
        facts.update({key: c["ok"], "minimum": c["min"], "maximum": c["max"], **order})
    elif "counts" in c:
        keys = np.empty(len(c["counts"]), dtype=object)
        keys[:] = [v for v, _ in c["counts"]]
        facts["counts"] = pd.Series([n for _, n in c["counts"]], index=pd.Index(keys), dtype=np.int64)
    elif "first" in c:
        facts["first"] = c["first"][1] if c["first"] is not None else None
    elif "shape" in c:
        facts["shape"] = _shape(c["shape"])
    return facts


def transformer_from_stats(
    stats: dict, medians: dict, *, schema: dict, dtypes: dict | None = None, clip: bool = True
) -> TabularTransformer:
    """The ``TabularTransformer`` that ``fit(frame, dtypes=dtypes, schema=schema)`` on all the rows
    would give. ``medians``: column → exact median and quartiles (``streaming_select.exact_order_stats``)."""
    dtypes = dtypes or {}
    transformer = TabularTransformer(clip=clip)
    transformer.columns_ = []
    for name, c in stats["columns"].items():
        info = schema.get(name) or {"kind": c["kind"]}
        dtype = str(dtypes.get(name, c["dtype"]))
        transformer.columns_.append(spec_from_facts(name, c["kind"], dtype, info, column_facts(c, medians.get(name))))
    transformer.n_features_ = sum(s.width for s in transformer.columns_)
    return transformer
