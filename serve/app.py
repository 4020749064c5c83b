"""The application builder: ``serve run serve.app:build_app models_dir=…`` or serve_config.yaml.

Ingress (HTTP) → Generator (multiplexed, batched) and FidEvaluator. Limits
are deployment options: ``max_ongoing_requests`` per replica and
``max_queued_requests`` per caller, beyond which Serve answers 503 at once.
"""

from __future__ import annotations

from ray import serve as ray_serve
from ray.serve import Application

from serve.fid import FidEvaluator
from serve.generator import Generator
from serve.ingress import Ingress
from serve.settings import ServeArgs


def build_app(args: ServeArgs | dict) -> Application:
    """The bound app; ``args`` as a ``ServeArgs`` or its dict (YAML ``args:``)."""
    settings = args if isinstance(args, ServeArgs) else ServeArgs.model_validate(args)
    limits = {
        "max_ongoing_requests": settings.max_ongoing_requests,
        "max_queued_requests": settings.max_queued_requests,
        "backpressure_config": {"status_code": 503, "retry_after_s": 1},
    }
    quiet = {"enable_access_log": False}  # a log line per internal call costs CPU and says nothing new
    generator = Generator.options(
        num_replicas=settings.replicas,
        ray_actor_options={"num_cpus": settings.generator_cpus},
        logging_config=quiet,
        **limits,
    ).bind(settings)
    # FID requests are long and rare: few at a time, a short queue, no CPU held while idle
    fid = FidEvaluator.options(
        num_replicas=1,
        max_ongoing_requests=2,
        max_queued_requests=8,
        ray_actor_options={"num_cpus": 0},
        logging_config=quiet,
    ).bind(settings)
    return Ingress.options(
        num_replicas=settings.ingress_replicas,
        ray_actor_options={"num_cpus": settings.ingress_cpus},
        logging_config={"enable_access_log": settings.access_log},
        **limits,
    ).bind(generator, fid, settings, settings.resolved_api_key())


def run_app(
    settings: ServeArgs,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    name: str = "latentsynth",
    route_prefix: str = "/",
    blocking: bool = False,
):
    """Start Serve's proxy on host:port (request timeout from the settings) and deploy the app."""
    ray_serve.start(http_options={"host": host, "port": port, "request_timeout_s": settings.request_timeout_s + 5})
    return ray_serve.run(build_app(settings), name=name, route_prefix=route_prefix, blocking=blocking)
