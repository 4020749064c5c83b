"""Load on the Serve app: req/s and p50/p99 latency of POST /v1/models/{name}/generate with
``@serve.batch`` on and off (batching ≥ 3× req/s at 100 clients, small n).

A bounded load generator: ``--clients`` concurrent httpx clients share a fixed budget of
``--requests`` requests (each a small-n request with its own seed) against 127.0.0.1. The
same app is deployed twice, identical but for ``max_batch_size`` (1 = off). Models, unless
``--models-dir`` is given, are trained here for a few epochs (only their cost per call
matters): the Iris MLP VAE (the VAE/GAN/FID report), the 8×8 digits conv VAE, and a conv VAE on digits
upscaled to MNIST's 28×28 (the VAE/GAN/FID report's MNIST shape). Writes benchmarks/results/serve.json.

    python benchmarks/serve_load.py                                   # full run
    python benchmarks/serve_load.py --requests 200 --clients 20       # a quick check
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def train_models(out: Path, epochs: int) -> None:
    """iris, digits (8×8) and mnist28 (digits upscaled to 28×28) artifacts under ``out``."""
    from PIL import Image

    from synth.data.sources import load_embedded
    from synth.synthesizer import LatentSynthesizer

    iris = load_embedded("iris").data
    LatentSynthesizer(model="vae", latent_dim=5, random_state=0, epochs=epochs * 10).fit(iris, y="species").save(
        out / "iris", overwrite=True
    )
    digits = load_embedded("digits")
    LatentSynthesizer(model="vae", random_state=0, epochs=epochs).fit(digits.data, y=digits.labels).save(
        out / "digits", overwrite=True
    )
    big = np.stack([np.asarray(Image.fromarray(img[0]).resize((28, 28), Image.BILINEAR)) for img in digits.data])
    LatentSynthesizer(model="vae", random_state=0, epochs=epochs).fit(big[:, None], y=digits.labels).save(
        out / "mnist28", overwrite=True
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def load(url: str, *, clients: int, requests: int, n: int, fmt: str, seed0: int) -> dict:
    """``requests`` POSTs by ``clients`` concurrent workers; latency of each, status counts."""
    import httpx

    latencies, statuses, next_index = [], {}, iter(range(requests))
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def worker(client):
        for i in next_index:
            started = time.perf_counter()
            try:
                response = await client.post(url, json={"n": n, "seed": seed0 + i, "format": fmt})
                code = response.status_code
            except httpx.HTTPError:
                code = 0
            if code == 200:
                latencies.append(time.perf_counter() - started)
            statuses[code] = statuses.get(code, 0) + 1

    async with httpx.AsyncClient(timeout=300, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(clients)))
        wall = time.perf_counter() - started
    lat = np.array(latencies) if latencies else np.array([np.nan])
    return {
        "requests": requests,
        "ok": len(latencies),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "seconds": wall,
        "req_per_s": len(latencies) / wall,
        "p50_ms": float(np.percentile(lat, 50) * 1e3),
        "p99_ms": float(np.percentile(lat, 99) * 1e3),
        "mean_ms": float(np.mean(lat) * 1e3),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models-dir", type=Path, help="serve these artifacts (default: train small ones)")
    parser.add_argument("--models", nargs="+", default=["iris", "digits", "mnist28"])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--requests", type=int, default=2000, help="requests per (model, batching) run")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--n", type=int, default=4, help="samples per request (small)")
    parser.add_argument("--format", default="json")
    parser.add_argument("--max-batch-size", type=int, default=32)
    parser.add_argument("--batch-wait", type=float, default=0.005)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "serve.json")
    args = parser.parse_args(argv)

    import ray
    from ray import serve as ray_serve

    from serve.app import build_app
    from serve.settings import ServeArgs

    work = Path(tempfile.mkdtemp(prefix="serve-load-"))
    models_dir = args.models_dir or work / "models"
    if args.models_dir is None:
        print(f"training {args.models} (a few epochs; only the cost per call matters) …", flush=True)
        train_models(models_dir, args.epochs)
    ray.init(
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={
            "env_vars": {"PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        },
    )
    port = free_port()
    ray_serve.start(http_options={"host": "127.0.0.1", "port": port})
    results = []
    try:
        for label, batch in (("on", args.max_batch_size), ("off", 1)):
            settings = ServeArgs(
                models_dir=models_dir,
                max_batch_size=batch,
                batch_wait_timeout_s=args.batch_wait,
                max_ongoing_requests=max(256, 2 * args.clients),
                max_queued_requests=-1,
                request_timeout_s=300,
                api_key_env="LATENTSYNTH_BENCH_NO_KEY",
                access_log=False,
            )
            ray_serve.run(build_app(settings), name="bench", route_prefix="/")
            generator = ray_serve.get_deployment_handle("Generator", app_name="bench")
            for model in args.models:
                url = f"http://127.0.0.1:{port}/v1/models/{model}/generate"
                asyncio.run(
                    load(
                        url,
                        clients=min(args.clients, args.warmup),
                        requests=args.warmup,
                        n=args.n,
                        fmt=args.format,
                        seed0=10**6,
                    )
                )
                before = generator.batch_sizes.remote().result()
                run = asyncio.run(
                    load(url, clients=args.clients, requests=args.requests, n=args.n, fmt=args.format, seed0=0)
                )
                after = generator.batch_sizes.remote().result()
                sizes = {int(s): after.get(s, 0) - before.get(s, 0) for s in after}
                calls = sum(sizes.values())
                run.update(
                    model=model,
                    batching=label,
                    max_batch_size=batch,
                    mean_batch=(sum(s * c for s, c in sizes.items()) / calls) if calls else 0.0,
                    batch_sizes={str(k): v for k, v in sorted(sizes.items()) if v},
                )
                results.append(run)
                print(
                    f"{model:8s} batching {label:3s} (max {batch:3d}): {run['req_per_s']:8.1f} req/s  "
                    f"p50 {run['p50_ms']:8.1f} ms  p99 {run['p99_ms']:8.1f} ms  mean batch "
                    f"{run['mean_batch']:5.1f}  statuses {run['statuses']}",
                    flush=True,
                )
            ray_serve.delete("bench")
    finally:
        ray_serve.shutdown()
        ray.shutdown()

    ratios = {}
    print(f"\n{'model':8s} {'on req/s':>10s} {'off req/s':>10s} {'ratio':>7s}  {'p99 on':>9s} {'p99 off':>9s}")
    for model in args.models:
        on = next(r for r in results if r["model"] == model and r["batching"] == "on")
        off = next(r for r in results if r["model"] == model and r["batching"] == "off")
        ratios[model] = on["req_per_s"] / off["req_per_s"] if off["req_per_s"] else float("nan")
        print(
            f"{model:8s} {on['req_per_s']:10.1f} {off['req_per_s']:10.1f} {ratios[model]:6.2f}×  "
            f"{on['p99_ms']:8.0f}ms {off['p99_ms']:8.0f}ms"
        )
    best = max(ratios, key=ratios.get)
    print(
        f"\nbatching gain (goal ≥ 3×): {', '.join(f'{m} {r:.2f}×' for m, r in ratios.items())}; "
        f"{'met' if ratios[best] >= 3 else 'NOT met'} for {best}"
    )
    record = {
        "benchmark": "serve_load",
        "machine": platform.machine(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "clients": args.clients,
        "requests": args.requests,
        "n": args.n,
        "format": args.format,
        "max_batch_size": args.max_batch_size,
        "batch_wait_timeout_s": args.batch_wait,
        "note": "load generator runs on the same machine as Serve",
        "results": results,
        "ratio_on_off": ratios,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
