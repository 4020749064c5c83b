"""``serve deploy serve_config.yaml`` onto the running two-node cluster: the repository's config
with only the models folder (on the shared storage), the port and two generator replicas changed;
the replicas land on both nodes and the app answers; ``serve shutdown`` frees the cluster."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

pytestmark = [pytest.mark.cluster, pytest.mark.slow]
SERVE = str(Path(sys.executable).with_name("serve"))


def test_serve_deploy_of_the_repository_config_spreads_over_both_nodes(ray_cluster, capsys, tmp_path):
    from latentsynth.cli import main

    models = ray_cluster.shared / "deploy-models"
    assert main(["train", "--data", "iris", "--epochs", "3", "--seed", "0", "--out", str(models / "iris")]) == 0
    capsys.readouterr()
    config = yaml.safe_load((ray_cluster.project / "serve_config.yaml").read_text())
    port = ray_cluster.free_port()
    config["http_options"]["port"] = port
    config["applications"][0]["args"].update(models_dir=str(models), replicas=2)
    path = tmp_path / "serve_config.yaml"
    path.write_text(yaml.safe_dump(config))
    base = f"http://127.0.0.1:{port}"
    ray_cluster.run(SERVE, "deploy", path, "--address", ray_cluster.dashboard, timeout=120)
    try:
        ray_cluster.wait_healthy(base)
        assert len(set(ray_cluster.generator_nodes())) == 2  # one generator replica on each node
        request = {"n": 15, "seed": 11}
        first = httpx.post(f"{base}/v1/models/iris/generate", json=request, timeout=60)
        assert first.status_code == 200, first.text
        rows = first.json()["rows"]
        assert len(rows) == 15
        for _ in range(4):  # whichever replica answers, the same seed gives the same rows
            again = httpx.post(f"{base}/v1/models/iris/generate", json=request, timeout=60)
            assert again.status_code == 200 and again.json()["rows"] == rows
        assert httpx.get(f"{base}/openapi.json", timeout=10).json()["info"]["title"]
    finally:
        ray_cluster.run(SERVE, "shutdown", "--address", ray_cluster.dashboard, "-y", timeout=120, check=False)
    deadline = time.monotonic() + 120
    while ray_cluster.generator_nodes():  # the next tests need the cluster's CPUs
        assert time.monotonic() < deadline, "serve shutdown left generator replicas running"
        time.sleep(1)
