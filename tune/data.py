"""The data a campaign trains and judges every trial on.

One seeded, stratified hold-out split for the whole campaign (the same split
`latentsynth train` would make with that seed and fraction, recorded the same
way), so every trial sees the same training rows, is scored on the same unseen
rows, and the exported best model can be checked with `latentsynth evaluate`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from synth.config import SynthConfig
from synth.data.prepare import cleaning_options
from synth.data.sources import RawData, load_source
from synth.data.split import fingerprint, holdout_split
from synth.data.tabular import clean_table
from synth.errors import ConfigError


@dataclass
class CampaignData:
    source: str
    kind: str  # "tabular" | "image"
    X_fit: pd.DataFrame | np.ndarray  # LatentSynthesizer.fit(X_fit, y_fit)
    y_fit: object  # label column name, labels, or None
    holdout: RawData  # held-out rows as loaded (cleaned per trial config)
    unlabelled: bool
    split: dict  # what `latentsynth train` records in model.json

    def holdout_rows(self, config: SynthConfig) -> tuple[pd.DataFrame | np.ndarray, np.ndarray | None]:
        """Held-out rows in original units, cleaned like training but without the outlier
        filter (unseen rows are never dropped for being unusual); labels or None."""
        part = self.holdout
        if part.kind != "tabular":
            return part.data, (None if self.unlabelled else part.labels)
        options = replace(cleaning_options(config), outlier_z=None, allow_drop=True)
        frame, y, _ = clean_table(part.data, label=part.label_column, options=options)
        return frame, (None if self.unlabelled or y is None else y.to_numpy())


def _fit_inputs(raw: RawData, *, unlabelled: bool):
    if raw.kind == "tabular":
        if unlabelled and raw.label_column is not None:
            return raw.data.drop(columns=[raw.label_column]), None
        return raw.data, raw.label_column
    return raw.data, (None if unlabelled else raw.labels)


def load_campaign_data(
    source: str, *, label: str | None, unlabelled: bool, holdout: float, seed: int, raw: RawData | None = None
) -> CampaignData:
    """Load ``source`` (embedded name or CSV) and split off ``holdout`` of it with ``seed``."""
    if not 0 < holdout < 1:
        raise ConfigError(f"a campaign scores trials on held-out rows, so --holdout must be in (0, 1), got {holdout}")
    raw = raw or load_source(source, label=label)
    train, test = holdout_split(raw, test_size=holdout, seed=seed)
    X, y = _fit_inputs(train, unlabelled=unlabelled)
    split = {
        "source": source,
        "label": label,
        "unlabelled": unlabelled,
        "holdout": holdout,
        "seed": seed,
        "fingerprint": fingerprint(raw),
    }
    return CampaignData(source, raw.kind, X, y, test, unlabelled, split)
