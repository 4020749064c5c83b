"""The generator deployment: artifact directories loaded on demand, requests coalesced.

``@serve.multiplexed`` keeps the last ``max_models_per_replica`` models of a
replica in an LRU and lets Serve route a model's requests to replicas that
already hold it; ``@serve.batch`` hands ``generate_many`` every request for
one model that arrived while the previous batch ran. The model work runs in
a thread so the replica's event loop keeps queueing requests meanwhile.
"""
from __future__ import annotations

import asyncio
import json
import os
from collections import Counter

import numpy as np
import torch
from ray import serve as ray_serve

from serve.models_dir import model_dir
from serve.packing import LoadedModel, generate_many, row_alignment
from serve.payloads import formats_for
from serve.protocol import Failure, GenerateCall, Payload, failure_from
from serve.settings import ServeArgs
from synth.errors import ArtifactError, LatentSynthError
from synth.synthesizer import LatentSynthesizer


def load_model(root, name: str, *, pack: bool) -> LoadedModel:
    """Read ``name``'s artifact and probe its decoder for packed decoding (blocking)."""
    path = model_dir(root, name)
    if path is None:
        raise ArtifactError(f"no model named {name!r} in the models directory")
    syn = LatentSynthesizer.load(path)
    return LoadedModel(name, syn, row_alignment(syn) if pack else None)


def describe(model: LoadedModel) -> dict:
    """GET /v1/models/{name}: kind, clusters with sizes, methods, feature schema, formats."""
    info = model.syn.describe()
    info["clusters"] = [{"name": str(c["name"]), "size": int(c["size"])} for c in info["clusters"]]
    info.update(name=model.name, formats=list(formats_for(info["data_kind"])))
    # numpy scalars in the schema (column ranges) → plain JSON values
    return json.loads(json.dumps(info, default=lambda v: v.item() if isinstance(v, np.generic) else str(v)))


@ray_serve.deployment(name="Generator")
class Generator:
    def __init__(self, settings: ServeArgs):
        torch.set_num_threads(settings.torch_threads)
        self._root, self._pack = settings.models_dir, settings.pack_decodes

        async def load(name: str) -> LoadedModel:
            return await asyncio.to_thread(load_model, self._root, name, pack=self._pack)

        # wrapped here, not on the class, so the LRU size is a setting
        self._load = ray_serve.multiplexed(max_num_models_per_replica=settings.max_models_per_replica)(load)
        self._generate_batch.set_max_batch_size(settings.max_batch_size)
        self._generate_batch.set_batch_wait_timeout_s(settings.batch_wait_timeout_s)
        self._batch_sizes: Counter[int] = Counter()

    async def _model(self) -> LoadedModel | Failure:
        name = ray_serve.get_multiplexed_model_id()
        try:
            return await self._load(name)
        except LatentSynthError as exc:
            return failure_from(exc, model=name)
        except (OSError, ValueError) as exc:  # unreadable files a foreign artifact can hold
            return Failure(404, f"model {name!r} cannot be loaded: {type(exc).__name__}: {exc}")

    async def describe(self) -> dict | Failure:
        model = await self._model()
        return model if isinstance(model, Failure) else describe(model)

    async def generate(self, call: GenerateCall) -> Payload | Failure:
        return await self._generate_batch(call)

    @ray_serve.batch(max_batch_size=32, batch_wait_timeout_s=0.005)
    async def _generate_batch(self, calls: list[GenerateCall]) -> list[Payload | Failure]:
        self._batch_sizes[len(calls)] += 1
        model = await self._model()   # Serve splits batches by model id: one model per batch
        if isinstance(model, Failure):
            return [model] * len(calls)
        return await asyncio.to_thread(generate_many, model, calls)

    async def loaded_models(self) -> list[str]:
        """Names in this replica's LRU (for tests and debugging)."""
        # Serve keeps its LRU on the wrapped loader (ray/serve/multiplex.py); read-only peek
        wrapper = getattr(getattr(self._load, "__wrapped__", None), "__serve_multiplex_wrapper", None)
        return list(wrapper.models) if wrapper is not None else []

    def batch_sizes(self) -> dict[int, int]:
        """How many batches of each size this replica ran (the benchmark reports it)."""
        return dict(self._batch_sizes)

    def pid(self) -> int:
        return os.getpid()
