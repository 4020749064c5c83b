"""The real-vs-synthetic panel of one generation method, with its realism figures in the title.

Tables: scatter plots of the real data's most correlated numeric column pairs (|Pearson r| on the
real rows), real and synthetic rows in two colours. Images: per class a row of real images above a
row of synthetic images of the same class. The numbers (α-precision, β-recall, PRDC coverage,
detection AUC and its real-vs-real floor) are read from a ``score_samples`` report; nothing is
recomputed here.
"""

from __future__ import annotations

import io

import numpy as np

from synth.plots import figure_png, image_grid_png, new_figure

__all__ = ["correlated_pairs", "image_realism_png", "panel_numbers", "realism_panel_png", "table_realism_png"]

DPI = 100
PAIR_INCHES = 4.0  # each scatter is PAIR_INCHES × PAIR_INCHES (the PNG is exactly figsize × DPI)
MAX_POINTS = 2000  # points per set and scatter (seeded subsample)
TILE = 64  # pixels an image is scaled up to, at most (nearest neighbour, whole multiples): 8×8 → 64, 28×28 → 56


def correlated_pairs(frame, k: int = 3) -> list[tuple[str, str, float]]:
    """The ``k`` numeric column pairs of ``frame`` with the largest |Pearson r| (pairwise complete
    rows), most correlated first: [(column a, column b, r)]. Constant columns have no r and are left out."""
    numeric = frame.select_dtypes("number")
    corr = numeric.corr().to_numpy()
    cols = list(numeric.columns)
    pairs = [
        (cols[i], cols[j], float(corr[i, j]))
        for i in range(len(cols))
        for j in range(i + 1, len(cols))
        if np.isfinite(corr[i, j])
    ]
    pairs.sort(key=lambda p: -abs(p[2]))  # stable: ties keep column order
    return pairs[:k]


def panel_numbers(metrics: dict) -> dict:
    """{"alpha_precision", "beta_recall", "coverage", "detection_auc", "floor_auc", "detector"} of one
    method's ``score_samples`` report (None where a figure was skipped)."""
    det, sup = metrics.get("detection", {}), metrics.get("support", {})
    return {
        "alpha_precision": sup.get("alpha_precision"),
        "beta_recall": sup.get("beta_recall"),
        "coverage": (sup.get("prdc") or {}).get("coverage"),
        "detection_auc": det.get("auc"),
        "floor_auc": det.get("floor_auc"),
        "detector": det.get("detector"),
    }


def _fmt(value) -> str:
    return "–" if value is None else f"{value:.3f}"


def _caption(numbers: dict, title: str | None) -> str:
    n = numbers
    detector = f" ({n['detector']})" if n.get("detector") else ""
    line = (
        f"α-precision {_fmt(n.get('alpha_precision'))} · β-recall {_fmt(n.get('beta_recall'))} · "
        f"coverage {_fmt(n.get('coverage'))} · detection AUC{detector} {_fmt(n.get('detection_auc'))} "
        f"(real-vs-real floor {_fmt(n.get('floor_auc'))})"
    )
    return f"{title}\n{line}" if title else line


def _subsample(frame, n: int, rng: np.random.Generator):
    return frame if len(frame) <= n else frame.iloc[np.sort(rng.choice(len(frame), n, replace=False))]


def table_realism_png(real, synthetic, numbers: dict, *, k: int = 3, title: str | None = None, random_state=0):
    """PNG bytes (k·400 × 400 + caption band, at 100 dpi) of real vs synthetic rows on the real
    data's ``k`` most correlated numeric column pairs; None when ``real`` has fewer than 2 numeric columns."""
    pairs = correlated_pairs(real, k)
    if not pairs:
        return None
    rng = np.random.default_rng(random_state)
    real_pts, syn_pts = _subsample(real, MAX_POINTS, rng), _subsample(synthetic, MAX_POINTS, rng)
    plt, (fig, axes) = new_figure(
        1, len(pairs), figsize=(PAIR_INCHES * len(pairs), PAIR_INCHES + 0.6), squeeze=False, layout="constrained"
    )
    for ax, (a, b, r) in zip(axes[0], pairs):
        ax.scatter(real_pts[a], real_pts[b], s=9, alpha=0.55, color="tab:blue", label="real", edgecolors="none")
        ax.scatter(syn_pts[a], syn_pts[b], s=9, alpha=0.55, color="tab:orange", label="synthetic", edgecolors="none")
        ax.set(xlabel=a, ylabel=b, title=f"real r = {r:+.2f}")
    axes[0, 0].legend(fontsize=8, markerscale=2, loc="best")
    fig.suptitle(_caption(numbers, title), fontsize=9)
    return figure_png(plt, fig, dpi=DPI, tight=False)


def image_realism_png(
    real_images, real_labels, syn_images, syn_labels, numbers: dict, *, per_class: int = 6, title: str | None = None
) -> bytes:
    """PNG bytes: one line per class (at most 10, sorted): ``per_class`` real images, a gap, then
    ``per_class`` synthetic images of that class; images (n, C, H, W) in [0, 1]. Missing images
    (a class with fewer samples) are left blank."""
    from PIL import Image

    real_labels, syn_labels = np.asarray(real_labels).astype(str), np.asarray(syn_labels).astype(str)
    classes = sorted(set(real_labels) | set(syn_labels))[:10]
    shape = np.asarray(real_images).shape[1:]
    blank = 0.0 if shape[0] == 1 else 1.0  # white either way (grey tiles are drawn inverted)
    tiles, captions = [], []
    for name in classes:
        for images, labels, kind in ((real_images, real_labels, "real"), (syn_images, syn_labels, "syn")):
            picked = np.asarray(images, float)[labels == name][:per_class]
            tiles += [picked, np.full((per_class - len(picked), *shape), blank)]
            captions += [f"{kind} {name}"] + [name] * (len(picked) - 1) + [""] * (per_class - len(picked))
            if kind == "real":  # the gap between the two blocks
                tiles.append(np.full((1, *shape), blank))
                captions.append("")
    grid = image_grid_png(np.concatenate(tiles), ncol=2 * per_class + 1, labels=captions, tile=TILE)
    mosaic = Image.open(io.BytesIO(grid)).convert("RGB")
    width, height = mosaic.size
    plt, (fig, axes) = new_figure(1, 1, figsize=(max(width / DPI, 7.0), height / DPI + 0.7), layout="constrained")
    axes.imshow(np.asarray(mosaic), interpolation="nearest")
    axes.axis("off")
    fig.suptitle(
        _caption(numbers, title) + "\nleft: real images · right: synthetic images of the same class", fontsize=8
    )
    return figure_png(plt, fig, dpi=DPI, tight=False)


def realism_panel_png(syn, real, samples, metrics: dict, *, title: str | None = None, random_state=0):
    """The panel of one method's ``samples`` against ``real.X_train`` (a RealData), numbers from its
    ``score_samples`` report ``metrics``; None for 2-D records and for tables without 2 numeric columns."""
    numbers = panel_numbers(metrics)
    if syn.data_kind_ == "tabular":
        return table_realism_png(real.X_train, samples.data, numbers, title=title, random_state=random_state)
    if syn.data_kind_ != "image":
        return None
    if real.y_train is not None:
        real_labels, syn_labels = real.y_train, samples.labels
    elif syn.can_encode:  # unlabelled: real images by the cluster their latent falls in
        real_labels = syn.gaussians_.predict(syn.encode(real.X_train))
        syn_labels = np.array([syn.cluster_code(v) for v in samples.labels])
    else:  # an unlabelled GAN: no encoder to assign real images to clusters
        real_labels, syn_labels = np.full(len(real.X_train), "all"), np.full(len(samples.labels), "all")
    return image_realism_png(
        syn.transformer_.transform(real.X_train),
        real_labels,
        syn.transformer_.transform(samples.data),
        syn_labels,
        numbers,
        title=title,
    )
