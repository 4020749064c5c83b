"""Back-pressure and recovery over real HTTP: overload gives quick 503s and only whole
payloads; a generator replica killed mid-load (SIGKILL by pid) is replaced by Serve."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import httpx
import pytest

from serve.settings import ServeArgs

pytestmark = pytest.mark.ray
NO_ENV_KEY = "LATENTSYNTH_TEST_KEY_THAT_IS_NEVER_SET"


@pytest.fixture(scope="module")
def server(ray_session, serve_models, serve_tools):
    port = serve_tools.free_port()
    base = f"http://127.0.0.1:{port}"
    common = dict(models_dir=serve_models, generator_cpus=0, api_key_env=NO_ENV_KEY, request_timeout_s=120)
    with serve_tools.started(port):
        # tight: 2 in flight + 2 queued per caller, no batching — a burst of 40 must overflow
        serve_tools.deploy(
            ServeArgs(**common, max_ongoing_requests=2, max_queued_requests=2, max_batch_size=1),
            name="tight",
            route_prefix="/tight",
        )
        serve_tools.deploy(ServeArgs(**common, replicas=1), name="victim", route_prefix="/victim")
        serve_tools.wait_healthy(f"{base}/tight")
        serve_tools.wait_healthy(f"{base}/victim")
        yield base


def _whole_payload(response, n: int) -> bool:
    body = response.json()
    return len(body["images"]) == n == len(body["provenance"]) == len(body["labels"]) and body["shape"] == [n, 1, 8, 8]


def test_overload_gives_503_and_only_whole_payloads(server):
    url, n, burst = f"{server}/tight/v1/models/digits/generate", 128, 40
    assert httpx.post(url, json={"n": 1}, timeout=120).status_code == 200  # model loaded before the burst

    async def one(client, seed):
        started = time.perf_counter()
        response = await client.post(url, json={"n": n, "seed": seed})
        return response, time.perf_counter() - started

    async def flood():
        limits = httpx.Limits(max_connections=burst, max_keepalive_connections=burst)
        async with httpx.AsyncClient(timeout=120, limits=limits) as client:
            return await asyncio.gather(*(one(client, seed) for seed in range(burst)))

    results = asyncio.run(flood())
    codes = [r.status_code for r, _ in results]
    rejected = [(r, t) for r, t in results if r.status_code == 503]
    assert rejected and codes.count(200) >= 2, codes
    assert set(codes) <= {200, 503}, codes
    assert all(_whole_payload(r, n) for r, _ in results if r.status_code == 200)
    assert all(r.headers.get("retry-after") == "1" for r, _ in rejected)
    slowest_ok = max(t for r, t in results if r.status_code == 200)
    print(
        f"\noverload: {codes.count(200)} ok, {len(rejected)} × 503 of {burst}; 503 after "
        f"{min(t for _, t in rejected):.3f}–{max(t for _, t in rejected):.3f} s, slowest 200 {slowest_ok:.3f} s"
    )
    health = httpx.get(f"{server}/tight/healthz", timeout=30)
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert httpx.post(url, json={"n": 2}, timeout=120).status_code == 200


def test_killed_generator_replica_is_replaced(server):
    from ray import serve as ray_serve

    generator = ray_serve.get_deployment_handle("Generator", app_name="victim")
    url = f"{server}/victim/v1/models/iris/generate"
    assert httpx.post(url, json={"n": 4, "seed": 0}, timeout=120).status_code == 200
    old_pid = generator.pid.remote().result(timeout_s=60)
    log: list[tuple[float, int, str]] = []  # (time since start, status, content type)
    killed_at: list[float] = []

    async def client_loop(client, start, stop):
        seed = 0
        while not stop.is_set():
            seed += 1
            try:
                response = await client.post(url, json={"n": 4, "seed": seed})
                log.append((time.monotonic() - start, response.status_code, response.headers.get("content-type", "")))
            except httpx.HTTPError as exc:  # a connection-level failure counts as a failure too
                log.append((time.monotonic() - start, 0, type(exc).__name__))
            await asyncio.sleep(0.02)

    async def run():
        start, stop = time.monotonic(), asyncio.Event()
        async with httpx.AsyncClient(timeout=120) as client:
            workers = [asyncio.create_task(client_loop(client, start, stop)) for _ in range(4)]
            await asyncio.sleep(2.0)
            os.kill(old_pid, signal.SIGKILL)
            killed_at.append(time.monotonic() - start)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:  # until 20 requests in a row succeeded after the kill
                after = [status for t, status, _ in log if t > killed_at[0]]
                if len(after) >= 20 and all(s == 200 for s in after[-20:]):
                    break
                await asyncio.sleep(0.2)
            stop.set()
            await asyncio.gather(*workers)

    asyncio.run(run())
    after = [(t, status, kind) for t, status, kind in log if t > killed_at[0]]
    failures = [(t, status, kind) for t, status, kind in after if status != 200]
    assert len(after) >= 20 and all(status == 200 for _, status, _ in after[-20:]), after[-25:]
    # failures are honest "retry" answers, never a 500 or a broken connection
    assert all(status in (503, 504) and kind.startswith("application/json") for _, status, kind in failures), failures
    new_pid = generator.pid.remote().result(timeout_s=60)
    assert new_pid != old_pid
    window = (failures[-1][0] - killed_at[0]) if failures else 0.0
    print(
        f"\nkill: {len(failures)} of {len(after)} requests after the kill failed (all 503), within "
        f"{window:.2f} s; {sum(1 for t, s, _ in log if t <= killed_at[0])} ok before; new pid {new_pid}"
    )
