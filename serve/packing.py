"""Many small generate requests → one decoder call, with each request's bytes unchanged.

``LatentSynthesizer`` decodes in zero-padded chunks of ``DECODE_CHUNK`` rows
so a row's output never depends on how many rows go with it. A request for
4 samples therefore pays for a full 256-row decode; a batch of requests can
share that chunk instead. That is only exact if a row's output depends on
nothing but the row and its position modulo some alignment: measured here,
MKL's small-K GEMM gives different last bits at offsets that are not a
multiple of 4. So each model is probed once at load (``row_alignment``):
the smallest alignment at which a block of rows decodes bit-identically at
offset 0 next to zeros and at other aligned offsets among random rows. Each
request then starts at an aligned offset and stays within one chunk; a model
that fails the probe is decoded one request at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from serve.payloads import encode_samples, formats_for
from serve.protocol import Failure, GenerateCall, Payload, failure_from
from synth.errors import GenerationError, LatentSynthError
from synth.synthesizer import DECODE_CHUNK, LatentDraw, LatentSynthesizer, Samples

ALIGNMENTS = (8, 16, 32, 64, 128)


@torch.no_grad()
def row_alignment(
    syn: LatentSynthesizer, *, chunk: int = DECODE_CHUNK, candidates=ALIGNMENTS, seed: int = 0
) -> int | None:
    """Smallest alignment A (dividing ``chunk``) at which the decoder is row-independent, or None."""
    d = syn.network_.latent_dim
    rng = np.random.default_rng(seed)
    means, chols = syn.gaussians_.means_, syn.gaussians_.cholesky_
    k = rng.integers(0, len(means), size=chunk)  # realistic latents: draws from the clusters
    noise = means[k] + np.einsum("nij,nj->ni", chols[k], rng.standard_normal((chunk, d)))
    other = means[k[::-1]] + np.einsum("nij,nj->ni", chols[k[::-1]], rng.standard_normal((chunk, d)))

    codes = np.zeros(chunk, np.int64)

    def decode(block: np.ndarray) -> np.ndarray:
        return syn.kind_.decode(syn.module_, torch.from_numpy(block.astype(np.float32)), codes).numpy()

    for align in candidates:
        if chunk % align:
            continue
        alone = np.zeros((chunk, d))
        alone[:align] = noise[:align]
        reference = decode(alone)[:align]
        ok = True
        for offset in sorted({align, chunk // 2 - chunk // 2 % align, chunk - align}):
            mixed = other.copy()
            mixed[offset : offset + align] = noise[:align]
            if not np.array_equal(decode(mixed)[offset : offset + align], reference):
                ok = False
                break
        if ok:
            return align
    return None


def pack(sizes: list[int], *, chunk: int, align: int) -> tuple[list[list[tuple[int, int]]], list[int]]:
    """First-fit: requests of at most ``chunk`` rows into chunks at offsets that are multiples of
    ``align``. Returns ([[(request index, offset), …] per chunk], indices decoded on their own)."""
    chunks, free, alone = [], [], []
    for i, size in enumerate(sizes):
        if size > chunk:
            alone.append(i)
            continue
        slots = -(-size // align) * align
        for c, room in enumerate(free):
            if room >= slots:
                chunks[c].append((i, chunk - room))
                free[c] -= slots
                break
        else:
            chunks.append([(i, 0)])
            free.append(chunk - slots)
    return chunks, alone


def decode_many(
    syn: LatentSynthesizer, latents: list[np.ndarray], *, align: int | None, codes: list[np.ndarray] | None = None
):
    """``syn.decode_codes`` of each (n_i, d) array with its cluster codes (n_i,), the same values
    it gives one at a time (codes default to 0: only a conditional GAN reads them)."""
    out = [None] * len(latents)
    codes = codes if codes is not None else [np.zeros(len(z), np.int64) for z in latents]
    if align is None:
        return [syn.decode_codes(z, c) for z, c in zip(latents, codes)]
    chunks, alone = pack([len(z) for z in latents], chunk=DECODE_CHUNK, align=align)
    for i in alone:
        out[i] = syn.decode_codes(latents[i], codes[i])
    d = syn.network_.latent_dim
    for members in chunks:
        block, block_codes = np.zeros((DECODE_CHUNK, d)), np.zeros(DECODE_CHUNK, np.int64)
        for i, offset in members:
            block[offset : offset + len(latents[i])] = latents[i]
            block_codes[offset : offset + len(latents[i])] = codes[i]
        decoded = syn.decode_codes(block, block_codes)
        for i, offset in members:
            rows = slice(offset, offset + len(latents[i]))
            out[i] = decoded.iloc[rows].reset_index(drop=True) if isinstance(decoded, pd.DataFrame) else decoded[rows]
    return out


@dataclass
class LoadedModel:
    """A model as a generator replica keeps it: the synthesizer and its probed alignment."""

    name: str
    syn: LatentSynthesizer
    align: int | None


def generate_many(model: LoadedModel, calls: list[GenerateCall]) -> list[Payload | Failure]:
    """Serve a batch of requests for one model: draw each request's latents with its own seed,
    decode them together, encode each response. One request's error is only its own. Requests
    with conditions or constraints (and every request of a model with declared constraints) are
    accept/reject loops over decoded rows: they run ``syn.generate`` on their own."""
    syn = model.syn
    draws: list[LatentDraw | Samples | Failure] = []
    for call in calls:
        if call.format not in formats_for(syn.data_kind_):
            draws.append(
                Failure(
                    422,
                    f"format {call.format!r} is not available for a {syn.data_kind_} model; "
                    f"choose one of {list(formats_for(syn.data_kind_))}",
                    "format",
                    "unsupported_format",
                )
            )
        elif call.conditional or getattr(syn, "constraints_", None):
            draws.append(_generate_checked(model, call))
        else:
            try:
                draws.append(syn.draw_latents(call.n, **call.sampling()))
            except LatentSynthError as exc:
                draws.append(failure_from(exc, model=model.name))
    ok = [i for i, d in enumerate(draws) if isinstance(d, LatentDraw)]
    decoded = dict(
        zip(ok, decode_many(syn, [draws[i].latents for i in ok], align=model.align, codes=[draws[i].codes for i in ok]))
    )
    results: list[Payload | Failure] = []
    for i, (call, drawn) in enumerate(zip(calls, draws)):
        if isinstance(drawn, Failure):
            results.append(drawn)
            continue
        samples = (
            drawn
            if isinstance(drawn, Samples)
            else Samples(decoded[i], drawn.labels, drawn.latents, drawn.provenance, drawn.stats)
        )
        results.append(
            encode_samples(
                samples,
                data_kind=syn.data_kind_,
                label_name=syn.label_name_,
                model=model.name,
                fmt=call.format,
                png_scale=syn.transformer_.transform,
            )
        )
    return results


def _generate_checked(model: LoadedModel, call: GenerateCall) -> Samples | Failure:
    """``syn.generate`` with the call's conditions and constraints; a request the model cannot
    meet is a 422 naming the conditions (or constraints)."""
    try:
        return model.syn.generate(
            call.n,
            conditions=call.conditions,
            constraints=call.constraints,
            max_tries=call.max_tries,
            time_budget_s=call.time_budget_s,
            steer=call.steer,
            **call.sampling(),
        )
    except GenerationError as exc:
        part = "conditions" if call.conditions else "constraints" if call.constraints else None
        if part is None:  # only the model's declared constraints: the gate settings are at fault
            return failure_from(exc, model=model.name)
        return Failure(422, str(exc), part, "generation_error")
    except LatentSynthError as exc:
        return failure_from(exc, model=model.name)
