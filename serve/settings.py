"""The typed arguments of the serving app.

``build_app`` (serve/app.py), ``latentsynth serve`` and ``serve_config.yaml``
all fill this one pydantic model, so a typo in a YAML key is an error naming
the key, not a silently ignored setting.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

API_KEY_ENV = "LATENTSYNTH_API_KEY"
MAX_N_CEILING = 100_000  # the schema's bound on n; ``max_n`` sets the server's own, lower cap


class ServeArgs(BaseModel):
    """Arguments of ``build_app``. Defaults suit one machine; ``serve_config.yaml`` shows them all."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    models_dir: Path = Field(description="directory whose sub-directories are artifact directories (one model each)")
    replicas: int = Field(1, ge=1, le=64, description="generator replicas")
    ingress_replicas: int = Field(1, ge=1, le=64, description="HTTP ingress replicas")
    max_batch_size: int = Field(
        32, ge=1, le=1024, description="generate requests coalesced per call (@serve.batch); 1 turns batching off"
    )
    batch_wait_timeout_s: float = Field(0.005, ge=0, le=1, description="how long a batch waits to fill")
    max_n: int = Field(10_000, ge=1, le=MAX_N_CEILING, description="largest n one request may ask for")
    max_fid_n: int = Field(50_000, ge=2, le=1_000_000, description="largest n of a FID request")
    max_ongoing_requests: int = Field(
        256,
        ge=1,
        description="requests in flight per replica. Keep it above the "
        "expected concurrency: requests only batch once inside the replica, and "
        "Serve's router retries a full replica with backoff (up to 0.5 s)",
    )
    max_queued_requests: int = Field(256, ge=-1, description="requests waiting per caller before 503 (-1: unbounded)")
    request_timeout_s: float = Field(60.0, gt=0, description="a request that takes longer gets 504")
    max_models_per_replica: int = Field(4, ge=1, le=256, description="LRU size of loaded models (@serve.multiplexed)")
    generator_cpus: float = Field(1.0, ge=0, description="CPUs reserved per generator replica")
    ingress_cpus: float = Field(0.0, ge=0, description="CPUs reserved per ingress replica")
    fid_workers: int = Field(1, ge=1, le=64, description="Ray workers a FID request is sharded over")
    fid_weights: Path | None = Field(
        None, description="Inception weights file for /v1/fid (default: pytorch-fid's, in $TORCH_HOME/hub/checkpoints)"
    )
    torch_threads: int = Field(
        1,
        ge=1,
        le=256,
        description="torch intra-op threads per replica; 1 avoids "
        "thread oversubscription, replicas give the parallelism",
    )
    pack_decodes: bool = Field(
        True,
        description="decode several requests' latents in one fixed-size chunk "
        "(only where the model's decoder is verified row-independent)",
    )
    access_log: bool = Field(True, description="one log line per HTTP request (the internal calls are never logged)")
    api_key: str | None = Field(None, min_length=1, description=f"required X-API-Key (default: ${API_KEY_ENV})")
    api_key_env: str = Field(API_KEY_ENV, description="environment variable read when api_key is not given")

    @field_validator("models_dir")
    @classmethod
    def _is_directory(cls, value: Path) -> Path:
        value = Path(value).expanduser()
        if not value.is_dir():
            raise ValueError(
                f"models_dir {str(value)!r} is not a directory; point it at a folder of artifacts "
                "written by `latentsynth train`"
            )
        return value.resolve()

    def resolved_api_key(self) -> str | None:
        """The key requests must carry: ``api_key``, else the environment variable, else none."""
        return self.api_key or os.environ.get(self.api_key_env) or None
