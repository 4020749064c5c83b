"""ray_cluster.yaml is a config `ray up` accepts: Ray's own schema check, head + GPU worker types,
and setup commands that install this package."""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_ray_up_accepts_the_cluster_config():
    util = pytest.importorskip("ray.autoscaler._private.util")
    raw = yaml.safe_load((ROOT / "ray_cluster.yaml").read_text())
    config = util.prepare_config(raw)  # fills Ray's defaults the way `ray up` does, offline
    util.validate_config(config)  # raises on a field the schema does not know
    types = config["available_node_types"]
    assert config["head_node_type"] in types
    gpu = types["gpu_worker"]  # AWS GPU families: g*, p*
    assert gpu["node_config"]["InstanceType"].startswith(("g", "p")) and gpu["min_workers"] >= 1
    assert any("pip install" in c and "latentsynth" in c for c in config["setup_commands"])
    assert "/home/ray/latentsynth" in raw["file_mounts"]
