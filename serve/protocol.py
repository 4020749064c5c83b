"""The messages between the ingress and the deployments.

Deployments never raise for a user's mistake: inside a ``@serve.batch`` call
one bad request would fail the whole batch, and a pickled exception crossing
actors loses its type. They return a ``Failure`` (status + field + message)
that the ingress turns into a 4xx JSON body, or a ``Payload`` ready to send.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from synth.errors import (
    ArtifactError,
    ConditionError,
    ConfigError,
    DataError,
    GenerationError,
    LatentSynthError,
    UnknownClusterError,
    UnknownMethodError,
)


@dataclass(frozen=True)
class GenerateCall:
    """One generate request, as the generator deployment receives it."""

    n: int
    cluster: str | None = None
    method: str = "random"
    seed: int | None = None
    accept_reject: bool = False
    back_project: bool = False
    q: float | None = None
    format: str = "json"
    method_options: dict = field(default_factory=dict)
    conditions: dict | None = None
    constraints: list | None = None
    max_tries: int | None = None
    time_budget_s: float | None = None
    steer: bool = True

    def sampling(self) -> dict:
        """The keyword arguments every draw of this call takes (``draw_latents`` and ``generate``)."""
        fields = {"cluster": self.cluster, "method": self.method, "random_state": self.seed}
        fields |= {"accept_reject": self.accept_reject, "back_project": self.back_project, "q": self.q}
        return fields | self.method_options

    @property
    def conditional(self) -> bool:
        return bool(self.conditions or self.constraints)


@dataclass(frozen=True)
class Payload:
    """A response body ready to send."""

    body: bytes
    media_type: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Failure:
    """A request that cannot be served. ``field`` names the request field at fault (or None)."""

    status: int
    detail: str
    field: str | tuple | None = None  # a tuple: a path into the body, e.g. ("conditions", "age")
    kind: str = "value_error"


def failure_from(exc: LatentSynthError, *, model: str) -> Failure:
    """The HTTP reading of a library error (bad cluster/method/n/format → 422 naming it)."""
    message = str(exc)
    if isinstance(exc, ConditionError):  # "conditions: …" / "constraints: …" name their part of the body
        part = "constraints" if message.startswith("constraints") else "conditions"
        named = part == "conditions" and exc.field is not None  # constraints is a list: the message names the column
        return Failure(422, message, (part, exc.field) if named else part, "condition_error")
    if isinstance(exc, UnknownClusterError):
        return Failure(422, message, "cluster", "unknown_cluster")
    if isinstance(exc, UnknownMethodError):
        return Failure(422, message, "method", "unknown_method")
    if isinstance(exc, GenerationError):
        return Failure(422, message, "accept_reject", "generation_error")
    if isinstance(exc, ArtifactError):
        return Failure(404, f"model {model!r} cannot be loaded: {message}")
    if isinstance(exc, (ConfigError, DataError)):
        return Failure(422, message, None, "config_error")
    return Failure(422, message, None, type(exc).__name__)
