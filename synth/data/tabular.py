"""Tabular cleaning and the reversible feature transform (the VAE/GAN/FID report §4.2, docs/design.md).

Cleaning: the VAE/GAN/FID report's missing-value tokens → NaN, NaN rows dropped (or
imputed), |z| > 3 outlier rows dropped. Transform: numeric columns MinMax
scaled to [0, 1], categorical columns one-hot; the inverse gives back a
DataFrame in original units, column order and dtypes (ints stay ints).
Everything the transform learned is JSON (``to_dict``/``from_dict``), so an
artifact never holds a pickle or a training row.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from synth.errors import DataError

# the VAE/GAN/FID report §5.5: "-999, pending, or empty cells", §4.2: "N/A, … non-numeric characters (e.g. L)"
DEFAULT_NA_TOKENS = ("-999", "N/A", "NA", "pending", "L", "")
# In text columns only the unambiguous tokens mean "missing" ("L" may be a size).
CATEGORICAL_NA_TOKENS = ("N/A", "NA", "")
MAX_DECIMALS = 6


@dataclass(frozen=True)
class CleaningOptions:
    na_tokens: tuple[str, ...] = DEFAULT_NA_TOKENS
    missing: str = "drop"  # "drop" rows with NaN, or "impute" (median / mode)
    outlier_z: float | None = 3.0  # drop rows with any numeric |z| above this; None keeps all
    clip: bool = True  # clip generated values to the range seen in training
    max_categories: int = 50
    drop_columns: tuple[str, ...] = ()

    def __post_init__(self):
        if self.missing not in ("drop", "impute"):
            raise DataError(f"missing={self.missing!r} is not an option; use 'drop' or 'impute'")
        if self.outlier_z is not None and not self.outlier_z > 0:
            raise DataError(f"outlier_z must be positive or None, got {self.outlier_z!r}")
        object.__setattr__(self, "na_tokens", tuple(str(t) for t in self.na_tokens))
        object.__setattr__(self, "drop_columns", tuple(self.drop_columns))


@dataclass
class CleaningReport:
    rows_in: int
    rows_out: int = 0
    dropped_missing: int = 0
    dropped_outliers: int = 0
    dropped_missing_label: int = 0
    tokens_replaced: dict = field(default_factory=dict)  # column → count
    imputed: dict = field(default_factory=dict)  # column → count
    numeric_columns: list = field(default_factory=list)
    categorical_columns: list = field(default_factory=list)
    dtypes: dict = field(default_factory=dict)  # column → dtype name as given

    def to_dict(self) -> dict:
        return asdict(self)


def _replace_tokens(column: pd.Series, tokens: tuple[str, ...]) -> tuple[pd.Series, int]:
    """Tokens → NaN, matching stripped text and numeric values equal to a numeric token."""
    as_text = column.astype("string").str.strip()
    hit = np.array(as_text.isin(tokens).fillna(False), dtype=bool)
    numeric_tokens = [float(t) for t in tokens if _is_number(t)]
    if numeric_tokens and pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        hit |= np.isin(column.to_numpy(float, na_value=np.nan), numeric_tokens)
    if not hit.any():
        return column, 0
    out = column.astype(object).where(~hit, np.nan)
    return out, int(hit.sum())


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _numeric_view(column: pd.Series) -> pd.Series | None:
    """The column as float if every non-missing value is a number, else None."""
    if pd.api.types.is_bool_dtype(column):
        return None
    if pd.api.types.is_numeric_dtype(column):
        return column.astype(float)
    if pd.api.types.is_datetime64_any_dtype(column):
        return None
    coerced = pd.to_numeric(column.astype("string").str.strip(), errors="coerce").astype(float)
    if coerced.notna().sum() == column.notna().sum():
        return coerced
    return None


def clean_table(
    df: pd.DataFrame, *, label: str | None = None, options: CleaningOptions = CleaningOptions()
) -> tuple[pd.DataFrame, pd.Series | None, CleaningReport]:
    """The VAE/GAN/FID report's cleaning. Returns (features, labels or None, report).

    Numeric-looking text columns become float columns; the returned frame keeps
    the original column order (label removed). Raises DataError naming the problem.
    """
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame, got {type(df).__name__}")
    if df.shape[0] == 0 or df.shape[1] == 0:
        raise DataError(f"the table is empty ({df.shape[0]} rows × {df.shape[1]} columns)")
    df = df.copy()
    df.columns = [str(c) for c in df.columns]
    if len(set(df.columns)) != len(df.columns):
        dup = sorted({c for c in df.columns if list(df.columns).count(c) > 1})
        raise DataError(f"duplicate column names: {dup}; rename them so each column is unique")
    report = CleaningReport(rows_in=int(len(df)), dtypes={c: str(t) for c, t in df.dtypes.items()})

    y = None
    if label is not None:
        if label not in df.columns:
            raise DataError(f"label column {label!r} not found; the columns are {list(df.columns)}")
        y, _ = _replace_tokens(df.pop(label), CATEGORICAL_NA_TOKENS)
        missing_label = y.isna().to_numpy()
        report.dropped_missing_label = int(missing_label.sum())
        df, y = df.loc[~missing_label], y.loc[~missing_label]
    unknown = [c for c in options.drop_columns if c not in df.columns]
    if unknown:
        raise DataError(f"drop_columns names unknown columns {unknown}; the columns are {list(df.columns)}")
    df = df.drop(columns=list(options.drop_columns))
    if df.shape[1] == 0:
        raise DataError("no feature columns left after removing the label and dropped columns")

    for name in df.columns:
        column = df[name]
        if pd.api.types.is_datetime64_any_dtype(column):
            raise DataError(
                f"column {name!r} holds dates, which are not supported; "
                "convert it to a number (e.g. days since an epoch) or drop it"
            )
        replaced, count = _replace_tokens(column, options.na_tokens)
        numeric = _numeric_view(replaced)
        if numeric is not None:
            df[name] = numeric
            report.numeric_columns.append(name)
        else:  # a text column: only the unambiguous tokens mean "missing"
            replaced, count = _replace_tokens(column, CATEGORICAL_NA_TOKENS)
            df[name] = replaced
            report.categorical_columns.append(name)
        if count:
            report.tokens_replaced[name] = count
        if df[name].isna().all():
            raise DataError(f"column {name!r} has no usable value (all missing after cleaning); drop it")
    if not report.numeric_columns:
        raise DataError(
            f"no numeric column found (columns: {list(df.columns)}); latentsynth needs at least one numeric feature"
        )
    for name in report.categorical_columns:
        n_levels = df[name].nunique(dropna=True)
        if n_levels > options.max_categories:
            raise DataError(
                f"column {name!r} has {n_levels} distinct text values (max_categories="
                f"{options.max_categories}); it looks like an identifier: drop it or raise the limit"
            )

    missing = df.isna().any(axis=1).to_numpy()
    if options.missing == "drop":
        report.dropped_missing = int(missing.sum())
        df = df.loc[~missing]
        y = y.loc[~missing] if y is not None else None
    else:
        for name in df.columns:
            gaps = df[name].isna()
            if gaps.any():
                fill = df[name].median() if name in report.numeric_columns else df[name].mode(dropna=True).iloc[0]
                df[name] = df[name].where(~gaps, fill)
                report.imputed[name] = int(gaps.sum())

    if options.outlier_z is not None and len(df) > 2:
        values = df[report.numeric_columns].to_numpy(float)
        std = values.std(axis=0)
        z = np.abs(values - values.mean(axis=0)) / np.where(std > 0, std, 1.0)
        outlier = (z > options.outlier_z).any(axis=1)
        report.dropped_outliers = int(outlier.sum())
        df = df.loc[~outlier]
        y = y.loc[~outlier] if y is not None else None

    report.rows_out = int(len(df))
    if len(df) < 2:
        raise DataError(
            f"only {len(df)} row(s) left after cleaning ({report.dropped_missing} dropped "
            f"for missing values, {report.dropped_outliers} as outliers); "
            "use missing='impute' or outlier_z=None, or provide more data"
        )
    return df.reset_index(drop=True), (y.reset_index(drop=True) if y is not None else None), report


def _decimals(values: np.ndarray) -> int:
    """Fewest decimals (≤ MAX_DECIMALS) that represent every value, so 5.1 stays 5.1."""
    for k in range(MAX_DECIMALS + 1):
        if np.allclose(np.round(values, k), values, rtol=0, atol=1e-9):
            return k
    return MAX_DECIMALS


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    kind: str  # "numeric" | "categorical"
    dtype: str  # pandas dtype name of the input column
    minimum: float = 0.0
    maximum: float = 1.0
    decimals: int | None = None  # rounding learned from the data (0 for integers)
    categories: tuple = ()

    @property
    def width(self) -> int:
        return len(self.categories) if self.kind == "categorical" else 1


class TabularTransformer:
    """DataFrame ⇄ float32 matrix in [0, 1] (MinMax + one-hot), fully JSON-serialisable."""

    def __init__(self, *, clip: bool = True):
        self.clip = clip

    def fit(self, df: pd.DataFrame, *, dtypes: dict | None = None) -> TabularTransformer:
        """``dtypes``: original dtype names per column (before cleaning turned text to float)."""
        dtypes = dtypes or {}
        specs = []
        for name in df.columns:
            column = df[name]
            dtype = str(dtypes.get(name, column.dtype))
            if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
                values = column.to_numpy(float)
                specs.append(
                    ColumnSpec(name, "numeric", dtype, float(values.min()), float(values.max()), _decimals(values))
                )
            else:
                levels = sorted(column.dropna().unique().tolist(), key=lambda v: (str(type(v)), v))
                specs.append(ColumnSpec(name, "categorical", dtype, categories=tuple(_plain(v) for v in levels)))
        self.columns_ = specs
        self.n_features_ = sum(s.width for s in specs)
        return self

    @property
    def feature_names_(self) -> list[str]:
        names = []
        for s in self.columns_:
            names += [f"{s.name}={c}" for c in s.categories] if s.kind == "categorical" else [s.name]
        return names

    def transform(self, df: pd.DataFrame) -> np.ndarray:
        """(n, n_features_) float32 in [0, 1]."""
        missing = [s.name for s in self.columns_ if s.name not in df.columns]
        if missing:
            raise DataError(f"columns {missing} are missing from the table")
        blocks = []
        for s in self.columns_:
            if s.kind == "numeric":
                span = s.maximum - s.minimum
                values = pd.to_numeric(df[s.name], errors="coerce").to_numpy(float)
                blocks.append(((values - s.minimum) / (span if span > 0 else 1.0))[:, None])
            else:
                values = df[s.name].map(_plain).to_numpy(object)
                onehot = np.stack([values == c for c in s.categories], axis=1).astype(float)
                blocks.append(onehot)
        return np.concatenate(blocks, axis=1).astype(np.float32)

    def inverse_transform(self, X: np.ndarray) -> pd.DataFrame:
        """(n, n_features_) model-space rows → DataFrame in original units, order and dtypes."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features_:
            raise DataError(f"expected rows of {self.n_features_} features, got shape {X.shape}")
        out, i = {}, 0
        for s in self.columns_:
            block = X[:, i : i + s.width]
            i += s.width
            if s.kind == "numeric":
                values = s.minimum + block[:, 0] * (s.maximum - s.minimum)
                if self.clip:
                    values = np.clip(values, s.minimum, s.maximum)
                if s.decimals is not None:
                    values = np.round(values, s.decimals)
                out[s.name] = _restore_dtype(values, s.dtype)
            else:
                picks = np.asarray(s.categories, dtype=object)[block.argmax(axis=1)]
                out[s.name] = pd.Series(picks).astype(s.dtype) if s.dtype in ("bool", "category") else picks
        return pd.DataFrame(out, columns=[s.name for s in self.columns_])

    def to_dict(self) -> dict:
        return {"clip": self.clip, "columns": [asdict(s) for s in self.columns_]}

    @classmethod
    def from_dict(cls, obj: dict) -> TabularTransformer:
        self = cls(clip=bool(obj["clip"]))
        self.columns_ = [ColumnSpec(**{**c, "categories": tuple(c["categories"])}) for c in obj["columns"]]
        self.n_features_ = sum(s.width for s in self.columns_)
        return self


def _plain(value):
    """numpy scalar → Python scalar, so categories survive JSON."""
    return value.item() if isinstance(value, np.generic) else value


def _restore_dtype(values: np.ndarray, dtype: str) -> pd.Series:
    """Generated floats back in the column's original dtype (ints stay ints)."""
    try:
        target = pd.api.types.pandas_dtype(dtype)
    except TypeError:
        target = None
    if target is not None and pd.api.types.is_integer_dtype(target):
        return pd.Series(np.round(values).astype(np.int64)).astype(target)
    if target is not None and pd.api.types.is_float_dtype(target):
        return pd.Series(values).astype(target)
    return pd.Series(values)  # numbers that arrived as text come back as float64
