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
    assert set(app.args) <= set(ServeArgs.model_fields)        # every key is a real setting
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


@pytest.mark.ray
def test_serve_command_serves_until_ctrl_c(ray_session, serve_models, serve_tools, tmp_path):
    """The real command in its own process, on the session's Ray (--address): up, answers,
    Ctrl-C → exit 0 and the port is closed."""
    port = serve_tools.free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "LATENTSYNTH_API_KEY": "cli-key"}
    proc = subprocess.Popen([sys.executable, "-m", "latentsynth.cli", "serve", "--models-dir", str(serve_models),
                             "--port", str(port), "--max-batch-size", "8",
                             "--address", ray_session.get_runtime_context().gcs_address], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=(tmp_path / "stderr.txt").open("w"), text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 240
        while not any(line.startswith("serving") for line in lines):   # printed once serve.run returned
            assert proc.poll() is None and time.monotonic() < deadline, (lines, proc.poll())
            time.sleep(0.5)
        serve_tools.wait_healthy(f"http://127.0.0.1:{port}", timeout_s=60)
        base = f"http://127.0.0.1:{port}"
        assert httpx.post(f"{base}/v1/models/iris/generate", json={"n": 2}, timeout=60).status_code == 401
        ok = httpx.post(f"{base}/v1/models/iris/generate", json={"n": 2}, headers={"X-API-Key": "cli-key"},
                        timeout=60)
        assert ok.status_code == 200 and len(ok.json()["rows"]) == 2
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=180)
        reader.join(timeout=10)
    out = "".join(lines)
    assert proc.returncode == 0, (tmp_path / "stderr.txt").read_text()[-2000:]
    assert "serving 4 model(s)" in out and "shutting down" in out, out
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
