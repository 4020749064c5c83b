"""The double-autoencoder paper's double autoencoder on toy 2-D records: reconstruction error, and the
augmentation table (classifier accuracy with and without class-wise synthetic records).

Data: ``synth.data.toy_records.peak_records`` — class-dependent peaks plus noise.
  * reconstruction: 3 classes × 30 records of 16×20, noise σ 0.02, for every encoder
    (mlp, transformer) × training (two_stage, joint); error = per-pixel MSE of
    encode → decode in model space [0, 1], also as a share of the per-pixel variance
    (the bound the tests state: < 0.15);
  * augmentation: a harder small set, 5 classes × 12 records of 24×24, noise σ 0.3
    (real-only accuracy ≈ 0.85, so there is room either way), 5 folds, PCA(22) +
    random forest as the double-autoencoder paper, 1× synthetic records per class.

    python benchmarks/double_ae_records.py            # full (minutes)
    python benchmarks/double_ae_records.py --quick    # seconds: validates the script only

Writes benchmarks/results/double_ae_records.json and prints both tables.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from synth.augmentation import augmentation_experiment, augmentation_markdown  # noqa: E402
from synth.data.toy_records import peak_records  # noqa: E402
from synth.synthesizer import LatentSynthesizer  # noqa: E402


def reconstruction(X, y, *, encoder: str, training: str, epochs: int, dim: int, seed: int) -> dict:
    started = time.perf_counter()
    syn = LatentSynthesizer(
        model="double-ae",
        column_dim=dim,
        row_dim=dim,
        epochs=epochs,
        record_encoder=encoder,
        record_training=training,
        random_state=seed,
    ).fit(X, y)
    seconds = time.perf_counter() - started
    model_space = syn.transformer_.transform(X)
    recon = syn.transformer_.transform(syn.decode(syn.encode(X)))
    mse, variance = float(np.mean((recon - model_space) ** 2)), float(model_space.var())
    out = syn.generate(60, random_state=seed)
    codes = np.array([syn.cluster_code(c) for c in out.labels])
    adherence = float(np.mean(syn.gaussians_.predict(syn.encode(out.data)) == codes))
    return {
        "encoder": encoder,
        "training": training,
        "epochs_run": len(syn.history_),
        "mse": mse,
        "pixel_variance": variance,
        "mse_share_of_variance": mse / variance,
        "synthetic_reassigned_to_class": adherence,
        "train_seconds": seconds,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "double_ae_records.json"))
    args = parser.parse_args()
    epochs, folds = (4, 2) if args.quick else (args.epochs, args.folds)

    X, y = peak_records(30, classes=3, shape=(16, 20), noise=0.02, seed=args.seed)
    rows = []
    for encoder in ("mlp", "transformer"):
        for training in ("two_stage", "joint"):
            rows.append(reconstruction(X, y, encoder=encoder, training=training, epochs=epochs, dim=6, seed=args.seed))
            r = rows[-1]
            print(
                f"  {encoder:11s} {training:9s} mse {r['mse']:.5f} ({r['mse_share_of_variance']:.3f} of variance) "
                f"{r['train_seconds']:.1f} s",
                flush=True,
            )

    Xa, ya = peak_records(12, classes=5, shape=(24, 24), noise=0.3, seed=args.seed)
    options = {"model": "double-ae", "epochs": epochs, "column_dim": 8, "row_dim": 8}
    started = time.perf_counter()
    table = augmentation_experiment(
        Xa, ya, options=options, folds=folds, random_state=args.seed, log=lambda text: print("  " + text, flush=True)
    )
    table["seconds"] = time.perf_counter() - started

    result = {
        "settings": {"epochs": epochs, "folds": folds, "seed": args.seed, "quick": args.quick},
        "reconstruction": {"data": "3 classes × 30 records 16×20, noise 0.02; d₁ = d₂ = 6", "runs": rows},
        "augmentation": {"data": "5 classes × 12 records 24×24, noise 0.3; d₁ = d₂ = 8", **table},
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "torch": torch.__version__,
            "load_average": list(os.getloadavg()),
        },
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))

    print("\nreconstruction (model space [0, 1], per-pixel MSE; tests bound it at 0.15 × variance)")
    print(f"{'encoder':11s} {'training':9s} {'MSE':>9s} {'share':>7s} {'re-assigned':>11s} {'seconds':>8s}")
    for r in rows:
        print(
            f"{r['encoder']:11s} {r['training']:9s} {r['mse']:9.5f} {r['mse_share_of_variance']:7.3f} "
            f"{r['synthetic_reassigned_to_class']:11.3f} {r['train_seconds']:8.1f}"
        )
    print()
    print(augmentation_markdown(table))
    print(f"→ {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
