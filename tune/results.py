"""A finished campaign's results: one record per trial, the results table, the best
trial, and the best trial exported as a normal artifact directory.

The export is retrain-free: the best trial's final checkpoint holds the exact
loop state, so the artifact is rebuilt by restoring it and fitting the cluster
model on those weights — what the trial itself did when it finished.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from synth.errors import TrainingError
from tune.trainable import TrialSetup, load_state, train_run_state, train_trial

COMPLETED, STOPPED, ERROR = "completed", "stopped early", "error"


@dataclass
class TrialRecord:
    trial_id: str
    status: str  # completed | stopped early | error
    config: dict  # the trial's final config (after any PBT mutation)
    final: dict  # its last report
    curve: pd.DataFrame  # one row per epoch reported (a resumed epoch counted once)
    checkpoint: object = None  # ray.tune.Checkpoint of its latest state, or None
    error: str | None = None
    history: list[dict] = field(default_factory=list)  # loop history from the final checkpoint (filled lazily)

    @property
    def epochs_run(self) -> int:
        return int(self.final.get("epoch", 0) or 0)


def collect(grid) -> list[TrialRecord]:
    """ResultGrid → records, in trial order."""
    records = []
    for result in grid:
        metrics = dict(result.metrics or {})
        frame = result.metrics_dataframe
        if frame is None or "epoch" not in getattr(frame, "columns", ()):
            curve = pd.DataFrame({"epoch": []})
        else:  # a trial resumed from a checkpoint reports a few epochs twice: keep the last of each
            curve = frame.drop_duplicates("epoch", keep="last").sort_values("epoch").reset_index(drop=True)
        trial_id = metrics.get("trial_id") or Path(result.path).name
        error = None if result.error is None else str(result.error).strip().splitlines()[-1][:300]
        status = ERROR if error else (COMPLETED if metrics.get("training_complete") == 1 else STOPPED)
        records.append(
            TrialRecord(str(trial_id), status, dict(result.config or {}), metrics, curve, result.checkpoint, error)
        )
    return sorted(records, key=lambda r: r.trial_id)


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def results_frame(
    records: list[TrialRecord], *, searched: list[str], reported: list[str], metric: str, mode: str
) -> pd.DataFrame:
    """One row per trial: id, status, epochs run, its searched config, its final metrics and the
    best value of the campaign metric over its run; best trial first."""
    rows = []
    for r in records:
        row = {"trial_id": r.trial_id, "status": r.status, "epochs_run": r.epochs_run}
        row.update({k: _cell(r.config.get(k)) for k in searched})
        row.update({k: r.final.get(k) for k in reported if k not in ("epoch", "training_complete")})
        values = r.curve[metric].dropna() if metric in r.curve.columns else pd.Series(dtype=float)
        row[f"best_{metric}"] = (values.min() if mode == "min" else values.max()) if len(values) else None
        row["time_total_s"] = r.final.get("time_total_s")
        row["error"] = r.error
        rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    order = {COMPLETED: 0, STOPPED: 1, ERROR: 2}
    key = frame[metric] if metric in frame.columns else pd.Series(np.nan, index=frame.index)
    frame["_status"] = frame["status"].map(order)
    frame["_key"] = key if mode == "min" else -key
    frame = frame.sort_values(["_status", "_key"], na_position="last").drop(columns=["_status", "_key"])
    frame.insert(1, "rank", range(1, len(frame) + 1))
    return frame.reset_index(drop=True)


def _cell(value):
    return str(list(value)) if isinstance(value, (list, tuple)) else value


def check_metric_reported(records: list[TrialRecord], metric: str) -> None:
    if records and not any(metric in r.final for r in records):
        errors = [r.error for r in records if r.error]
        hint = f"; the first trial error was: {errors[0]}" if errors else ""
        raise TrainingError(f"no trial reported the metric {metric!r}{hint}")


def best_record(records: list[TrialRecord], *, metric: str, mode: str) -> TrialRecord:
    """The best trial among those that trained to the end (ASHA stops trials it judged worse
    at a rung, so a stopped trial is never exported) by its final value of ``metric``."""
    done = [r for r in records if r.status == COMPLETED and _finite(r.final.get(metric))]
    if not done:
        errors = [r.error for r in records if r.error]
        raise TrainingError(
            "no trial finished training with a finite "
            + repr(metric)
            + (f"; the first trial error was: {errors[0]}" if errors else "")
        )
    sign = 1 if mode == "min" else -1
    return min(done, key=lambda r: (sign * r.final[metric], r.trial_id))


def final_state(record: TrialRecord) -> dict:
    if record.checkpoint is None and record.final.get("checkpoint_path"):
        return train_run_state(record.final["checkpoint_path"])
    if record.checkpoint is None:
        raise TrainingError(f"trial {record.trial_id} left no checkpoint to export")
    with record.checkpoint.as_directory() as directory:
        return load_state(directory)


def load_histories(records: list[TrialRecord]) -> None:
    """Fill ``history`` of completed trials from their final checkpoints: the exact loop
    history, including epochs a PBT trial inherited from the trial it cloned."""
    for r in records:
        if r.status == COMPLETED and (r.checkpoint is not None or r.final.get("checkpoint_path")) and not r.history:
            r.history = list(final_state(r)["loop"]["history"])


def export_best(
    record: TrialRecord,
    setup: TrialSetup,
    out: str | Path,
    *,
    searched: list[str],
    reported: list[str],
    metric: str,
    mode: str,
    overwrite: bool = False,
) -> Path:
    """Write the best trial as an artifact directory (`latentsynth generate` / `serve` read it)."""
    state = final_state(record)
    syn = train_trial(record.config, setup, report=lambda metrics, state: None, state=state, export_only=True)
    syn.metrics_["tune"] = {
        "trial_id": record.trial_id,
        "metric": metric,
        "mode": mode,
        "value": record.final.get(metric),
        "epochs_run": record.epochs_run,
        "config": {k: _cell(record.config.get(k)) for k in searched},
        "final": {k: record.final[k] for k in reported if _finite(record.final.get(k))},
    }
    return syn.save(out, overwrite=overwrite)
