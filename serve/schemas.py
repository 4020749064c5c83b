"""Request and response bodies of the HTTP API (they are the OpenAPI schema).

Field constraints live here so FastAPI rejects bad input with a 422 that
names the field before any deployment is called.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from serve.models_dir import NAME_PATTERN
from serve.settings import MAX_N_CEILING
from synth.generate import METHODS

Method = Literal[METHODS]  # type: ignore[valid-type]
Format = Literal["json", "csv", "png", "npz"]
SEED_MAX = 2**53 - 1  # the largest integer every JSON reader keeps exact (I-JSON, RFC 7493 §2.2)


class MethodOptionsBody(BaseModel):
    """Per-method knobs (synth.generate.MethodOptions); every one optional."""

    model_config = ConfigDict(extra="forbid")

    truncation: float | None = Field(None, gt=0, le=1e6, description="random: max ‖ε‖")
    axes: tuple[Annotated[int, Field(ge=0, le=4096)], Annotated[int, Field(ge=0, le=4096)]] | None = Field(
        None,
        description="ellipsoid_walk: two different principal-axis indices (each below the model's latent_dim)",
        json_schema_extra={"uniqueItems": True},
    )
    step: float | None = Field(None, gt=0, le=1e6, description="random_walk: σ of a step")
    morph_mode: Literal["pair", "dirichlet"] | None = None
    n_parents: int | None = Field(None, ge=2, le=1024)
    dirichlet_alpha: float | None = Field(None, gt=0, le=1e6)
    crossover_mode: Literal["bernoulli", "one_point"] | None = None
    crossover_p: float | None = Field(None, ge=0, le=1)

    @field_validator("axes")
    @classmethod
    def _different_axes(cls, axes):
        if axes is not None and axes[0] == axes[1]:
            raise ValueError(f"axes must be two different principal-axis indices, got {list(axes)}")
        return axes

    def given(self) -> dict:
        return {k: v for k, v in self.model_dump().items() if v is not None}


# a category, an exact number, or a date/time (ISO text)
Scalar = bool | int | float | Annotated[str, Field(max_length=1024)]


class RangeBody(BaseModel):
    """A closed range on a numeric or datetime column; an omitted side is open."""

    model_config = ConfigDict(extra="forbid")

    min: float | Annotated[str, Field(max_length=64)] | None = None
    max: float | Annotated[str, Field(max_length=64)] | None = None


ConditionValue = Scalar | Annotated[list[Scalar | None], Field(min_length=1, max_length=1024)] | RangeBody


class InequalityBody(BaseModel):
    """``low`` ≤ ``high`` (``strict``: <) on every row; numeric or datetime columns."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["inequality"]
    low: str = Field(..., max_length=256)
    high: str = Field(..., max_length=256)
    strict: bool = False


class SignBody(BaseModel):
    """``column`` > 0 (positive) or < 0 (negative) on every row; ``strict: false`` allows 0."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["positive", "negative"]
    column: str = Field(..., max_length=256)
    strict: bool = True


ConstraintBody = Annotated[InequalityBody | SignBody, Field(discriminator="kind")]


class GenerateBody(BaseModel):
    """POST /v1/models/{name}/generate. ``n`` is also capped by the server's ``max_n``."""

    model_config = ConfigDict(extra="forbid")

    n: int = Field(..., ge=1, le=MAX_N_CEILING, description="number of samples")
    cluster: str | None = Field(
        None, max_length=256, description="cluster name; omitted: n is spread over clusters by size"
    )
    method: Method = "random"
    seed: int | None = Field(None, ge=0, le=SEED_MAX, description="omitted: the server draws one and reports it")
    accept_reject: bool = Field(False, description="keep only samples inside the χ² region")
    back_project: bool = Field(False, description="keep only samples whose re-encoded latent stays in the cluster")
    q: float | None = Field(None, gt=0, lt=1, description="χ² quantile of the gate (default: the model's)")
    format: Format = Field("json", description="json for any model; csv for tables; png/npz for images")
    method_options: MethodOptionsBody | None = None
    conditions: dict[Annotated[str, Field(max_length=256)], ConditionValue] | None = Field(
        None,
        max_length=256,
        description="column → value, list of values (any of; for a numeric or datetime column a two-item list is "
        "a closed range [low, high], null for an open end) or {min, max}; the label column selects clusters. "
        "Unknown columns, wrong types and values the model never saw are 422 naming the column",
    )
    constraints: list[ConstraintBody] | None = Field(
        None, max_length=64, description="must hold on every returned row (besides the model's declared ones)"
    )
    max_tries: int | None = Field(
        None, ge=1, le=100_000_000, description="conditional requests: latents drawn at most (default 200 × n + pilot)"
    )
    time_budget_s: float | None = Field(
        None, gt=0, le=3600, description="conditional requests: stop with what was found (capped by the server)"
    )
    steer: bool = Field(True, description="conditional requests: steer latent proposals toward accepted rows")

    def request(self) -> dict:
        """conditions / constraints as ``LatentSynthesizer.generate`` takes them."""
        conditions = None
        if self.conditions is not None:
            conditions = {k: v.model_dump() if isinstance(v, RangeBody) else v for k, v in self.conditions.items()}
        constraints = None if self.constraints is None else [c.model_dump() for c in self.constraints]
        return {"conditions": conditions, "constraints": constraints}


class FidBody(BaseModel):
    """POST /v1/fid: FID of ``n`` samples of an image model against cached reference statistics."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(..., pattern=NAME_PATTERN, description="image model name")
    n: int = Field(..., ge=2, le=1_000_000, description="generated images (also capped by the server)")
    seed: int = Field(0, ge=0, le=SEED_MAX)
    reference: str = Field(
        "fid_reference", pattern=NAME_PATTERN, description="reference statistics: <models_dir>/<model>/<reference>.npz"
    )
    batch_size: int = Field(200, ge=1, le=4096)


class Health(BaseModel):
    status: Literal["ok"]
    models: int
    max_n: int
    api_key_required: bool


class ModelSummary(BaseModel):
    name: str
    model: str
    data_kind: str
    clusters: list[str]
    partition: str
    error: str | None = None


class ModelList(BaseModel):
    models: list[ModelSummary]


class ClusterInfo(BaseModel):
    name: str
    size: int


class ModelInfo(BaseModel):
    name: str
    data_kind: str
    model: str
    latent_dim: int
    clusters: list[ClusterInfo]
    methods: list[str]
    label: str | None
    schema_: dict = Field(alias="schema")
    formats: list[str]
    cleaning: dict | None = None  # tables: rows in, rows used, per column kind, missing share and action

    model_config = ConfigDict(populate_by_name=True)


class ProvenanceRow(BaseModel):
    cluster: str
    method: str
    seed: int
    d2: float
    in_region: bool
    accepted: bool
    back_projected: bool
    conditions: str | None = Field(None, description="conditional requests: the checks the row passed")
    tries: int | None = Field(None, description="conditional requests: 1-based draw index of the row's latent")


class ConditionReport(BaseModel):
    """What a conditional request (or a model with declared constraints) could deliver."""

    conditions: str
    requested: int
    returned: int
    share_met: float
    drawn: int
    decoded: int
    acceptance_rate: float
    seconds: float
    warning: str | None = None


class GenerateResult(BaseModel):
    """format=json. Tables: ``columns`` + ``rows`` (one list per row, original units);
    images: ``shape`` + ``images`` (nested lists N×C×H×W)."""

    model: str
    data_kind: str
    n: int
    method: str
    seed: int
    labels: list[str]
    provenance: list[ProvenanceRow]
    stats: dict
    report: ConditionReport | None = None
    columns: list[str] | None = None
    rows: list[list] | None = None
    shape: list[int] | None = None
    dtype: str | None = None
    images: list | None = None


class FidResult(BaseModel):
    model: str
    fid: float
    n: int
    seed: int
    reference: str
    details: dict = {}


class Problem(BaseModel):
    """Every non-422 error: what went wrong, in words a user can act on."""

    detail: str


class ErrorItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ValidationProblem(BaseModel):
    """422: each item names the offending field in ``loc`` (e.g. ["body", "n"])."""

    detail: list[ErrorItem]
