"""POST /v1/fid: FID of a model's samples against cached reference statistics.

The reference side is a statistics ``.npz`` kept in the model's directory (written by
``latentsynth fid … --cache`` or ``FeatureStats.to_npz``); the generated side is ``n``
samples drawn with ``seed``, streamed through pytorch-fid's Inception in ``fid_workers``
Ray actors (``synth.distributed.fid_distributed``), so the value equals
``fid_score(reference, model, n=n, seed=seed)`` in Python.
"""

from __future__ import annotations

import asyncio
import json
import math
from pathlib import Path
from typing import Protocol

from ray import serve as ray_serve

from serve.models_dir import model_dir
from serve.protocol import Failure, Payload, failure_from
from serve.settings import ServeArgs
from synth.errors import ArtifactError, LatentSynthError
from synth.synthesizer import LatentSynthesizer


class FidBackend(Protocol):
    def __call__(
        self,
        syn: LatentSynthesizer,
        *,
        n: int,
        seed: int,
        reference: Path,
        batch_size: int,
        workers: int,
        weights: Path | None,
    ) -> dict:
        """{"fid": float, ...extra details}: ``n`` images sampled with ``seed`` vs ``reference``."""


def sharded_model_fid(
    syn: LatentSynthesizer,
    *,
    n: int,
    seed: int,
    reference: Path,
    batch_size: int,
    workers: int,
    weights: Path | None = None,
) -> dict:
    """FID of ``n`` samples of ``syn`` (seed ``seed``) against the statistics file ``reference``."""
    from synth.distributed import fid_distributed

    result = fid_distributed(reference, syn, workers=workers, batch_size=batch_size, n=n, seed=seed, weights=weights)
    return result.to_dict()


def evaluate_fid(
    root: Path,
    body: dict,
    *,
    workers: int,
    max_n: int,
    weights: Path | None = None,
    backend: FidBackend = sharded_model_fid,
) -> Payload | Failure:
    """Check the request against the models directory, then run the backend."""
    name, n = body["model"], int(body["n"])
    if n > max_n:
        return Failure(422, f"n={n} exceeds this server's FID cap max_fid_n={max_n}", "n", "less_than_equal")
    path = model_dir(root, name)
    if path is None:
        return Failure(404, f"no model named {name!r}")
    reference = path / f"{body['reference']}.npz"
    if not reference.is_file():
        return Failure(
            422,
            f"model {name!r} has no reference statistics {reference.name!r}; compute them with "
            "`latentsynth fid` and store them in the model's directory",
            "reference",
            "not_found",
        )
    try:
        syn = LatentSynthesizer.load(path)
    except LatentSynthError as exc:
        return failure_from(exc, model=name)
    if syn.data_kind_ == "tabular":
        return Failure(422, f"model {name!r} makes tables; FID needs an image model", "model", "not_an_image_model")
    try:
        result = backend(
            syn,
            n=n,
            seed=int(body["seed"]),
            reference=reference,
            batch_size=int(body["batch_size"]),
            workers=workers,
            weights=weights,
        )
    except ArtifactError as exc:  # the reference file or the weights, not the model: the request can be fixed
        return Failure(422, str(exc), "reference", "unreadable")
    except LatentSynthError as exc:
        return failure_from(exc, model=name)
    fid = float(result.pop("fid"))
    if not math.isfinite(fid):
        return Failure(
            422, f"FID of model {name!r} is not finite ({fid}); the covariances may be degenerate", "n", "degenerate"
        )
    details = json.loads(json.dumps(result, default=str))
    out = {
        "model": name,
        "fid": fid,
        "n": n,
        "seed": int(body["seed"]),
        "reference": reference.name,
        "details": details,
    }
    return Payload(json.dumps(out, separators=(",", ":")).encode(), "application/json")


@ray_serve.deployment(name="FidEvaluator")
class FidEvaluator:
    """One FID request at a time per replica; the backend shards the work over Ray workers."""

    def __init__(self, settings: ServeArgs):
        self._root, self._workers, self._max_n = settings.models_dir, settings.fid_workers, settings.max_fid_n
        self._weights = settings.fid_weights

    async def fid(self, body: dict) -> Payload | Failure:
        return await asyncio.to_thread(
            evaluate_fid, self._root, body, workers=self._workers, max_n=self._max_n, weights=self._weights
        )
