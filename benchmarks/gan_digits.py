"""Class-conditional GANs on the embedded 8×8 digits, CPU, a bounded number of epochs.

Measures the class-consistency rate: a digits classifier trained on *real*
training images (SVC, RBF) labels each generated image; the rate is the share
labelled as the class it was generated for (aim ≥ 0.7). The GANs train on the
same 70 % split through LatentSynthesizer (the same loop, artifact and
sampler as everything else); the classifier's own accuracy on the real 30 %
is reported as the ceiling. A rate curve is probed every ``--probe-every``
epochs on fixed noise, and sample grids are written every ``--grid-every``.

    python benchmarks/gan_digits.py                       # full: cdcgan + cwgan-gp, 60 epochs
    python benchmarks/gan_digits.py --quick               # seconds: validates the script only

Writes benchmarks/results/gan_digits.json (+ gan_digits_grids/<model>/epoch_*.png).
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

from synth.data.sources import load_embedded  # noqa: E402
from synth.generate import METHODS  # noqa: E402
from synth.synthesizer import LatentSynthesizer  # noqa: E402
from synth.training.loop import Callback  # noqa: E402
from synth.training.sample_grid import SampleGrid  # noqa: E402


class RateProbe(Callback):
    """Class-consistency rate of the generator on fixed noise, every ``every`` epochs."""

    def __init__(self, classify, *, every: int, per_class: int = 50):
        self.classify, self.every, self.per_class, self.curve = classify, every, per_class, []

    @torch.no_grad()
    def on_epoch_end(self, loop, logs):
        if logs["epoch"] % self.every and logs["epoch"] != loop.config.epochs:
            return
        model = loop.model
        modes = [(m, m.training) for m in model.modules()]
        model.eval()
        labels = torch.arange(model.config.n_classes).repeat(self.per_class)
        noise = torch.randn(len(labels), model.config.latent_dim, generator=torch.Generator().manual_seed(123))
        images = model.decode(noise, labels).numpy() * 16.0  # model space [0, 1] → digits' 0..16
        for m, mode in modes:
            m.train(mode)
        rate = float(np.mean(self.classify(images) == labels.numpy()))
        self.curve.append(
            {
                "epoch": int(logs["epoch"]),
                "rate": rate,
                "seconds": logs["seconds"],
                **{k: v for k, v in logs.items() if k.endswith("loss")},
            }
        )
        print(
            f"  epoch {logs['epoch']:4d}  rate {rate:.3f}  "
            + "  ".join(f"{k} {v:.3f}" for k, v in logs.items() if k.endswith("loss")),
            flush=True,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=["cdcgan", "cwgan-gp"])
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument(
        "--channels", type=int, default=64, help="gan_channels (the VAE/GAN/FID report uses 256 for 28×28)"
    )
    parser.add_argument("--critic-steps", type=int, default=None, help="override critic steps (WGAN-GP: 5)")
    parser.add_argument("--n-per-class", type=int, default=200, help="generated images per class for the rate")
    parser.add_argument("--probe-every", type=int, default=5)
    parser.add_argument("--grid-every", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="2 epochs, 16 channels: checks the script runs")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "gan_digits.json"))
    args = parser.parse_args()
    if args.quick:
        args.epochs, args.channels, args.n_per_class, args.probe_every, args.grid_every = 2, 16, 20, 1, 1

    from sklearn.model_selection import train_test_split
    from sklearn.svm import SVC

    raw = load_embedded("digits")
    X_train, X_test, y_train, y_test = train_test_split(
        raw.data, raw.labels, test_size=0.3, random_state=args.seed, stratify=raw.labels
    )
    flat = lambda X: np.asarray(X, float).reshape(len(X), -1)  # noqa: E731
    classifier = SVC(gamma="scale").fit(flat(X_train), y_train)
    ceiling = float(classifier.score(flat(X_test), y_test))
    print(f"digits classifier (SVC) on real held-out images: accuracy {ceiling:.3f}")
    classify = lambda images: classifier.predict(flat(images))  # noqa: E731

    out = Path(args.out)
    grids = out.parent / f"{out.stem}_grids"
    results = {
        "settings": {**{k: v for k, v in vars(args).items() if k != "out"}, "train_images": len(X_train)},
        "classifier_accuracy_on_real": ceiling,
        "models": {},
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
            "load_average": list(os.getloadavg()),
        },
    }
    for model in args.models:
        print(f"{model}: {args.epochs} epochs, gan_channels {args.channels}")
        probe = RateProbe(classify, every=args.probe_every)
        options = {"model": model, "epochs": args.epochs, "gan_channels": args.channels, "random_state": args.seed}
        if args.critic_steps:
            options["critic_steps"] = args.critic_steps
        started = time.perf_counter()
        syn = LatentSynthesizer(**options).fit(
            X_train, y_train, callbacks=[probe, SampleGrid(grids / model, every=args.grid_every, per_class=10)]
        )
        train_seconds = time.perf_counter() - started
        per_method = {}
        for method in METHODS:  # the facade's own sampler: cluster = class
            rates = {}
            for name in syn.cluster_names_:
                images, _ = syn.sample(args.n_per_class, cluster=name, method=method, random_state=args.seed)
                rates[str(name)] = float(np.mean(classify(images) == name))
            per_method[method] = {"rate": float(np.mean(list(rates.values()))), "per_class": rates}
        results["models"][model] = {
            "train_seconds": train_seconds,
            "seconds_per_epoch": train_seconds / args.epochs,
            "config": {
                k: v
                for k, v in syn.config_.to_dict().items()
                if k in ("latent_dim", "lr", "adam_betas", "batch_size", "critic_steps", "gp_weight", "gan_channels")
            },
            "rate": per_method["random"]["rate"],
            "methods": per_method,
            "curve": probe.curve,
            "grids": sorted(str(p.relative_to(out.parent)) for p in (grids / model).glob("*.png")),
        }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))

    print(f"\nclass-consistency rate (SVC trained on real digits; its real accuracy {ceiling:.3f}; aim ≥ 0.7)")
    print(f"{'model':10s} {'epochs':>6s} {'s/epoch':>8s} " + " ".join(f"{m:>14s}" for m in METHODS))
    for model, r in results["models"].items():
        print(
            f"{model:10s} {args.epochs:6d} {r['seconds_per_epoch']:8.2f} "
            + " ".join(f"{r['methods'][m]['rate']:14.3f}" for m in METHODS)
        )
    print(f"→ {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
