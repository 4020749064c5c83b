"""The generator deployment: artifact directories loaded on demand, requests coalesced.

``@serve.multiplexed`` keeps the last ``max_models_per_replica`` models of a
replica in an LRU and lets Serve route a model's requests to replicas that
already hold it. ``@serve.batch`` gathers the requests that arrive within
``batch_wait_timeout_s`` and splits them by model. Ray Serve 2.60 forms the
next batch on that timer even while the previous one runs (it only queues it
behind ``max_concurrent_batches``), so under load a slow decoder sees a stream
of tiny batches (measured: a 0.1 s handler at 300 queued requests ran batches
of ~2, 9 req/s). So each model gets a ``DecodeLane``: one decode at a time in
a worker thread, and the batches that wait for it meanwhile are merged into
the next decode (up to ``max_batch_size`` requests) — batches grow with the
load, as in Triton's dynamic batcher. ``max_batch_size=1`` turns both off.
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


class DecodeLane:
    """One model's line in front of the decoder. ``submit`` queues a group of calls and returns
    one future per call; a single drain task runs ``generate_many`` in a thread on the merged
    groups waiting at that moment (whole groups, at most ``max_calls`` calls unless one group is
    bigger), then on the next, until the line is empty. ``on_batch(size)`` sees each decode;
    ``run`` is ``generate_many`` (tests pass a stand-in)."""

    def __init__(self, max_calls: int, on_batch=lambda size: None, run=generate_many):
        self._max, self._on_batch, self._run_calls = max_calls, on_batch, run
        self._waiting: list[tuple[LoadedModel, list[GenerateCall], list[asyncio.Future]]] = []
        self._drain: asyncio.Task | None = None

    def submit(self, model: LoadedModel, calls: list[GenerateCall]) -> list[asyncio.Future]:
        loop = asyncio.get_running_loop()
        futures = [loop.create_future() for _ in calls]
        self._waiting.append((model, calls, futures))
        if self._drain is None or self._drain.done():
            self._drain = loop.create_task(self._run())
        return futures

    def _take(self):
        model, taken, size = self._waiting[0][0], [], 0
        while (
            self._waiting
            and self._waiting[0][0] is model
            and (not taken or size + len(self._waiting[0][1]) <= self._max)
        ):
            group = self._waiting.pop(0)
            taken.append(group)
            size += len(group[1])
        return model, taken

    async def _run(self) -> None:
        while self._waiting:
            model, taken = self._take()
            calls, futures = [], []
            for _, group_calls, group_futures in taken:  # drop calls whose request was cancelled
                for call, future in zip(group_calls, group_futures):
                    if not future.cancelled():
                        calls.append(call)
                        futures.append(future)
            if not calls:
                continue
            self._on_batch(len(calls))
            try:
                results = await asyncio.to_thread(self._run_calls, model, calls)
            except Exception as exc:  # noqa: BLE001 — handed to each request, as @serve.batch does
                for future in futures:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for future, result in zip(futures, results):
                if not future.done():
                    future.set_result(result)


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
        self._lanes: dict[str, DecodeLane] = {}
        self._max_batch = settings.max_batch_size

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
        queued = await self._generate_batch(call)
        return await queued if isinstance(queued, asyncio.Future) else queued

    @ray_serve.batch(max_batch_size=32, batch_wait_timeout_s=0.005)
    async def _generate_batch(self, calls: list[GenerateCall]) -> list[asyncio.Future | Failure]:
        """Hands the batch to its model's lane and returns at once (one future per call), so
        Serve's next batch can join the lane while this one decodes."""
        model = await self._model()  # Serve splits batches by model id: one model per batch
        if isinstance(model, Failure):
            return [model] * len(calls)
        lane = self._lanes.get(model.name)
        if lane is None:
            lane = self._lanes[model.name] = DecodeLane(self._max_batch, self._count_batch)
        return lane.submit(model, calls)

    def _count_batch(self, size: int) -> None:
        self._batch_sizes[size] += 1

    async def loaded_models(self) -> list[str]:
        """Names in this replica's LRU (for tests and debugging)."""
        # Serve keeps its LRU on the wrapped loader (ray/serve/multiplex.py); read-only peek
        wrapper = getattr(getattr(self._load, "__wrapped__", None), "__serve_multiplex_wrapper", None)
        return list(wrapper.models) if wrapper is not None else []

    def batch_sizes(self) -> dict[int, int]:
        """How many decodes of each size (in requests) this replica ran (the benchmark reports it)."""
        return dict(self._batch_sizes)

    def pid(self) -> int:
        return os.getpid()
