"""Chunked generation on Ray: the chunks of ``synth.chunks`` drawn by K Ray tasks, or served as a
Ray Data dataset. Each chunk carries its own seed, so the rows are the same for any K."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from synth.chunks import (
    CHUNK_ROWS,
    Chunk,
    chunk_bytes,
    dataset_request,
    prepare_output,
    write_chunk_file,
    write_manifest,
)

_MODELS: dict = {}  # (artifact, fingerprint) → LatentSynthesizer, one load per worker process


def _model(artifact: str, fingerprint: str):
    from synth.synthesizer import LatentSynthesizer

    key = (artifact, fingerprint)
    if key not in _MODELS:
        _MODELS.clear()
        _MODELS[key] = LatentSynthesizer.load(artifact)
    return _MODELS[key]


def _draw_chunk(artifact: str, fingerprint: str, chunk: dict, file_format: str, options: dict) -> bytes:
    import torch

    torch.set_num_threads(1)  # one CPU per task, as requested from Ray
    return chunk_bytes(_model(artifact, fingerprint), Chunk(**chunk), file_format, options)


def write_dataset_ray(
    artifact: str | Path,
    n: int,
    out: str | Path,
    *,
    workers: int,
    seed: int = 0,
    chunk_rows: int = CHUNK_ROWS,
    file_format: str | None = None,
    options: dict | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress=None,
) -> dict:
    """``synth.chunks.write_dataset`` with the chunks drawn by at most ``workers`` Ray tasks at a
    time (one CPU each). Tasks return the chunk's bytes and this process writes them, so ``out``
    needs to be reachable from here only; the artifact must be readable by every node."""
    import ray

    from synth.synthesizer import LatentSynthesizer

    artifact = str(Path(artifact).resolve())
    syn = LatentSynthesizer.load(artifact)
    request, chunks = dataset_request(syn, artifact, n, seed=seed, chunk_rows=chunk_rows,
                                      file_format=file_format, options=options)  # fmt: skip
    out = Path(out)
    done = prepare_output(out, request, resume=resume, overwrite=overwrite)
    todo = [c for c in chunks if c.index not in done]
    task = ray.remote(num_cpus=1, max_retries=2)(_draw_chunk)
    running: dict = {}
    while todo or running:
        while todo and len(running) < workers:
            chunk = todo.pop(0)
            ref = task.remote(artifact, request.fingerprint, asdict(chunk), request.file_format, request.options)
            running[ref] = chunk
        ready, _ = ray.wait(list(running), num_returns=1)
        for ref in ready:
            chunk = running.pop(ref)
            done[chunk.index] = write_chunk_file(out, chunk, request.file_format, ray.get(ref))
            write_manifest(out, request, done)
            if progress is not None:
                progress(len(done), len(chunks))
    write_manifest(out, request, done)
    return request.manifest([done[i] for i in sorted(done)])


class _ChunkRows:
    """Ray Data callable: a batch of chunk descriptions → their generated rows."""

    def __init__(self, artifact: str, fingerprint: str, options: dict):
        self.syn, self.options = _model(artifact, fingerprint), options

    def __call__(self, batch):
        import pandas as pd

        frames = []
        for chunk in batch.to_dict("records"):
            chunk = Chunk(**{k: int(v) for k, v in chunk.items()})
            samples = self.syn.generate(chunk.rows, random_state=chunk.seed, **self.options)
            frames.append(samples.data.assign(**{self.syn.label_name_ or "cluster": samples.labels}))
        return pd.concat(frames, ignore_index=True)


def generate_dataset(
    artifact: str | Path,
    n: int,
    *,
    seed: int = 0,
    chunk_rows: int = CHUNK_ROWS,
    workers: int | None = None,
    options: dict | None = None,
):
    """``n`` rows of a tabular model as a lazy ``ray.data.Dataset`` in chunk order (same rows as
    ``write_dataset`` for the seed); ``workers`` caps the concurrent generators."""
    import ray

    from synth.synthesizer import LatentSynthesizer

    artifact = str(Path(artifact).resolve())
    syn = LatentSynthesizer.load(artifact)
    if syn.data_kind_ != "tabular":
        raise ValueError("generate_dataset serves tables; write images with write_dataset_ray")
    request, chunks = dataset_request(syn, artifact, n, seed=seed, chunk_rows=chunk_rows,
                                      file_format="parquet", options=options)  # fmt: skip
    ray.data.DataContext.get_current().execution_options.preserve_order = True
    items = ray.data.from_items([asdict(c) for c in chunks], override_num_blocks=len(chunks))
    return items.map_batches(
        _ChunkRows,
        fn_constructor_args=(artifact, request.fingerprint, request.options),
        batch_size=1,
        batch_format="pandas",
        concurrency=workers or 1,
        num_cpus=1,
    )
