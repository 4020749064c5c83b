"""Joining or starting Ray, and checking that a request fits the cluster before waiting on it."""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading
import uuid
from pathlib import Path

from synth.errors import ConfigError


def connect(address: str | None = None, *, timeout_s: float = 15.0) -> None:
    """Join the Ray cluster at ``address`` ("auto", "host:port", "ray://host:port"), or start a
    local one when None (``ray job submit`` sets RAY_ADDRESS, which ray.init follows). An address
    that does not answer within ``timeout_s`` is a ConfigError, not a hang."""
    import ray

    if ray.is_initialized():
        return
    if address and address != "auto":
        _probe(address, timeout_s)
        if "://" not in address:
            _probe_token(address, timeout_s)
    outcome: list = []

    def init():
        try:
            ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level="WARNING")
            outcome.append(None)
        except Exception as exc:  # handed to the caller's thread below
            outcome.append(exc)

    if address is None:  # a local start (or RAY_ADDRESS): no deadline, in the main thread
        init()
    else:  # ray.init retries for 20–40 s on an address that accepts TCP but is not Ray
        thread = threading.Thread(target=init, daemon=True, name="latentsynth-ray-init")
        thread.start()
        thread.join(timeout_s)
    where = f"at {address!r}" if address else "locally"
    if not outcome:
        raise ConfigError(
            f"no answer from a Ray cluster {where} within {timeout_s:g} s; check the address "
            "(head node's GCS port, or ray://host:10001 for Ray Client) and that the port is open"
        )
    if outcome[0] is not None:
        raise ConfigError(f"could not connect to Ray {where}: {str(outcome[0]).strip().splitlines()[0]}") from None


def _probe(address: str, timeout_s: float) -> None:
    """Fail in seconds, not minutes, when nothing listens at the address."""
    hostport = address.split("://", 1)[-1].rstrip("/")
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"--address must be 'auto', 'host:port' or 'ray://host:port', got {address!r}")
    try:
        socket.create_connection((host, int(port)), timeout=timeout_s).close()
    except OSError as exc:
        raise ConfigError(
            f"no Ray cluster reachable at {address!r} ({exc.strerror or exc}); start one with "
            "`ray start --head` or `ray up ray_cluster.yaml`, or drop --address to run locally"
        ) from None


TOKEN_HELP = (
    "set RAY_AUTH_MODE=token and give this client the cluster's token: the file ~/.ray/auth_token, a file "
    "named by RAY_AUTH_TOKEN_PATH, or RAY_AUTH_TOKEN (print it on the head with `ray get-auth-token`)"
)


def _probe_token(address: str, timeout_s: float) -> None:
    """Ray 2.60's ``ray start --head`` turns token authentication on: without the token, ray.init
    retries until its deadline while the core logs a warning a second. Ask the GCS once first, so a
    missing or wrong token is one line that says what to set."""
    from ray._raylet import GcsClient
    from ray.exceptions import AuthenticationError

    outcome: list = []

    def ask():
        try:
            GcsClient(address=address).internal_kv_get(b"latentsynth-probe", None, timeout=timeout_s)
            outcome.append(None)
        except Exception as exc:  # handed to the caller's thread below
            outcome.append(exc)

    with _quiet_stderr():  # the core's C++ retry warnings
        thread = threading.Thread(target=ask, daemon=True, name="latentsynth-ray-auth-probe")
        thread.start()
        thread.join(timeout_s)
    if outcome and isinstance(outcome[0], AuthenticationError):
        mode = os.environ.get("RAY_AUTH_MODE", "unset")
        raise ConfigError(
            f"the Ray cluster at {address!r} refused this client's authentication (RAY_AUTH_MODE is {mode}); "
            + TOKEN_HELP
        )


@contextlib.contextmanager
def _quiet_stderr():
    """File descriptor 2 to /dev/null for a moment (C++ logging writes there directly)."""
    sys.stderr.flush()
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


def check_resources(*, num_workers: int, gpus_per_worker: float = 0, cpus_per_worker: float = 1) -> None:
    """Refuse a request the cluster cannot place now, instead of waiting forever for it."""
    import ray

    have = ray.cluster_resources()
    for name, each in (("GPU", gpus_per_worker), ("CPU", cpus_per_worker)):
        need = num_workers * each
        if need > have.get(name, 0) + 1e-9:
            raise ConfigError(
                f"{num_workers} worker(s) × {each:g} {name} need {need:g} {name}s but the Ray cluster "
                f"has {have.get(name, 0):g}; use fewer --workers"
                + (" or --gpus-per-worker" if name == "GPU" else "")
                + " (on an autoscaling cluster, raise the node type's min_workers)"
            )


def check_storage(path: str, *, timeout_s: float = 60.0) -> None:
    """Refuse a local ``path`` (a run's or a campaign's storage) that some alive Ray node does not
    see as the same folder: the driver writes a marker there and a zero-CPU task pinned to each node
    looks for it. Workers on a node without it would checkpoint into a folder nobody else reads, and
    the run would fail at its end or resume from nothing. URIs (s3://, gs://, …) are left to their
    filesystem; one node needs no check."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    if "://" in path and not path.startswith("file://"):
        return
    nodes = [n for n in ray.nodes() if n.get("Alive")]
    if len(nodes) < 2:
        return
    folder = Path(path.removeprefix("file://")).expanduser().resolve()
    created = [p for p in (folder, *folder.parents) if not p.exists()]  # removed again on a refusal
    folder.mkdir(parents=True, exist_ok=True)
    secret = uuid.uuid4().hex
    marker = folder / f".latentsynth-reach-{secret}"
    marker.write_text(secret)
    try:
        probe = ray.remote(num_cpus=0, max_retries=0)(_sees_marker)
        asks = {
            n["NodeID"]: probe.options(
                scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False)
            ).remote(str(marker), secret)
            for n in nodes
        }
        ready, _ = ray.wait(list(asks.values()), num_returns=len(asks), timeout=timeout_s)
        seen = {node: ref in ready and ray.get(ref) for node, ref in asks.items()}
    finally:
        marker.unlink(missing_ok=True)
    missing = [n for n in nodes if not seen[n["NodeID"]]]
    if missing:
        for made in created:  # deepest first; only folders this check made and left empty
            with contextlib.suppress(OSError):
                made.rmdir()
        where = ", ".join(f"{n.get('NodeManagerAddress', '?')} ({n['NodeID'][:8]})" for n in missing)
        raise ConfigError(
            f"storage {folder} is not the same folder on {len(missing)} of {len(nodes)} Ray nodes ({where}): "
            "every node must see it (a shared mount such as NFS at the same path, or a URI such as "
            "s3://bucket/runs) so that checkpoints and artifacts written on one node are read on another"
        )


def _sees_marker(marker: str, secret: str) -> bool:
    try:
        return Path(marker).read_text() == secret
    except OSError:
        return False
