"""KL weight schedules β(t) for the VAE's ELBO = recon + β(t)·KL.

``linear`` ramps β from 0 to β_max over the warm-up epochs, then holds it (the
synthetic-data project report's VAE recipe, §4.4.1, ramps to 0.01 over 100 epochs).
``sigmoid`` is the same ramp as a logistic curve. ``cyclical`` is Fu et al. (2019):
repeat a ramp-then-hold cycle ``n_cycles`` times so the encoder gets several chances to
use the latent before KL bites.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from synth.errors import ConfigError

SCHEDULES = ("constant", "linear", "sigmoid", "cyclical")


@dataclass(frozen=True)
class KLSchedule:
    kind: str = "linear"
    beta_max: float = 0.01
    warmup_epochs: int = 100  # linear / sigmoid: epochs to reach beta_max
    n_cycles: int = 4  # cyclical: cycles over the whole run
    ratio: float = 0.5  # cyclical: share of each cycle spent ramping up

    def __post_init__(self):
        if self.kind not in SCHEDULES:
            raise ConfigError(f"unknown KL schedule {self.kind!r}; choose one of {list(SCHEDULES)}")
        if not self.beta_max >= 0:
            raise ConfigError(f"beta_max must be ≥ 0, got {self.beta_max!r}")
        if self.warmup_epochs < 0 or self.n_cycles < 1 or not 0 < self.ratio <= 1:
            raise ConfigError(
                "KL schedule needs warmup_epochs ≥ 0, n_cycles ≥ 1 and 0 < ratio ≤ 1, got "
                f"{self.warmup_epochs}, {self.n_cycles}, {self.ratio}"
            )

    def __call__(self, epoch: int, total_epochs: int) -> float:
        """β for 0-based ``epoch`` of a run of ``total_epochs``."""
        if self.kind == "constant":
            return float(self.beta_max)
        if self.kind == "cyclical":
            period = max(total_epochs / self.n_cycles, 1.0)
            tau = (epoch % period) / period
            return float(self.beta_max * min(1.0, tau / self.ratio))
        if self.warmup_epochs == 0:
            return float(self.beta_max)
        progress = epoch / self.warmup_epochs
        if self.kind == "linear":
            return float(self.beta_max * min(1.0, progress))
        # sigmoid: centred half-way through the warm-up, ≈1 % and ≈99 % at its ends
        return float(self.beta_max / (1.0 + math.exp(-10.0 * (min(progress, 1.5) - 0.5))))

    @property
    def settled_epoch(self) -> int:
        """First epoch from which β no longer changes (early stopping waits for it)."""
        return 0 if self.kind in ("constant", "cyclical") else self.warmup_epochs
