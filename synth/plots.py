"""Figures as PNG bytes (matplotlib, headless): training curves, KDEs, the latent
scatter with χ² ellipses, the polarized tree's dendrogram, image grids."""

from __future__ import annotations

import io

import numpy as np
from scipy import stats


def new_figure(*args, **kwargs):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt, plt.subplots(*args, **kwargs)


def figure_png(plt, fig, *, dpi: int = 110, tight: bool = True) -> bytes:
    """``tight``: crop to the drawn content; False keeps the PNG exactly figsize × dpi pixels."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight" if tight else None)
    plt.close(fig)
    return buf.getvalue()


def history_png(history: list[dict], *, title: str = "training") -> bytes:
    """Every loss per epoch (train solid, validation dashed), then β(t) and FID on panels of
    their own when logged (FID only at the epochs where it was measured)."""
    epochs = [h["epoch"] for h in history]
    columns = list(dict.fromkeys(k for h in history for k in h))  # every key, in first-seen order
    panels = [k for k in ("beta", "fid") if any(_finite(h.get(k)) for h in history)]
    keys = [k for k in columns if k not in ("epoch", "seconds", "beta", "fid") and not k.startswith("val_")]
    plt, (fig, axes) = new_figure(1, 1 + len(panels), figsize=(6 + 5 * len(panels), 3.6), squeeze=False)
    ax = axes[0, 0]
    for k in keys:
        (line,) = ax.plot(epochs, [h.get(k, np.nan) for h in history], label=k)
        if f"val_{k}" in columns:
            ax.plot(
                epochs, [h.get(f"val_{k}", np.nan) for h in history], "--", color=line.get_color(), label=f"val_{k}"
            )
    if all(h.get(k, np.nan) > 0 for h in history for k in keys):
        ax.set_yscale("log")
    ax.set(xlabel="epoch", title=title)
    ax.legend(fontsize=7)
    for ax, k in zip(axes[0, 1:], panels):
        points = [(h["epoch"], h[k]) for h in history if _finite(h.get(k))]
        if k == "beta":
            ax.plot(*zip(*points), color="tab:purple")
            ax.set(xlabel="epoch", ylabel="β(t)", title="KL weight schedule")
        else:
            ax.plot(*zip(*points), "o-", color="tab:red")
            ax.set(xlabel="epoch", ylabel="FID", title="FID of decoded samples")
    return figure_png(plt, fig)


def _finite(value) -> bool:
    return isinstance(value, (int, float, np.floating)) and bool(np.isfinite(value))


def kde_png(real, synthetic, columns: list[str]) -> bytes:
    """Per-column KDE of real vs synthetic values (the VAE/GAN/FID report, Fig. 5.3)."""
    cols = [c for c in columns if np.issubdtype(np.asarray(real[c]).dtype, np.number)][:16]
    n = max(len(cols), 1)
    width = min(n, 4)
    plt, (fig, axes) = new_figure(
        (n + width - 1) // width, width, figsize=(3.2 * width, 2.6 * ((n + width - 1) // width)), squeeze=False
    )
    for ax, col in zip(axes.ravel(), cols):
        for values, label, color in ((real[col], "real", "tab:blue"), (synthetic[col], "synthetic", "tab:orange")):
            values = np.asarray(values, float)
            grid = np.linspace(values.min(), values.max(), 200) if np.ptp(values) > 0 else None
            if grid is not None and len(np.unique(values)) > 1:
                ax.plot(grid, stats.gaussian_kde(values)(grid), label=label, color=color)
            else:
                ax.axvline(values[0], label=label, color=color)
        ax.set_title(col, fontsize=9)
    for ax in axes.ravel()[len(cols) :]:
        ax.axis("off")
    axes[0, 0].legend(fontsize=7)
    return figure_png(plt, fig)


def latent_scatter_png(
    Z, codes, *, means, covariances, names, radius: float, Z_generated=None, generated_codes=None
) -> bytes:
    """Latents on their first two principal components, coloured by cluster, with each
    cluster's χ² region drawn as the exact shadow of its ellipsoid (radius = √χ²_d(q))."""
    from matplotlib.patches import Ellipse

    Z = np.asarray(Z, float)
    center = Z.mean(axis=0)
    _, _, vt = np.linalg.svd(Z - center, full_matrices=False)
    P = vt[:2] if len(vt) >= 2 else np.vstack([vt, np.zeros_like(vt)])
    plt, (fig, axes) = new_figure(1, 1, figsize=(6, 5), squeeze=False)
    ax = axes[0, 0]
    cmap = plt.get_cmap("tab10" if len(names) <= 10 else "tab20")
    for k, name in enumerate(names):
        color = cmap(k % cmap.N)
        pts = (Z[codes == k] - center) @ P.T
        ax.scatter(pts[:, 0], pts[:, 1], s=8, color=color, alpha=0.6, label=str(name))
        if Z_generated is not None:
            gen = (Z_generated[generated_codes == k] - center) @ P.T
            ax.scatter(gen[:, 0], gen[:, 1], s=8, marker="x", color=color, alpha=0.5)
        m2 = P @ (means[k] - center)
        values, vectors = np.linalg.eigh(P @ covariances[k] @ P.T)
        values = np.clip(values, 0, None)
        angle = np.degrees(np.arctan2(vectors[1, 1], vectors[0, 1]))
        ax.add_patch(
            Ellipse(
                m2,
                2 * radius * np.sqrt(values[1]),
                2 * radius * np.sqrt(values[0]),
                angle=angle,
                fill=False,
                color=color,
                lw=1.5,
            )
        )
    ax.set(xlabel="latent PC 1", ylabel="latent PC 2", title="latent space: clusters and χ² regions")
    ax.legend(fontsize=7, markerscale=2, ncol=2)
    return figure_png(plt, fig)


def dendrogram_png(linkage: np.ndarray, labels: list[str]) -> bytes:
    from scipy.cluster.hierarchy import dendrogram

    plt, (fig, axes) = new_figure(1, 1, figsize=(7, 4), squeeze=False)
    dendrogram(linkage, labels=labels, ax=axes[0, 0], color_threshold=0)
    axes[0, 0].set(title="polarized hierarchical clustering", ylabel="split (later splits lower)")
    return figure_png(plt, fig)


def image_grid_png(
    images: np.ndarray, *, ncol: int = 10, labels=None, tile: int = 48, row_labels: list[str] | None = None
) -> bytes:
    """(n, C, H, W) floats in [0, 1] (or (n, H, W) 2-D records) → one PNG mosaic (row-major),
    each tile upscaled to ~``tile`` pixels (nearest neighbour) and captioned with its label.
    ``row_labels``: one caption per row (lines split at "\\n"), written in a margin on the left.
    Tiles that hold a NaN are left blank (rows of unequal length).
    PIL, not matplotlib: 100 subplots cost seconds, a mosaic milliseconds."""
    from PIL import Image, ImageDraw

    images = np.asarray(images, float)
    if images.ndim == 3:
        images = images[:, None]
    n, c, h, w = images.shape
    blank = ~np.isfinite(images).all(axis=(1, 2, 3))
    images = np.clip(np.nan_to_num(images), 0, 1)
    ncol = max(1, min(ncol, n))
    nrow = (n + ncol - 1) // ncol
    if row_labels is not None and len(row_labels) != nrow:
        raise ValueError(f"row_labels has {len(row_labels)} captions for {nrow} rows")
    scale = max(1, tile // max(h, w))
    caption = 11 if labels is not None else 0
    cell_h, cell_w = h * scale + caption + 2, w * scale + 2
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    margin = 0 if row_labels is None else 6 + max(measure.multiline_textbbox((0, 0), t)[2] for t in row_labels)
    canvas = np.full((nrow * cell_h, margin + ncol * cell_w, 3), 255, np.uint8)
    for i in np.flatnonzero(~blank):
        img = images[i].transpose(1, 2, 0)
        img = np.repeat(img, 3, axis=2) if c == 1 else img
        if c == 1:  # dark strokes on white, like the digits figures in the papers
            img = 1.0 - img
        big = np.kron((img * 255).round().astype(np.uint8), np.ones((scale, scale, 1), np.uint8))
        r, col = divmod(i, ncol)
        top, left = r * cell_h + caption + 1, margin + col * cell_w + 1
        canvas[top : top + h * scale, left : left + w * scale] = big
    picture = Image.fromarray(canvas)
    draw = ImageDraw.Draw(picture)
    if labels is not None:
        for i in np.flatnonzero(~blank):
            r, col = divmod(i, ncol)
            draw.text((margin + col * cell_w + 2, r * cell_h), str(labels[i])[:10], fill=(60, 60, 60))
    for r, text in enumerate(row_labels or ()):
        draw.multiline_text((2, r * cell_h + 2), text, fill=(20, 20, 20))
    buf = io.BytesIO()
    picture.save(buf, format="PNG")
    return buf.getvalue()


def bar_png(values: dict[str, float], *, title: str, ylabel: str) -> bytes:
    plt, (fig, axes) = new_figure(1, 1, figsize=(max(4, 0.6 * len(values)), 3.2), squeeze=False)
    axes[0, 0].bar(list(values), list(values.values()), color="tab:blue")
    axes[0, 0].set(title=title, ylabel=ylabel)
    axes[0, 0].tick_params(axis="x", rotation=45, labelsize=7)
    return figure_png(plt, fig)
