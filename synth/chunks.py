"""Generation at scale in fixed-size seeded chunks, so the rows do not depend on who draws them.

A request for ``n`` rows with ``seed`` is cut into chunks of ``chunk_rows`` (the last one may be
shorter). Chunk ``i`` draws its rows with its own seed, ``SeedSequence([seed, i])``, so the same
request gives the same rows — in chunk order — whether one process writes every chunk or K Ray
workers share them (``synth.distributed.dataset``): the chunk, not the worker, owns the seed.
This is the scheme of counter-based parallel random streams (Salmon et al. 2011, "Parallel random
numbers: as easy as 1, 2, 3"), with numpy's SeedSequence spawning the independent streams.

Output: one file per chunk (``part-00000.parquet`` …; csv for tables, npz for images and 2-D
records) and ``manifest.json`` (rows, seed, model fingerprint, generation options, chunk list
with each file's SHA-256). The manifest is rewritten after every finished chunk, so
``resume=True`` skips the chunks already written and checked; a directory holding parts of
another request is refused unless ``overwrite=True``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from synth.errors import ConfigError

MANIFEST = "manifest.json"
FORMAT = "latentsynth-dataset"
VERSION = 1
CHUNK_ROWS = 100_000
FILE_FORMATS = {"tabular": ("parquet", "csv"), "image": ("npz",), "record": ("npz",)}


@dataclass(frozen=True)
class Chunk:
    index: int
    start: int  # first row's position in the whole request
    rows: int
    seed: int

    @property
    def name(self) -> str:
        return f"part-{self.index:05d}"


def plan_chunks(n: int, seed: int, chunk_rows: int = CHUNK_ROWS) -> list[Chunk]:
    """The chunks of a request: fixed size, each with its own seed from SeedSequence([seed, i])."""
    if int(n) < 1 or int(chunk_rows) < 1:
        raise ConfigError(f"need n >= 1 and chunk_rows >= 1, got n={n}, chunk_rows={chunk_rows}")
    count = -(-int(n) // int(chunk_rows))
    return [Chunk(i, i * chunk_rows, min(chunk_rows, n - i * chunk_rows), _chunk_seed(seed, i)) for i in range(count)]


def _chunk_seed(seed: int, index: int) -> int:
    return int(np.random.SeedSequence([int(seed), int(index)]).generate_state(1, dtype=np.uint32)[0])


def model_fingerprint(artifact: str | Path) -> str:
    """SHA-256 over the artifact's files (names and bytes), in name order."""
    digest = hashlib.sha256()
    root = Path(artifact)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def chunk_bytes(syn, chunk: Chunk, file_format: str, options: dict) -> bytes:
    """The file of one chunk: its rows (with the label column) in ``file_format``."""
    samples = syn.generate(chunk.rows, random_state=chunk.seed, **options)
    if syn.data_kind_ == "tabular":
        frame = samples.data.assign(**{syn.label_name_ or "cluster": samples.labels})
        frame.index = pd.RangeIndex(chunk.start, chunk.start + chunk.rows)
        if file_format == "csv":
            return frame.to_csv(index=False).encode()
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False, engine="pyarrow")
        return buffer.getvalue()
    buffer = io.BytesIO()
    key = "records" if syn.data_kind_ == "record" else "images"
    np.savez(buffer, **{key: samples.data}, labels=np.asarray(samples.labels).astype(str))
    return buffer.getvalue()


@dataclass
class DatasetRequest:
    """Everything that decides the rows; a resumed run must ask for the same."""

    rows: int
    seed: int
    chunk_rows: int
    file_format: str
    fingerprint: str
    options: dict

    def manifest(self, chunks: list[dict]) -> dict:
        return {"format": FORMAT, "version": VERSION, **asdict(self), "chunks": chunks}


def prepare_output(out: str | Path, request: DatasetRequest, *, resume: bool, overwrite: bool) -> dict[int, dict]:
    """Make ``out`` ready; return the chunks already done (index → manifest entry) when resuming."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out} exists and is not a directory")
    present = sorted(p.name for p in out.iterdir()) if out.exists() else []
    if present and overwrite:
        for name in present:
            if name == MANIFEST or name.startswith("part-"):
                (out / name).unlink()
        present = []
    if present and not resume:
        raise ConfigError(f"{out} is not empty; pass --resume to continue it or --force to replace it")
    out.mkdir(parents=True, exist_ok=True)
    if not present:
        return {}
    try:
        manifest = json.loads((out / MANIFEST).read_text())
    except (OSError, json.JSONDecodeError):
        raise ConfigError(f"{out} has no readable {MANIFEST}; it was not written by this command") from None
    wanted = request.manifest([])
    for key in ("format", "version", "rows", "seed", "chunk_rows", "file_format", "fingerprint", "options"):
        if manifest.get(key) != wanted[key]:
            raise ConfigError(
                f"{out} holds another request ({key}: {manifest.get(key)!r} there, {wanted[key]!r} now); "
                "use another --out or --force"
            )
    done = {}
    for entry in manifest.get("chunks", []):
        path = out / entry["file"]
        if path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]:
            done[int(entry["index"])] = entry
    return done


def write_chunk_file(out: Path, chunk: Chunk, file_format: str, data: bytes) -> dict:
    """Atomically write a chunk's file; its manifest entry."""
    name = f"{chunk.name}.{file_format}"
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=out)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, out / name)
    return {"index": chunk.index, "start": chunk.start, "rows": chunk.rows, "seed": chunk.seed, "file": name,
            "sha256": hashlib.sha256(data).hexdigest()}  # fmt: skip


def write_manifest(out: Path, request: DatasetRequest, done: dict[int, dict]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".manifest.", dir=out)
    with os.fdopen(fd, "w") as handle:
        json.dump(request.manifest([done[i] for i in sorted(done)]), handle, indent=1)
    os.replace(tmp, out / MANIFEST)


def write_dataset(
    syn,
    artifact: str | Path,
    n: int,
    out: str | Path,
    *,
    seed: int = 0,
    chunk_rows: int = CHUNK_ROWS,
    file_format: str | None = None,
    options: dict | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress=None,
) -> dict:
    """Write ``n`` rows of ``syn`` (loaded from ``artifact``) to ``out`` in this process; the
    manifest. ``options``: ``generate``'s keyword arguments (cluster, method, conditions, …)."""
    request, chunks = dataset_request(syn, artifact, n, seed=seed, chunk_rows=chunk_rows,
                                      file_format=file_format, options=options)  # fmt: skip
    out = Path(out)
    done = prepare_output(out, request, resume=resume, overwrite=overwrite)
    for chunk in chunks:
        if chunk.index in done:
            continue
        done[chunk.index] = write_chunk_file(out, chunk, request.file_format,
                                             chunk_bytes(syn, chunk, request.file_format, request.options))  # fmt: skip
        write_manifest(out, request, done)
        if progress is not None:
            progress(len(done), len(chunks))
    write_manifest(out, request, done)
    return request.manifest([done[i] for i in sorted(done)])


def dataset_request(syn, artifact, n, *, seed, chunk_rows, file_format, options) -> tuple[DatasetRequest, list]:
    """The request's identity and its chunks; checks the format against the model's data kind."""
    allowed = FILE_FORMATS[syn.data_kind_]
    file_format = file_format or allowed[0]
    if file_format not in allowed:
        raise ConfigError(f"format {file_format!r} is not for {syn.data_kind_} models; use one of {list(allowed)}")
    try:
        options = json.loads(json.dumps(options or {}))  # JSON-able, as stored in the manifest
    except TypeError as exc:
        raise ConfigError(f"chunked generation takes JSON-able options only (no Python predicates): {exc}") from None
    request = DatasetRequest(int(n), int(seed), int(chunk_rows), file_format, model_fingerprint(artifact), options)
    return request, plan_chunks(n, seed, chunk_rows)


def read_dataset(out: str | Path) -> pd.DataFrame:
    """A table written by ``write_dataset`` as one DataFrame, in chunk order (for checks and tests)."""
    out = Path(out)
    manifest = json.loads((out / MANIFEST).read_text())
    reader = pd.read_parquet if manifest["file_format"] == "parquet" else pd.read_csv
    return pd.concat([reader(out / entry["file"]) for entry in manifest["chunks"]], ignore_index=True)
