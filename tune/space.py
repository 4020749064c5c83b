"""The search space of a campaign: which ``SynthConfig`` fields vary, and how.

A space is a mapping from config field names to specs, written in YAML or JSON:

    latent_dim: [2, 3, 5, 8]                  # a list: choose one at random
    kl_schedule: {grid: [linear, cyclical]}   # every value, once per sample
    beta_max: {loguniform: [1.0e-4, 0.1]}     # log-uniform between the bounds
    lr: {uniform: [1.0e-4, 3.0e-3]}
    warmup_epochs: {randint: [5, 50]}         # integers, both ends included
    batch_size: 16                            # a scalar: fixed for every trial
    hidden: {choice: [[16, 8], [32, 16]]}     # tuple-valued fields need the explicit form

Keys are ``SynthConfig`` field names, so anything a model kind adds to the config
(a GAN's critic steps, say) can be searched without touching this module.
A user's file overrides the default space key by key.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, fields
from pathlib import Path

from synth.config import SynthConfig
from synth.errors import ConfigError
from synth.training.schedules import SCHEDULES, KLSchedule

KINDS = ("fixed", "choice", "grid", "uniform", "loguniform", "randint")
# Set elsewhere: --model picks the model, --epochs is the scheduler's budget.
NOT_SEARCHABLE = {"model": "--model", "epochs": "--epochs"}
# PBT copies weights between trials, so it may only mutate what leaves their shapes alone.
NOT_MUTABLE = {
    "latent_dim",
    "hidden",
    "channels",
    "output",
    "random_state",
    "model",
    "epochs",
    "na_tokens",
    "missing",
    "outlier_z",
    "clip",
    "drop_columns",
}
KL_KEYS = ("kl_schedule", "beta_max", "warmup_epochs", "kl_cycles")
# The VAE/GAN/FID report hand-tuned latent 5 for rows; images start larger.
LATENT_DIMS = {"tabular": [2, 3, 5, 8], "image": [8, 16, 32], "record": [4, 8, 16]}
# GAN knobs under the names a GAN kind is expected to give its SynthConfig fields; only
# those that exist in the running build's SynthConfig are searched.
GAN_SPACE = {"lr": {"loguniform": [5e-5, 5e-4]}, "critic_steps": [1, 3, 5], "gp_weight": {"loguniform": [1.0, 30.0]}}


@dataclass(frozen=True)
class Param:
    """One searched (or fixed) config field. ``values``: the choices, or (low, high)."""

    name: str
    kind: str
    values: tuple

    def to_ray(self):
        """The Ray Tune domain for this parameter (a plain value when fixed)."""
        from ray import tune as ray_tune

        if self.kind == "fixed":
            return self.values[0]
        if self.kind == "choice":
            return ray_tune.choice(list(self.values))
        if self.kind == "grid":
            return ray_tune.grid_search(list(self.values))
        low, high = self.values
        if self.kind == "uniform":
            return ray_tune.uniform(low, high)
        if self.kind == "loguniform":
            return ray_tune.loguniform(low, high)
        return ray_tune.randint(low, high + 1)  # Ray's upper bound is exclusive; ours is not

    def mutation(self):
        """What PBT may resample this parameter from (lists for discrete kinds)."""
        if self.kind in ("choice", "grid"):
            return list(self.values)
        return self.to_ray()

    def candidates(self) -> tuple:
        """Values to validate up front: every choice, or both bounds of a range."""
        return self.values

    def representative(self):
        """A value a one-epoch dry run can use: the first choice, or the geometric/arith. middle."""
        if self.kind in ("fixed", "choice", "grid"):
            return self.values[0]
        low, high = self.values
        if self.kind == "loguniform":
            return math.sqrt(low * high)
        if self.kind == "randint":
            return (low + high) // 2
        return (low + high) / 2

    def to_spec(self):
        """Back to the file form (campaign.json keeps the space it ran)."""
        if self.kind == "fixed":
            return {"fixed": _plain(self.values[0])}
        return {self.kind: [_plain(v) for v in self.values]}


Space = dict[str, Param]


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


def _tuple_fields() -> set[str]:
    return {f.name for f in fields(SynthConfig) if isinstance(f.default, tuple)}


def config_fields() -> list[str]:
    return sorted(f.name for f in fields(SynthConfig))


def parse_param(name: str, spec) -> Param:
    """One entry of a space file → Param; ConfigError naming the key on anything malformed."""
    if isinstance(spec, dict):
        if len(spec) != 1 or next(iter(spec)) not in KINDS:
            raise ConfigError(
                f"search space key {name!r}: a mapping must have exactly one of the keys "
                f"{list(KINDS)}, got {sorted(spec)}"
            )
        kind, values = next(iter(spec.items()))
        if kind == "fixed":
            return Param(name, kind, (values,))
    elif isinstance(spec, list) and name not in _tuple_fields():
        kind, values = "choice", spec
    else:
        return Param(name, "fixed", (spec,))
    if not isinstance(values, list):
        raise ConfigError(f"search space key {name!r}: {kind} takes a list, got {values!r}")
    if kind in ("choice", "grid"):
        if not values:
            raise ConfigError(f"search space key {name!r} has an empty {kind} list; give at least one value")
        return Param(name, kind, tuple(tuple(v) if isinstance(v, list) else v for v in values))
    return _range_param(name, kind, values)


def _range_param(name: str, kind: str, values: list) -> Param:
    if len(values) != 2 or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        raise ConfigError(f"search space key {name!r}: {kind} takes [low, high] numbers, got {values!r}")
    low, high = values
    if kind == "randint" and not all(isinstance(v, int) for v in values):
        raise ConfigError(f"search space key {name!r}: randint bounds must be integers, got {values!r}")
    if not low < high:
        raise ConfigError(f"search space key {name!r}: {kind} needs low < high, got [{low}, {high}]")
    if kind == "loguniform" and low <= 0:
        raise ConfigError(f"search space key {name!r}: loguniform needs low > 0, got {low}")
    return Param(name, kind, (low, high))


def parse_space(obj: dict, *, model: str) -> Space:
    """A whole space mapping → {name: Param}, each key and candidate value checked."""
    if not isinstance(obj, dict):
        raise ConfigError(f"a search space must be a mapping of config fields to specs, got {type(obj).__name__}")
    valid = [f for f in config_fields() if f not in NOT_SEARCHABLE]
    for name in obj:
        if name in NOT_SEARCHABLE:
            raise ConfigError(f"search space key {name!r} is set by {NOT_SEARCHABLE[name]}, not by the space")
        if name not in valid:
            raise ConfigError(f"unknown search space key {name!r}; valid keys are the config fields {valid}")
    space = {name: parse_param(name, spec) for name, spec in obj.items()}
    for param in space.values():
        check_values(param, model=model)
    return space


def check_values(param: Param, *, model: str) -> None:
    """Build a config (and KL schedule) with each candidate so a bad value fails now, not in a trial."""
    for value in param.candidates():
        try:
            cfg = SynthConfig.from_options(model=model, **{param.name: value})
            if param.name in KL_KEYS:
                KLSchedule(
                    cfg.kl_schedule,
                    1e-4 if cfg.beta_max is None else cfg.beta_max,
                    100 if cfg.warmup_epochs is None else cfg.warmup_epochs,
                    cfg.kl_cycles,
                )
        except ConfigError as exc:
            raise ConfigError(f"search space key {param.name!r}: value {value!r} is not valid: {exc}") from None
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"search space key {param.name!r}: value {value!r} is not valid: {exc}") from None


def default_space(*, family: str, variational: bool, data_kind: str, epochs: int) -> dict:
    """The space searched when the user gives none (file form). Autoencoders: latent size,
    learning rate and — for a VAE — the KL schedule, β_max and warm-up length."""
    if family == "autoencoder":
        space = {
            "latent_dim": list(LATENT_DIMS.get(data_kind, LATENT_DIMS["tabular"])),
            "lr": {"loguniform": [3e-4, 3e-3]},
        }
        if variational:
            warmups = sorted({max(1, round(epochs * f)) for f in (0.1, 0.25, 0.5)})
            space.update(
                {"kl_schedule": list(SCHEDULES), "beta_max": {"loguniform": [1e-4, 1e-1]}, "warmup_epochs": warmups}
            )
        return space
    known = set(config_fields())
    space = {k: v for k, v in GAN_SPACE.items() if k in known}
    if len(space) <= 1:
        raise ConfigError(
            f"there is no default search space for a {family} model in this build "
            f"(config fields {sorted(GAN_SPACE)} are not all defined); give one with --space FILE"
        )
    return space


def load_space_file(path: str | Path) -> dict:
    """Read a YAML or JSON space file (JSON is valid YAML, so one reader does both)."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"search space file not found: {path}")
    try:
        obj = json.loads(path.read_text()) if path.suffix.lower() == ".json" else yaml.safe_load(path.read_text())
    except (json.JSONDecodeError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"search space file {path} could not be parsed: {str(exc).splitlines()[0]}") from None
    if not isinstance(obj, dict) or not obj:
        raise ConfigError(f"search space file {path} must hold a non-empty mapping of config fields to specs")
    return obj


def build_space(*, model: str, defaults: dict, overrides: dict | None = None, fixed: dict | None = None) -> Space:
    """Defaults ⊕ the user's file (key by key) ⊕ --set options (fixed), validated."""
    merged = {**defaults, **(overrides or {})}
    for name, value in (fixed or {}).items():
        merged[name] = {"fixed": value}
    return parse_space(merged, model=model)


def to_param_space(space: Space) -> dict:
    return {name: p.to_ray() for name, p in space.items()}


def mutations(space: Space) -> dict:
    """PBT's hyperparam_mutations: every searched parameter that keeps the weights' shapes."""
    return {name: p.mutation() for name, p in space.items() if p.kind != "fixed" and name not in NOT_MUTABLE}


def searched(space: Space) -> list[str]:
    return [name for name, p in space.items() if p.kind != "fixed"]


def space_to_spec(space: Space) -> dict:
    return {name: p.to_spec() for name, p in space.items()}


def representative_config(space: Space) -> dict:
    return {name: p.representative() for name, p in space.items()}


def trial_count(space: Space, num_samples: int) -> int:
    """Trials Tune will run: num_samples × the product of the grid sizes."""
    return num_samples * math.prod(len(p.values) for p in space.values() if p.kind == "grid")
