"""What an evaluator who knows the classes hidden from an unlabelled model can say about its
clusters: the cluster → majority-class map with each cluster's purity (Manning, Raghavan &
Schütze 2008, ch. 16.3), and a grid of samples per cluster for a person to check by eye."""

from __future__ import annotations

import numpy as np

from synth.metrics import majority_label_map


def majority_map(syn, real) -> dict:
    """An unlabelled model's clusters against ``real.true_train``, the true classes of the real
    training rows ``real.X_train`` (each row in its cluster of highest Gaussian density):
    {"clusters": {name: {"label", "purity", "n"}}, "purity": share of rows in their cluster's
    majority class}."""
    predicted = syn.gaussians_.predict(syn.encode(real.X_train))
    names = [str(n) for n in syn.cluster_names_]
    found = majority_label_map(np.array(names)[predicted], real.true_train)
    clusters = {name: found[name] for name in names if name in found}  # the model's order of clusters
    purity = sum(c["purity"] * c["n"] for c in clusters.values()) / len(predicted)
    return {"clusters": clusters, "purity": float(purity)}


def cluster_grid_png(syn, samples, majority: dict | None = None, *, per_row: int = 10) -> bytes:
    """The first ``per_row`` of ``samples`` (image or record samples) of each cluster, one row per
    cluster, each row captioned with the cluster's name and, given ``majority`` (``majority_map``),
    its majority class and purity. Clusters with fewer samples leave their row's tail blank."""
    from synth.plots import image_grid_png

    codes = np.array([syn.cluster_code(v) for v in samples.labels])
    shape = syn.transformer_.transform(samples.data[:1]).shape[1:]
    rows, captions = [], []
    for k, name in enumerate(syn.cluster_names_):
        pick = np.flatnonzero(codes == k)[:per_row]
        block = np.full((per_row, *shape), np.nan)
        if len(pick):
            block[: len(pick)] = syn.transformer_.transform(samples.data[pick])
        rows.append(block)
        m = (majority or {}).get("clusters", {}).get(str(name))
        captions.append(f"cluster {name}" + (f"\nmajority {m['label']}\npurity {m['purity']:.0%}" if m else ""))
    return image_grid_png(np.concatenate(rows), ncol=per_row, row_labels=captions)


def majority_markdown(report: dict) -> list[str]:
    """Report lines on the cluster → majority-class map, or none when the report has no map."""
    majority = report.get("majority_map")
    if not majority:
        return []
    cells = ", ".join(f"{k} → {c['label']} ({c['purity']:.0%})" for k, c in majority["clusters"].items())
    return [
        f"Cluster → majority true class (purity) on the real training rows: {cells}; overall purity "
        f"**{majority['purity']:.3f}**. TSTR/TRTR of this unlabelled model are scored against the true "
        "classes, each synthetic row labelled with its cluster's majority class.",
        "",
    ]
