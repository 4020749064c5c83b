"""latentsynth tune"""

from __future__ import annotations

import argparse
from pathlib import Path

from latentsynth.commands.args import UsageError, fraction, non_negative_int, parse_set, positive_int

# argparse dest → CampaignSpec field, for the options that define a campaign (a resume keeps them)
SPEC_OPTIONS = {
    "data": "source",
    "model": "model",
    "label": "label",
    "holdout": "holdout",
    "num_samples": "num_samples",
    "epochs": "epochs",
    "scheduler": "scheduler",
    "metric": "metric",
    "mode": "mode",
    "seed": "seed",
    "beta_ref": "beta_ref",
    "metrics_every": "metrics_every",
    "grace_period": "grace_period",
    "reduction_factor": "reduction_factor",
    "perturbation_interval": "perturbation_interval",
    "cpus_per_trial": "cpus_per_trial",
    "pbt_synch": "pbt_synch",
    "workers_per_trial": "workers_per_trial",
}


def _given(args) -> dict:
    """The campaign-defining options the user typed (None means 'not given')."""
    spec = {field: getattr(args, dest) for dest, field in SPEC_OPTIONS.items() if getattr(args, dest) is not None}
    if args.unlabelled:
        spec["unlabelled"] = True
    if args.space is not None:
        from tune.space import load_space_file

        spec["space"] = load_space_file(args.space)
    if args.extra:
        try:
            spec["fixed"] = parse_set(args.extra)
        except argparse.ArgumentTypeError as exc:
            raise UsageError(str(exc)) from None
    return spec


def _check_resume(given: dict, spec) -> None:
    for field, value in given.items():
        if getattr(spec, field) != value:
            raise UsageError(
                f"{field} = {value!r} differs from the campaign being resumed ({field} = "
                f"{getattr(spec, field)!r}); a resumed campaign keeps its settings — drop the option, "
                "or start a new campaign with another --name"
            )


def _init_ray(args) -> bool:
    """Connect to --address, or start a local Ray; reuse one already running. True if we started it."""
    import os

    import ray

    if ray.is_initialized():
        return False
    # Checkpoints every few epochs force experiment snapshots; Tune's warning about that is noise here.
    os.environ.setdefault("TUNE_WARN_EXCESSIVE_EXPERIMENT_CHECKPOINT_SYNC_THRESHOLD_S", "0")
    options = {"address": args.address} if args.address else {"num_cpus": args.num_cpus}
    ray.init(include_dashboard=False, log_to_driver=False, **options)
    return True


def run(args) -> int:
    from synth.errors import TrainingError
    from tune import campaign
    from tune.campaign import CampaignSpec
    from tune.outputs import write_outputs

    out = Path(args.out)
    storage = Path(args.storage_path) if args.storage_path else out / "ray"
    given = _given(args)
    if args.resume:
        spec, reported = campaign.load_spec(storage, args.name)
        _check_resume(given, spec)
        prepared = campaign.prepare(spec, dry_run=False)
    else:
        if "source" not in given:
            raise UsageError("--data is required (unless --resume continues a saved campaign)")
        if out.exists() and any(p.name != "ray" for p in out.iterdir()) and not args.force:
            raise UsageError(f"{out} already exists and is not empty; choose another --out or pass --force")
        prepared = campaign.prepare(CampaignSpec(**given, max_concurrent=args.max_concurrent))
        reported = prepared.reported
        print(
            f"campaign: {prepared.n_trials} trials of {prepared.spec.model} on {prepared.spec.source}, "
            f"{prepared.spec.epochs} epochs max, {prepared.spec.scheduler}, metric {prepared.spec.metric} "
            f"({prepared.spec.resolved_mode}); Tune state in {campaign.experiment_path(storage, args.name)}",
            flush=True,
        )
    started = _init_ray(args)
    try:
        from ray.tune import TuneError

        try:
            grid = (
                campaign.resume(prepared, storage_path=storage, name=args.name)
                if args.resume
                else campaign.run(prepared, storage_path=storage, name=args.name, verbose=0 if args.quiet else 1)
            )
        except TuneError as exc:
            raise TrainingError(f"the campaign failed: {str(exc).splitlines()[0]}") from None
        left = campaign.unfinished(storage, args.name)
        if left:
            print(
                f"latentsynth tune: interrupted with {left} of {len(grid)} trials unfinished; continue with "
                f"`latentsynth tune --resume --out {out} --storage-path {storage} --name {args.name}`"
            )
            return 130
        summary = write_outputs(grid, prepared, out, reported=reported, overwrite=args.force or args.resume)
    finally:
        if started:
            import ray

            ray.shutdown()
    _print_summary(summary, out)
    return 0


def _print_summary(summary: dict, out: Path) -> None:
    import pandas as pd

    best = summary["best"]
    frame = pd.read_csv(out / "results.csv")
    metric = summary["spec"]["metric"]
    columns = ["rank", "trial_id", "status", "epochs_run", *best["config"], metric]
    print(frame[[c for c in columns if c in frame.columns]].head(8).to_string(index=False))
    print(
        f"{summary['trials']} trials, {summary['completed']} trained to the end, {summary['epochs_run']} of "
        f"{summary['epochs_budget']} epochs run; best {best['trial_id']}: "
        + ", ".join(f"{k}={v}" for k, v in best["config"].items())
        + f" → {metric} {best['final'].get(metric):.4g}"
    )
    print(f"results.csv, report.md, plots and best_model/ → {out}")


def register(sub) -> None:
    p = sub.add_parser(
        "tune",
        help="hyper-parameter campaign with Ray Tune (latent size, KL schedule, …); "
        "writes results.csv, report.md, plots and the best model",
    )
    g = p.add_argument_group("data")
    g.add_argument("--data", help="embedded name (iris, wine, breast_cancer, digits) or a CSV path")
    g.add_argument("--label", help="label column of a CSV")
    g.add_argument("--unlabelled", action="store_true", help="ignore labels; cluster the latent space instead")
    g.add_argument("--holdout", type=fraction, help="share of rows held out to score trials (default 0.2)")
    g = p.add_argument_group("campaign")
    g.add_argument("--model", help="model kind (default vae)")
    g.add_argument("--num-samples", type=positive_int, help="trials to sample (× every grid; default 8)")
    g.add_argument(
        "--epochs",
        type=positive_int,
        help="epochs per trial, the scheduler's budget (default 300 for tables, 60 for images)",
    )
    g.add_argument(
        "--scheduler",
        choices=["asha", "pbt"],
        help="ASHA early stopping (default) or "
        "population-based training, which changes the KL schedule, β_max and lr mid-run",
    )
    g.add_argument("--space", metavar="FILE", help="YAML/JSON search space; its keys override the default space")
    g.add_argument(
        "--set",
        dest="extra",
        action="append",
        metavar="KEY=VALUE",
        help="fix a config field for every trial, e.g. --set batch_size=16",
    )
    g.add_argument(
        "--metric",
        help="what to optimise: any reported metric, e.g. val_elbo, car, latent_fd_rel, c2st_auc "
        "(default objective = val ELBO at β_ref × (2 − CAR))",
    )
    g.add_argument("--mode", choices=["min", "max"], help="default: max for car, min otherwise")
    g.add_argument(
        "--seed",
        type=non_negative_int,
        help="random_state of every trial, the hold-out split and the search's sampling (default 0)",
    )
    g.add_argument("--beta-ref", type=float, help="β at which validation ELBOs are compared (default 0.01)")
    g.add_argument("--metrics-every", type=positive_int, help="epochs between CAR / latent FD probes (default 5)")
    g.add_argument(
        "--grace-period",
        type=positive_int,
        help="ASHA: epochs before a trial may be stopped "
        "(default: the longest KL warm-up searched, within [epochs/10, epochs/2])",
    )
    g.add_argument("--reduction-factor", type=positive_int, help="ASHA: keep 1/N at each rung (default 3)")
    g.add_argument(
        "--perturbation-interval", type=positive_int, help="PBT: epochs between perturbations (default epochs/10)"
    )
    g.add_argument(
        "--pbt-synch",
        action="store_true",
        default=None,
        help="PBT: perturb all trials together at each interval (every weak trial is replaced; "
        "slower, as trials wait for each other)",
    )
    g = p.add_argument_group("resources and state")
    g.add_argument("--max-concurrent", type=positive_int, help="trials running at once (default: as CPUs allow)")
    g.add_argument("--cpus-per-trial", type=float, help="CPUs reserved per trial (default 1; 0.5 packs two per core)")
    g.add_argument(
        "--workers-per-trial",
        type=non_negative_int,
        help="run each trial as a Ray Train job with this many workers (default 0: in the trial)",
    )
    g.add_argument("--address", help="Ray cluster to run on (default: start a local Ray)")
    g.add_argument("--num-cpus", type=positive_int, help="CPUs of the local Ray (default: all)")
    g.add_argument(
        "--storage-path",
        help="where Tune keeps trial state and checkpoints (default OUT/ray); "
        "on a multi-node cluster, a path every node can reach",
    )
    g.add_argument("--name", default="campaign", help="campaign name under --storage-path (default campaign)")
    g.add_argument(
        "--resume",
        action="store_true",
        help="continue the interrupted campaign at --storage-path/--name; finished trials are kept",
    )
    g.add_argument("--out", required=True, help="output directory: results.csv, report.md, plots, best_model/")
    g.add_argument("--force", action="store_true", help="replace the outputs of an earlier campaign in --out")
    g.add_argument("--quiet", action="store_true", help="no Tune progress tables")
    p.set_defaults(func=run)
