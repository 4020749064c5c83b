"""latentsynth serve"""
from __future__ import annotations

import os
import socket
import time
from pathlib import Path

from latentsynth.commands.args import UsageError, positive_int


def _settings(args):
    from pydantic import ValidationError

    from serve.settings import ServeArgs
    try:
        return ServeArgs(models_dir=args.models_dir, replicas=args.replicas, max_batch_size=args.max_batch_size,
                         max_n=args.max_n, request_timeout_s=args.request_timeout, api_key_env=args.api_key_env)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise UsageError(f"--{str(first['loc'][0]).replace('_', '-')}: {first['msg']}") from None


def _check_port_free(host: str, port: int) -> None:
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError as exc:
            raise UsageError(f"cannot listen on {host}:{port} ({exc.strerror}); pick another --port") from None


def run(args) -> int:
    import ray
    from ray import serve as ray_serve

    from serve.app import build_app
    from serve.models_dir import model_names
    settings = _settings(args)
    _check_port_free(args.host, args.port)
    if args.address:
        ray.init(address=args.address)
    else:  # a local Ray whose workers import this checkout's packages
        root = str(Path(__file__).resolve().parents[2])
        path = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
        ray.init(include_dashboard=False, runtime_env={"env_vars": {"PYTHONPATH": path}})
    try:
        ray_serve.start(http_options={"host": args.host, "port": args.port,
                                      "request_timeout_s": settings.request_timeout_s + 5})
        ray_serve.run(build_app(settings), name="latentsynth", route_prefix="/")
        key = "required (X-API-Key)" if settings.resolved_api_key() else "off"
        print(f"serving {len(model_names(settings.models_dir))} model(s) from {settings.models_dir} at "
              f"http://{args.host}:{args.port}  (docs: /docs, API key {key}); Ctrl-C stops", flush=True)
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        print("shutting down", flush=True)
    finally:
        ray_serve.shutdown()
        ray.shutdown()
    return 0


def register(sub) -> None:
    p = sub.add_parser("serve", help="serve the models of a directory over HTTP (Ray Serve)")
    p.add_argument("--models-dir", required=True, help="directory of artifact directories (one model each)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; 0.0.0.0 = all)")
    p.add_argument("--port", type=positive_int, default=8000)
    p.add_argument("--replicas", type=positive_int, default=1, help="generator replicas (default 1)")
    p.add_argument("--max-batch-size", type=positive_int, default=32,
                   help="generate requests coalesced per call (default 32; 1 turns batching off)")
    p.add_argument("--max-n", type=positive_int, default=10_000, help="largest n per request (default 10000)")
    p.add_argument("--request-timeout", type=float, default=60.0, help="seconds before a request gets 504")
    p.add_argument("--api-key-env", default="LATENTSYNTH_API_KEY",
                   help="environment variable holding the API key; unset = no key required")
    p.add_argument("--address", help="Ray cluster address (default: start a local Ray)")
    p.set_defaults(func=run)
