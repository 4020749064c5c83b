"""Conditions on column values and constraints between columns, checked on decoded rows.

A *condition* asks for rows with given values: equality or a set on a categorical
column (``{"island": "Dream"}``, ``{"island": ["Dream", "Biscoe"]}``), a closed range
on a numeric or datetime column (``{"age": [60, 80]}``, ``[60, None]`` for an open
end). A *constraint* must hold on every row: ``{"kind": "inequality", "low": "start",
"high": "end"}`` (low ≤ high, ``strict`` for <), ``{"kind": "positive", "column": c}``
/ ``"negative"`` (strict by default, as SDV's ``Positive``/``Negative``),
``{"kind": "fixed_combinations", "columns": [...]}`` (only value combinations seen in
training; fitted at ``fit``), and, from Python only, any callable ``frame -> bool mask``.

``compile_filter`` validates everything against the model's columns (unknown column,
wrong type, a value never seen, a range outside the seen range → ConditionError naming
the field) and returns a ``RowFilter`` whose ``mask(frame)`` is exact: a returned row
satisfies every condition and constraint, missing cells never satisfy a condition.
"""

from __future__ import annotations

import json
import numbers
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from synth.errors import ConditionError

CONSTRAINT_KINDS = ("inequality", "positive", "negative", "fixed_combinations")


@dataclass(frozen=True)
class ColumnInfo:
    """What a condition needs to know of a column: its kind and seen values or range."""

    name: str
    kind: str  # "numeric" | "categorical" | "datetime" | another kind the model does not condition on
    categories: tuple = ()
    minimum: float | None = None  # numeric: seen range; datetime: as Timestamps' ns
    maximum: float | None = None


@dataclass(frozen=True)
class Condition:
    column: str
    values: tuple = ()  # categorical: allowed values
    low: float | None = None  # numeric/datetime: closed range; None = open end
    high: float | None = None
    datetime: bool = False

    def describe(self) -> str:
        if self.values:
            return (
                f"{self.column}∈{{{', '.join(map(str, self.values))}}}"
                if len(self.values) > 1
                else (f"{self.column}={self.values[0]}")
            )
        low, high = (_fmt_time(v) if self.datetime else v for v in (self.low, self.high))
        return f"{self.column}∈[{'-∞' if low is None else low}, {'∞' if high is None else high}]"

    def mask(self, frame: pd.DataFrame) -> np.ndarray:
        column = frame[self.column]
        if self.values:
            ok = column.isin(list(self.values)).to_numpy(bool) | column.astype(str).isin(
                [str(v) for v in self.values]
            ).to_numpy(bool)
            return ok & column.notna().to_numpy(bool)
        values = _as_ns(column) if self.datetime else pd.to_numeric(column, errors="coerce").to_numpy(float)
        ok = ~np.isnan(values)
        if self.low is not None:
            ok &= values >= self.low
        if self.high is not None:
            ok &= values <= self.high
        return ok


@dataclass(frozen=True)
class Constraint:
    kind: str
    columns: tuple[str, ...]
    strict: bool = False
    combinations: frozenset = field(default_factory=frozenset)  # fixed_combinations, fitted

    def describe(self) -> str:
        if self.kind == "inequality":
            return f"{self.columns[0]}{'<' if self.strict else '≤'}{self.columns[1]}"
        if self.kind in ("positive", "negative"):
            sign = ">" if self.kind == "positive" else "<"
            return f"{self.columns[0]}{sign}{'' if self.strict else '='}0"
        return f"fixed_combinations({', '.join(self.columns)})"

    def mask(self, frame: pd.DataFrame) -> np.ndarray:
        if self.kind == "inequality":
            low, high = (_comparable(frame[c]) for c in self.columns)
            ok = (low < high) if self.strict else (low <= high)
            return np.asarray(ok, bool) & ~np.isnan(low) & ~np.isnan(high)
        if self.kind in ("positive", "negative"):
            values = pd.to_numeric(frame[self.columns[0]], errors="coerce").to_numpy(float)
            sign = values if self.kind == "positive" else -values
            return (sign > 0) if self.strict else (sign >= 0)
        keys = _combination_keys(frame, self.columns)
        return np.array([k in self.combinations for k in keys], bool)

    def to_dict(self) -> dict:
        out = {"kind": self.kind, "columns": list(self.columns), "strict": self.strict}
        if self.kind == "fixed_combinations":
            out["combinations"] = sorted(json.loads(k) for k in self.combinations)
        return out

    @classmethod
    def from_dict(cls, obj: dict) -> Constraint:
        combos = frozenset(json.dumps(list(c)) for c in obj.get("combinations", []))
        return cls(obj["kind"], tuple(obj["columns"]), bool(obj.get("strict", False)), combos)


@dataclass
class RowFilter:
    """The compiled conditions and constraints of one request; ``mask(frame)`` → (n,) bool."""

    conditions: list[Condition]
    constraints: list[Constraint]
    predicates: list[Callable] = field(default_factory=list)
    clusters: tuple | None = None  # cluster names the label conditions allow (None: all)
    label: str = "cluster"  # the label column's name, for ``describe``

    def __bool__(self) -> bool:
        return bool(self.conditions or self.constraints or self.predicates or self.clusters is not None)

    def describe(self) -> str:
        parts = [] if self.clusters is None else [Condition(self.label, values=self.clusters).describe()]
        parts += [c.describe() for c in self.conditions] + [c.describe() for c in self.constraints]
        parts += [getattr(p, "__name__", "predicate") for p in self.predicates]
        return "; ".join(parts)

    def mask(self, frame: pd.DataFrame) -> np.ndarray:
        ok = np.ones(len(frame), bool)
        for check in (*self.conditions, *self.constraints):
            ok &= check.mask(frame)
        for predicate in self.predicates:
            result = np.asarray(predicate(frame))
            if result.shape != (len(frame),):
                raise ConditionError(
                    f"predicate {getattr(predicate, '__name__', predicate)!r} must return one bool per row"
                )
            ok &= result.astype(bool)
        return ok


# ------------------------------------------------------------------ compiling a request
def compile_filter(
    conditions: dict | None,
    constraints: list | None,
    *,
    columns: dict[str, ColumnInfo],
    label: str | None = None,
    cluster_names: list | None = None,
    declared: list[Constraint] = (),
) -> RowFilter:
    """Validate a request's ``conditions`` (column → value, list/set of values, or [low, high])
    and ``constraints`` (dicts or callables) against the model's ``columns``."""
    if conditions is not None and not isinstance(conditions, dict):
        raise ConditionError(f"conditions must be a mapping column → value(s) or [low, high], got {conditions!r}")
    parsed, clusters = [], None
    for name, spec in (conditions or {}).items():
        if label is not None and name == label:
            clusters = _label_clusters(name, spec, cluster_names or [])
            continue
        if name not in columns:
            known = sorted(columns) + ([label] if label else [])
            raise ConditionError(f"conditions: unknown column {name!r}; the columns are {known}", field=name)
        parsed.append(_condition(columns[name], spec))
    checks = list(declared)
    predicates = []
    for item in constraints or []:
        if callable(item):
            predicates.append(item)
        else:
            checks.append(_constraint(item, columns))
    return RowFilter(parsed, checks, predicates, clusters, label or "cluster")


def _label_clusters(name: str, spec, cluster_names: list) -> tuple:
    values = _values(spec)
    known = {str(c): c for c in cluster_names}
    unknown = [v for v in values if str(v) not in known]
    if unknown:
        raise ConditionError(f"conditions: {name} has no value {unknown[0]!r}; it has {cluster_names}", field=name)
    return tuple(known[str(v)] for v in values)


def _values(spec) -> list:
    if isinstance(spec, (list, tuple, set, frozenset)):
        values = list(spec)
        if not values:
            raise ConditionError("conditions: an empty set of values can never be met")
        return values
    return [spec]


def _condition(info: ColumnInfo, spec) -> Condition:
    name = info.name
    if info.kind == "categorical":
        values = _values(spec)
        seen = {str(c): c for c in info.categories}
        unseen = [v for v in values if str(v) not in seen]
        if unseen:
            raise ConditionError(
                f"conditions: column {name!r} never held {unseen[0]!r} in training, so the model cannot generate "
                f"it; seen values are {list(info.categories)}",
                field=name,
            )
        return Condition(name, values=tuple(seen[str(v)] for v in values))
    if info.kind not in ("numeric", "datetime"):
        raise ConditionError(
            f"conditions: column {name!r} is {info.kind} and is not modelled, so it cannot be asked for", field=name
        )
    is_time = info.kind == "datetime"
    if isinstance(spec, dict):
        spec = [spec.get("min"), spec.get("max")]
    if isinstance(spec, (list, tuple)) and len(spec) == 2 and not isinstance(spec, str):
        low, high = (_bound(v, name, is_time) for v in spec)
    else:
        low = high = _bound(spec, name, is_time)
    if low is None and high is None:
        raise ConditionError(f"conditions: the range of {name!r} needs at least one bound", field=name)
    if low is not None and high is not None and low > high:
        raise ConditionError(
            f"conditions: the range of {name!r} is empty (low {spec[0]!r} > high {spec[1]!r})", field=name
        )
    if info.minimum is not None and info.maximum is not None:
        if (high is not None and high < info.minimum) or (low is not None and low > info.maximum):
            seen = [_fmt_time(info.minimum), _fmt_time(info.maximum)] if is_time else [info.minimum, info.maximum]
            raise ConditionError(
                f"conditions: the range of {name!r} lies outside the values seen in training {seen}; "
                "generated values stay inside that range",
                field=name,
            )
    return Condition(name, low=low, high=high, datetime=is_time)


def _bound(value, name: str, is_time: bool):
    if value is None:
        return None
    if is_time:
        try:
            stamp = pd.Timestamp(value)
        except (ValueError, TypeError):
            raise ConditionError(f"conditions: {value!r} is not a date/time for column {name!r}", field=name) from None
        if stamp is pd.NaT:
            raise ConditionError(f"conditions: {value!r} is not a date/time for column {name!r}", field=name)
        # naive times are read as UTC, the same convention as the column's values (``_as_ns``)
        return float((stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else stamp).value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ConditionError(
            f"conditions: column {name!r} is numeric; give a number or [low, high], got {value!r}", field=name
        )
    return float(value)


def _constraint(item, columns: dict[str, ColumnInfo]) -> Constraint:
    if not isinstance(item, dict) or item.get("kind") not in CONSTRAINT_KINDS:
        raise ConditionError(f"constraints: each one is a dict with kind one of {list(CONSTRAINT_KINDS)}, got {item!r}")
    kind = item["kind"]
    if kind == "inequality":
        names = (item.get("low"), item.get("high"))
    elif kind in ("positive", "negative"):
        names = (item.get("column"),)
    else:
        raise ConditionError("constraints: fixed_combinations is declared when fitting (constraints= of the model)")
    for name in names:
        if name not in columns:
            raise ConditionError(f"constraints: unknown column {name!r}; the columns are {sorted(columns)}", field=name)
        if columns[name].kind not in ("numeric", "datetime"):
            raise ConditionError(
                f"constraints: {kind} needs numeric or datetime columns; {name!r} is {columns[name].kind}", field=name
            )
    return Constraint(kind, tuple(names), bool(item.get("strict", kind != "inequality")))


# ------------------------------------------------------------------ declared at fit time
def fit_constraints(declared, frame: pd.DataFrame) -> list[Constraint]:
    """Constraints of the model's config, checked against (and, for fixed_combinations, learned
    from) the cleaned training table. A declared constraint the training rows break is an error:
    the model could never learn to satisfy it."""
    fitted = []
    columns = {c: ColumnInfo(c, "numeric" if pd.api.types.is_numeric_dtype(frame[c]) else "categorical") for c in frame}
    for item in declared or ():
        if isinstance(item, dict) and item.get("kind") == "fixed_combinations":
            names = tuple(item.get("columns") or ())
            unknown = [c for c in names if c not in frame.columns]
            if len(names) < 2 or unknown:
                raise ConditionError(f"constraints: fixed_combinations needs ≥ 2 known columns, got {list(names)}")
            constraint = Constraint(
                "fixed_combinations", names, combinations=frozenset(_combination_keys(frame, names))
            )
        else:
            constraint = _constraint(item, columns)
        broken = int((~constraint.mask(frame)).sum())
        if broken and constraint.kind != "fixed_combinations":
            raise ConditionError(
                f"constraints: {broken} training rows break {constraint.describe()}; fix the data or drop it"
            )
        fitted.append(constraint)
    return fitted


# ------------------------------------------------------------------ helpers
def _combination_keys(frame: pd.DataFrame, columns) -> list[str]:
    return [json.dumps([_plain(v) for v in row]) for row in frame[list(columns)].itertuples(index=False, name=None)]


def _plain(value):
    if isinstance(value, np.generic):
        value = value.item()
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else value


def _as_ns(column: pd.Series) -> np.ndarray:
    times = pd.to_datetime(column, errors="coerce", utc=True)
    return np.where(times.isna(), np.nan, times.dt.tz_localize(None).astype("int64").astype(float))


def _comparable(column: pd.Series) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(column):
        return column.to_numpy(float)
    return _as_ns(column)


def _fmt_time(value):
    return None if value is None else str(pd.Timestamp(int(value)))
