"""Parquet inputs: a file, a directory of part files, a glob, or a URI pyarrow can open
(``s3://``, ``gs://``, … through its filesystems). Read whole into one DataFrame, in sorted file
order; every file must have the same schema."""

from __future__ import annotations

import glob
from pathlib import Path

import pandas as pd

from synth.errors import DataError

SUFFIXES = (".parquet", ".pq")


def is_parquet_source(source: str) -> bool:
    """Whether ``--data`` names Parquet: a .parquet/.pq file or glob, a URI, or a folder of them."""
    if "://" in source:
        return True
    if source.lower().endswith(SUFFIXES):
        return True
    path = Path(source)
    return path.is_dir() and any(p.suffix.lower() in SUFFIXES for p in path.iterdir())


def read_parquet_source(source: str) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    if "://" in source:
        try:
            table = ds.dataset(source, format="parquet").to_table()
        except (OSError, ValueError, pa.ArrowException) as exc:
            raise DataError(f"cannot read Parquet from {source}: {str(exc).splitlines()[0]}") from None
        return _frame(table, source)
    files = parquet_files(source)
    tables = []
    for file in files:
        try:
            tables.append(pq.read_table(file))
        except (OSError, pa.ArrowException) as exc:
            raise DataError(f"{file} could not be read as Parquet: {str(exc).splitlines()[0]}") from None
    first = tables[0].schema.remove_metadata()
    for file, table in zip(files[1:], tables[1:]):
        if not table.schema.remove_metadata().equals(first):
            raise DataError(
                f"{file} has another schema than {files[0]} "
                f"({_schema_text(table.schema)} vs {_schema_text(first)}); all parts must match"
            )
    return _frame(pa.concat_tables(tables), source)


def parquet_files(source: str) -> list[Path]:
    """The local files of a Parquet source, in sorted order: a file, a folder's parts or a glob."""
    path = Path(source)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES)
        if not files:
            raise DataError(f"no Parquet files in {source}")
    elif glob.has_magic(source):
        files = sorted(Path(p) for p in glob.glob(source, recursive=True))
        if not files:
            raise DataError(f"no files match {source}")
    else:
        if not path.exists():
            raise DataError(f"file not found: {path}")
        files = [path]
    return files


def check_schemas(files: list[Path]) -> None:
    """Every part has the first part's schema (read from the footers only)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schemas = []
    for file in files:
        try:
            schemas.append(pq.read_schema(file).remove_metadata())
        except (OSError, pa.ArrowException) as exc:
            raise DataError(f"{file} could not be read as Parquet: {str(exc).splitlines()[0]}") from None
    for file, schema in zip(files[1:], schemas[1:]):
        if not schema.equals(schemas[0]):
            raise DataError(
                f"{file} has another schema than {files[0]} "
                f"({_schema_text(schema)} vs {_schema_text(schemas[0])}); all parts must match"
            )


def _schema_text(schema) -> str:
    return ", ".join(f"{f.name}: {f.type}" for f in schema)


def _frame(table, source: str) -> pd.DataFrame:
    frame = table.to_pandas()
    if frame.shape[0] == 0:
        raise DataError(f"{source} holds no rows")
    return frame
