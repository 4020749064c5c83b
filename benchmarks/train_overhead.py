"""Seconds per epoch of the plain training loop vs Ray Train with 1 and 2 workers, same data and model.

Goal: Ray Train with 1 worker ≤ 1.10× the plain loop's time per epoch, on a workload
big enough that start-up is amortised. Start-up (ray.init excluded: from ``fit`` to the end of
the first epoch, minus that epoch's compute) is reported separately; the per-epoch figure is the
steady state from the end of epoch 1 to the end of the last epoch, reports and checkpoints
included. The plain loop and each Ray worker get ``--threads`` CPU threads (default 1: one core
per worker, so Ray's own processes do not fight the loop for cores). A shared VM's speed drifts by
±20 % from minute to minute, so ``--repeats`` rounds interleave the configurations, each Ray run is
divided by its own round's plain run, and the median ratio is the figure. The time each run
spends per epoch outside the loop's own epoch (reports, checkpoints, stalls) is measured within
the run, so it does not drift: Ray's extra share of it is the second, steadier figure. On a machine
with CUDA the GPU is used (plain loop on cuda:0, one GPU per Ray worker; 2 workers only with ≥ 2
GPUs). Writes benchmarks/results/train_overhead.json.

    python benchmarks/train_overhead.py                       # full run (~1 s epochs, 30 epochs)
    python benchmarks/train_overhead.py --rows 4000 --epochs 4 --repeats 1 --out /tmp/t.json   # smoke test
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

# Ray starts each worker with OMP_NUM_THREADS = its CPUs; start the plain loop's process the same
# way (before torch loads), so both configure their thread pools alike.
_pre = argparse.ArgumentParser(add_help=False)
_pre.add_argument("--threads", type=int, default=1)
os.environ.setdefault("OMP_NUM_THREADS", str(_pre.parse_known_args()[0].threads))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch.utils.data import TensorDataset  # noqa: E402

from synth.models.autoencoder import (  # noqa: E402
    Autoencoder,
    AutoencoderConfig,
    AutoencoderRecipe,  # noqa: E402
)
from synth.training.loop import Callback, TrainConfig, TrainingLoop  # noqa: E402
from synth.training.schedules import KLSchedule  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "train_overhead.json"


class Clock(Callback):
    """Stamps each epoch's wall-clock end into its logs (runs inside the Ray workers too)."""

    def on_epoch_end(self, loop, logs):
        logs["t_end"] = time.time()


def workload(args):
    rng = np.random.default_rng(0)
    base = rng.standard_normal((args.rows, 8))
    X = np.tanh(base @ rng.standard_normal((8, args.features))).astype(np.float32)
    network = AutoencoderConfig(
        variational=True, input_shape=(args.features,), latent_dim=16, hidden=tuple(args.hidden)
    )
    torch.manual_seed(0)
    model = Autoencoder(network)
    recipe = AutoencoderRecipe(KLSchedule("linear", beta_max=0.01, warmup_epochs=10), variational=True)
    return model, recipe, TensorDataset(torch.from_numpy(X))


def summarise(name: str, history: list[dict], started: float, finished: float, **extra) -> dict:
    ends = [h["t_end"] for h in history]
    steady = (ends[-1] - ends[0]) / (len(ends) - 1) if len(ends) > 1 else float("nan")
    compute = [h["seconds"] for h in history[1:] or history]
    return {
        "config": name,
        "epochs": len(history),
        "s_per_epoch": steady,
        "compute_s_per_epoch": float(np.median(compute)),
        # time per epoch outside the loop's own epoch (reports, checkpoints, callbacks, stalls):
        # measured within one run, so it does not drift with the machine's speed
        "outside_s_per_epoch": steady - float(np.mean(compute)),
        "startup_s": ends[0] - history[0]["seconds"] - started,
        "total_s": finished - started,
        **extra,
    }


def run_plain(args, device: str, threads: int) -> dict:
    model, recipe, data = workload(args)
    model.to(device)
    config = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, patience=None, threads=threads, progress=False)
    started = time.time()
    loop = TrainingLoop(model, recipe, data, None, config=config, callbacks=(Clock(),), device=device)
    history = loop.run()
    return summarise("plain loop", history, started, time.time(), workers=0, threads=threads)


def run_ray(args, workers: int, gpu: bool, threads: int, storage: str) -> dict:
    from synth.distributed import connect, ray_train_fn

    t0 = time.time()
    connect(args.address)
    ray_init_s = time.time() - t0
    model, recipe, data = workload(args)
    per_worker = threads
    config = TrainConfig(
        epochs=args.epochs, batch_size=args.batch_size, patience=None, threads=per_worker, progress=False
    )
    train_fn = ray_train_fn(
        num_workers=workers,
        use_gpu=gpu,
        cpus_per_worker=per_worker,
        storage_path=storage,
        checkpoint_every=args.checkpoint_every,
    )
    started = time.time()
    history, summary = train_fn(model, recipe, data, None, config, callbacks=(Clock(),))
    return summarise(
        f"Ray Train, {workers} worker{'s' if workers > 1 else ''}",
        history,
        started,
        time.time(),
        workers=workers,
        threads=per_worker,
        ray_init_s=ray_init_s,
        poll_interval_s=summary["ray_train"]["poll_interval_s"],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=30_000)
    parser.add_argument("--features", type=int, default=64)
    parser.add_argument("--hidden", type=int, nargs="+", default=[256, 128])
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--checkpoint-every", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1, help="CPU threads of the plain loop and of each worker")
    parser.add_argument(
        "--workers",
        type=int,
        nargs="*",
        default=[1, 2],
        help="Ray Train worker counts (none: the plain loop only, no Ray needed)",
    )
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    parser.add_argument("--address", help="Ray cluster address (default: a local Ray)")
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="interleaved rounds of plain loop + Ray runs; ratios are per round, then the median",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    gpu = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
    n_gpus = torch.cuda.device_count() if gpu else 0
    device = "cuda:0" if gpu else "cpu"
    rows = []
    with tempfile.TemporaryDirectory(prefix="train-overhead-") as storage:
        for repeat in range(args.repeats):  # interleaved, so drifting machine load hits every config
            rows.append({**run_plain(args, device, args.threads), "repeat": repeat})
            print(f"[{repeat}] plain loop: {rows[-1]['s_per_epoch']:.3f} s/epoch", flush=True)
            for workers in args.workers:
                if gpu and workers > n_gpus:
                    print(f"skipping {workers} workers: {n_gpus} GPU(s)")
                    continue
                rows.append({**run_ray(args, workers, gpu, args.threads, storage), "repeat": repeat})
                print(f"[{repeat}] {rows[-1]['config']}: {rows[-1]['s_per_epoch']:.3f} s/epoch", flush=True)
    plain = [r for r in rows if r["workers"] == 0]
    for r in rows:  # each run against the plain run of its own repeat
        r["ratio_vs_plain"] = r["s_per_epoch"] / plain[r["repeat"]]["s_per_epoch"]
    print(
        f"\n{'config':22} {'repeat':>6} {'s/epoch':>9} {'compute':>9} {'× plain':>8} {'start-up s':>11} {'poll s':>7}"
    )
    for r in rows:
        print(
            f"{r['config']:22} {r['repeat']:>6} {r['s_per_epoch']:>9.3f} {r['compute_s_per_epoch']:>9.3f} "
            f"{r['ratio_vs_plain']:>8.3f} {r['startup_s']:>11.1f} {r.get('poll_interval_s', 0):>7.3f}"
        )
    summary = {}
    for name in dict.fromkeys(r["config"] for r in rows):
        runs = [r for r in rows if r["config"] == name]
        summary[name] = {
            "median_s_per_epoch": float(np.median([r["s_per_epoch"] for r in runs])),
            "median_ratio_vs_plain": float(np.median([r["ratio_vs_plain"] for r in runs])),
            "ratios": [r["ratio_vs_plain"] for r in runs],
        }
    for name, entry in summary.items():  # Ray's own cost per epoch, as a share of the plain loop's epoch
        extra = [
            r["outside_s_per_epoch"] - plain[r["repeat"]]["outside_s_per_epoch"] for r in rows if r["config"] == name
        ]
        entry["in_run_overhead_ratio"] = 1 + float(np.median(extra)) / float(
            np.median([r["s_per_epoch"] for r in plain])
        )
    one = summary.get("Ray Train, 1 worker")
    if one:
        print(
            f"\nRay Train 1 worker / plain loop: median {one['median_ratio_vs_plain']:.3f}× per epoch over "
            f"{args.repeats} interleaved repeat(s) (goal ≤ 1.10×); time outside the loop's epochs alone: "
            f"{one['in_run_overhead_ratio']:.3f}×"
        )
    try:
        from importlib.metadata import version

        ray_version = version("ray")
    except Exception:  # the plain loop alone runs without Ray
        ray_version = None
    result = {
        "benchmark": "train_overhead",
        "goal": "Ray Train 1 worker ≤ 1.10× plain loop s/epoch",
        "device": torch.cuda.get_device_name(0) if gpu else "cpu",
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "platform": platform.platform(),
        "torch": torch.__version__,
        "ray": ray_version,
        "workload": {
            "rows": args.rows,
            "features": args.features,
            "hidden": args.hidden,
            "batch_size": args.batch_size,
            "epochs": args.epochs,
            "checkpoint_every": args.checkpoint_every,
        },
        "repeats": args.repeats,
        "summary": summary,
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
