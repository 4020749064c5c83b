"""FID with fewer images than feature dimensions: ours and pytorch-fid against the exact value.

With n < 2048 images per side both 2048×2048 covariances are singular, Σ₁Σ₂ has rank < n, and
Σ₁Σ₂ has eigenvalues that are 0 in exact arithmetic but ±1e-16·λ_max in floating point.
pytorch-fid's ``scipy.linalg.sqrtm`` takes their square roots (each ~1e-8·√λ_max); ours takes
singular values of B₁ᵀB₂ (pivoted Cholesky factors), which never square-roots them. Which value
is right is decided here by a third route computed from the raw features:
with Aᵢ = (Xᵢ − x̄ᵢ)/√(nᵢ − 1) (nᵢ × 2048, so Σᵢ = AᵢᵀAᵢ), the non-zero eigenvalues of Σ₁Σ₂ are
the squared singular values of the small n₁×n₂ matrix A₁A₂ᵀ, so tr √(Σ₁Σ₂) = Σ σ(A₁A₂ᵀ) exactly
("exact" below: a well-conditioned float64 SVD of the raw features).

For each n it takes the first n feature rows of each side and reports the FID of ours (from the
float64 streaming sums, as ``fid_score`` computes it), of pytorch-fid's
``calculate_frechet_distance`` (on ``np.mean``/``np.cov``, as ``python -m pytorch_fid`` computes
it) and the exact value, with relative differences. Writes benchmarks/results/fid_rank_deficient.json.

    python benchmarks/fid_rank_deficient.py --sizes 200 600 1000 2100            # writes and scores images
    python benchmarks/fid_rank_deficient.py --features real.npy gen.npy          # raw pool3 features (n × 2048)

Without pytorch-fid's published weights (no internet) the features come from stand-in weights:
the numbers then prove numerical agreement, NOT that any image is good.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fid_bench import NOTE, ROOT, ensure_weights, write_images  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "fid_rank_deficient.json"


def raw_features(folder: Path, *, batch_size: int, device: str) -> np.ndarray:
    """pool3 features (n × 2048, float32) of a folder, through the extractor ``fid_score`` uses."""
    from synth.metrics.fid import InceptionExtractor
    from synth.metrics.image_sources import as_image_source

    extractor = InceptionExtractor(device=device)
    return np.concatenate([extractor(batch).cpu().numpy() for batch in as_image_source(folder).batches(batch_size)])


def exact_fid(x1: np.ndarray, x2: np.ndarray) -> float:
    """FID with tr √(Σ₁Σ₂) as the nuclear norm of A₁A₂ᵀ (see the module docstring)."""
    x1, x2 = x1.astype(np.float64), x2.astype(np.float64)
    mu1, mu2 = x1.mean(axis=0), x2.mean(axis=0)
    a1, a2 = (x1 - mu1) / np.sqrt(len(x1) - 1), (x2 - mu2) / np.sqrt(len(x2) - 1)
    trace_sqrt = np.linalg.svd(a1 @ a2.T, compute_uv=False).sum()
    return float(((mu1 - mu2) ** 2).sum() + (a1**2).sum() + (a2**2).sum() - 2.0 * trace_sqrt)


def row(x1: np.ndarray, x2: np.ndarray) -> dict:
    from pytorch_fid.fid_score import calculate_frechet_distance

    from synth.metrics.feature_stats import FeatureStats
    from synth.metrics.fid import fid_from_stats

    stats = [FeatureStats.from_features(x, extractor="features") for x in (x1, x2)]
    started = time.perf_counter()
    ours = fid_from_stats(*stats)
    ours_s = time.perf_counter() - started
    with warnings.catch_warnings():  # sqrtm's "singular matrix" and `disp` notices
        warnings.simplefilter("ignore")
        a1, a2 = x1.astype(np.float64), x2.astype(np.float64)  # pytorch-fid's activations are float64
        reference = float(
            calculate_frechet_distance(
                a1.mean(axis=0), np.cov(a1, rowvar=False), a2.mean(axis=0), np.cov(a2, rowvar=False)
            )
        )
    exact = exact_fid(x1, x2)
    return {
        "n": len(x1),
        "rank_deficient": len(x1) <= x1.shape[1],
        "exact": exact,
        "ours": ours,
        "pytorch_fid": reference,
        "ours_vs_exact": abs(ours - exact) / exact,
        "pytorch_fid_vs_exact": abs(reference - exact) / exact,
        "ours_vs_pytorch_fid": abs(ours - reference) / reference,
        "ours_seconds": ours_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 600, 1000, 2100])
    parser.add_argument(
        "--features",
        nargs=2,
        metavar=("REAL_NPY", "GEN_NPY"),
        help="raw pool3 features of the two sides (n × 2048 .npy, no pickles)",
    )
    parser.add_argument(
        "--data-dir",
        default=str(Path.home() / ".cache" / "latentsynth-fid-rank"),
        help="where the images and their features are written when --features is not given",
    )
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--torch-home", type=Path)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    official = None
    if args.features:
        x1, x2 = (np.load(path, allow_pickle=False) for path in args.features)
        source = {"features": [str(Path(path).resolve()) for path in args.features]}
    else:
        _, official = ensure_weights(args.torch_home)
        n, data = max(args.sizes), Path(args.data_dir)
        sides = []
        for name, shift, seed in (("real", 0.0, 1), ("gen", 0.15, 2)):  # fid_bench's two sets
            cached = data / f"{name}-{n}-features.npy"
            if not cached.is_file():
                folder = write_images(data / f"{name}-{n}", n, size=args.image_size, shift=shift, seed=seed)
                print(f"{name}: pool3 features of {n} images …", flush=True)
                np.save(cached, raw_features(folder, batch_size=args.batch_size, device=args.device))
            sides.append(np.load(cached, allow_pickle=False))
        x1, x2 = sides
        source = {"images": n, "image_size": args.image_size, "data_dir": str(data)}
    too_big = [n for n in args.sizes if n > min(len(x1), len(x2)) or n < 2]
    if too_big:
        raise SystemExit(f"--sizes {too_big}: need 2 ≤ n ≤ {min(len(x1), len(x2))} (rows available)")

    rows = []
    print(
        f"{'n':>6} {'exact':>18} {'ours':>18} {'pytorch-fid':>18} {'ours/exact':>11} {'pt-fid/exact':>12} "
        f"{'ours/pt-fid':>11} {'ours s':>7}"
    )
    for n in args.sizes:
        r = row(x1[:n], x2[:n])
        rows.append(r)
        print(
            f"{n:>6} {r['exact']:>18.12f} {r['ours']:>18.12f} {r['pytorch_fid']:>18.12f} "
            f"{r['ours_vs_exact']:>11.1e} {r['pytorch_fid_vs_exact']:>12.1e} {r['ours_vs_pytorch_fid']:>11.1e} "
            f"{r['ours_seconds']:>7.2f}"
        )
    note = NOTE if official is not True else ""
    if note:
        print(f"note: {note}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.features:
        note = (
            "features from the given files: if stand-in Inception weights produced them, the values prove "
            "numerical agreement, not image quality"
        )
    args.out.write_text(
        json.dumps(
            {
                "note": note or "official pytorch-fid weights",
                "machine": platform.platform(),
                "source": source,
                "results": rows,
            },
            indent=2,
        )
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
