"""Fixtures for the serving tests: a models directory with a tabular and an image model
(plus traps: a symlink out of the directory, a corrupt artifact), and a helper that runs
the app on a free 127.0.0.1 port."""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import time

import httpx
import pytest


class ServeTools:
    """Helpers for the Ray tests (a fixture, since test modules cannot import a conftest)."""

    @staticmethod
    def free_port() -> int:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    @staticmethod
    @contextlib.contextmanager
    def started(port: int):
        """Serve's proxy on 127.0.0.1:port for the duration; shut down (its actors gone) after."""
        from ray import serve as ray_serve

        ray_serve.start(http_options={"host": "127.0.0.1", "port": port})
        try:
            yield
        finally:
            ray_serve.shutdown()

    @staticmethod
    def deploy(settings, *, name: str, route_prefix: str):
        from ray import serve as ray_serve

        from serve.app import build_app

        ray_serve.run(build_app(settings), name=name, route_prefix=route_prefix)

    @staticmethod
    def wait_healthy(base_url: str, timeout_s: float = 120) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                if httpx.get(f"{base_url}/healthz", timeout=10).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{base_url}/healthz did not answer within {timeout_s} s")
            time.sleep(0.5)


@pytest.fixture(scope="session")
def serve_tools() -> type[ServeTools]:
    return ServeTools


@pytest.fixture(scope="session")
def serve_models(tmp_path_factory, iris_synth, messy_frame):
    """<root>/models: iris (the session's Iris VAE), digits (conv VAE, 2 epochs), messy (a
    small VAE on the messy table: ids, dates, gaps, free text), iris-copy;
    escape → a valid artifact OUTSIDE the directory (must stay invisible); broken (corrupt)."""
    from synth.data.sources import load_embedded
    from synth.synthesizer import LatentSynthesizer

    root = tmp_path_factory.mktemp("serve")
    models = root / "models"
    models.mkdir()
    iris_synth.save(models / "iris")
    digits = load_embedded("digits")
    LatentSynthesizer(model="vae", random_state=0, epochs=2).fit(digits.data, y=digits.labels).save(models / "digits")
    LatentSynthesizer(model="vae", random_state=0, epochs=15).fit(messy_frame, y="cls").save(models / "messy")
    shutil.copytree(models / "iris", models / "iris-copy")
    shutil.copytree(models / "iris", root / "outside")
    (models / "escape").symlink_to(root / "outside", target_is_directory=True)
    (models / "broken").mkdir()
    (models / "broken" / "model.json").write_text(json.dumps({"format": "something else"}))
    return models
