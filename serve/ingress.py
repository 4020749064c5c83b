"""The HTTP face of the app: FastAPI routes that translate requests into deployment calls.

No model work happens here. The ingress checks what it can without a model
(API key, model name against the models directory, the ``max_n`` cap), calls
the generator or FID deployment, and turns their ``Payload``/``Failure`` — and
Serve's own back-pressure, timeout and dead-replica errors — into responses.
Every error body is JSON: 422 ``{"detail": [{"loc", "msg", "type"}]}`` naming
the field, everything else ``{"detail": "..."}``.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import math
from typing import Literal

from fastapi import FastAPI, HTTPException, Query, Request, Security
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import APIKeyHeader
from ray import serve as ray_serve
from ray.exceptions import RayActorError
from ray.serve.exceptions import BackPressureError, DeploymentUnavailableError, ReplicaUnavailableError
from starlette.exceptions import HTTPException as StarletteHTTPException

from serve import openapi, schemas
from serve.models_dir import model_dir, model_names, model_summary
from serve.protocol import Failure, GenerateCall, Payload
from serve.settings import MAX_N_CEILING, ServeArgs

logger = logging.getLogger("ray.serve")
API_KEY = APIKeyHeader(name="X-API-Key", auto_error=False, description="required when the server has an API key")
BUSY_HEADERS = {"Retry-After": "1"}

_problem = {"model": schemas.Problem}
ERRORS = {
    401: {**_problem, "description": "missing or wrong X-API-Key"},
    404: {**_problem, "description": "no such model"},
    422: {"model": schemas.ValidationProblem, "description": "a field is invalid; loc names it"},
    503: {**_problem, "description": "overloaded or a replica is restarting; retry"},
    504: {**_problem, "description": "took longer than the request timeout"},
}
SAMPLE_MEDIA = {
    "application/json": {},  # its schema comes from the route's GenerateResult model
    "text/csv": {"schema": {"type": "string"}},
    "image/png": {"schema": {"type": "string", "format": "binary"}},
    "application/octet-stream": {
        "schema": {"type": "string", "format": "binary", "description": "npz: images, labels, latents, provenance_*"}
    },
}


def _errors(*codes: int) -> dict:
    return {code: ERRORS[code] for code in codes}


def _samples_response(model: type, *media: str) -> dict:
    return {
        200: {
            "model": model,
            "description": "the samples; csv/png/npz carry X-Latentsynth-Provenance",
            "content": {m: SAMPLE_MEDIA[m] for m in media},
        }
    }


app = FastAPI(
    title="latentsynth",
    version="1",
    description="Synthetic rows and images from cluster-specific Gaussian models of a learned latent "
    "space. Same seed → same bytes. Models are the artifact directories of the server's "
    "models directory.",
)


@app.exception_handler(StarletteHTTPException)
async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    """FastAPI answers 400 to a body it cannot decode; for us that is a bad ``body`` field (422)."""
    if exc.status_code == 400:
        return JSONResponse(
            {"detail": [{"loc": ["body"], "msg": str(exc.detail), "type": "body_unreadable"}]}, status_code=422
        )
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=getattr(exc, "headers", None))


async def _wait(response):
    return await response


def invalid(where: str, field, message: str, kind: str = "value_error") -> RequestValidationError:
    """A 422 at ``(where, *field)``; ``field`` a name, a tuple of names or None."""
    loc = (where,) if field is None else (where, *field) if isinstance(field, tuple) else (where, field)
    return RequestValidationError([{"loc": loc, "msg": message, "type": kind}])


@ray_serve.deployment(name="Ingress")
@ray_serve.ingress(app)
class Ingress:
    def __init__(self, generator, fid, settings: ServeArgs, api_key: str | None):
        self._generator, self._fid, self._settings, self._api_key = generator, fid, settings, api_key
        openapi.install(app, settings, api_key_required=api_key is not None)

    # ------------------------------------------------------------- helpers
    def _authorize(self, key: str | None) -> None:
        if self._api_key is None:
            return
        if key is None or not hmac.compare_digest(key.encode(), self._api_key.encode()):
            raise HTTPException(401, "missing or wrong X-API-Key header")

    def _model_or_404(self, name: str) -> str:
        if model_dir(self._settings.models_dir, name) is None:
            raise HTTPException(404, f"no model named {name!r}; GET /v1/models lists them")
        return name

    def _check_n(self, n: int, where: str, field: str) -> None:
        if n > self._settings.max_n:
            raise invalid(
                where, field, f"{field}={n} exceeds this server's cap of {self._settings.max_n}", "less_than_equal"
            )

    async def _call(self, response):
        """Await a deployment call within the request timeout; Serve's failures → 503/504."""
        try:
            return await asyncio.wait_for(_wait(response), timeout=self._settings.request_timeout_s)
        except asyncio.TimeoutError:
            response.cancel()
            raise HTTPException(504, f"the request took longer than {self._settings.request_timeout_s:g} s") from None
        except BackPressureError:
            raise HTTPException(503, "the server is at capacity; retry shortly", headers=BUSY_HEADERS) from None
        except (RayActorError, ReplicaUnavailableError, DeploymentUnavailableError) as exc:
            logger.warning("deployment call failed: %s", type(exc).__name__)
            raise HTTPException(503, "a replica is restarting; retry shortly", headers=BUSY_HEADERS) from None

    @staticmethod
    def _respond(result: Payload | Failure, *, where: str = "body", rename: dict | None = None) -> Response:
        if isinstance(result, Payload):
            return Response(result.body, media_type=result.media_type, headers=result.headers)
        if result.status == 422:
            field = (rename or {}).get(result.field, result.field)
            raise invalid(where, field, result.detail, result.kind)
        raise HTTPException(result.status, result.detail)

    async def _generate(self, name: str, call: GenerateCall, **respond) -> Response:
        handle = self._generator.options(multiplexed_model_id=name)
        return self._respond(await self._call(handle.generate.remote(call)), **respond)

    # ------------------------------------------------------------- routes
    @app.get("/healthz", response_model=schemas.Health, tags=["service"])
    async def healthz(self) -> schemas.Health:
        """Liveness; also says whether an API key is required and the n cap."""
        return schemas.Health(
            status="ok",
            models=len(model_names(self._settings.models_dir)),
            max_n=self._settings.max_n,
            api_key_required=self._api_key is not None,
        )

    @app.get("/v1/models", response_model=schemas.ModelList, responses=_errors(401), tags=["models"])
    async def list_models(self, key: str | None = Security(API_KEY)) -> schemas.ModelList:
        """Every model in the models directory (read from model.json, nothing loaded)."""
        self._authorize(key)
        root = self._settings.models_dir
        return schemas.ModelList(models=[model_summary(root, name) for name in model_names(root)])

    @app.get(
        "/v1/models/{name}", response_model=schemas.ModelInfo, responses=_errors(401, 404, 503, 504), tags=["models"]
    )
    async def model_info(self, name: str = PathParam(..., max_length=128), key: str | None = Security(API_KEY)):
        """Kind, clusters with sizes, methods, feature schema and response formats of one model."""
        self._authorize(key)
        self._model_or_404(name)
        result = await self._call(self._generator.options(multiplexed_model_id=name).describe.remote())
        if isinstance(result, Failure):
            raise HTTPException(result.status if result.status != 422 else 404, result.detail)
        return JSONResponse(result)

    @app.post(
        "/v1/models/{name}/generate",
        response_model=None,
        tags=["generate"],
        responses={
            **_samples_response(
                schemas.GenerateResult, "application/json", "text/csv", "image/png", "application/octet-stream"
            ),
            **_errors(401, 404, 422, 503, 504),
        },
    )
    async def generate(
        self,
        body: schemas.GenerateBody,
        name: str = PathParam(..., max_length=128),
        key: str | None = Security(API_KEY),
    ) -> Response:
        """``n`` samples of one model. json: rows or images with per-sample provenance;
        csv (tables), png (image grid), npz (images, labels, latents, provenance_*).
        ``conditions`` / ``constraints``: every returned row satisfies them (docs/conditions.md);
        ``report`` says how many rows could be met, the acceptance rate and the draws used."""
        self._authorize(key)
        self._model_or_404(name)
        self._check_n(body.n, "body", "n")
        options = body.method_options.given() if body.method_options else {}
        # a conditional loop stops in time to answer: at most half the request timeout
        budget = min(body.time_budget_s or math.inf, 0.5 * self._settings.request_timeout_s)
        call = GenerateCall(
            n=body.n,
            cluster=body.cluster,
            method=body.method,
            seed=body.seed,
            accept_reject=body.accept_reject,
            back_project=body.back_project,
            q=body.q,
            format=body.format,
            method_options=options,
            **body.request(),
            max_tries=body.max_tries,
            time_budget_s=budget,
            steer=body.steer,
        )
        return await self._generate(name, call)

    @app.post(
        "/v1/fid", response_model=schemas.FidResult, responses=_errors(401, 404, 422, 503, 504), tags=["evaluate"]
    )
    async def fid(self, body: schemas.FidBody, key: str | None = Security(API_KEY)) -> Response:
        """FID of ``n`` generated images against the model's cached reference statistics, sharded."""
        self._authorize(key)
        self._model_or_404(body.model)
        return self._respond(await self._call(self._fid.fid.remote(body.model_dump())))

    # --- compatibility routes of the VAE/GAN/FID report
    @app.get(
        "/generate/tabular",
        response_model=None,
        tags=["legacy"],
        responses={
            **_samples_response(schemas.GenerateResult, "application/json", "text/csv"),
            **_errors(401, 404, 422, 503, 504),
        },
    )
    async def generate_tabular(
        self,
        model: str = Query(..., max_length=128),
        samples: int = Query(100, ge=1, le=MAX_N_CEILING),
        file_format: Literal["csv", "json"] = "csv",
        seed: int | None = Query(None, ge=0, le=schemas.SEED_MAX),
        key: str | None = Security(API_KEY),
    ) -> Response:
        """The VAE/GAN/FID report's endpoint: ``samples`` rows of a tabular model, spread over its clusters."""
        return await self._compat(model, samples, file_format, seed, key, kind="tabular")

    @app.get(
        "/generate/image",
        response_model=None,
        tags=["legacy"],
        responses={
            **_samples_response(schemas.GenerateResult, "application/json", "image/png"),
            **_errors(401, 404, 422, 503, 504),
        },
    )
    async def generate_image(
        self,
        model: str = Query(..., max_length=128),
        samples: int = Query(16, ge=1, le=MAX_N_CEILING),
        file_format: Literal["png", "json"] = "png",
        seed: int | None = Query(None, ge=0, le=schemas.SEED_MAX),
        key: str | None = Security(API_KEY),
    ) -> Response:
        """The VAE/GAN/FID report's endpoint: ``samples`` images of an image model (png grid or json)."""
        return await self._compat(model, samples, file_format, seed, key, kind="image")

    async def _compat(self, model: str, samples: int, file_format: str, seed, key, *, kind: str) -> Response:
        self._authorize(key)
        self._model_or_404(model)
        self._check_n(samples, "query", "samples")
        summary = model_summary(self._settings.models_dir, model) or {}
        if summary.get("error"):
            raise HTTPException(404, f"model {model!r} cannot be loaded: {summary['error']}")
        if (summary.get("data_kind") == "tabular") != (kind == "tabular"):
            raise invalid(
                "query",
                "model",
                f"model {model!r} holds {summary.get('data_kind')} data; use "
                f"/generate/{'tabular' if summary.get('data_kind') == 'tabular' else 'image'}",
                "wrong_data_kind",
            )
        call = GenerateCall(n=samples, seed=seed, format=file_format)
        return await self._generate(model, call, where="query", rename={"n": "samples", "format": "file_format"})
