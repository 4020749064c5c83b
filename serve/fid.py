"""POST /v1/fid: FID of a model's samples against cached reference statistics (SPEC §6, §7).

The server needs one narrow thing from the FID code (``synth.metrics.fid``
and ``fid_distributed``, another issue): a ``FidBackend`` — given an image
model, a sample budget, a seed and a reference-statistics ``.npz``, return
``{"fid": float, ...}``, sharded over ``workers`` Ray workers. ``load_backend``
returns None when that code is not installed, and the endpoint answers 501
saying so, instead of a number it cannot compute.
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
from synth.errors import LatentSynthError
from synth.synthesizer import LatentSynthesizer

NOT_INSTALLED = ("FID support not installed in this build: the module synth.metrics.fid is missing, "
                 "so /v1/fid cannot compute a score")


class FidBackend(Protocol):
    def __call__(self, syn: LatentSynthesizer, *, n: int, seed: int, reference: Path, batch_size: int,
                 workers: int) -> dict:
        """{"fid": float, ...extra details}: ``n`` images sampled with ``seed`` vs ``reference``."""


def load_backend() -> FidBackend | None:
    try:
        from synth.metrics import fid as _fid  # noqa: F401  (issue 6: streaming FID)
    except ImportError:
        return None
    return sharded_model_fid


def sharded_model_fid(syn: LatentSynthesizer, *, n: int, seed: int, reference: Path, batch_size: int,
                      workers: int) -> dict:
    """The FidBackend over issue 6's code. WIRING POINT: adapt these two calls to its final API."""
    from synth.distributed import fid_distributed
    from synth.metrics.fid import load_reference_stats
    stats = load_reference_stats(reference)
    return dict(fid_distributed(syn, stats, n=n, random_state=seed, batch_size=batch_size, num_workers=workers))


def evaluate_fid(root: Path, body: dict, *, workers: int, max_n: int, backend: FidBackend | None) -> Payload | Failure:
    """Check the request against the models directory, then run the backend."""
    name, n = body["model"], int(body["n"])
    if backend is None:
        return Failure(501, NOT_INSTALLED)
    if n > max_n:
        return Failure(422, f"n={n} exceeds this server's FID cap max_fid_n={max_n}", "n", "less_than_equal")
    path = model_dir(root, name)
    if path is None:
        return Failure(404, f"no model named {name!r}")
    reference = path / f"{body['reference']}.npz"
    if not reference.is_file():
        return Failure(422, f"model {name!r} has no reference statistics {reference.name!r}; compute them with "
                            "`latentsynth fid` and store them in the model's directory", "reference", "not_found")
    try:
        syn = LatentSynthesizer.load(path)
        if syn.data_kind_ == "tabular":
            return Failure(422, f"model {name!r} makes tables; FID needs an image model", "model", "not_an_image_model")
        result = backend(syn, n=n, seed=int(body["seed"]), reference=reference, batch_size=int(body["batch_size"]),
                         workers=workers)
    except LatentSynthError as exc:
        return failure_from(exc, model=name)
    except (ImportError, AttributeError, TypeError) as exc:  # the backend's API moved under us
        return Failure(501, f"FID support is installed but does not match serve/fid.py ({type(exc).__name__}: {exc})")
    fid = float(result.pop("fid"))
    if not math.isfinite(fid):
        return Failure(422, f"FID of model {name!r} is not finite ({fid}); the covariances may be degenerate",
                       "n", "degenerate")
    details = json.loads(json.dumps(result, default=str))
    out = {"model": name, "fid": fid, "n": n, "seed": int(body["seed"]), "reference": reference.name,
           "details": details}
    return Payload(json.dumps(out, separators=(",", ":")).encode(), "application/json")


@ray_serve.deployment(name="FidEvaluator")
class FidEvaluator:
    """One FID request at a time per replica; the backend shards the work over Ray workers."""

    def __init__(self, settings: ServeArgs):
        self._root, self._workers, self._max_n = settings.models_dir, settings.fid_workers, settings.max_fid_n

    async def fid(self, body: dict) -> Payload | Failure:
        return await asyncio.to_thread(evaluate_fid, self._root, body, workers=self._workers, max_n=self._max_n,
                                       backend=load_backend())
