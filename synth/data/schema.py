"""Column kinds of a table: detected from the values, overridable per column.

Kinds follow what SDV's metadata detection and RDT's transformers distinguish
(Patki et al. 2016, "The Synthetic Data Vault"): ``numeric`` (continuous or
integer), ``categorical`` (text, booleans, integers with few distinct values),
``datetime`` (parsed with the input's format, modelled as seconds),
``identifier`` (unique keys: not modelled, fresh values generated),
``text`` (free text / high cardinality: not modelled unless asked) and
``constant``.

Missing cells: an empty cell (or a NaN/None/NaT) is missing in every column.
The NA tokens (``-999``, ``N/A``, ``pending``, …) are missing only in a column
whose other values are all numbers; in a text column ``NA`` or ``L`` is a value.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from synth.errors import DataError

KINDS = ("numeric", "categorical", "datetime", "identifier", "text", "constant")
LOW_CARDINALITY_INTS = 10  # integer columns with at most this many distinct values are categorical
ID_MIN_ROWS = 20  # below this, a text column that is unique per row is too short to call a key
DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%d %H:%M:%S%z",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y/%m/%d",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%Y-%m",
)
_DATE_LIKE = re.compile(r"^\d{1,4}[-/.]\d{1,2}([-/.]\d{1,4})?([ T].*)?$")
_ID_NAME = re.compile(r"^(id|uuid|guid|key)$|[_ -](id|uuid|guid)$|^id[_ -]|[a-z]Id$|ID$", re.IGNORECASE)


def looks_like_id_name(name: str) -> bool:
    return bool(_ID_NAME.search(str(name).strip())) or str(name).strip() in ("ID", "Id")


@dataclass
class ColumnPlan:
    """One column as cleaning sees it: its kind, its values with missing cells as NaN and
    what detection learned (a date format, a time zone)."""

    name: str
    kind: str
    values: pd.Series
    dtype: str
    tokens: int = 0  # NA tokens turned into missing cells
    fmt: str | None = None  # datetime written as text in this format
    tz: str | None = None  # datetime time zone (a zone name or ±HH:MM)
    overridden: bool = False
    note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def missing(self) -> np.ndarray:
        return self.values.isna().to_numpy()


def blank_mask(column: pd.Series) -> np.ndarray:
    """Empty cells: NaN/None/NaT, or text that is empty after stripping."""
    mask = column.isna().to_numpy()
    if column.dtype == object or pd.api.types.is_string_dtype(column):
        text = column.astype("string").str.strip()
        mask |= np.asarray((text == "").fillna(True), dtype=bool)
    return mask


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _numeric_values(column: pd.Series, blank: np.ndarray, tokens: tuple[str, ...]):
    """(float values with tokens and blanks as NaN, token count), or None when some other
    non-blank value is not a number."""
    if pd.api.types.is_bool_dtype(column) or pd.api.types.is_datetime64_any_dtype(column):
        return None
    numeric_tokens = [float(t) for t in tokens if _is_number(t)]
    if pd.api.types.is_numeric_dtype(column):
        values = column.astype("float64")
        hit = np.isin(values.to_numpy(), numeric_tokens) & ~blank
        return values.where(~hit, np.nan), int(hit.sum())
    text = column.astype("string").str.strip()
    hit = np.asarray(text.isin([t.strip() for t in tokens]).fillna(False), dtype=bool) & ~blank
    rest = ~blank & ~hit
    if not rest.any():
        return None
    coerced = pd.to_numeric(text.where(rest), errors="coerce").astype("float64")
    if coerced[rest].isna().any():
        return None
    if (np.isinf(coerced[rest])).any():
        return None
    return coerced.where(rest, np.nan), int(hit.sum())


def date_format(values: pd.Series) -> str | None:
    """The first format of DATE_FORMATS that parses every (non-missing) text value."""
    text = values.dropna().astype(str).str.strip()
    if text.empty or not text.str.match(_DATE_LIKE).all():
        return None
    for fmt in DATE_FORMATS:
        parsed = pd.to_datetime(text, format=fmt, errors="coerce", utc="%z" in fmt)
        if parsed.notna().all():
            return fmt
    return None


def first_offset(values: pd.Series, fmt: str) -> str:
    """The UTC offset (±HH:MM) of the first value of a text column with offsets: generated
    values are written in it (the same instants, one offset)."""
    first = pd.to_datetime(values.dropna().astype(str).str.strip().iloc[0], format=fmt)
    minutes = int(first.utcoffset().total_seconds() // 60)
    sign, minutes = ("+" if minutes >= 0 else "-"), abs(minutes)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def plan_column(
    name: str,
    column: pd.Series,
    *,
    tokens: tuple[str, ...],
    max_categories: int,
    kind: str | None = None,
    free_text: str = "omit",
) -> ColumnPlan:
    """Detect (or apply the overriding ``kind`` of) one column."""
    dtype = str(column.dtype)
    blank = blank_mask(column)
    n = len(column)
    base = column.where(~blank, np.nan) if column.dtype == object else column.mask(blank)
    plan = ColumnPlan(name, "text", base, dtype, overridden=kind is not None)
    if kind is not None and kind not in KINDS:
        raise DataError(f"schema gives column {name!r} the kind {kind!r}; the kinds are {list(KINDS)}")
    numeric = _numeric_values(column, blank, tokens)
    present = base.dropna()
    if pd.api.types.is_datetime64_any_dtype(column):
        plan.kind = "datetime"
        plan.tz = str(column.dt.tz) if column.dt.tz is not None else None
    elif numeric is not None and kind in (None, "numeric", "categorical", "identifier", "constant"):
        plan.values, plan.tokens = numeric
        present = plan.values.dropna()
        distinct = present.nunique()
        integral = bool(len(present)) and bool(np.all(present == np.round(present)))
        if distinct <= 1:
            plan.kind = "constant"
        elif integral and looks_like_id_name(name):
            plan.kind = "identifier"
        elif integral and distinct == n and n >= ID_MIN_ROWS and present.max() - present.min() + 1 == n:
            plan.kind, plan.note = "identifier", "integers 1..n unique per row (a row number)"
        elif integral and distinct <= LOW_CARDINALITY_INTS and n >= 4 * distinct:
            plan.kind = "categorical"
            plan.values = plan.values.map(lambda v: v if pd.isna(v) else int(v), na_action="ignore")
        else:
            plan.kind = "numeric"
    elif kind == "numeric":
        raise DataError(f"schema makes column {name!r} numeric, but it holds values that are not numbers")
    elif kind in (None, "datetime") and (fmt := date_format(present)) is not None:
        plan.kind, plan.fmt = "datetime", fmt
        if "%z" in fmt:
            plan.tz = first_offset(present, fmt)
    elif kind == "datetime":
        raise DataError(
            f"schema makes column {name!r} a datetime, but its values do not parse with any of {list(DATE_FORMATS)}"
        )
    else:
        distinct = present.nunique()
        text = present.astype(str)
        if distinct <= 1:
            plan.kind = "constant"
        elif pd.api.types.is_bool_dtype(column) or distinct <= max_categories and not looks_like_id_name(name):
            plan.kind = "categorical"
        elif looks_like_id_name(name) or (
            distinct == n and n >= ID_MIN_ROWS and not text.str.contains(r"\s", regex=True).any()
        ):
            plan.kind = "identifier"
        else:
            plan.kind = "text"
            if free_text == "top":
                plan.kind, plan.extra["top"] = "categorical", True
    if kind is not None and kind != plan.kind:
        plan.kind = kind
        if kind == "categorical" and plan.values.nunique() > max_categories:
            plan.extra["top"] = True
    if plan.kind == "categorical" and plan.values.nunique() > max_categories:
        plan.extra["top"] = True
    if plan.kind == "numeric" and not plan.values.notna().any():
        plan.kind = "constant"
    return plan


def read_schema_file(path: str | Path) -> dict:
    """A column → kind mapping from a JSON or YAML file (YAML needs pyyaml)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"schema file {path} does not exist")
    text = path.read_text()
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:
            raise DataError("reading a YAML schema needs pyyaml (pip install pyyaml), or write it as JSON") from None
        try:
            obj = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise DataError(f"schema file {path} is not valid YAML: {exc}") from None
    else:
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(f"schema file {path} is not valid JSON: {exc}") from None
    return check_schema(obj.get("columns", obj) if isinstance(obj, dict) else obj)


def check_schema(schema) -> dict:
    """``{column: kind}`` (a kind may also be given as ``{"kind": kind}``), validated."""
    if schema is None:
        return {}
    if not isinstance(schema, dict):
        raise DataError(f"a schema maps column names to kinds, got {type(schema).__name__}")
    out = {}
    for column, kind in schema.items():
        kind = kind.get("kind") if isinstance(kind, dict) else kind
        if kind not in KINDS:
            raise DataError(f"schema gives column {column!r} the kind {kind!r}; the kinds are {list(KINDS)}")
        out[str(column)] = kind
    return out


ACTIONS = {
    "numeric": "min-max scaled",
    "categorical": "one-hot",
    "datetime": "seconds, min-max scaled, written back as {fmt}",
    "identifier": "not modelled; fresh unique values of the same shape",
    "text": "not modelled; left empty in generated rows",
    "constant": "kept constant",
}


def _tail_scale(values) -> str | None:
    """How the transform will scale a numeric column with long tails (None: min-max)."""
    from synth.data.scaling import scale_fields

    present = pd.to_numeric(pd.Series(values), errors="coerce").dropna().to_numpy(float)
    if not len(present):
        return None
    q1, q3 = np.quantile(present, [0.25, 0.75], method="lower")
    facts = {"minimum": present.min(), "maximum": present.max(), "median": float(np.median(present))}
    fields = scale_fields({**facts, "q1": float(q1), "q3": float(q3)})
    if fields["log_offset"] is not None:
        return "log scale (a long right tail)"
    return "asinh scale (long tails on both sides)" if fields["asinh_scale"] is not None else None


def action_of(plan: ColumnPlan, *, missing: str) -> str:
    text = ACTIONS[plan.kind].format(fmt=plan.fmt or "datetime64" + (f" ({plan.tz})" if plan.tz else ""))
    if plan.kind == "categorical" and plan.extra.get("top"):
        text = "one-hot of the most frequent values + 'other'"
    if plan.kind == "numeric" and plan.values.notna().all() and np.all(plan.values == np.round(plan.values)):
        text += " (integers)"
    if plan.kind == "numeric" and (scale := _tail_scale(plan.values)):
        text = f"{scale}, then " + text
    if plan.missing.any() and plan.kind != "text":
        text += {
            "model": "; missing cells modelled (imputed + indicator, regenerated per cluster)",
            "impute": "; missing cells imputed",
            "drop": "; rows with missing cells dropped",
        }[missing]
    return text
