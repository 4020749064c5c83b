"""Serve on a running two-node cluster: ``latentsynth serve --address`` with two generator
replicas of one CPU each (so one lands on each node), models read from the shared directory;
then the worker node dies mid-load, and requests after it still succeed and ``/healthz`` answers.
Last in this folder: it kills the fixture's worker node."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

pytestmark = [pytest.mark.cluster, pytest.mark.slow]
PY = sys.executable


def test_serve_on_the_cluster_survives_losing_the_worker_node(ray_cluster, capsys):
    from latentsynth.cli import main

    models = ray_cluster.shared / "models"
    assert main(["train", "--data", "iris", "--epochs", "5", "--seed", "0", "--out", str(models / "iris")]) == 0
    capsys.readouterr()
    port = ray_cluster.free_port()
    base = f"http://127.0.0.1:{port}"
    server = ray_cluster.popen(
        PY, "-m", "latentsynth", "serve", "--address", ray_cluster.gcs_address, "--models-dir", models,
        "--replicas", "2", "--port", port,
    )  # fmt: skip
    try:
        ray_cluster.wait_healthy(base, server=server)
        assert len(set(ray_cluster.generator_nodes())) == 2  # one generator replica on each node
        request = {"n": 20, "seed": 3}
        expect = httpx.post(f"{base}/v1/models/iris/generate", json=request, timeout=60)
        assert expect.status_code == 200, expect.text

        def call(_):
            try:
                return httpx.post(f"{base}/v1/models/iris/generate", json=request, timeout=60).status_code
            except httpx.HTTPError as exc:
                return type(exc).__name__

        with ThreadPoolExecutor(4) as pool:
            during = pool.map(call, range(40))  # load while the worker node dies
            time.sleep(0.5)
            ray_cluster.kill_worker_node()
            during = list(during)
        assert during.count(200) > 0
        # after recovery: the replica left on the head serves every request, same seed → same rows
        deadline = time.monotonic() + 120
        while True:
            after = [call(i) for i in range(5)]
            if after == [200] * 5 or time.monotonic() > deadline:
                break
            time.sleep(2)
        assert after == [200] * 5
        assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200
        again = httpx.post(f"{base}/v1/models/iris/generate", json=request, timeout=60)
        assert again.status_code == 200 and again.json()["rows"] == expect.json()["rows"]
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=120)
        except subprocess.TimeoutExpired:
            server.kill()
