"""What a finished campaign leaves in its output directory:

results.csv           one row per trial: config, final metrics, epochs run, status
report.md             which latent size and KL schedule, and why (tune.report)
metric_by_<key>.png   the campaign metric against latent size, one colour per KL schedule
beta_curves.png       β(t) of the top trials
learning_curves.png   the metric and the validation reconstruction per epoch, every trial
best_model/           the best trial as an artifact directory (generate / serve / evaluate)
campaign.json         the campaign's settings and the best trial
"""

from __future__ import annotations

import json
from pathlib import Path

from tune import plots
from tune.report import campaign_markdown
from tune.results import (
    COMPLETED,
    best_record,
    check_metric_reported,
    collect,
    export_best,
    load_histories,
    results_frame,
)
from tune.space import searched as searched_keys
from tune.space import space_to_spec

TOP_BETA_CURVES = 5


def write_outputs(grid, prepared, out: str | Path, *, reported: list[str], overwrite: bool = False) -> dict:
    """Results table, figures, report and the best model; returns a summary dict."""
    spec, out = prepared.spec, Path(out)
    metric, mode = spec.metric, spec.resolved_mode
    records = collect(grid)
    check_metric_reported(records, metric)
    searched = searched_keys(prepared.space)
    frame = results_frame(records, searched=searched, reported=reported, metric=metric, mode=mode)
    best = best_record(records, metric=metric, mode=mode)
    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / "results.csv", index=False)
    export_best(
        best,
        prepared.setup,
        out / "best_model",
        searched=searched,
        reported=reported,
        metric=metric,
        mode=mode,
        overwrite=overwrite,
    )
    rank = {trial_id: i for i, trial_id in enumerate(frame["trial_id"])}
    ranked = sorted((r for r in records if r.status == COMPLETED), key=lambda r: rank[r.trial_id])[:TOP_BETA_CURVES]
    load_histories(ranked)
    figures = _figures(frame, records, ranked, out, searched=searched, metric=metric, mode=mode, best_id=best.trial_id)
    best_info = {
        "trial_id": best.trial_id,
        "config": {k: best.config.get(k) for k in searched},
        "final": {k: best.final.get(k) for k in reported},
        "epochs_run": best.epochs_run,
    }
    settings = {
        "source": spec.source,
        "model": spec.model,
        "epochs": spec.epochs,
        "seed": spec.seed,
        "scheduler": spec.scheduler,
        "scheduler_detail": _scheduler_detail(spec, prepared),
        "metric": metric,
        "mode": mode,
        "beta_ref": spec.beta_ref,
        "metrics_every": spec.metrics_every,
        "space": json.dumps(space_to_spec(prepared.space)),
    }
    (out / "report.md").write_text(
        campaign_markdown(
            frame,
            settings=settings,
            best=best_info,
            searched=searched,
            figures=figures,
            curves={r.trial_id: r.curve for r in records},
        )
    )
    summary = {
        "trials": len(records),
        "completed": int((frame["status"] == COMPLETED).sum()),
        "epochs_run": int(frame["epochs_run"].sum()),
        "epochs_budget": len(records) * spec.epochs,
        "best": best_info,
        "spec": json.loads(spec.to_json()),
        "out": str(out),
    }
    (out / "campaign.json").write_text(json.dumps(summary, indent=2, default=str))
    return summary


def _scheduler_detail(spec, prepared) -> str:
    if spec.scheduler == "asha":
        return (
            f"ASHA on `epoch`, max {spec.epochs}, grace period {spec.grace_period}, reduction factor "
            f"{spec.reduction_factor}"
        )
    return (
        f"PBT on `epoch`, perturbation interval {prepared.setup.checkpoint_every} epochs, "
        "mutating the searched training parameters (not the network's shape)"
    )


def _figures(frame, records, ranked, out: Path, *, searched, metric, mode, best_id) -> dict[str, str]:
    figures = {}
    x = "latent_dim" if "latent_dim" in searched else (searched[0] if searched else None)
    group = "kl_schedule" if "kl_schedule" in searched and x != "kl_schedule" else None
    if x is not None and metric in frame.columns:
        name = f"metric_by_{x}.png"
        (out / name).write_bytes(plots.metric_by_param_png(frame, x=x, group=group, metric=metric, mode=mode))
        figures[name] = f"final {metric} per trial against {x}" + (f", one colour per {group}" if group else "")
    curves = [
        (f"{r.trial_id} ({_label(r.config)})", [h["epoch"] for h in r.history], [h["beta"] for h in r.history])
        for r in ranked
        if r.history and "beta" in r.history[0]
    ]
    if curves:
        (out / "beta_curves.png").write_bytes(plots.beta_curves_png(curves))
        figures["beta_curves.png"] = f"β(t) of the top {len(curves)} trials (the schedule their weights followed)"
    shown = [m for m in dict.fromkeys([metric, "val_recon"]) if any(m in r.curve.columns for r in records)]
    if shown:
        key = group or x
        groups = {r.trial_id: f"{key}={r.config.get(key)}" if key else "" for r in records}
        (out / "learning_curves.png").write_bytes(
            plots.learning_curves_png(
                {r.trial_id: r.curve for r in records}, metrics=shown, groups=groups, best=best_id
            )
        )
        figures["learning_curves.png"] = (
            "per-epoch " + " and ".join(shown) + " of every trial; short lines were stopped early; thick: the best"
        )
    return figures


def _label(config: dict) -> str:
    return ", ".join(
        f"{k}={config[k]:.3g}" if isinstance(config[k], float) else f"{k}={config[k]}"
        for k in ("latent_dim", "kl_schedule", "beta_max", "warmup_epochs")
        if k in config
    )
