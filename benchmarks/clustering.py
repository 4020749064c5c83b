"""Unlabelled clustering: the polarized hierarchical clustering against k-means, Ward and a GMM.

For digits (labels hidden, exactly the demo's ``digits_unlabelled`` run: default VAE, latent 16,
seed 0, 70 % of the rows) and iris / wine / breast_cancer (the default VAE fitted unlabelled on
70 %), every clusterer gets the true number of classes and is scored by adjusted Rand index (ARI)
and normalised mutual information (NMI) against the hidden labels, on the encoded latents (VAE
means, what the facade clusters) and on the model-space features (scaled pixels / columns).
``--latent-options`` also trains the digits variants (latent size, β, standardised or sampled
latents). Clustering seconds are measured on synthetic blobs at 10k and 100k latents.
Writes benchmarks/results/clustering.json.

    python benchmarks/clustering.py [--latent-options [NAME ...]] [--sizes 10000 100000] [--cache DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np
import sklearn
import torch
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from sklearn.mixture import GaussianMixture

from cluster import PolarizedHierarchical
from latentsynth.demo import HOLDOUT, RUNS
from latentsynth.workflows import train_source
from synth.data.sources import load_embedded
from synth.data.split import holdout_split

RESULTS = Path(__file__).resolve().parent / "results" / "clustering.json"
TABLES = ("iris", "wine", "breast_cancer")
SEED = 0
# digits variants of the latent space (options on top of the demo's run)
LATENT_OPTIONS = {
    "latent-8": {"latent_dim": 8},
    "latent-10": {"latent_dim": 10},
    "latent-32": {"latent_dim": 32},
    "beta-1e-3": {"beta_max": 1e-3},
    "beta-1e-2": {"beta_max": 1e-2},
    "beta-1e-1": {"beta_max": 1e-1},
}


def demo_options() -> dict:
    """The demo's unlabelled digits run, as train_source options."""
    (options,) = [opts for _, data, unlabelled, opts in RUNS if unlabelled and data == "digits"]
    return {**options, "random_state": SEED}


def encoded(dataset: str, options: dict, cache: Path | None) -> dict:
    """Fit unlabelled on the demo's split; the training rows' latent means and log-variances,
    model-space features, hidden labels and fit seconds (cached as .npz when ``cache``)."""
    key = "_".join([dataset] + [f"{k}-{v}" for k, v in sorted(options.items())])
    path = cache / f"{key}.npz" if cache else None
    if path is not None and path.exists():
        with np.load(path) as f:
            return {k: f[k] for k in f.files}
    raw = load_embedded(dataset)
    t0 = time.perf_counter()
    syn, _ = train_source(dataset, unlabelled=True, holdout=HOLDOUT, options=options, raw=raw)
    fit_s = time.perf_counter() - t0
    train, _ = holdout_split(raw, test_size=HOLDOUT, seed=options["random_state"])
    if raw.kind == "tabular":
        truth = train.data[raw.label_column].to_numpy().astype(str)
        X = train.data.drop(columns=[raw.label_column])
    else:
        truth, X = np.asarray(train.labels).astype(str), train.data
    features = syn.transform_features(X)
    if len(features) != len(truth):
        raise RuntimeError(f"{dataset}: cleaning dropped rows ({len(features)} of {len(truth)} kept)")
    with torch.no_grad():
        mean, logvar = syn.module_.encoder(torch.from_numpy(np.ascontiguousarray(features, np.float32)))
    out = {
        "mean": mean.numpy().astype(np.float64),
        "logvar": logvar.numpy().astype(np.float64),
        "features": np.asarray(features, np.float64).reshape(len(features), -1),
        "truth": truth,
        "fit_seconds": np.asarray(fit_s),
        "facade_labels": syn.gaussians_.predict(syn.encode(X)),  # how the demo scores its ARI
    }
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, **out)
    return out


def clusterings(X: np.ndarray, k: int) -> dict[str, tuple[np.ndarray, float]]:
    """Labels and seconds of every clusterer on X with k clusters (polarized also with "auto")."""
    makers = {
        "polarized": lambda: PolarizedHierarchical(k, random_state=SEED).fit(X).labels_,
        "polarized_auto": lambda: PolarizedHierarchical("auto", random_state=SEED).fit(X).labels_,
        "kmeans": lambda: KMeans(k, n_init=10, random_state=SEED).fit_predict(X),
        "ward": lambda: AgglomerativeClustering(k).fit_predict(X),
        "gmm": lambda: GaussianMixture(k, covariance_type="full", n_init=3, random_state=SEED).fit(X).predict(X),
    }
    out = {}
    for name, make in makers.items():
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            labels = make()
        out[name] = (labels, time.perf_counter() - t0)
    return out


def scores(truth: np.ndarray, X: np.ndarray) -> dict:
    k = np.unique(truth).size
    return {
        name: {
            "ari": float(adjusted_rand_score(truth, labels)),
            "nmi": float(normalized_mutual_info_score(truth, labels)),
            "k": int(np.unique(labels).size),
            "seconds": round(seconds, 3),
        }
        for name, (labels, seconds) in clusterings(X, k).items()
    }


def standardised(Z: np.ndarray) -> np.ndarray:
    spread = Z.std(axis=0)
    return (Z - Z.mean(axis=0)) / np.where(spread > 0, spread, 1.0)


def timing(sizes, dim: int, fit_seconds_per_row: float) -> list[dict]:
    """Polarized clustering seconds on 10 Gaussian blobs in ``dim`` dimensions (n rows)."""
    rows = []
    for n in sizes:
        rng = np.random.default_rng([SEED, n])
        centres = rng.normal(size=(10, dim)) * 3.0
        Z = centres[rng.integers(0, 10, n)] + rng.normal(size=(n, dim))
        t0 = time.perf_counter()
        model = PolarizedHierarchical(10, random_state=SEED).fit(Z)
        seconds = time.perf_counter() - t0
        fit_estimate = fit_seconds_per_row * n
        rows.append(
            {
                "n": n,
                "latent_dim": dim,
                "cluster_seconds": round(seconds, 2),
                "clusters": model.n_clusters_,
                "fit_seconds_estimate": round(fit_estimate, 1),
                "share_of_fit": round(seconds / (seconds + fit_estimate), 3),
            }
        )
    return rows


def print_table(results: dict) -> None:
    names = ("polarized", "polarized_auto", "kmeans", "ward", "gmm")
    print(f"{'data':14} {'space':18} " + " ".join(f"{n:>15}" for n in names) + "   (ARI; auto: K)")
    for data, by_space in results["datasets"].items():
        for space, s in by_space["spaces"].items():
            cells = [f"{s[n]['ari']:.3f}" + (f" K{s[n]['k']}" if n == "polarized_auto" else "") for n in names]
            print(f"{data:14} {space:18} " + " ".join(f"{c:>15}" for c in cells))
    for row in results["timing"]:
        print(
            f"n={row['n']:>7} d={row['latent_dim']}: polarized {row['cluster_seconds']:.1f} s, "
            f"{row['share_of_fit']:.1%} of fit + clustering (fit estimated {row['fit_seconds_estimate']:.0f} s)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--latent-options",
        nargs="*",
        choices=list(LATENT_OPTIONS),
        default=None,
        help="also train these digits latent variants (no names: all of them)",
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--cache", type=Path, default=None, help="cache fitted latents here (.npz)")
    args = parser.parse_args()
    base = demo_options()
    datasets = {}
    runs = [("digits", "digits", base)] + [(name, name, {"model": "vae", "random_state": SEED}) for name in TABLES]
    if args.latent_options is not None:
        chosen = args.latent_options or list(LATENT_OPTIONS)
        runs += [(f"digits, {label}", "digits", {**base, **LATENT_OPTIONS[label]}) for label in chosen]
    for name, dataset, options in runs:
        enc = encoded(dataset, options, args.cache)
        truth, Z = enc["truth"], enc["mean"]
        spaces = {"latent means": Z}
        if name == "digits" or name.startswith("digits,"):
            rng = np.random.default_rng(SEED)
            spaces["latent std"] = standardised(Z)
            spaces["latent samples"] = Z + np.exp(0.5 * enc["logvar"]) * rng.standard_normal(Z.shape)
        if "," not in name:
            spaces["raw features"] = enc["features"]
        datasets[name] = {
            "options": options,
            "rows": int(len(truth)),
            "classes": int(np.unique(truth).size),
            "latent_dim": int(Z.shape[1]),
            "fit_seconds": round(float(enc["fit_seconds"]), 1),
            "facade_ari": float(adjusted_rand_score(truth, enc["facade_labels"])),
            "spaces": {space: scores(truth, X) for space, X in spaces.items()},
        }
        print(f"[{name}] done", flush=True)
    digits = datasets["digits"]
    results = {
        "machine": {
            "platform": platform.machine(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "torch": torch.__version__,
            "sklearn": sklearn.__version__,
            "load_average": list(os.getloadavg()),
        },
        "settings": {"latent_options": args.latent_options, "sizes": args.sizes, "seed": SEED},
        "datasets": datasets,
        "timing": timing(args.sizes, digits["latent_dim"], digits["fit_seconds"] / digits["rows"]),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print_table(results)
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
