"""latentsynth serve"""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path

from latentsynth.commands.args import UsageError, positive_int

DEFAULT_PORT = 8000
STOP_TIMEOUT_S = 120.0  # the most Ctrl-C waits for Serve to drain and stop before giving up with a warning


def _settings(args):
    from pydantic import ValidationError

    from serve.settings import ServeArgs

    try:
        return ServeArgs(
            models_dir=args.models_dir,
            replicas=args.replicas,
            max_batch_size=args.max_batch_size,
            max_n=args.max_n,
            request_timeout_s=args.request_timeout,
            api_key_env=args.api_key_env,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise UsageError(f"--{str(first['loc'][0]).replace('_', '-')}: {first['msg']}") from None


def route_prefix(text: str) -> str:
    """argparse type: a Serve route prefix ("/" or "/a/b": no trailing slash, no {placeholders})."""
    import argparse

    if not text.startswith("/") or (text != "/" and text.endswith("/")) or any(c in text for c in "{}? #"):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a route prefix (like / or /synth: a leading slash, "
            "no trailing slash, no {}?# or spaces)"
        )
    return text


def app_name(text: str) -> str:
    """argparse type: a Serve application name (non-empty, no slash)."""
    import argparse

    if not text.strip() or "/" in text:
        raise argparse.ArgumentTypeError(f"{text!r} is not an application name (non-empty, no slash)")
    return text


def _check_port_free(host: str, port: int) -> None:
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError as exc:
            raise UsageError(f"cannot listen on {host}:{port} ({exc.strerror}); pick another --port") from None


def _running_serve():
    """The HTTP options of the Serve instance already on the connected cluster, or None."""
    # Serve's public API has no read-only "is it running, on which port"; this is the client
    # serve.status() itself uses, asked not to start anything.
    from ray.serve.context import _get_global_client

    client = _get_global_client(raise_if_no_controller_running=False)
    return None if client is None else client.http_config


def _stop(app_name: str, *, owns_serve: bool, timeout_s: float) -> str | None:
    """Take down what this command put on the cluster: its application first (which frees its
    route prefix whatever happens next), then Serve itself if this command started it.
    Bounded: returns what went wrong, or None."""
    from ray import serve as ray_serve

    failure: list[str] = []

    def work():
        try:
            print(f"removing application {app_name!r} …", flush=True)
            ray_serve.delete(app_name)
            if owns_serve:
                print("stopping Serve …", flush=True)
                ray_serve.shutdown()
        except Exception as exc:  # reported below, then Ray is shut down regardless
            failure.append(f"{type(exc).__name__}: {exc}")

    worker = threading.Thread(target=work, name="latentsynth-serve-stop", daemon=True)
    worker.start()
    worker.join(timeout_s)
    if worker.is_alive():
        return f"Serve did not finish stopping within {timeout_s:.0f} s"
    return failure[0] if failure else None


def _stop_on_signals() -> None:
    """Ctrl-C (SIGINT) and SIGTERM both stop the server cleanly, like uvicorn. Set explicitly:
    a process started in the background by a non-interactive shell inherits SIGINT ignored
    (and Python then installs no KeyboardInterrupt for it), and Ray's driver turns SIGTERM
    into an immediate exit that would leave the application deployed."""

    def stop(signum, frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)


def run(args) -> int:
    import ray
    from ray import serve as ray_serve
    from ray.serve.exceptions import RayServeException

    from serve.app import build_app
    from serve.models_dir import model_names

    settings = _settings(args)
    port = args.port or DEFAULT_PORT
    if not args.address:
        _check_port_free(args.host, port)
    if args.address:
        ray.init(address=args.address)
    else:  # a local Ray whose workers import this checkout's packages
        root = str(Path(__file__).resolve().parents[2])
        path = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
        ray.init(include_dashboard=False, runtime_env={"env_vars": {"PYTHONPATH": path}})
    _stop_on_signals()
    deployed = owns_serve = False
    try:
        existing = _running_serve()
        if existing is None:
            if args.address:
                _check_port_free(args.host, port)
            ray_serve.start(
                proxy_location=args.proxy_location,
                http_options={"host": args.host, "port": port, "request_timeout_s": settings.request_timeout_s + 5},
            )
            owns_serve = True
        else:  # one HTTP proxy per cluster: join it, never replace what runs there
            if args.port is not None and args.port != existing.port:
                raise UsageError(
                    f"Ray Serve already runs on this cluster and listens on port {existing.port}; "
                    f"drop --port or pass --port {existing.port}"
                )
            host, port = existing.host, existing.port
            if args.app_name in ray_serve.status().applications:
                raise UsageError(
                    f"the cluster already runs a Serve application named {args.app_name!r}; "
                    "pick another --app-name (nothing was changed)"
                )
        try:
            deployed = True
            ray_serve.run(build_app(settings), name=args.app_name, route_prefix=args.route_prefix)
        except RayServeException as exc:  # raised in the controller: say its reason, not its remote traceback
            raise UsageError(f"Ray Serve refused the application: {getattr(exc, 'cause', None) or exc}") from None
        base = f"http://{args.host if owns_serve else host}:{port}{args.route_prefix.rstrip('/')}"
        key = "required (X-API-Key)" if settings.resolved_api_key() else "off"
        print(
            f"serving {len(model_names(settings.models_dir))} model(s) from {settings.models_dir} at "
            f"{base}  (docs: {base}/docs, API key {key}); Ctrl-C stops",
            flush=True,
        )
        while True:
            time.sleep(1)
    except KeyboardInterrupt as exc:
        print(f"shutting down ({exc or 'SIGINT'})", flush=True)
    finally:
        problem = (
            _stop(args.app_name, owns_serve=owns_serve, timeout_s=STOP_TIMEOUT_S) if deployed or owns_serve else None
        )
        ray.shutdown()
        print("stopped", flush=True)
    if problem:
        print(
            f"latentsynth serve: warning: {problem}; application {args.app_name!r} may still be deployed "
            "(remove it with `serve.delete`)",
            file=sys.stderr,
        )
        return 1
    return 0


def register(sub) -> None:
    p = sub.add_parser("serve", help="serve the models of a directory over HTTP (Ray Serve)")
    p.add_argument("--models-dir", required=True, help="directory of artifact directories (one model each)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; 0.0.0.0 = all)")
    p.add_argument(
        "--port",
        type=positive_int,
        default=None,
        help=f"port to listen on (default {DEFAULT_PORT}; on a cluster where Serve already runs, its port)",
    )
    p.add_argument("--replicas", type=positive_int, default=1, help="generator replicas (default 1)")
    p.add_argument(
        "--max-batch-size",
        type=positive_int,
        default=32,
        help="generate requests coalesced per call (default 32; 1 turns batching off)",
    )
    p.add_argument("--max-n", type=positive_int, default=10_000, help="largest n per request (default 10000)")
    p.add_argument("--request-timeout", type=float, default=60.0, help="seconds before a request gets 504")
    p.add_argument(
        "--api-key-env",
        default="LATENTSYNTH_API_KEY",
        help="environment variable holding the API key; unset = no key required",
    )
    p.add_argument(
        "--address",
        help="Ray cluster address (default: start a local Ray). If Serve already runs "
        "there, the app joins it and Ctrl-C removes only this app",
    )
    p.add_argument(
        "--proxy-location",
        choices=("HeadOnly", "EveryNode"),
        default="HeadOnly",
        help="where Serve runs its HTTP proxy when it starts it (default HeadOnly, as serve_config.yaml; "
        "EveryNode: one per node, behind your load balancer)",
    )
    p.add_argument(
        "--app-name",
        type=app_name,
        default="latentsynth",
        help="Serve application name (default latentsynth); an existing one is never replaced",
    )
    p.add_argument(
        "--route-prefix",
        type=route_prefix,
        default="/",
        help="URL prefix of the app (default /), e.g. /synth beside other apps",
    )
    p.set_defaults(func=run)
