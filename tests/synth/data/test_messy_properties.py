"""Property: on any small messy table, fit + sample works or raises one clear DataError —
never another exception, and never a row lost without the cleaning summary saying why."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synth.errors import DataError
from synth.synthesizer import LatentSynthesizer

CELLS = {
    "number": st.one_of(st.floats(-1e3, 1e3, allow_nan=False), st.just(np.nan)),
    "int": st.one_of(st.integers(-5, 50), st.just(-999)),
    "text": st.sampled_from(["NA", "L", "", "x", "y", "N/A", "pending", "a b"]),
    "numeric_text": st.sampled_from(["1.5", "2", "-999", "N/A", "", "pending", "7e2"]),
    "date": st.sampled_from(["2020-01-01", "2021-06-30", "2020-02-29", ""]),
    "bool": st.booleans(),
}


@st.composite
def messy_frames(draw):
    n = draw(st.integers(2, 24))
    kinds = draw(st.lists(st.sampled_from(sorted(CELLS)), min_size=1, max_size=5))
    frame = {f"{k}_{i}": draw(st.lists(CELLS[k], min_size=n, max_size=n)) for i, k in enumerate(kinds)}
    if draw(st.booleans()):
        frame["id"] = [f"r{i}" for i in range(n)]
    label = draw(st.sampled_from([None, "text", "two"]))
    if label == "two":
        frame["y"] = [["p", "q"][i % 2] for i in range(n)]
    elif label == "text":
        frame["y"] = draw(st.lists(st.sampled_from(["p", "q", "NA", ""]), min_size=n, max_size=n))
    return pd.DataFrame(frame), ("y" if label else None)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messy_frames())
def test_fit_and_sample_work_or_raise_a_data_error(case):
    df, label = case
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            syn = LatentSynthesizer(epochs=1, random_state=0).fit(df, y=label)
            data = syn.generate(7, random_state=0).data
    except DataError as exc:
        assert str(exc)  # a message meant for the user
        return
    report = syn.cleaning_report_
    lost = report["rows_in"] - report["rows_used"]
    assert lost == report["dropped_missing_label"]  # the only drop by default, and it is counted
    assert sum(report["dropped_by_column"].values()) == lost
    features = [c for c in df.columns if c != label]
    assert list(data.columns) == features and len(data) == 7
    assert set(report["columns"]) == set(features)
