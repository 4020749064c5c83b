"""The campaign report (markdown): the user's question — which latent size and KL
schedule, and why — answered with the numbers from the results table.

Pure: a results frame and the campaign's settings in, text out. "Why" compares
the best trial of the chosen value with the best trial of every other value
on the parts of the objective: reconstruction, KL (how close the latent is to
N(0, I)), and CAR (do samples stay in their cluster).
"""

from __future__ import annotations

import math

import pandas as pd

COMPLETED = "completed"
PARTS = ("val_elbo", "val_recon", "val_kl", "car", "latent_fd_rel")
TIE = 0.02  # best values closer than 2 % are reported as a tie


def _num(value, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def _gap(other: float, best: float, mode: str) -> float:
    """How much worse ``other`` is than ``best``, as a fraction of |best| (≥ 0 when worse)."""
    scale = abs(best) if best else 1.0
    return ((other - best) if mode == "min" else (best - other)) / scale


def group_table(frame: pd.DataFrame, key: str, *, metric: str, mode: str) -> pd.DataFrame:
    """Per value of ``key``: the best completed trial's numbers, and trial counts."""
    rows = []
    for value, part in frame.groupby(key, sort=True):
        done = part[(part["status"] == COMPLETED) & part[metric].notna()]
        row = {key: value, "trials": len(part), "completed": len(done)}
        if len(done):
            best = done.loc[done[metric].idxmin() if mode == "min" else done[metric].idxmax()]
            row.update(
                {
                    "best " + metric: best[metric],
                    "trial": best["trial_id"],
                    **{p: best.get(p) for p in PARTS if p in done.columns and p != metric},
                }
            )
        rows.append(row)
    return pd.DataFrame(rows)


def _reasons(other: pd.Series, chosen: pd.Series) -> list[str]:
    """What differs between two trials, in the objective's terms (5 % / 0.02 CAR thresholds)."""
    out = []
    if "val_recon" in other and _rel(other["val_recon"], chosen["val_recon"]) > 0.05:
        out.append(f"reconstructs worse (val recon {_num(other['val_recon'])} vs {_num(chosen['val_recon'])})")
    elif "val_recon" in other and _rel(other["val_recon"], chosen["val_recon"]) < -0.05:
        out.append(f"reconstructs better (val recon {_num(other['val_recon'])} vs {_num(chosen['val_recon'])})")
    if "val_kl" in other and abs(_rel(other["val_kl"], chosen["val_kl"])) > 0.10:
        word = "further from" if other["val_kl"] > chosen["val_kl"] else "closer to"
        out.append(f"its latent is {word} N(0, I) (KL {_num(other['val_kl'])} vs {_num(chosen['val_kl'])})")
    if "car" in other and _finite(other["car"]) and _finite(chosen["car"]):
        if other["car"] < chosen["car"] - 0.02:
            out.append(f"fewer of its samples stay in their cluster (CAR {other['car']:.3f} vs {chosen['car']:.3f})")
        elif other["car"] > chosen["car"] + 0.02:
            out.append(f"more of its samples stay in their cluster (CAR {other['car']:.3f} vs {chosen['car']:.3f})")
    return out


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _rel(a, b) -> float:
    if not (_finite(a) and _finite(b)):
        return 0.0
    return (a - b) / abs(b) if b else 0.0


def compare(
    frame: pd.DataFrame,
    key: str,
    chosen_value,
    *,
    metric: str,
    mode: str,
    curves: dict[str, pd.DataFrame] | None = None,
) -> list[str]:
    """One bullet per other value of ``key``: its best trial against the chosen one. A value whose
    trials were all stopped early is compared at the epoch where the scheduler stopped it."""
    table = group_table(frame, key, metric=metric, mode=mode)
    col = "best " + metric
    if col not in table.columns:
        return []
    chosen = table[table[key].astype(str) == str(chosen_value)]
    if chosen.empty or pd.isna(chosen.iloc[0][col]):
        return []
    chosen = chosen.iloc[0]
    lines = []
    for _, other in table.iterrows():
        if str(other[key]) == str(chosen_value):
            continue
        if pd.isna(other.get(col)):
            part = frame[frame[key].astype(str) == str(other[key])]
            lines.append(
                f"- {key} = {other[key]}: "
                + _stopped(part, chosen["trial"], metric=metric, mode=mode, curves=curves or {})
            )
            continue
        gap = _gap(other[col], chosen[col], mode)
        reasons = _reasons(other, chosen)
        because = (
            ("; " + "; ".join(reasons))
            if reasons
            else ("; no single part differs much (reconstruction and KL within 5–10 %, CAR within 0.02)")
        )
        tie = " — within 2 %, a tie on this data" if abs(gap) < TIE else ""
        lines.append(
            f"- {key} = {other[key]}: best {metric} {_num(other[col])} "
            f"({gap:+.1%} vs {_num(chosen[col])}){tie}{because}"
        )
    return lines


def _stopped(part: pd.DataFrame, chosen_id: str, *, metric: str, mode: str, curves: dict) -> str:
    """Why a value whose trials never finished lost: its furthest trial against the chosen
    trial at the same epoch (the comparison ASHA made)."""
    ran = part[part[metric].notna()]
    if ran.empty:
        return f"no trial trained to the end ({len(part)} started, none reported {metric})"
    ran = ran.assign(_key=ran[metric] if mode == "min" else -ran[metric])
    furthest = ran.sort_values(["epochs_run", "_key"], ascending=[False, True]).iloc[0]
    epoch = int(furthest["epochs_run"])
    text = (
        f"no trial trained to the end ({len(part)} started); the furthest, `{furthest['trial_id']}`, was "
        f"stopped at epoch {epoch} with {metric} {_num(furthest[metric])}"
    )
    curve = curves.get(chosen_id)
    if curve is not None and metric in curve.columns and (curve["epoch"] == epoch).any():
        then = float(curve.loc[curve["epoch"] == epoch, metric].iloc[-1])
        gap = _gap(furthest[metric], then, mode)
        text += f", where the chosen trial had {_num(then)} ({abs(gap):.1%} {'worse' if gap > 0 else 'better'})"
    return text


def _table(frame: pd.DataFrame, columns: list[str]) -> list[str]:
    columns = [c for c in columns if c in frame.columns]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for _, row in frame.iterrows():
        lines.append("| " + " | ".join(_num(row[c]) if not isinstance(row[c], str) else row[c] for c in columns) + " |")
    return lines


def campaign_markdown(
    frame: pd.DataFrame,
    *,
    settings: dict,
    best: dict,
    searched: list[str],
    figures: dict[str, str],
    curves: dict[str, pd.DataFrame] | None = None,
) -> str:
    """The report. ``settings``: source, model, epochs, scheduler, metric, mode, beta_ref, space,
    n_trials; ``best``: the exported trial's id, config and final metrics; ``figures``:
    {file name: caption}; ``curves``: per-epoch reports by trial id."""
    metric, mode, epochs = settings["metric"], settings["mode"], settings["epochs"]
    n = len(frame)
    done = int((frame["status"] == COMPLETED).sum())
    stopped = int((frame["status"] == "stopped early").sum())
    errored = int((frame["status"] == "error").sum())
    ran = int(frame["epochs_run"].sum())
    cfg, fin = best["config"], best["final"]
    lines = [
        f"# Tune campaign: {settings['model']} on {settings['source']}",
        "",
        "## Which latent size and KL schedule, and why",
        "",
    ]
    pick = ", ".join(f"{k} = {_num(cfg[k])}" for k in ("latent_dim", "kl_schedule") if k in cfg)
    rest = ", ".join(f"{k} = {_num(cfg[k])}" for k in searched if k not in ("latent_dim", "kl_schedule"))
    lines += [
        f"**Use {pick or 'the best trial'}**" + (f" (with {rest})" if rest else "") + ".",
        "",
        f"Trial `{best['trial_id']}` has the best {metric} ({'lowest' if mode == 'min' else 'highest'} "
        f"is best) of the {done} trials that trained to the end: **{_num(fin.get(metric))}**"
        + _parts(fin, settings["beta_ref"])
        + f", after {best['epochs_run']} epochs.",
        "",
    ]
    for key in ("latent_dim", "kl_schedule"):
        if key in searched and key in cfg:
            bullets = compare(frame, key, cfg[key], metric=metric, mode=mode, curves=curves)
            if bullets:
                lines += [f"Why {key} = {_num(cfg[key])} — the best trial of each other value:", "", *bullets, ""]
    lines += _robustness(frame, metric=metric, mode=mode)
    lines += [
        "## Early stopping",
        "",
        f"{n} trials: {done} trained all {epochs} epochs, {stopped} stopped early by the scheduler "
        f"({settings['scheduler']}), {errored} failed. Epochs run: **{ran}** of a budget of "
        f"{n} × {epochs} = {n * epochs} ({ran / max(1, n * epochs):.0%}).",
        "",
        *_warmup_caveat(frame),
    ]
    for key in ("latent_dim", "kl_schedule"):
        if key in searched:
            table = group_table(frame, key, metric=metric, mode=mode)
            lines += [
                f"### By {key} (best completed trial of each)",
                "",
                *_table(table, [key, "trials", "completed", "best " + metric, *PARTS, "trial"]),
                "",
            ]
    top = frame.head(10)
    lines += [
        "## Top trials",
        "",
        *_table(
            top, ["rank", "trial_id", "status", "epochs_run", *searched, metric, *[p for p in PARTS if p != metric]]
        ),
        "",
    ]
    if errored:
        lines += [
            "Failed trials: "
            + "; ".join(f"`{r.trial_id}`: {r.error}" for r in frame[frame["status"] == "error"].itertuples()),
            "",
        ]
    lines += ["## Figures", ""] + [f"![{caption}]({name})  \n*{caption}*" for name, caption in figures.items()]
    lines += [
        "",
        "## Settings",
        "",
        f"- data `{settings['source']}`, model `{settings['model']}`, "
        f"{epochs} epochs per trial, seed {settings['seed']}",
        f"- scheduler {settings['scheduler']}: {settings['scheduler_detail']}",
        f"- metric `{metric}` ({mode}); objective = (val_recon + β_ref·val_kl) · (2 − CAR), "
        f"β_ref = {settings['beta_ref']}; CAR and latent FD probed every {settings['metrics_every']} epochs "
        "on a held-out split",
        f"- search space: `{settings['space']}`",
    ]
    return "\n".join(lines) + "\n"


def _parts(fin: dict, beta_ref: float) -> str:
    bits = []
    if _finite(fin.get("val_elbo")) and _finite(fin.get("val_recon")):
        bits.append(
            f"val ELBO {_num(fin['val_elbo'])} = recon {_num(fin['val_recon'])} + {beta_ref}·KL "
            f"{_num(fin.get('val_kl', 0.0))}"
        )
    if _finite(fin.get("car")):
        bits.append(f"CAR {fin['car']:.3f}")
    if _finite(fin.get("latent_fd_rel")):
        bits.append(f"relative latent FD {_num(fin['latent_fd_rel'], 3)}")
    return f" ({'; '.join(bits)})" if bits else ""


def _warmup_caveat(frame: pd.DataFrame) -> list[str]:
    """Trials stopped while β was still warming up were judged mid-schedule: say so."""
    if not {"kl_schedule", "warmup_epochs"} <= set(frame.columns):
        return []
    early = frame[
        (frame["status"] == "stopped early")
        & frame["kl_schedule"].isin(["linear", "sigmoid"])
        & (frame["warmup_epochs"] > frame["epochs_run"])
    ]
    if early.empty:
        return []
    return [
        f"{len(early)} trial(s) were stopped before their KL warm-up ended ("
        + ", ".join(
            f"`{r.trial_id}` at epoch {r.epochs_run} of a {r.warmup_epochs}-epoch warm-up" for r in early.itertuples()
        )
        + "): they were judged mid-schedule. A grace period at least as long as the longest warm-up "
        "(`--grace-period`), or PBT, compares schedules on equal terms.",
        "",
    ]


def _robustness(frame: pd.DataFrame, *, metric: str, mode: str) -> list[str]:
    done = frame[(frame["status"] == COMPLETED) & frame[metric].notna()]
    if len(done) < 2:
        return ["Only one trial trained to the end, so there is nothing to compare it with; run more samples.", ""]
    ordered = done.sort_values(metric, ascending=(mode == "min"))
    first, second = ordered.iloc[0], ordered.iloc[1]
    gap = _gap(second[metric], first[metric], mode)
    seeds = (
        "repeat the top settings with `random_state: {grid: [0, 1, 2]}` in the space file to see whether "
        "the order holds"
    )
    if gap < TIE:
        return [
            f"The runner-up (`{second['trial_id']}`) is within {gap:.1%} — close enough that another seed "
            f"could swap them; {seeds}.",
            "",
        ]
    if gap < 2.5 * TIE:
        return [
            f"The runner-up (`{second['trial_id']}`) is {gap:.1%} worse — a small margin from one seed per "
            f"setting; {seeds}.",
            "",
        ]
    return [f"The runner-up (`{second['trial_id']}`) is {gap:.1%} worse.", ""]
