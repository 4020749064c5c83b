"""A real two-node Ray cluster on this machine: a head and a worker node started as separate
raylets with ``ray start``, each with its own ``--temp-dir`` (as a real node has its own disk),
token authentication on (Ray's default for ``ray start --head``) with the token in a file of
this fixture, and a custom resource ``worker_node`` that only the second node has, so a test can
force placement there. Tests talk to it through subprocesses (``ray job submit``, the CLI with
``--address``), never an in-process ``ray.init``: the test session's own local Ray stays apart.
Teardown stops only the processes this fixture started (found by its temp dirs and ports, and
their children), never ``ray stop`` for the whole machine."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

RAY = str(Path(sys.executable).with_name("ray"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RayCluster:
    gcs_address: str  # host:port, for --address
    dashboard: str  # http://host:port, for ray job submit
    env: dict  # what a client needs: RAY_AUTH_MODE=token and the token's file
    shared: Path  # a directory both nodes see (the "shared storage")
    temp_dirs: tuple
    ports: tuple
    project: Path
    node_local: Path | None = None  # a folder the worker node sees as its own (empty) disk, if possible

    def run(self, *args, timeout: float = 300, env: dict | None = None, check: bool = True, **kw):
        """A client command against the cluster, with the token in its environment (``env``
        overrides it; a None value unsets the variable)."""
        merged = {**os.environ, **self.env, **(env or {})}
        out = subprocess.run(
            [str(a) for a in args],
            env={k: v for k, v in merged.items() if v is not None},
            capture_output=True,
            text=True,
            timeout=timeout,
            **kw,
        )
        if check and out.returncode != 0:
            raise AssertionError(f"{args[:3]} exited {out.returncode}:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
        return out

    def popen(self, *args, env: dict | None = None) -> subprocess.Popen:
        """A long-running client (e.g. ``latentsynth serve --address``), with the token."""
        merged = {**os.environ, **self.env, **(env or {})}
        return subprocess.Popen(
            [str(a) for a in args],
            env={k: v for k, v in merged.items() if v is not None},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    free_port = staticmethod(free_port)

    def generator_nodes(self) -> list[str]:
        """The node of every alive Serve generator replica (from the State API)."""
        out = self.run(
            RAY, "list", "actors", "--address", self.dashboard, "--format", "json", "--detail", "--limit", "1000"
        )
        actors = json.loads(out.stdout)
        return [a["node_id"] for a in actors if "Generator" in a.get("class_name", "") and a.get("state") == "ALIVE"]

    @staticmethod
    def wait_healthy(base: str, *, server: subprocess.Popen | None = None, timeout: float = 300) -> None:
        """Until ``base``/healthz answers 200 (failing early if ``server`` exits)."""
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert server is None or server.poll() is None, server.stdout.read()
            try:
                if httpx.get(f"{base}/healthz", timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(1)
        raise AssertionError(f"{base}/healthz did not answer within {timeout:g} s")

    def kill_worker_node(self) -> None:
        """Kill the worker node's raylet and everything it runs (as a machine that dies would)."""
        _stop(re.compile(re.escape(str(self.temp_dirs[1])) + "/"), signals=(signal.SIGKILL,))

    def submit(self, *entrypoint, wait: bool = True, timeout: float = 600, working_dir: Path | None = None):
        """``ray job submit --working-dir <project>`` of ``entrypoint`` (run with this Python)."""
        args = [RAY, "job", "submit", "--address", self.dashboard, "--working-dir", working_dir or self.project]
        args += [] if wait else ["--no-wait"]
        return self.run(*args, "--", *entrypoint, timeout=timeout)


def _ours(marks: re.Pattern) -> list[int]:
    """PIDs whose command line matches ``marks``, and all their descendants (from /proc)."""
    parents, roots = {}, []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        parents[int(entry.name)] = ppid
        if marks.search(cmd):
            roots.append(int(entry.name))
    found, frontier = set(roots), list(roots)
    while frontier:
        parent = frontier.pop()
        children = [p for p, pp in parents.items() if pp == parent and p not in found]
        found.update(children)
        frontier += children
    return sorted(found - {os.getpid()})


def _stop(marks: re.Pattern, signals=(signal.SIGTERM, signal.SIGKILL)) -> None:
    for sig, wait in zip(signals, (5.0, 2.0)):
        pids = _ours(marks)
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and _ours(marks):
            time.sleep(0.2)


@pytest.fixture(scope="session")
def ray_cluster(tmp_path_factory):
    if shutil.which(RAY) is None and not Path(RAY).exists():
        pytest.skip("the `ray` command is not installed next to this Python")
    # short paths: Ray's unix sockets live under the temp dir (a 107-byte limit)
    base = Path(tempfile.mkdtemp(prefix="lsc-", dir="/tmp"))
    token = base / "token"
    token.write_text(secrets.token_hex(32))
    env = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": str(token), "RAY_USAGE_STATS_ENABLED": "0"}
    gcs, dash, client, *node_ports = (free_port() for _ in range(9))
    head_dir, worker_dir = base / "h", base / "w"
    # this cluster's processes: they name its temp dirs or its GCS port
    marks = re.compile(rf"{re.escape(str(base))}/|[:=]{gcs}(?!\d)")
    common = ["--disable-usage-stats", "--num-cpus", "1"]
    project = Path(__file__).resolve().parents[2]
    server_env = {**os.environ, **env, "PYTHONPATH": str(project)}

    node_local = base / "node-local"
    node_local.mkdir()
    # where the OS lets us (root on Linux), the worker node runs in its own mount namespace with an
    # empty tmpfs over node_local: the same path names another folder there, as on a second machine
    private = _private_mount_prefix(node_local)

    def start(*args, prefix=()):
        out = subprocess.run(
            [*prefix, RAY, "start", *args, *common], env=server_env, capture_output=True, text=True, timeout=180
        )
        if out.returncode != 0:
            _stop(marks)
            raise RuntimeError(f"ray start {args[:2]} failed:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")

    start(
        "--head",
        "--port", str(gcs),
        "--temp-dir", str(head_dir),
        "--dashboard-host", "127.0.0.1",
        "--dashboard-port", str(dash),
        "--include-dashboard", "true",
        "--ray-client-server-port", str(client),
        "--node-manager-port", str(node_ports[0]),
        "--object-manager-port", str(node_ports[1]),
        "--dashboard-agent-listen-port", str(node_ports[4]),
    )  # fmt: skip
    start(
        "--address", f"127.0.0.1:{gcs}",
        "--temp-dir", str(worker_dir),
        "--resources", '{"worker_node": 1}',
        "--node-manager-port", str(node_ports[2]),
        "--object-manager-port", str(node_ports[3]),
        "--dashboard-agent-listen-port", str(node_ports[5]),
        prefix=private,
    )  # fmt: skip
    shared = base / "shared"
    shared.mkdir()
    cluster = RayCluster(
        gcs_address=f"127.0.0.1:{gcs}",
        dashboard=f"http://127.0.0.1:{dash}",
        env=env,
        shared=shared,
        temp_dirs=(head_dir, worker_dir),
        ports=(gcs, dash, client, *node_ports),
        project=project,
        node_local=node_local if private else None,
    )
    try:
        _wait_for_nodes(cluster, 2)
        yield cluster
    finally:
        _stop(marks)
        shutil.rmtree(base, ignore_errors=True)


def _private_mount_prefix(folder: Path) -> tuple:
    """A command prefix that runs the rest in a new mount namespace with a tmpfs over ``folder``
    (``unshare -m``), or () where that is not allowed."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return ()
    script = f'mount -t tmpfs none "{folder}" && exec "$0" "$@"'
    prefix = (unshare, "-m", "--propagation", "private", "sh", "-c", script)
    probe = subprocess.run([*prefix, "true"], capture_output=True, timeout=30)
    return prefix if probe.returncode == 0 else ()


def _wait_for_nodes(cluster: RayCluster, count: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        out = cluster.run(RAY, "status", "--address", cluster.gcs_address, check=False, timeout=60)
        if out.returncode == 0 and out.stdout.count(" node_") >= count:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"the cluster did not show {count} nodes:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
        time.sleep(2)
