"""SPEC §2: imports only flow cluster ← synth ← {tune, serve} ← latentsynth, ray stays at
the edges, and modules stay small."""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("cluster", "synth", "tune", "serve", "latentsynth")
ALLOWED = {
    "cluster": set(),
    "synth": {"cluster"},
    "tune": {"cluster", "synth"},
    "serve": {"cluster", "synth"},
    "latentsynth": {"cluster", "synth", "tune", "serve"},
}
RAY_ALLOWED = {"synth/distributed.py"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def _modules(package: str):
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", PACKAGES)
def test_import_direction(package):
    for path in _modules(package):
        wrong = (_imports(path) & set(PACKAGES)) - ALLOWED[package] - {package}
        assert not wrong, f"{path.relative_to(ROOT)} imports {sorted(wrong)} against SPEC §2"


def test_ray_only_at_the_edges():
    for package in ("cluster", "synth"):
        for path in _modules(package):
            rel = str(path.relative_to(ROOT))
            if rel not in RAY_ALLOWED:
                assert "ray" not in _imports(path), f"{rel} imports ray; only {sorted(RAY_ALLOWED)} may"


def test_cluster_is_numpy_and_scipy_only():
    stdlib_ok = set(sys.stdlib_module_names) | {"__future__", "numpy", "scipy", "cluster"}
    for path in _modules("cluster"):
        extra = _imports(path) - stdlib_ok
        assert not extra, f"{path.relative_to(ROOT)} imports {sorted(extra)}; cluster/ is numpy + scipy only"


def test_modules_stay_readable():
    for package in PACKAGES:
        for path in _modules(package):
            lines = len(path.read_text().splitlines())
            assert lines <= 520, f"{path.relative_to(ROOT)} has {lines} lines (SPEC §2: under ~500)"


def test_checker_sees_a_violation(tmp_path):
    bad = tmp_path / "m.py"
    bad.write_text("import os\nfrom serve.app import x\nimport ray.train\n")
    assert _imports(bad) == {"os", "serve", "ray"}
