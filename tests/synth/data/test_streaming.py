"""Streamed fit statistics equal the in-memory fit on the same rows, for any split into blocks."""

import json

import numpy as np
import pandas as pd
import pytest

from synth.data.stream_fit import clean_block, detect_schema, fit_blocks
from synth.data.streaming import block_stats, merge, merge_all, transformer_from_stats
from synth.data.streaming_select import block_pass, exact_medians, exact_order_stats
from synth.data.table_transform import TabularTransformer
from synth.data.tabular import CleaningOptions, clean_table
from synth.errors import DataError


def _split(frame: pd.DataFrame, cuts) -> list[pd.DataFrame]:
    edges = [0, *cuts, len(frame)]
    return [frame.iloc[a:b] for a, b in zip(edges[:-1], edges[1:])]


def _reference(df, options, label=None):
    frame, _, report = clean_table(df, label=label, options=options)
    fitted = TabularTransformer(clip=options.clip).fit(frame, dtypes=report.dtypes, schema=report.schema)
    return frame, report, fitted


@pytest.mark.parametrize("which", ["messy", "messy_top", "iris"])
def test_merged_block_statistics_give_the_in_memory_transformer(which, messy_frame, iris_frame):
    df = iris_frame if which == "iris" else messy_frame
    if which == "messy":  # a long right tail, modelled on the log scale (decided from min, median, max)
        df = df.assign(amount=np.random.default_rng(5).lognormal(8.0, 1.2, len(df)).round(2))
    options = CleaningOptions(free_text="top", max_categories=5) if which == "messy_top" else CleaningOptions()
    frame, report, fitted = _reference(df, options)
    n = len(frame)
    blocks = _split(frame, [1, n // 4, n // 4 + 1, n // 2 + 7, n - 3])
    offsets = np.cumsum([0] + [len(b) for b in blocks[:-1]])
    parts = [block_stats(b, report.schema, offset=int(o)) for b, o in zip(blocks, offsets)]
    forward = merge_all(parts)
    rng = np.random.default_rng(1)
    shuffled = merge_all([parts[i] for i in rng.permutation(len(parts))])
    grouped = merge(merge_all(parts[3:]), merge_all(parts[:3]))
    assert json.dumps(forward, sort_keys=True) == json.dumps(shuffled, sort_keys=True)
    assert json.dumps(forward, sort_keys=True) == json.dumps(grouped, sort_keys=True)
    order = rng.permutation(len(blocks))
    medians = exact_order_stats(shuffled, lambda t: [block_pass(blocks[i], report.schema, t) for i in order], limit=8)
    streamed = transformer_from_stats(shuffled, medians, schema=report.schema, dtypes=report.dtypes)
    assert streamed.to_dict() == fitted.to_dict()
    assert (which == "messy") == any(c.log_offset for c in fitted.columns_)
    # the messy table's Student-t column has long tails on both sides: asinh scale (quartiles used too)
    assert (which != "iris") == any(c.asinh_scale for c in fitted.columns_)
    assert json.dumps(streamed.to_dict(), sort_keys=True) == json.dumps(fitted.to_dict(), sort_keys=True)
    assert np.array_equal(streamed.transform(frame), fitted.transform(frame))


def test_raw_blocks_cleaned_with_the_sample_kinds_fit_as_the_whole_table(messy_frame):
    options = CleaningOptions(free_text="top")
    frame, report, fitted = _reference(messy_frame, options, label="cls")
    schema, dtypes = detect_schema(messy_frame, label="cls", options=options)
    cleaned = [clean_block(b, schema, label="cls", options=options)[0] for b in _split(messy_frame, [90, 91, 300])]
    streamed, stats, _ = fit_blocks(cleaned, schema, dtypes=dtypes, options=options)
    assert stats["rows"] == len(frame)
    assert streamed.to_dict() == fitted.to_dict()


def test_exact_median_by_refining_passes():
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.normal(size=501), np.full(300, 1.25), -rng.exponential(size=200), [0.0, -0.0]])
    frame = pd.DataFrame({"v": values})
    schema = {"v": {"kind": "numeric"}}
    blocks = _split(frame, [10, 500, 700])
    stats = merge_all(block_stats(b, schema) for b in blocks)
    for limit in (1, 3, 1 << 18):
        got = exact_medians(stats, lambda t: [block_pass(b, schema, t) for b in blocks], limit=limit)
        assert got["v"] == float(np.median(values))
        order = exact_order_stats(stats, lambda t: [block_pass(b, schema, t) for b in blocks], limit=limit)["v"]
        assert [order["q1"], order["q3"]] == np.quantile(values, [0.25, 0.75], method="lower").tolist()
    odd = frame.iloc[:-1]
    stats = block_stats(odd, schema)
    assert exact_medians(stats, lambda t: [block_pass(odd, schema, t)], limit=2)["v"] == float(np.median(values[:-1]))


def test_a_block_whose_dates_do_not_parse_names_the_column(messy_frame):
    schema, _ = detect_schema(messy_frame)
    bad = messy_frame.iloc[:20].copy()
    bad.loc[5, "date"] = "2021-13-45"
    with pytest.raises(DataError, match="'date'"):
        clean_block(bad, schema)
    frame = pd.DataFrame({"date": ["01/02/2021", "31/12/2021", "2021-03-01 10:00"]})
    with pytest.raises(DataError, match="'date'.*row 2"):
        block_stats(frame, {"date": {"kind": "datetime", "fmt": "%d/%m/%Y", "tz": None}})


def test_a_sample_constant_that_varies_over_all_rows_is_refused():
    blocks = [pd.DataFrame({"c": ["a"] * 5, "x": np.arange(5.0)}), pd.DataFrame({"c": ["b"], "x": [9.0]})]
    with pytest.raises(DataError, match="'c' is constant in the sample"):
        fit_blocks(blocks, {"c": {"kind": "constant"}, "x": {"kind": "numeric"}})
