"""Machine-learning utility of synthetic data: TRTR, TSTR and augmentation lift.

One simple classifier is trained three times and always scored on the same
held-out real test set:

    trtr       train on real            (the reference)
    tstr       train on synthetic       (can synthetic data replace real data?)
    augmented  train on real + synthetic (does it help as extra data?)

lift = augmented − trtr (positive: synthetic rows help); tstr_gap =
trtr.accuracy − tstr.accuracy (near 0: synthetic rows carry the signal).

An unlabelled model's samples carry cluster names, not classes. When the true
classes of the real rows are known to the evaluator (held back from training),
``majority_utility_report`` labels every synthetic row with the majority true
class of its cluster's real training rows (the cluster-purity mapping of Manning,
Raghavan & Schütze 2008, ch. 16.3) and scores TRTR and TSTR (no augmentation:
its user would hold labelled real rows).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from synth.errors import ConfigError, DataError

__all__ = ["CLASSIFIERS", "majority_label_map", "majority_utility_report", "utility_report"]

CLASSIFIERS = ("random_forest", "logistic")


def _make_classifier(name: str, random_state: int):
    if name == "random_forest":
        return RandomForestClassifier(n_estimators=200, random_state=random_state, n_jobs=1)
    if name == "logistic":
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=random_state))
    raise ConfigError(f"unknown classifier {name!r}; choose one of {list(CLASSIFIERS)}")


def _features(X, name: str) -> np.ndarray:
    X = X.to_numpy(float) if isinstance(X, pd.DataFrame) else np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise DataError(f"{name} must be a 2-D array (n, p); got shape {X.shape}")
    if X.shape[0] == 0:
        raise DataError(f"{name} has no rows")
    if not np.isfinite(X).all():
        raise DataError(f"{name} contains NaN or infinite values; impute or drop them first")
    return X


def _labels(y, n: int, name: str) -> np.ndarray:
    y = np.asarray(y.to_numpy() if isinstance(y, (pd.Series, pd.DataFrame)) else y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.shape != (n,):
        raise DataError(f"{name} must have shape ({n},) to match its features; got {y.shape}")
    return y


def _scores(model, X_fit, y_fit, X_test, y_test) -> dict:
    predicted = clone(model).fit(X_fit, y_fit).predict(X_test)
    return {
        "accuracy": float(accuracy_score(y_test, predicted)),
        "macro_f1": float(f1_score(y_test, predicted, average="macro", zero_division=0)),
    }


def utility_report(
    X_train,
    y_train,
    X_test,
    y_test,
    X_syn,
    y_syn,
    *,
    classifier: str = "random_forest",
    random_state=0,
    trtr: dict | None = None,
    augment: bool = True,
) -> dict:
    """Train-on-real / train-on-synthetic / augmented scores on held-out real data.

    X_train: (n, p), X_test: (t, p), X_syn: (m, p) numeric arrays or DataFrames.
    y_train: (n,), y_test: (t,), y_syn: (m,) labels of any hashable type.
    classifier: "random_forest" (200 trees, n_jobs=1) or "logistic"
    (standardised features, LogisticRegression(max_iter=2000)).
    random_state: int, or a numpy Generator from which an int seed is drawn.
    augment: False leaves out the third classifier ("augmented" and "lift").

    Returns {"classifier", "trtr", "tstr", "augmented", "lift", "tstr_gap",
    "n_train", "n_test", "n_syn"}; trtr/tstr/augmented/lift are
    {"accuracy": float, "macro_f1": float}.
    """
    X_train = _features(X_train, "X_train")
    X_test = _features(X_test, "X_test")
    X_syn = _features(X_syn, "X_syn")
    for name, X in (("X_test", X_test), ("X_syn", X_syn)):
        if X.shape[1] != X_train.shape[1]:
            raise DataError(
                f"{name} has {X.shape[1]} features but X_train has {X_train.shape[1]}; "
                "all three sets must share the same columns"
            )
    y_train = _labels(y_train, X_train.shape[0], "y_train")
    y_test = _labels(y_test, X_test.shape[0], "y_test")
    y_syn = _labels(y_syn, X_syn.shape[0], "y_syn")

    real_classes = set(pd.unique(y_train))
    if len(real_classes) < 2:
        raise DataError(f"y_train has {len(real_classes)} class; a classifier needs at least 2")
    unseen = set(pd.unique(y_syn)) - real_classes
    if unseen:
        raise DataError(
            f"y_syn uses labels never seen in y_train: {sorted(map(str, unseen))}; "
            "synthetic labels must come from the real training classes"
        )
    syn_classes = set(pd.unique(y_syn))
    if len(syn_classes) < 2:
        raise DataError(
            f"y_syn has only {len(syn_classes)} class; train-on-synthetic needs samples "
            "of at least 2 classes (generate for every cluster)"
        )

    if isinstance(random_state, np.random.Generator):
        random_state = int(random_state.integers(2**31 - 1))
    model = _make_classifier(classifier, random_state)

    # the real-on-real score does not depend on the synthetic set: callers scoring
    # several methods pass the first report's "trtr" back in
    trtr = dict(trtr) if trtr is not None else _scores(model, X_train, y_train, X_test, y_test)
    tstr = _scores(model, X_syn, y_syn, X_test, y_test)
    out = {"classifier": classifier, "trtr": trtr, "tstr": tstr}
    if augment:
        X_both, y_both = np.vstack([X_train, X_syn]), np.concatenate([y_train, y_syn])
        out["augmented"] = augmented = _scores(model, X_both, y_both, X_test, y_test)
        out["lift"] = {key: augmented[key] - trtr[key] for key in ("accuracy", "macro_f1")}
    return {
        **out,
        "tstr_gap": trtr["accuracy"] - tstr["accuracy"],
        "n_train": int(X_train.shape[0]),
        "n_test": int(X_test.shape[0]),
        "n_syn": int(X_syn.shape[0]),
    }


def majority_label_map(clusters, labels) -> dict:
    """{cluster: {"label", "purity", "n"}} over the rows of each cluster: its most frequent
    true label (ties go to the one that sorts first as text), that label's share of the
    cluster's rows, and the number of rows. Clusters and labels are compared as text."""
    clusters = np.asarray(clusters).astype(str)
    labels = _labels(labels, len(clusters), "labels").astype(str)
    out = {}
    for cluster in sorted(set(clusters)):
        values, counts = np.unique(labels[clusters == cluster], return_counts=True)  # values sorted
        best = int(np.argmax(counts))  # the first of the most frequent
        out[str(cluster)] = {
            "label": str(values[best]),
            "purity": float(counts[best] / counts.sum()),
            "n": int(counts.sum()),
        }
    return out


def majority_utility_report(
    X_train,
    y_train,
    X_test,
    y_test,
    X_syn,
    syn_clusters,
    mapping: dict,
    *,
    classifier: str = "random_forest",
    random_state=0,
    trtr: dict | None = None,
) -> dict:
    """``utility_report`` for a model without labels: synthetic row i takes the label
    ``mapping[syn_clusters[i]]["label"]`` (``majority_label_map`` of the real training rows'
    clusters against their true labels ``y_train``); TRTR and the test set use the true labels.
    Synthetic rows of a cluster absent from ``mapping`` (no real training row fell into it)
    are left out and counted in ``n_unmapped``. Adds ``"labels": "cluster majority"``.
    No augmentation score: it stands for a user who holds labelled real rows, and the user of
    an unlabelled model holds none."""
    syn_clusters = np.asarray(syn_clusters).astype(str)
    keep = np.isin(syn_clusters, list(mapping))
    if not keep.any():
        raise DataError(f"no synthetic row belongs to a mapped cluster ({sorted(mapping)})")
    X_syn = X_syn[keep] if isinstance(X_syn, np.ndarray) else X_syn.iloc[keep]
    y_syn = np.array([mapping[c]["label"] for c in syn_clusters[keep]])
    report = utility_report(
        X_train,
        np.asarray(y_train).astype(str),
        X_test,
        np.asarray(y_test).astype(str),
        X_syn,
        y_syn,
        classifier=classifier,
        random_state=random_state,
        trtr=trtr,
        augment=False,
    )
    return {**report, "labels": "cluster majority", "n_unmapped": int((~keep).sum())}
