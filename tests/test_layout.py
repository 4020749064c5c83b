"""The layout rules of docs/design.md: imports only flow cluster ← synth ← {tune, serve} ←
latentsynth, Ray stays at the edges (synth/distributed/ is the only Ray code in synth/),
no module imports another's private names, and modules stay small."""

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
RAY_ALLOWED = "synth/distributed/"  # the folder: one module per Ray job
MAX_LINES = 400


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
        assert not wrong, f"{path.relative_to(ROOT)} imports {sorted(wrong)} against the dependency direction"


def test_ray_only_at_the_edges():
    for package in ("cluster", "synth"):
        for path in _modules(package):
            rel = str(path.relative_to(ROOT))
            if not rel.startswith(RAY_ALLOWED):
                assert "ray" not in _imports(path), f"{rel} imports ray; only {RAY_ALLOWED} may"


def test_cluster_is_numpy_and_scipy_only():
    stdlib_ok = set(sys.stdlib_module_names) | {"__future__", "numpy", "scipy", "cluster"}
    for path in _modules("cluster"):
        extra = _imports(path) - stdlib_ok
        assert not extra, f"{path.relative_to(ROOT)} imports {sorted(extra)}; cluster/ is numpy + scipy only"


def test_modules_stay_readable():
    for package in PACKAGES:
        for path in _modules(package):
            lines = len(path.read_text().splitlines())
            assert lines <= MAX_LINES, (
                f"{path.relative_to(ROOT)} has {lines} lines (at most {MAX_LINES}: one idea a module)"
            )


def _private_imports(path: Path) -> list[str]:
    """``from <our package> import _name``: reaching into another module's private names."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] in PACKAGES:
                found += [f"{node.module}.{a.name}" for a in node.names if a.name.startswith("_") and a.name[1] != "_"]
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_no_private_imports_across_modules(package):
    for path in _modules(package):
        assert not _private_imports(path), f"{path.relative_to(ROOT)} imports private names {_private_imports(path)}"


def test_private_import_checker_sees_one(tmp_path):
    bad = tmp_path / "m.py"
    bad.write_text("from synth.plots import _figure, __version__\nfrom os import _exit\n")
    assert _private_imports(bad) == ["synth.plots._figure"]


def test_checker_sees_a_violation(tmp_path):
    bad = tmp_path / "m.py"
    bad.write_text("import os\nfrom serve.app import x\nimport ray.train\n")
    assert _imports(bad) == {"os", "serve", "ray"}
