"""FID: ours (streamed, 1 process; sharded, N Ray workers) vs pytorch-fid on the same PNG files.

For each size N it writes N "real" and N "generated" images (procedural, seeded) to folders,
then runs each contender in a fresh subprocess while a thread polls the memory of that
subprocess's whole process tree (Ray's gcs/raylet/workers and DataLoader workers included):
peak RSS summed over processes, and peak PSS (shared pages counted once). Reports FID values,
relative difference to pytorch-fid, wall time and images/s; also times the Fréchet square root
of 2048×2048 covariances (ours vs pytorch-fid's scipy ``sqrtm``). Writes
benchmarks/results/fid.json and prints a table.

Goals: |ours − pytorch-fid| / pytorch-fid ≤ 1e-6; peak RSS at 20,000 ≤ 1.2× at 1,000
and < 2 GiB; sharded throughput ≥ pytorch-fid's; √ of 2048×2048 ≤ 2 s.

Without pytorch-fid's published weights (no internet) it writes stand-in weights of the right
shapes: then the FID values prove the pipeline exact, NOT that any image is good.

    python benchmarks/fid_bench.py --sizes 1000 5000 20000            # the full run
    python benchmarks/fid_bench.py --sizes 40 --image-size 16          # a quick check
    python benchmarks/fid_bench.py --sizes 1000 20000 --real-n 1000 --workers 1 --skip-pytorch-fid 20000

``--real-n R`` is the campaign mode: one real set of R images whose statistics are computed once
(our streaming path, before the rows, outside their timing) and saved as a stats ``.npz`` in
pytorch-fid's format (``mu``/``sigma``); every contender, pytorch-fid included, reads that file as
its real side and streams only its N generated images. Memory at N = 20,000 then costs 20,000
Inception passes instead of 40,000.
Device: cuda when available (``--device`` overrides), for pytorch-fid and ours alike.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "fid.json"
NOTE = "stand-in Inception weights: FID values prove exactness of the pipeline, not image quality"


# ------------------------------------------------------------------ memory of a process tree (/proc)
def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            tree.setdefault(ppid, []).append(int(entry))
    return tree


def _tree(root: int) -> list[int]:
    tree, out, todo = _children(), [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(tree.get(pid, []))
    return out


def _kib(path: str, key: str) -> int:
    try:
        with open(path) as handle:
            for line in handle:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class TreeMemory(threading.Thread):
    """Polls RSS (VmRSS) and PSS (smaps_rollup) summed over a process tree; keeps the peaks."""

    def __init__(self, pid: int, interval: float = 0.2):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_rss = self.peak_pss = 0
        self.max_processes = 0
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.is_set():
            pids = _tree(self.pid)
            rss = sum(_kib(f"/proc/{p}/status", "VmRSS:") for p in pids)
            pss = sum(_kib(f"/proc/{p}/smaps_rollup", "Pss:") for p in pids)
            self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)
            self.max_processes = max(self.max_processes, len(pids))
            self.stopped.wait(self.interval)


# ------------------------------------------------------------------ data
def write_images(folder: Path, n: int, *, size: int, shift: float, seed: int) -> Path:
    """n smooth random RGB PNGs (8×8 noise upsampled, plus grain); ``shift`` darkens the set."""
    import numpy as np
    from PIL import Image

    done = folder / ".complete"
    if done.is_file() and done.read_text() == f"{n} {size} {shift} {seed}":
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    rng = np.random.default_rng(seed)
    for i in range(n):
        coarse = Image.fromarray((rng.random((8, 8, 3)) * 255).astype(np.uint8)).resize((size, size), Image.BILINEAR)
        img = np.asarray(coarse, float) * (1 - shift) + rng.normal(0, 12, (size, size, 3))
        Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(folder / f"{i:06d}.png")
    done.write_text(f"{n} {size} {shift} {seed}")
    return folder


# ------------------------------------------------------------------ contenders (run in a child process)
def child(method: str, real: str, gen: str, batch_size: int, device: str, workers: int) -> dict:
    started = time.perf_counter()
    if method == "stats":  # --real-n: the real side's statistics, once
        from synth.metrics.fid import InceptionExtractor, feature_stats

        stats = feature_stats(real, batch_size=batch_size, extractor=InceptionExtractor(device=device))
        stats.to_npz(gen)
        return {"fid": float("nan"), "seconds": time.perf_counter() - started, "n": stats.n}
    if method == "pytorch-fid":
        from pytorch_fid.fid_score import calculate_fid_given_paths

        loaders = min(8, len(os.sched_getaffinity(0)))  # what `python -m pytorch_fid` uses
        value = calculate_fid_given_paths([real, gen], batch_size, device, 2048, num_workers=loaders)
    elif workers == 1:
        from synth.metrics.fid import fid_score

        value = fid_score(real, gen, batch_size=batch_size, device=device).fid
    else:
        from synth.distributed import fid_distributed

        value = fid_distributed(real, gen, workers=workers, batch_size=batch_size, device=device).fid
    return {"fid": float(value), "seconds": time.perf_counter() - started}


def run_child(method: str, workers: int, real: Path, gen: Path, args, env: dict) -> dict:
    command = [
        sys.executable,
        __file__,
        "--child",
        method,
        "--workers-child",
        str(workers),
        "--real",
        str(real),
        "--gen",
        str(gen),
        "--batch-size",
        str(args.batch_size),
        "--device",
        args.device,
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    memory = TreeMemory(process.pid)
    memory.start()
    out, err = process.communicate()
    memory.stopped.set()
    memory.join()
    if process.returncode != 0:
        raise SystemExit(f"{method} (workers={workers}) failed:\n{err[-3000:]}")
    result = json.loads(out.strip().splitlines()[-1])
    return {
        **result,
        "peak_rss_mib": memory.peak_rss / 1024,
        "peak_pss_mib": memory.peak_pss / 1024,
        "processes": memory.max_processes,
    }


# ------------------------------------------------------------------ √ of 2048×2048
def sqrtm_figure(d: int = 2048, seed: int = 0) -> dict:
    import numpy as np
    from pytorch_fid.fid_score import calculate_frechet_distance

    from synth.metrics.gaussian_distance import frechet_distance

    rng = np.random.default_rng(seed)
    stats = []
    for scale in (1.0, 1.3):
        A = rng.standard_normal((d, 2 * d)) * scale
        stats += [rng.standard_normal(d) * 0.1, A @ A.T / (2 * d)]
    t0 = time.perf_counter()
    ours = frechet_distance(*stats)
    t1 = time.perf_counter()
    reference = float(calculate_frechet_distance(*stats))
    t2 = time.perf_counter()
    return {
        "d": d,
        "ours_s": t1 - t0,
        "scipy_sqrtm_s": t2 - t1,
        "ours": ours,
        "pytorch_fid": reference,
        "relative_difference": abs(ours - reference) / abs(reference),
    }


# ------------------------------------------------------------------ main
def ensure_weights(torch_home: Path | None) -> tuple[dict, bool]:
    """Environment for the children and whether the weights are pytorch-fid's published ones."""
    sys.path.insert(0, str(ROOT))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    if torch_home is not None:
        env["TORCH_HOME"] = os.environ["TORCH_HOME"] = str(torch_home)
    from synth.metrics.fid import InceptionExtractor, default_weights_path

    if not default_weights_path().is_file():
        try:
            return env, InceptionExtractor(device="cpu").official  # downloads when there is a network
        except Exception:
            from synth.metrics.offline_inception import write_offline_weights

            home = Path(tempfile.mkdtemp(prefix="fid-bench-torch-home-"))
            print(f"no pytorch-fid weights and no download: writing stand-in weights to {home} ({NOTE})")
            write_offline_weights(home)
            env["TORCH_HOME"] = os.environ["TORCH_HOME"] = str(home)
    return env, InceptionExtractor(device="cpu").official


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="our worker counts (1 = no Ray)")
    parser.add_argument(
        "--skip-pytorch-fid",
        type=int,
        nargs="*",
        default=[],
        metavar="N",
        help="sizes at which not to run pytorch-fid (its time grows fastest)",
    )
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "latentsynth-fid-bench")
    parser.add_argument("--torch-home", type=Path, help="TORCH_HOME holding the Inception weights")
    parser.add_argument(
        "--real-n",
        type=int,
        metavar="R",
        help="campaign mode: one real set of R images, its statistics computed once and read "
        "by every contender from a stats .npz; rows then stream only their N generated images",
    )
    parser.add_argument("--no-sqrtm", action="store_true", help="skip the 2048×2048 square-root timing")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--workers-child", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--real", help=argparse.SUPPRESS)
    parser.add_argument("--gen", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, str(ROOT))
        print(json.dumps(child(args.child, args.real, args.gen, args.batch_size, args.device, args.workers_child)))
        return

    import torch

    args.device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    env, official = ensure_weights(args.torch_home)
    rows, partial = [], args.out.with_suffix(".partial.json")
    real_stats = prepare_real_stats(args, env) if args.real_n else None
    for n in args.sizes:
        gen = write_images(args.data_dir / str(n) / "gen", n, size=args.image_size, shift=0.15, seed=n + 1)
        if real_stats:
            real, images = real_stats["path"], n
        else:
            real = write_images(args.data_dir / str(n) / "real", n, size=args.image_size, shift=0.0, seed=n)
            images = 2 * n
        contenders = ([] if n in args.skip_pytorch_fid else [("pytorch-fid", 1)]) + [("ours", w) for w in args.workers]
        for method, workers in contenders:
            print(f"N={n}: {method} workers={workers} …", flush=True)
            result = run_child(method, workers, real, gen, args, env)
            rows.append(
                {
                    "n": n,
                    "method": method,
                    "workers": workers,
                    **result,
                    "images": images,
                    "images_per_s": images / result["seconds"],
                }
            )
            print("  " + json.dumps(rows[-1]), flush=True)  # a long run that is stopped keeps its rows
            partial.parent.mkdir(parents=True, exist_ok=True)
            partial.write_text(json.dumps({"note": "" if official else NOTE, "results": rows}, indent=2))
    for row in rows:
        ref = next((r for r in rows if r["n"] == row["n"] and r["method"] == "pytorch-fid"), None)
        row["relative_difference"] = abs(row["fid"] - ref["fid"]) / abs(ref["fid"]) if ref else None
        row["speed_vs_pytorch_fid"] = ref["seconds"] / row["seconds"] if ref else None

    sqrtm = None if args.no_sqrtm else sqrtm_figure()
    summary = summarise(rows, official)
    print_table(rows, sqrtm, summary, official, args.device)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "benchmark": "fid",
                "machine": platform.machine(),
                "platform": platform.platform(),
                "cpus": len(os.sched_getaffinity(0)),
                "device": args.device,
                "gpu": torch.cuda.get_device_name(0) if args.device.startswith("cuda") else None,
                "official_weights": official,
                "note": "" if official else NOTE,
                "batch_size": args.batch_size,
                "image_size": args.image_size,
                "real_side": real_stats or "N real images per row, computed in every row",
                "results": rows,
                "sqrtm": sqrtm,
                "summary": summary,
            },
            indent=2,
        )
    )
    partial.unlink(missing_ok=True)
    print(f"wrote {args.out}")


def prepare_real_stats(args, env: dict) -> dict:
    """--real-n: write the R real images and compute their statistics once (our streaming path)."""
    real = write_images(
        args.data_dir / f"real-{args.real_n}", args.real_n, size=args.image_size, shift=0.0, seed=args.real_n
    )
    path = args.data_dir / f"real-{args.real_n}-stats.npz"
    print(f"real side: statistics of {args.real_n} images, once …", flush=True)
    result = run_child("stats", 1, real, path, args, env)
    return {
        "folder": str(real),
        "path": str(path),
        "n": args.real_n,
        "seconds": result["seconds"],
        "peak_rss_mib": result["peak_rss_mib"],
    }


def summarise(rows: list[dict], official: bool) -> dict:
    sizes = sorted({r["n"] for r in rows})
    out = {
        "max_relative_difference": max(
            (r["relative_difference"] for r in rows if r["relative_difference"] is not None and r["method"] == "ours"),
            default=None,
        )
    }
    for workers in sorted({r["workers"] for r in rows if r["method"] == "ours"}):
        ours = {r["n"]: r for r in rows if r["method"] == "ours" and r["workers"] == workers}
        if len(sizes) > 1 and sizes[0] in ours and sizes[-1] in ours:
            out[f"rss_ratio_largest_vs_smallest_workers_{workers}"] = (
                ours[sizes[-1]]["peak_rss_mib"] / ours[sizes[0]]["peak_rss_mib"]
            )
        out[f"max_peak_rss_mib_workers_{workers}"] = max(r["peak_rss_mib"] for r in ours.values())
        speeds = [r["speed_vs_pytorch_fid"] for r in ours.values() if r["speed_vs_pytorch_fid"]]
        if speeds:
            out[f"min_speed_vs_pytorch_fid_workers_{workers}"] = min(speeds)
    return out


def print_table(rows, sqrtm, summary, official, device) -> None:
    print(f"\nFID benchmark on {device}" + ("" if official else f"  [{NOTE}]"))
    print(
        f"{'N':>6} {'method':12} {'wk':>3} {'FID':>14} {'rel.diff':>9} {'sec':>8} {'img/s':>7} {'×pf':>5} "
        f"{'RSS MiB':>8} {'PSS MiB':>8} {'procs':>5}"
    )
    for r in rows:
        rel = f"{r['relative_difference']:.1e}" if r["relative_difference"] is not None else "-"
        speed = f"{r['speed_vs_pytorch_fid']:.2f}" if r["speed_vs_pytorch_fid"] else "-"
        print(
            f"{r['n']:>6} {r['method']:12} {r['workers']:>3} {r['fid']:>14.6f} {rel:>9} {r['seconds']:>8.1f} "
            f"{r['images_per_s']:>7.1f} {speed:>5} {r['peak_rss_mib']:>8.0f} {r['peak_pss_mib']:>8.0f} "
            f"{r['processes']:>5}"
        )
    if sqrtm:
        print(
            f"\n√(Σ₁Σ₂) at d={sqrtm['d']}: ours {sqrtm['ours_s']:.2f} s, scipy sqrtm {sqrtm['scipy_sqrtm_s']:.2f} s, "
            f"relative difference {sqrtm['relative_difference']:.1e}"
        )
    print("summary: " + json.dumps(summary))


if __name__ == "__main__":
    main()
