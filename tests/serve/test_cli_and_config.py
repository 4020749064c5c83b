"""`latentsynth serve` and serve_config.yaml."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_serve_config_is_a_valid_serve_config_for_our_builder(serve_models):
    from ray.serve.schema import ServeDeploySchema

    from serve.app import build_app
    from serve.settings import ServeArgs

    config = yaml.safe_load((ROOT / "serve_config.yaml").read_text())
    schema = ServeDeploySchema.model_validate(config)
    (app,) = schema.applications
    assert app.import_path == "serve.app:build_app" and app.route_prefix == "/"
    args = {**app.args, "models_dir": str(serve_models)}
    assert set(app.args) <= set(ServeArgs.model_fields)  # every key is a real setting
    assert type(build_app(args)).__name__ == "Application"


def test_bad_arguments_are_one_line_and_exit_2(tmp_path, capsys):
    from latentsynth.cli import main

    assert main(["serve", "--models-dir", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert "not a directory" in err and err.count("\n") == 1
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        assert main(["serve", "--models-dir", str(tmp_path), "--port", str(busy.getsockname()[1])]) == 2
    assert "pick another --port" in capsys.readouterr().err


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class ServeProcess:
    """`latentsynth serve --address <the session's Ray> ...` in its own process, stdout collected."""

    def __init__(self, ray_session, serve_models, tmp_path, *extra: str, sigint_ignored: bool = False):
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            "LATENTSYNTH_API_KEY": "cli-key",
        }
        self.stderr_path = tmp_path / f"stderr-{len(list(tmp_path.glob('stderr-*')))}.txt"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "latentsynth.cli",
                "serve",
                "--models-dir",
                str(serve_models),
                "--max-batch-size",
                "8",
                *extra,
                "--address",
                ray_session.get_runtime_context().gcs_address,
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=self.stderr_path.open("w"),
            text=True,
            preexec_fn=_ignore_sigint if sigint_ignored else None,
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(
            target=lambda: self.lines.extend(iter(self.proc.stdout.readline, "")), daemon=True
        )
        self.reader.start()

    @property
    def out(self) -> str:
        return "".join(self.lines)

    def said_in_order(self, *expected: str) -> bool:
        """Whether these stdout lines came in this order (Ray's own log lines may come between)."""
        lines = iter(line.rstrip("\n") for line in self.lines)
        return all(any(line == want for line in lines) for want in expected)

    @property
    def err(self) -> str:
        return self.stderr_path.read_text()

    def wait_serving(self, timeout_s: float = 240) -> str:
        """The "serving ..." line, printed once serve.run returned."""
        deadline = time.monotonic() + timeout_s
        while not any(line.startswith("serving") for line in self.lines):
            assert self.proc.poll() is None and time.monotonic() < deadline, (self.out, self.err[-2000:])
            time.sleep(0.5)
        return next(line for line in self.lines if line.startswith("serving"))

    def finish(self, timeout_s: float = 60) -> int:
        """Exit status of a process that ends by itself."""
        self.proc.wait(timeout=timeout_s)
        self.reader.join(timeout=10)
        return self.proc.returncode

    def interrupt(self, app_name: str, *, owns_serve: bool, signum: int = signal.SIGINT) -> int:
        """Ctrl-C (or ``signum``), then its exit status. If it hangs or fails, kill it and remove what it left on
        the session's Ray ourselves, so one stuck shutdown fails this test alone rather than every
        later deploy on the session's Serve."""
        from ray import serve as ray_serve

        self.proc.send_signal(signum)
        try:
            code = self.finish(timeout_s=180)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = None
        if code != 0:
            if owns_serve:
                ray_serve.shutdown()
            elif app_name in ray_serve.status().applications:
                ray_serve.delete(app_name)
        assert code == 0, (f"exit {code}", self.out, self.err[-3000:])
        return code


@pytest.mark.ray
def test_serve_command_serves_until_ctrl_c(ray_session, serve_models, serve_tools, tmp_path):
    """The real command in its own process, on the session's Ray (--address) with no Serve on it yet:
    it starts Serve on --port, answers, and Ctrl-C → exit 0 with Serve stopped and the port closed.
    Started the way `latentsynth serve &` in a script starts it, with SIGINT inherited as ignored
    (which once left it running, and its app deployed, after Ctrl-C)."""
    from ray import serve as ray_serve

    assert not ray_serve.status().applications, "an earlier test left Serve applications on the session's Ray"
    port = serve_tools.free_port()
    server = ServeProcess(ray_session, serve_models, tmp_path, "--port", str(port), sigint_ignored=True)
    try:
        assert f"at http://127.0.0.1:{port}  (docs: http://127.0.0.1:{port}/docs" in server.wait_serving()
        serve_tools.wait_healthy(f"http://127.0.0.1:{port}", timeout_s=60)
        base = f"http://127.0.0.1:{port}"
        assert httpx.post(f"{base}/v1/models/iris/generate", json={"n": 2}, timeout=60).status_code == 401
        ok = httpx.post(f"{base}/v1/models/iris/generate", json={"n": 2}, headers={"X-API-Key": "cli-key"}, timeout=60)
        assert ok.status_code == 200 and len(ok.json()["rows"]) == 2
    finally:
        server.interrupt("latentsynth", owns_serve=True)
    assert "serving 5 model(s)" in server.out, server.out
    assert server.said_in_order(
        "shutting down (SIGINT)", "removing application 'latentsynth' …", "stopping Serve …", "stopped"
    ), server.out
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
    assert not ray_serve.status().applications and not ray_serve.status().proxies  # Serve itself stopped


@pytest.mark.ray
def test_serve_command_joins_a_running_serve_and_leaves_its_apps_alone(
    ray_session, serve_models, serve_tools, tmp_path
):
    """Serve already runs on the cluster with an app at /: the command refuses to replace that app or
    to move the proxy's port, mounts itself under --route-prefix, and SIGTERM removes only its own app."""
    from ray import serve as ray_serve

    from serve.settings import ServeArgs

    port = serve_tools.free_port()
    base = f"http://127.0.0.1:{port}"
    with serve_tools.started(port):
        serve_tools.deploy(ServeArgs(models_dir=serve_models, generator_cpus=0), name="other", route_prefix="/")
        serve_tools.wait_healthy(base)

        taken = ServeProcess(ray_session, serve_models, tmp_path, "--app-name", "other")
        assert taken.finish() == 2
        assert "already runs a Serve application named 'other'" in taken.err and "Traceback" not in taken.err
        moved = ServeProcess(
            ray_session, serve_models, tmp_path, "--app-name", "synth", "--port", str(serve_tools.free_port())
        )
        assert moved.finish() == 2
        assert f"listens on port {port}; drop --port or pass --port {port}" in moved.err
        clash = ServeProcess(ray_session, serve_models, tmp_path, "--app-name", "synth")  # prefix / is taken
        assert clash.finish() == 2
        assert "Prefix / is being used" in clash.err and "Traceback" not in clash.err
        assert set(ray_serve.status().applications) == {"other"}
        assert httpx.get(f"{base}/healthz", timeout=30).status_code == 200

        server = ServeProcess(ray_session, serve_models, tmp_path, "--app-name", "synth", "--route-prefix", "/synth")
        try:
            assert f"at {base}/synth  (docs: {base}/synth/docs" in server.wait_serving()
            serve_tools.wait_healthy(f"{base}/synth", timeout_s=60)
            ok = httpx.post(
                f"{base}/synth/v1/models/iris/generate",
                json={"n": 3, "seed": 1},
                headers={"X-API-Key": "cli-key"},
                timeout=60,
            )
            assert ok.status_code == 200 and len(ok.json()["rows"]) == 3
        finally:
            server.interrupt("synth", owns_serve=False, signum=signal.SIGTERM)  # what `kill` and systemd send
        assert server.said_in_order("shutting down (SIGTERM)", "removing application 'synth' …", "stopped"), server.out
        assert "stopping Serve" not in server.out
        assert set(ray_serve.status().applications) == {"other"}
        assert httpx.get(f"{base}/healthz", timeout=30).status_code == 200  # the other app still answers
        assert httpx.get(f"{base}/synth/healthz", timeout=30).status_code == 404


def test_a_bad_route_prefix_is_a_usage_error(tmp_path, capsys):
    from latentsynth.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["serve", "--models-dir", str(tmp_path), "--route-prefix", "synth/"])
    assert exit_.value.code == 2 and "'synth/' is not a route prefix" in capsys.readouterr().err
