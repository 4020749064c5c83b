"""Realism and privacy as the field measures them, for one set of generated samples:
detection (C2ST) with its real-vs-real floor, α-precision / β-recall / authenticity and
PRDC, and the membership-inference audit. Orchestration only; the math is in
synth.metrics.detection, .support and .membership.

Which real rows each metric uses:

- detection: the held-out real rows (the model never saw them, so a generator that
  copies its training rows is not rewarded), or the training rows when fewer than
  ``4 · n_folds`` rows were held out; "real_rows" says which.
- support metrics: the training rows (synthcity's reference set, and the larger one).
- membership: training rows are the members, held-out rows the non-members.

Features: tables in model space (scaled numbers, one-hot categories, as DCR);
images as pixels for detection; for the support metrics Inception pool3 features
when pytorch-fid's official weights are on disk, else pixels ("feature_space").
"""

from __future__ import annotations

import numpy as np

from synth.errors import DataError
from synth.metrics.detection import detection_auc, image_detection
from synth.metrics.membership import membership_inference
from synth.metrics.support import support_metrics

__all__ = ["detection_floor", "image_features", "realism_metrics"]

N_FOLDS = 5
# the image CNN is the costly detector: 3 folds of 2 epochs keep it to seconds per method on
# 2 CPUs while it still tells apart what a pixel-space logistic regression cannot
CNN_EPOCHS = 2
CNN_FOLDS = 3


def _model_space(syn, X) -> np.ndarray:
    return np.asarray(syn.transform_features(X), dtype=np.float64)


def _flat(X: np.ndarray) -> np.ndarray:
    return X.reshape(len(X), -1)


def _detection_real(syn, real) -> tuple[np.ndarray, str]:
    held_out = _model_space(syn, real.X_test)
    if len(held_out) >= 4 * N_FOLDS:
        return held_out, "holdout"
    return _model_space(syn, real.X_train), "train"


def image_features(images: np.ndarray) -> tuple[np.ndarray, str]:
    """(n, 2048) Inception pool3 features when pytorch-fid's official weights are present, else
    flat pixels; with the name of the space."""
    from synth.metrics.fid import InceptionExtractor, default_weights_path
    from synth.metrics.image_sources import to_unit_batch

    if default_weights_path().is_file():
        extractor = InceptionExtractor()
        if extractor.official:
            feats = [
                extractor(to_unit_batch(np.clip(images[i : i + 64], 0, 1))).cpu().numpy()
                for i in range(0, len(images), 64)
            ]
            return np.concatenate(feats).astype(np.float64), "inception pool3 (pytorch-fid)"
    return _flat(images), "pixels"


def detection_floor(syn, real, *, random_state: int) -> dict:
    """The real-vs-real floor of the detection test: two random halves of the real rows."""
    X_real, _ = _detection_real(syn, real)
    if syn.data_kind_ == "tabular":
        a, b = _halves(_flat(X_real), random_state)
        out = detection_auc(a, b, n_folds=N_FOLDS, random_state=random_state)
        return {"hgb": _floor_fields(out)}
    a, b = _halves(X_real, random_state)
    return {name: _floor_fields(v) for name, v in _images(a, b, random_state).items()}


def _images(real: np.ndarray, syn: np.ndarray, random_state: int) -> dict:
    """Logistic regression on pixels (N_FOLDS folds) and the CNN (CNN_FOLDS folds)."""
    logistic = detection_auc(real, syn, classifier="logistic", n_folds=N_FOLDS, random_state=random_state)
    cnn = image_detection(
        real, syn, n_folds=CNN_FOLDS, epochs=CNN_EPOCHS, random_state=random_state, floor=False, logistic=False
    )["cnn"]
    return {"logistic": logistic, "cnn": cnn}


def _halves(X: np.ndarray, random_state: int):
    order = np.random.default_rng(random_state + 1).permutation(len(X))
    half = len(X) // 2
    return X[order[:half]], X[order[half : 2 * half]]


def _floor_fields(out: dict) -> dict:
    return {k: out[k] for k in ("auc", "auc_std", "n_per_class")}


def realism_metrics(syn, real, samples, *, random_state: int, floor: dict | None = None) -> dict:
    """{"detection", "support", "membership"} of ``samples`` against ``real`` (a RealData).

    floor: a previous call's ``detection["floor"]`` to reuse (it depends on the real rows only).
    A part the data is too small for holds its headline figures as None and the reason under
    "skipped" (e.g. fewer real rows than detection folds)."""
    out = {}
    for name, part, empty in (
        ("detection", _detection, {"auc": None, "auc_std": None, "floor_auc": None, "floor": None, "detectors": {}}),
        ("support", _support, {"alpha_precision": None, "beta_recall": None, "authenticity": None, "prdc": {}}),
        ("membership", _membership, {"dcr": {"auc": None}, "domias": {"auc": None}, "max_auc": None}),
    ):
        try:
            out[name] = part(syn, real, samples, random_state=random_state, floor=floor)
        except DataError as exc:
            out[name] = {**empty, "skipped": str(exc)}
    return out


def _detection(syn, real, samples, *, random_state: int, floor: dict | None) -> dict:
    X_real, which = _detection_real(syn, real)
    X_syn = _model_space(syn, samples.data)
    floor = floor if floor is not None else detection_floor(syn, real, random_state=random_state)
    if syn.data_kind_ == "tabular":
        out = detection_auc(_flat(X_real), _flat(X_syn), n_folds=N_FOLDS, random_state=random_state)
        detectors = {"hgb": _fields(out)}
        headline = "hgb"
    else:
        detectors = {name: _fields(v) for name, v in _images(X_real, X_syn, random_state).items()}
        headline = "cnn"
    for name, row in detectors.items():
        if name in floor:
            row["excess"] = row["auc"] - floor[name]["auc"]
    return {
        "auc": detectors[headline]["auc"],
        "auc_std": detectors[headline]["auc_std"],
        "detector": headline,
        "floor_auc": floor.get(headline, {}).get("auc"),
        "detectors": detectors,
        "floor": floor,
        "real_rows": which,
        "n_folds": N_FOLDS,
    }


def _support(syn, real, samples, *, random_state: int, floor=None) -> dict:
    X_train, X_syn = _model_space(syn, real.X_train), _model_space(syn, samples.data)
    if syn.data_kind_ == "tabular":
        feats_real, feats_syn, space = _flat(X_train), _flat(X_syn), "scaled features (model space)"
    else:
        (feats_real, space), (feats_syn, _) = image_features(X_train), image_features(X_syn)
    return support_metrics(feats_real, feats_syn, random_state=random_state, feature_space=space)


def _membership(syn, real, samples, *, random_state: int, floor=None) -> dict:
    X_train, X_syn = _model_space(syn, real.X_train), _model_space(syn, samples.data)
    return membership_inference(_flat(X_train), _flat(_model_space(syn, real.X_test)), _flat(X_syn))


def _fields(out: dict) -> dict:
    return {k: out[k] for k in ("auc", "auc_std", "n_per_class")}


def _fmt(value, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


HOW_TO_READ = (
    "How to read this:",
    "",
    "- **detection AUC** (C2ST): k-fold ROC AUC of a classifier (gradient-boosted trees on tables, a "
    "small CNN on images) telling held-out real rows from synthetic ones, on equal-size sets. 0.5 = "
    "indistinguishable, 1 = trivially told apart. Compare it with the **floor**, the same test between "
    "two halves of the real rows (what a perfect generator would get with this much data).",
    "- **α-precision / β-recall** (Alaa et al. 2022, synthcity's definitions, in the feature space named "
    "above the table): 1 − the area between the α-quantile curve and the diagonal. α-precision ≈ 1: samples are as "
    "concentrated around the real data as real rows are; low: samples outside the real support. "
    "β-recall counts real rows whose nearest synthetic row is closer than their nearest real neighbour, "
    "so even a perfect fresh sample scores ≈ 0.5; a copy of the data scores 1.",
    "- **authenticity**: share of samples farther from their nearest real row than that row is from its "
    "nearest real neighbour; ≈ 0.5–0.6 for a fresh sample, 0 = every sample is a copy.",
    "- **PRDC** (Naeem et al. 2020, the `prdc` package, k = 5): precision = share of samples inside some real "
    "row's k-NN ball, recall = the converse, density = mean number of real balls a sample falls in ÷ k "
    "(≈ 1 ideal, > 1 samples crowd the dense regions), coverage = share of real rows whose ball holds a "
    "sample (≈ 1 ideal).",
    "- **MIA AUC**: membership-inference attacks telling training rows from held-out rows using only the "
    "synthetic set: `dcr` (nearer to a synthetic row = member) and `domias` (a k-NN density ratio, "
    "van Breugel et al. 2023). 0.5 = no leak; well above 0.5 = the synthetic data reveals who was in the "
    "training set.",
)


def realism_markdown(methods: dict) -> list[str]:
    """Markdown lines: one row per method of detection, support and membership figures, and how to
    read them. ``methods``: {method: score_samples report}."""
    first = next(iter(methods.values()))
    det, sup = first["detection"], first["support"]
    lines = [
        f"Detection: {det.get('detector', '–')} on the {det.get('real_rows', '–')} real rows, "
        f"{det.get('n_folds', '–')} folds, floor (real vs real) {_fmt(det['floor_auc'])}; support metrics in "
        f"{sup.get('feature_space', '–')}.",
        "",
        *[f"Skipped {part}: {first[part]['skipped']}" for part in ("detection", "support") if "skipped" in first[part]],
        *([f"Skipped membership: {m}"] if (m := first["privacy"]["membership"].get("skipped")) else []),
        "",
        "| method | detection AUC | α-precision | β-recall | authenticity | precision | recall | density | "
        "coverage | MIA AUC dcr | MIA AUC domias |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for method, m in methods.items():
        d, s, mia = m["detection"], m["support"], m["privacy"]["membership"]
        p = s["prdc"]
        cells = [
            _fmt(d["auc"]) + ("" if d["auc_std"] is None else f" ± {_fmt(d['auc_std'])}"),
            _fmt(s["alpha_precision"]),
            _fmt(s["beta_recall"]),
            _fmt(s["authenticity"]),
            _fmt(p.get("precision")),
            _fmt(p.get("recall")),
            _fmt(p.get("density")),
            _fmt(p.get("coverage")),
            _fmt(mia["dcr"]["auc"]),
            _fmt(mia["domias"]["auc"]),
        ]
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return lines + ["", *HOW_TO_READ]
