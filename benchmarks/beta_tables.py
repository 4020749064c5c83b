"""The KL weight β on mixed tables: detection AUC and TSTR of the default VAE at β = 1e-4 and 1e-2.

    python benchmarks/beta_tables.py            # four tables, both β, seed 0
    python benchmarks/beta_tables.py --seed 1

Tables: the mixed table of ``tabular_scale.make_table`` at 2,000 and 400 rows (numbers, counts,
categories of 4 and 30 levels, dates, an id, gaps), and a second generator written after the
default was chosen (``make_second_table``: correlated numbers, a bimodal column, zero-inflated
counts, a log-normal price with gaps, a category that follows a number, a state column with
"NA" as a value), with and without its categorical columns. Each: a stratified 70/30 split, the
VAE fitted on the 70 %, as many samples as training rows; detection AUC = 5-fold C2ST of gradient-
boosted trees on held-out real rows against synthetic ones (0.5 = indistinguishable), TSTR / TRTR
= random-forest accuracy on the hold-out, every table encoded by the same identity transform.
Writes benchmarks/results/beta_tables.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tabular_scale import make_table  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "beta_tables.json"
BETAS = (1e-4, 1e-2)


def make_second_table(n: int, seed: int = 0) -> pd.DataFrame:
    """A seeded table of ``n`` rows, unlike ``make_table``'s, with a 4-class ``label``."""
    rng = np.random.default_rng(seed + 100)
    label = rng.choice(np.array(["w", "x", "y", "z"]), n, p=[0.4, 0.3, 0.2, 0.1])
    s = pd.Series(label).map({"w": 0, "x": 1, "y": 2, "z": 3}).to_numpy()
    g = rng.multivariate_normal([0, 0, 0], [[1, 0.8, -0.5], [0.8, 1, -0.3], [-0.5, -0.3, 1]], n)
    bimodal = np.where(rng.random(n) < 0.5, rng.normal(-2, 0.5, n), rng.normal(2 + 0.5 * s, 0.7, n))
    temp = (20 + 5 * g[:, 0] + 2 * s).round(1)
    frame = pd.DataFrame(
        {
            "order_id": [f"O-{i:06d}" for i in rng.permutation(n)],
            "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D"),
            "temp": temp,
            "humidity": (60 + 10 * g[:, 1]).round(0),
            "pressure": (1013 + 8 * g[:, 2] - 3 * s).round(1),
            "bimodal": bimodal.round(3),
            "claims": np.where(rng.random(n) < 0.6, 0, rng.poisson(3 + s)),
            "price": np.exp(rng.normal(3 + 0.2 * s, 0.8)).round(2),
            "tier": np.where(temp > 25, "gold", np.where(temp > 18, "silver", "bronze")),
            "state": rng.choice(np.array(["CA", "NY", "TX", "FL", "WA", "IL", "NA", "OH"]), n),
            "flag": rng.random(n) < 0.2 + 0.15 * s,
            "label": label,
        }
    )
    frame.loc[rng.random(n) < 0.15, "price"] = np.nan
    frame.loc[rng.random(n) < 0.05, "tier"] = None
    return frame


def tables(seed: int) -> dict[str, tuple[pd.DataFrame, str]]:
    second = make_second_table(1500, seed)
    return {
        "mixed_2000": (make_table(2000, seed), "segment"),
        "mixed_400": (make_table(400, seed), "segment"),
        "second_1500": (second, "label"),
        "second_1500_numeric": (second.drop(columns=["tier", "state", "flag"]), "label"),
    }


def score(name: str, frame: pd.DataFrame, label: str, beta: float | None, seed: int, model="vae", **options) -> dict:
    """One fit of ``model`` (β and any other config ``options``) on the seeded 70 % of ``frame``, scored."""
    from synth.metrics import utility_report
    from synth.metrics.detection import detection_auc
    from synth.synthesizer import LatentSynthesizer

    train, test = train_test_split(frame, test_size=0.3, stratify=frame[label], random_state=seed)
    train, test = train.reset_index(drop=True), test.reset_index(drop=True)
    started = time.perf_counter()
    syn = LatentSynthesizer(model, beta_max=beta, random_state=seed, **options).fit(train, y=label)
    fit_seconds = time.perf_counter() - started
    X_syn, labels = syn.sample(len(train), random_state=seed + 1)
    encoder = LatentSynthesizer("identity", missing="impute", outlier_z=None, random_state=seed).fit(train, y=label)
    X_train = train.drop(columns=label)
    medians = X_train.median(numeric_only=True)

    def encode(X):
        return encoder.transform_features(X.fillna(medians))

    X_test, y_test = test.drop(columns=label), test[label].astype(str).to_numpy()
    utility = utility_report(
        encode(X_train),
        train[label].astype(str).to_numpy(),
        encode(X_test),
        y_test,
        encode(X_syn),
        labels.astype(str),
        random_state=seed,
    )
    return {
        "table": name,
        "model": model,
        "beta_max": syn.config_.beta_max,
        "options": options,
        "train_rows": len(train),
        "rows_used": syn.cleaning_report_.get("rows_out"),
        "features": syn.transformer_.n_features_,
        "discrete_features": syn.transformer_.n_discrete_,
        "latent_dim": syn.network_.latent_dim,
        "fit_seconds": fit_seconds,
        "detection_auc": detection_auc(encode(X_test), encode(X_syn), n_folds=5, random_state=seed)["auc"],
        "tstr_accuracy": utility["tstr"]["accuracy"],
        "trtr_accuracy": utility["trtr"]["accuracy"],
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    runs = []
    head = ("table", "β", "features", "binary", "fit s", "detection", "TSTR", "TRTR")
    print("{:22s} {:>7s} {:>8s} {:>6s} {:>6s} {:>9s} {:>6s} {:>6s}".format(*head))
    for name, (frame, label) in tables(args.seed).items():
        for beta in BETAS:
            row = score(name, frame, label, beta, args.seed)
            runs.append(row)
            print(
                f"{name:22s} {beta:7.0e} {row['features']:8d} {row['discrete_features']:6d} {row['fit_seconds']:6.1f} "
                f"{row['detection_auc']:9.3f} {row['tstr_accuracy']:6.3f} {row['trtr_accuracy']:6.3f}",
                flush=True,
            )
    out = {
        "benchmark": "beta_tables",
        "machine": {"platform": platform.platform(), "python": platform.python_version()},
        "seed": args.seed,
        "note": "2-core VM, no GPU; fit seconds are wall time next to other jobs",
        "runs": runs,
    }
    RESULTS.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
