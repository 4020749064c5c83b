"""Campaign figures as PNG bytes (matplotlib, headless): the metric against latent size
per KL schedule, β(t) of the top trials, and every trial's learning curve."""

from __future__ import annotations

import numpy as np
import pandas as pd

from synth.plots import figure_png as synth_png
from synth.plots import new_figure


def _png(plt, fig) -> bytes:
    return synth_png(plt, fig, dpi=100)


def _colors(plt, groups: list) -> dict:
    cmap = plt.get_cmap("tab10")
    return {g: cmap(i % 10) for i, g in enumerate(groups)}


def metric_by_param_png(
    frame: pd.DataFrame, *, x: str, metric: str, mode: str, group: str | None = None, completed: str = "completed"
) -> bytes:
    """``metric`` (final value per trial) against ``x``, one colour per ``group`` value. Filled
    markers: trials trained to the end; hollow: stopped early. The line joins the best
    completed trial of each x per group."""
    plt, (fig, axes) = new_figure(1, 1, figsize=(6.4, 4), squeeze=False)
    ax = axes[0, 0]
    data = frame[frame[metric].notna()] if metric in frame.columns else frame.iloc[:0]
    groups = sorted(data[group].astype(str).unique()) if group and group in data.columns else [None]
    colors = _colors(plt, groups)
    xs = sorted(data[x].dropna().unique()) if x in data.columns else []
    position = {v: i for i, v in enumerate(xs)}
    offsets = np.linspace(-0.15, 0.15, len(groups)) if len(groups) > 1 else [0.0]
    for offset, g in zip(offsets, groups):
        part = data if g is None else data[data[group].astype(str) == g]
        pos = part[x].map(position) + offset
        done = part["status"] == completed
        ax.scatter(pos[done], part[metric][done], color=colors[g], s=28, label=g if g is not None else metric)
        ax.scatter(pos[~done], part[metric][~done], facecolors="none", edgecolors=colors[g], s=28)
        best = part[done].groupby(x)[metric].agg("min" if mode == "min" else "max")
        if len(best):
            ax.plot([position[v] + offset for v in best.index], best.values, color=colors[g], lw=1.2)
    if len(data) and (data[metric] > 0).all():
        ax.set_yscale("log")  # stopped trials sit far above the finished ones
    ax.set_xticks(range(len(xs)), [str(v) for v in xs])
    ax.set(xlabel=x, ylabel=f"{metric} (final)", title=f"{metric} by {x}" + (f" and {group}" if group else ""))
    if len(groups) > 1 or groups[0] is not None:
        ax.legend(fontsize=8, title=group)
    ax.text(
        0.01,
        0.01,
        "filled: trained to the end · hollow: stopped early",
        transform=ax.transAxes,
        fontsize=7,
        color="gray",
    )
    return _png(plt, fig)


def beta_curves_png(curves: list[tuple[str, list[int], list[float]]]) -> bytes:
    """β(t) of the top trials: (label, epochs, betas) each — the schedule the weights actually
    followed, so a PBT trial shows where it switched schedule."""
    plt, (fig, axes) = new_figure(1, 1, figsize=(6.4, 3.8), squeeze=False)
    ax = axes[0, 0]
    for label, epochs, betas in curves:
        ax.plot(epochs, betas, label=label, lw=1.4)
    ax.set(xlabel="epoch", ylabel="β(t)", title="KL weight β(t) of the top trials")
    if curves:
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=1, frameon=False)
    return _png(plt, fig)


def learning_curves_png(
    curves: dict[str, pd.DataFrame], *, metrics: list[str], groups: dict[str, str], best: str | None = None
) -> bytes:
    """Per-epoch ``metrics`` of every trial (one panel each), coloured by ``groups[trial]``;
    the best trial drawn thick. A short line is a trial the scheduler stopped."""
    import matplotlib.lines as mlines

    plt, (fig, axes) = new_figure(1, len(metrics), figsize=(5.2 * len(metrics), 3.8), squeeze=False)
    colors = _colors(plt, sorted(set(groups.values())))
    for ax, metric in zip(axes[0], metrics):
        positive = True
        for trial, curve in curves.items():
            if metric not in curve.columns or not len(curve):
                continue
            values = curve[metric].to_numpy(float)
            positive &= bool(np.all(values[np.isfinite(values)] > 0))
            thick = trial == best
            color = colors[groups.get(trial, "")]
            ax.plot(
                curve["epoch"],
                values,
                color=color,
                lw=2.4 if thick else 0.9,
                alpha=1.0 if thick else 0.7,
                zorder=3 if thick else 2,
            )
            ax.scatter(curve["epoch"].iloc[-1:], values[-1:], color=color, s=12, zorder=3)  # where it ended
        if positive:
            ax.set_yscale("log")
        ax.set(xlabel="epoch", ylabel=metric, title=f"{metric} per epoch")
    handles = [mlines.Line2D([], [], color=c, label=g) for g, c in colors.items()]
    if best:
        handles.append(mlines.Line2D([], [], color="black", lw=2.4, label=f"best ({best})"))
    axes[0, -1].legend(handles=handles, fontsize=7)
    return _png(plt, fig)
