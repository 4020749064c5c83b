"""The reversible feature transform of a table: DataFrame ⇄ float32 matrix in [0, 1].

numeric and datetime columns (as seconds) are MinMax scaled, categorical ones
one-hot; a strongly right-skewed numeric column (incomes, balances, prices: the
range above its median many times the range below) is first taken to the log,
u = log(x − min + c), as log-transforming skewed positive measurements is the
classic normalising step (Box & Cox 1964), so that the latent Gaussians see a
roughly symmetric variable instead of a long tail; a column with missing cells gets its imputed value (median / mode)
plus a 0/1 missing indicator, in the way of MICE-style indicator augmentation
(van Buuren & Groothuis-Oudshoorn 2011). Identifier, free-text and constant
columns take no feature. The inverse gives back a DataFrame in original units,
column order and dtypes, with missing cells regenerated at the per-cluster
rates learned at fit (``missing_rates_``) and fresh identifiers. Everything is
JSON (``to_dict``/``from_dict``): an artifact never holds a pickle or a training row.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from synth.data.missing import fresh_ids, id_shape, row_keys, uniforms
from synth.data.scaling import from_unit, rounded, scale_fields, to_unit
from synth.errors import DataError

MAX_DECIMALS = 6
OTHER = "other"
MODELLED = ("numeric", "categorical", "datetime")


def decimals_ok(values: np.ndarray) -> list[bool]:
    """For k = 0..MAX_DECIMALS, whether k decimals represent every value (a per-value test, so
    the answers of disjoint parts combine with ``and``)."""
    return [bool(np.allclose(np.round(values, k), values, rtol=0, atol=1e-9)) for k in range(MAX_DECIMALS + 1)]


def decimals_from_ok(ok) -> int:
    """Fewest decimals (≤ MAX_DECIMALS) that represent every value, so 5.1 stays 5.1."""
    return next((k for k, good in enumerate(ok) if good), MAX_DECIMALS)


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    kind: str  # numeric | categorical | datetime | identifier | text | constant
    dtype: str  # pandas dtype name of the input column
    minimum: float = 0.0
    maximum: float = 1.0
    decimals: int | None = None  # rounding learned from the data (0 for integers)
    categories: tuple = ()
    missing: bool = False  # has a missing-indicator feature
    fill: object = None  # value the network sees for a missing cell
    fmt: str | None = None  # datetime text format (None: a datetime64 column)
    tz: str | None = None  # datetime time zone
    step: float | None = None  # datetime resolution in seconds
    value: object = None  # the constant
    shape: dict | None = None  # identifier shape (synth.data.missing.id_shape)
    other: str | None = None  # catch-all category for values outside the kept ones
    out_dtype: str | None = None  # dtype of generated values (None: dtype)
    log_offset: float | None = None  # numeric on the log scale: u = log(x − minimum + log_offset)
    asinh_scale: float | None = None  # numeric on the asinh scale: u = asinh((x − fill) / asinh_scale)

    @property
    def width(self) -> int:
        if self.kind in ("numeric", "datetime"):
            return 1 + self.missing
        if self.kind == "categorical":
            return len(self.categories) + self.missing
        return 0


def _timezone(tz: str | None):
    if tz is None:
        return None
    m = re.fullmatch(r"(?:UTC)?([+-])(\d\d):?(\d\d)", tz)
    if m:
        minutes = int(m.group(2)) * 60 + int(m.group(3))
        return dt.timezone(dt.timedelta(minutes=minutes if m.group(1) == "+" else -minutes))
    return tz


def to_seconds(values: pd.Series, fmt: str | None, tz: str | None = None) -> np.ndarray:
    """Wall-clock seconds since 1970 (in the column's own zone); NaN where missing."""
    if fmt is not None and not pd.api.types.is_datetime64_any_dtype(values):
        text = values.astype("string").str.strip()
        parsed = pd.to_datetime(text, format=fmt, errors="coerce", utc="%z" in fmt)
    else:
        parsed = pd.to_datetime(values, errors="coerce")
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        if tz is not None:
            parsed = parsed.dt.tz_convert(_timezone(tz))
        parsed = parsed.dt.tz_localize(None)
    return ((parsed - pd.Timestamp(0)).dt.total_seconds()).to_numpy(float)


def from_seconds(seconds: np.ndarray, spec: ColumnSpec) -> pd.Series:
    stamps = pd.Series(pd.to_datetime(seconds, unit="s", errors="coerce"))
    if spec.tz:
        stamps = stamps.dt.tz_localize(
            _timezone(spec.tz), ambiguous=np.zeros(len(stamps), bool), nonexistent="shift_forward"
        )
    if spec.fmt is None:
        return stamps
    text = stamps.dt.strftime(spec.fmt)
    return text.astype(object).where(stamps.notna(), np.nan)


STEPS = (86400.0, 3600.0, 60.0, 1.0)


def steps_ok(seconds: np.ndarray) -> list[bool]:
    """For each datetime resolution of STEPS, whether every value is a multiple of it."""
    return [bool(np.all(np.mod(seconds, step) == 0)) for step in STEPS]


def step_from_ok(ok) -> float | None:
    return next((step for step, good in zip(STEPS, ok) if good), None)


def _int_like(dtype: str) -> bool:
    try:
        return pd.api.types.is_integer_dtype(pd.api.types.pandas_dtype(dtype))
    except TypeError:
        return False


def _out_dtype(kind: str, dtype: str, has_missing: bool, integral: bool, ints: bool) -> str | None:
    """Generated dtype: the input's, except that integers with missing cells become pandas'
    nullable Int64 and numbers that arrived as text come back as Int64 / float64."""
    if kind == "numeric":
        if _int_like(dtype) or (integral and not dtype.startswith("float")):
            return "Int64" if has_missing or dtype == "Int64" else dtype if _int_like(dtype) else "int64"
        return dtype if dtype.startswith("float") else "float64"
    if kind in ("categorical", "constant"):
        if ints and _int_like(dtype):
            return "Int64" if has_missing else dtype
        if dtype == "bool" and not has_missing:
            return "bool"
        if dtype == "category":
            return "category"
        return dtype if dtype.startswith("float") else "object"
    if kind == "datetime":
        return None
    if kind == "identifier":
        return dtype if _int_like(dtype) else "object"
    return "object"


def _plain(value):
    """numpy scalar → Python scalar, so categories survive JSON."""
    return value.item() if isinstance(value, np.generic) else value


class TabularTransformer:
    """DataFrame ⇄ float32 matrix in [0, 1], fully JSON-serialisable."""

    def __init__(self, *, clip: bool = True):
        self.clip = clip
        self.missing_rates_: dict[str, list[float]] = {}

    def fit(self, df: pd.DataFrame, *, dtypes: dict | None = None, schema: dict | None = None) -> TabularTransformer:
        """``dtypes``: original dtype names per column (before cleaning turned text to float);
        ``schema``: column → {"kind", "fmt", "tz", "top"} as cleaning detected it (without it,
        numeric dtypes are numeric and everything else categorical)."""
        dtypes, schema = dtypes or {}, schema or {}
        self.columns_ = [
            self._fit_column(name, df[name], str(dtypes.get(name, df[name].dtype)), schema.get(name))
            for name in df.columns
        ]
        self.n_features_ = sum(s.width for s in self.columns_)
        return self

    @property
    def n_discrete_(self) -> int:
        """Binary model-space features (one-hot categories, missing indicators) of the fitted table."""
        return sum(s.width - (s.kind in ("numeric", "datetime")) for s in self.columns_ if s.width)

    @staticmethod
    def _fit_column(name: str, column: pd.Series, dtype: str, info: dict | None) -> ColumnSpec:
        numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
        info = info or {"kind": "numeric" if numeric else "categorical"}
        kind, present = info["kind"], column.dropna()
        facts = {"missing": bool(column.isna().any())}
        if kind in ("numeric", "datetime"):
            if kind == "numeric":
                values = present.to_numpy(float)
                facts["decimals_ok"] = decimals_ok(values)
                facts["q1"], facts["q3"] = (float(q) for q in np.quantile(values, [0.25, 0.75], method="lower"))
            else:
                values = to_seconds(column, info.get("fmt"), info.get("tz"))
                values = values[~np.isnan(values)]
                facts["steps_ok"] = steps_ok(values)
            facts.update(minimum=float(values.min()), maximum=float(values.max()), median=float(np.median(values)))
        elif kind == "categorical":
            facts["counts"] = present.map(_plain).value_counts(sort=True)
        elif kind == "constant":
            facts["first"] = _plain(present.iloc[0]) if len(present) else None
        elif kind == "identifier":
            facts["shape"] = id_shape(present)
        return spec_from_facts(name, kind, dtype, info, facts)

    @property
    def feature_names_(self) -> list[str]:
        names = []
        for s in self.columns_:
            if s.kind == "categorical":
                names += [f"{s.name}={c}" for c in s.categories]
            elif s.kind in ("numeric", "datetime"):
                names.append(s.name)
            if s.width and s.missing:
                names.append(f"{s.name}__missing")
        return names

    def transform(self, df: pd.DataFrame) -> np.ndarray:
        """(n, n_features_) float32 in [0, 1]; missing cells imputed, indicators 1."""
        absent = [s.name for s in self.columns_ if s.name not in df.columns]
        if absent:
            raise DataError(f"columns {absent} are missing from the table")
        blocks = [np.zeros((len(df), 0))]
        for s in self.columns_:
            if not s.width:
                continue
            column = df[s.name]
            if s.kind in ("numeric", "datetime"):
                if s.kind == "datetime":
                    values = to_seconds(column, s.fmt, s.tz)
                else:
                    values = pd.to_numeric(column, errors="coerce").to_numpy(float, na_value=np.nan)
                gaps = np.isnan(values)
                values = np.where(gaps, s.fill if s.fill is not None else s.minimum, values)
                blocks.append(to_unit(values, s)[:, None])
            else:
                values = column.map(_plain).to_numpy(object)
                gaps = np.asarray(pd.isna(column), bool)
                known = np.isin(values, np.asarray(s.categories, dtype=object))
                if s.other is not None:
                    values = np.where(~known & ~gaps, s.other, values)
                values = np.where(gaps, s.fill, values)
                blocks.append(np.stack([values == c for c in s.categories], axis=1).astype(float))
            if s.missing:
                blocks.append(gaps.astype(float)[:, None])
        return np.concatenate(blocks, axis=1).astype(np.float32)

    def inverse_transform(self, X: np.ndarray, *, codes: np.ndarray | None = None) -> pd.DataFrame:
        """(n, n_features_) model-space rows → DataFrame in original units, order and dtypes.
        ``codes``: each row's cluster, which sets its missing rates (default cluster 0)."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features_:
            raise DataError(f"expected rows of {self.n_features_} features, got shape {X.shape}")
        n = len(X)
        keys = row_keys(X)
        codes = np.zeros(n, np.int64) if codes is None else np.asarray(codes, np.int64)
        out, i = {}, 0
        for j, s in enumerate(self.columns_):
            block = X[:, i : i + s.width]
            i += s.width
            blank = self._blanks(s.name, codes, keys, salt=1 + 2 * j)
            out[s.name] = self._decode_column(s, block, blank, keys, salt=2 + 2 * j)
        return pd.DataFrame(out, columns=[s.name for s in self.columns_])

    def _blanks(self, name: str, codes: np.ndarray, keys: np.ndarray, salt: int) -> np.ndarray:
        rates = self.missing_rates_.get(name)
        if not rates:
            return np.zeros(len(codes), bool)
        rates = np.asarray(rates, float)
        return uniforms(keys, salt) < rates[np.clip(codes, 0, len(rates) - 1)]

    def _decode_column(self, s: ColumnSpec, block: np.ndarray, blank: np.ndarray, keys, salt: int) -> pd.Series:
        n = len(block)
        if s.kind in ("numeric", "datetime"):
            values = from_unit(block[:, 0], s)
            if self.clip:
                values = np.clip(values, s.minimum, s.maximum)
            if s.kind == "datetime":
                if s.step:
                    values = np.round(values / s.step) * s.step
                return from_seconds(np.where(blank, np.nan, values), s)
            values = rounded(values, s, clip=self.clip)
            return _restore_dtype(np.where(blank, np.nan, values), s.out_dtype or s.dtype)
        if s.kind == "categorical":
            width = len(s.categories)
            picks = np.asarray(s.categories, dtype=object)[block[:, :width].argmax(axis=1)] if width else [None] * n
            series = pd.Series(picks, dtype=object).where(~blank, None)
        elif s.kind == "constant":
            series = pd.Series([s.value] * n, dtype=object).where(~blank, None)
        elif s.kind == "identifier":
            series = pd.Series(fresh_ids(s.shape, keys, salt), dtype=object).where(~blank, None)
        else:
            series = pd.Series([None] * n, dtype=object)
        return _cast(series, s.out_dtype)

    def to_dict(self) -> dict:
        return {"clip": self.clip, "columns": [asdict(s) for s in self.columns_], "missing_rates": self.missing_rates_}

    @classmethod
    def from_dict(cls, obj: dict) -> TabularTransformer:
        self = cls(clip=bool(obj["clip"]))
        self.columns_ = [ColumnSpec(**{**c, "categories": tuple(c.get("categories", ()))}) for c in obj["columns"]]
        self.n_features_ = sum(s.width for s in self.columns_)
        self.missing_rates_ = {k: list(v) for k, v in obj.get("missing_rates", {}).items()}
        return self


def spec_from_facts(name: str, kind: str, dtype: str, info: dict, facts: dict) -> ColumnSpec:
    """A column's spec from what fitting learned about it (``facts``): whether it has missing
    cells; numeric/datetime: minimum, maximum, median and ``decimals_ok``/``steps_ok``;
    categorical: ``counts``, the value counts (any order);
    constant: ``first`` present value; identifier: ``shape``. ``synth.data.streaming`` computes the
    same facts from mergeable block statistics."""
    has_missing = facts["missing"]
    base = {"name": name, "kind": kind, "dtype": dtype}
    if kind == "numeric":
        decimals = decimals_from_ok(facts["decimals_ok"])
        return ColumnSpec(
            **base,
            minimum=facts["minimum"],
            maximum=facts["maximum"],
            decimals=decimals,
            missing=has_missing,
            fill=facts["median"],
            out_dtype=_out_dtype(kind, dtype, has_missing, decimals == 0, False),
            **scale_fields(facts),
        )
    if kind == "datetime":
        return ColumnSpec(
            **base,
            minimum=facts["minimum"],
            maximum=facts["maximum"],
            missing=has_missing,
            fill=facts["median"],
            fmt=info.get("fmt"),
            tz=info.get("tz"),
            step=step_from_ok(facts["steps_ok"]),
        )
    if kind == "categorical":
        counts = _by_count(facts["counts"])
        levels = counts.index.tolist()
        other = None
        if info.get("top"):
            levels = levels[: int(info.get("top_k", 20))]
            other = OTHER if OTHER not in levels else f"{OTHER}_"
        levels = sorted(levels, key=lambda v: (str(type(v)), v))
        ints = all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in levels)
        return ColumnSpec(
            **base,
            categories=tuple(_plain(v) for v in levels) + ((other,) if other else ()),
            missing=has_missing,
            fill=_plain(counts.index[0]),
            other=other,
            out_dtype=_out_dtype(kind, dtype, has_missing, False, ints),
        )
    if kind == "constant":
        value = facts["first"]
        ints = isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer()
        return ColumnSpec(**base, value=value, out_dtype=_out_dtype(kind, dtype, has_missing, False, ints))
    if kind == "identifier":
        return ColumnSpec(**base, shape=facts["shape"], out_dtype=_out_dtype(kind, dtype, False, True, True))
    return ColumnSpec(**base, out_dtype="object")


def _by_count(counts: pd.Series) -> pd.Series:
    """Value counts, most frequent first, ties in value order: the mode and the kept "top" values
    then do not depend on the order of the rows."""
    order = sorted(
        range(len(counts)), key=lambda i: (-int(counts.iloc[i]), str(type(counts.index[i])), counts.index[i])
    )
    return counts.iloc[order]


def _cast(series: pd.Series, dtype: str | None) -> pd.Series:
    if dtype in (None, "object"):
        return series.where(series.notna(), np.nan)
    try:
        return series.astype(dtype)
    except (TypeError, ValueError):
        return series.where(series.notna(), np.nan)


def _restore_dtype(values: np.ndarray, dtype: str) -> pd.Series:
    """Generated floats back in the column's dtype (ints stay ints; Int64 holds missing cells)."""
    if dtype == "Int64":
        return pd.Series(
            pd.array(np.where(np.isnan(values), 0, np.round(values)).astype(np.int64), dtype="Int64")
        ).mask(np.isnan(values))
    try:
        target = pd.api.types.pandas_dtype(dtype)
    except TypeError:
        target = None
    if target is not None and pd.api.types.is_integer_dtype(target) and not np.isnan(values).any():
        return pd.Series(np.round(values).astype(np.int64)).astype(target)
    if target is not None and pd.api.types.is_float_dtype(target):
        return pd.Series(values).astype(target)
    return pd.Series(values)
