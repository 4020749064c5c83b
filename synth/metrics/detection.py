"""Detection (classifier two-sample test, C2ST): can a classifier tell synthetic rows from real ones?

A classifier is trained to label real rows 0 and synthetic rows 1; its k-fold
cross-validated ROC AUC is the score (Lopez-Paz & Oquab 2017, "Revisiting
classifier two-sample tests"; the detection metric of SDMetrics, synthcity and
the TabSyn / TabDDPM benchmarks):

    0.5  the classifier cannot tell them apart — the ideal
    1.0  trivially told apart

Both sets are cut to the same size (the larger one subsampled, seeded) so the
AUC is not skewed by class imbalance. Beside the score comes its **floor**:
the same test between two random halves of the real rows, i.e. what a perfect
generator would get with that much data (≈ 0.5 ± its fold spread). Read the
score against the floor, not against 0.5 alone.

Tables: scikit-learn's ``HistGradientBoostingClassifier`` (it takes missing
values) on the model's scaled / one-hot feature columns. Images: a logistic
regression on pixels (``classifier="logistic"``) and a small CNN
(``image_detection``, plain torch, a bounded number of epochs).
"""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from synth.errors import ConfigError, DataError

__all__ = ["DETECTORS", "c2st", "detection_auc", "image_detection"]

DETECTORS = ("hgb", "logistic", "cnn")


def _seed(random_state) -> int:
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**31 - 1))
    return int(random_state)


def _as_array(X, name: str, *, flat: bool) -> np.ndarray:
    X = X.to_numpy(float) if hasattr(X, "to_numpy") else np.asarray(X, dtype=np.float64)
    if X.ndim < 2:
        raise DataError(f"{name} must be (n, p) rows or (n, C, H, W) images; got shape {X.shape}")
    if np.isinf(X).any():
        raise DataError(f"{name} contains infinite values; clip or drop them first")
    return X.reshape(len(X), -1) if flat else X


def _checked_pair(X_real, X_syn, n_folds: int, *, flat: bool) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(n_folds, (int, np.integer)) or n_folds < 2:
        raise ConfigError(f"n_folds must be an integer ≥ 2, got {n_folds!r}")
    real, syn = _as_array(X_real, "X_real", flat=flat), _as_array(X_syn, "X_syn", flat=flat)
    if real.shape[1:] != syn.shape[1:]:
        raise DataError(
            f"real and synthetic sets have different shapes per row: {real.shape[1:]} vs {syn.shape[1:]}; "
            "pass the same columns (or image size) for both"
        )
    if min(len(real), len(syn)) < n_folds:
        raise DataError(
            f"detection with {n_folds} folds needs at least {n_folds} real and {n_folds} synthetic rows; "
            f"got {len(real)} real and {len(syn)} synthetic (lower n_folds or pass more rows)"
        )
    return real, syn


def _equal_size(real: np.ndarray, syn: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n = min(len(real), len(syn))
    pick = lambda X: X if len(X) == n else X[np.sort(rng.choice(len(X), n, replace=False))]  # noqa: E731
    return pick(real), pick(syn)


def _make_detector(name: str, seed: int, n_fit: int):
    if name == "hgb":
        # scikit-learn's default leaf size (20) leaves a tree with ~40 rows unable to split at all,
        # so small sets would always score 0.5; a leaf of n/10 rows keeps them testable
        return HistGradientBoostingClassifier(min_samples_leaf=max(2, min(20, n_fit // 10)), random_state=seed)
    if name == "logistic":
        return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000, random_state=seed))
    raise ConfigError(f"unknown tabular detector {name!r}; choose 'hgb' or 'logistic' (images: image_detection)")


def _cv_auc(real: np.ndarray, syn: np.ndarray, *, n_folds: int, seed: int, fit_predict) -> list[float]:
    """Per-fold ROC AUC; fit_predict(X_fit, y_fit, X_test, fold) → P(synthetic) of X_test."""
    X = np.concatenate([real, syn])
    y = np.r_[np.zeros(len(real), int), np.ones(len(syn), int)]
    if len(np.unique(y)) < 2:
        raise DataError("detection needs rows of both classes (real and synthetic); one set is empty")
    folds = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    aucs = []
    for fold, (fit, test) in enumerate(folds.split(X.reshape(len(X), -1), y)):
        aucs.append(float(roc_auc_score(y[test], fit_predict(X[fit], y[fit], X[test], fold))))
    return aucs


def _summary(aucs: list[float], n_each: int) -> dict:
    return {"auc": float(np.mean(aucs)), "auc_std": float(np.std(aucs)), "fold_aucs": aucs, "n_per_class": n_each}


def detection_auc(X_real, X_syn, *, classifier: str = "hgb", n_folds: int = 5, random_state=0) -> dict:
    """k-fold ROC AUC of ``classifier`` telling ``X_real`` (label 0) from ``X_syn`` (label 1).

    X_real: (n, p), X_syn: (m, p) numeric (NaN allowed for "hgb"); images are flattened.
    Returns {"auc", "auc_std" (over folds), "fold_aucs", "n_per_class", "classifier", "n_folds"}."""
    seed = _seed(random_state)
    real, syn = _checked_pair(X_real, X_syn, n_folds, flat=True)
    real, syn = _equal_size(real, syn, np.random.default_rng(seed))
    _make_detector(classifier, seed, 2 * len(real))  # unknown names fail before any fitting
    if classifier == "logistic" and (np.isnan(real).any() or np.isnan(syn).any()):
        raise DataError("the logistic detector cannot take NaN; impute first or use classifier='hgb'")

    def fit_predict(X_fit, y_fit, X_test, fold):
        return _make_detector(classifier, seed, len(X_fit)).fit(X_fit, y_fit).predict_proba(X_test)[:, 1]

    # one OpenMP thread: the trees are small, and on shared CPUs spinning OpenMP workers slow
    # the fit by an order of magnitude instead of speeding it up
    with threadpool_limits(limits=1, user_api="openmp"):
        aucs = _cv_auc(real, syn, n_folds=n_folds, seed=seed, fit_predict=fit_predict)
    return {**_summary(aucs, len(real)), "classifier": classifier, "n_folds": n_folds}


def _real_halves(real: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(len(real))
    half = len(real) // 2
    return real[order[:half]], real[order[half : 2 * half]]


def c2st(X_real, X_syn, *, classifier: str = "hgb", n_folds: int = 5, random_state=0) -> dict:
    """Detection AUC of synthetic vs real and, under "floor", the same test between two random
    halves of the real rows (each half needs ``n_folds`` rows). Returns ``detection_auc``'s dict
    plus {"floor": {"auc", "auc_std", "fold_aucs", "n_per_class"}, "excess": auc − floor auc}."""
    seed = _seed(random_state)
    out = detection_auc(X_real, X_syn, classifier=classifier, n_folds=n_folds, random_state=seed)
    real = _as_array(X_real, "X_real", flat=True)
    if len(real) // 2 < n_folds:
        raise DataError(
            f"the real-vs-real floor splits {len(real)} real rows in two halves of {len(real) // 2}, "
            f"fewer than n_folds={n_folds}; pass at least {2 * n_folds} real rows or lower n_folds"
        )
    a, b = _real_halves(real, np.random.default_rng(seed + 1))
    floor = detection_auc(a, b, classifier=classifier, n_folds=n_folds, random_state=seed)
    out["floor"] = {k: floor[k] for k in ("auc", "auc_std", "fold_aucs", "n_per_class")}
    out["excess"] = out["auc"] - floor["auc"]
    return out


def _cnn(channels: int, height: int, width: int):
    import torch
    from torch import nn

    hidden = 16
    return nn.Sequential(
        nn.Conv2d(channels, hidden, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2) if min(height, width) >= 4 else nn.Identity(),
        nn.Conv2d(hidden, 2 * hidden, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(2 * hidden, 1),
    ).to(torch.float32)


def _cnn_fit_predict(*, epochs: int, batch_size: int, seed: int):
    import torch

    def fit_predict(X_fit, y_fit, X_test, fold):
        gen = torch.Generator().manual_seed(seed + fold)
        torch.manual_seed(seed + fold)  # nn.Module initialisation draws from the global generator
        net = _cnn(*X_fit.shape[1:])
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        X = torch.as_tensor(X_fit, dtype=torch.float32)
        y = torch.as_tensor(y_fit, dtype=torch.float32)
        loss_fn = torch.nn.BCEWithLogitsLoss()
        net.train()
        for _ in range(epochs):
            for idx in torch.randperm(len(X), generator=gen).split(batch_size):
                opt.zero_grad()
                loss_fn(net(X[idx]).squeeze(1), y[idx]).backward()
                opt.step()
        net.eval()
        with torch.no_grad():
            return torch.sigmoid(net(torch.as_tensor(X_test, dtype=torch.float32)).squeeze(1)).numpy()

    return fit_predict


def image_detection(
    X_real,
    X_syn,
    *,
    n_folds: int = 5,
    epochs: int = 5,
    batch_size: int = 64,
    random_state=0,
    floor: bool = True,
    logistic: bool = True,
) -> dict:
    """Detection of synthetic images (n, C, H, W) in [0, 1]: {"logistic": c2st on pixels,
    "cnn": the same k folds with a two-layer CNN trained ``epochs`` epochs per fold (Adam, lr 1e-3)}.
    Each has "auc", "auc_std", "fold_aucs", "n_per_class" and, with ``floor``, the real-vs-real floor;
    ``logistic=False`` leaves the logistic regression out."""
    import torch

    seed = _seed(random_state)
    real, syn = _checked_pair(X_real, X_syn, n_folds, flat=False)
    if real.ndim != 4:
        raise DataError(f"image detection needs (n, C, H, W) images; got shape {real.shape}")
    if np.isnan(real).any() or np.isnan(syn).any():
        raise DataError("images contain NaN; the image detectors cannot take missing pixels")
    if not (isinstance(epochs, (int, np.integer)) and epochs >= 1):
        raise ConfigError(f"epochs must be an integer ≥ 1, got {epochs!r}")
    run = c2st if floor else detection_auc
    out = {"logistic": run(real, syn, classifier="logistic", n_folds=n_folds, random_state=seed)} if logistic else {}
    real_eq, syn_eq = _equal_size(real, syn, np.random.default_rng(seed))
    fit_predict = _cnn_fit_predict(epochs=epochs, batch_size=batch_size, seed=seed)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a 2-layer CNN on small batches: extra threads only contend on shared CPUs
    try:
        cnn = _summary(_cv_auc(real_eq, syn_eq, n_folds=n_folds, seed=seed, fit_predict=fit_predict), len(real_eq))
        if floor and len(real) // 2 >= n_folds:
            a, b = _real_halves(real, np.random.default_rng(seed + 1))
            base = _summary(_cv_auc(a, b, n_folds=n_folds, seed=seed, fit_predict=fit_predict), len(a))
            cnn["floor"], cnn["excess"] = base, cnn["auc"] - base["auc"]
    finally:
        torch.set_num_threads(threads)
    out["cnn"] = {**cnn, "classifier": "cnn", "n_folds": n_folds, "epochs": epochs}
    return out
