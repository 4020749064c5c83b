"""Which columns of a table the fidelity metrics compare, and in what form.

A fitted table model keeps some columns out of the latent space by design: an
identifier gets fresh values of the same shape (never the real ones), and free
text is kept out unless its frequent values were kept as categories. Comparing
such columns would score the design, not the model: fresh identifiers share no
value with the real ones, so a per-column TVD would call a perfect model wrong.
They are left out of the column-shape, pair-trend and quality figures, and the
report names them. Dates are compared as what the model learnt: seconds since
1970 in the column's own zone, so KS and correlations see time, not labels.
"""

from __future__ import annotations

import pandas as pd

from synth.data.table_transform import to_seconds

__all__ = ["NOT_COMPARED", "comparable_frames", "column_kinds"]

NOT_COMPARED = {
    "identifier": "identifier: generated fresh by design, never equal to a real value",
    "text": "free text: not modelled (kept out of the latent space)",
}


def column_kinds(syn) -> dict:
    """{column: ColumnSpec} of a fitted table model (empty for other data kinds)."""
    transformer = getattr(syn, "transformer_", None)
    return {s.name: s for s in getattr(transformer, "columns_", [])}


def comparable_frames(real: pd.DataFrame, synthetic: pd.DataFrame, kinds: dict) -> tuple:
    """(real, synthetic, excluded): the two tables restricted to the columns the metrics compare
    (identifier and free-text columns left out), datetime columns as seconds; ``excluded`` maps
    each left-out column to the reason. ``kinds``: {column: ColumnSpec} (``column_kinds``);
    columns it does not name are kept as they are."""
    excluded = {c: NOT_COMPARED[kinds[c].kind] for c in real.columns if c in kinds and kinds[c].kind in NOT_COMPARED}
    keep = [c for c in real.columns if c not in excluded]
    real, synthetic = real[keep].copy(), synthetic[[c for c in keep if c in synthetic.columns]].copy()
    for c in keep:
        spec = kinds.get(c)
        if spec is not None and spec.kind == "datetime":
            real[c] = to_seconds(real[c], spec.fmt, spec.tz)
            if c in synthetic.columns:
                synthetic[c] = to_seconds(synthetic[c], spec.fmt, spec.tz)
    return real, synthetic, excluded
