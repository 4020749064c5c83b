"""Conditions and constraints: every returned row satisfies them, the rows follow the model's
conditional distribution (steered or not), the budget ends hopeless requests, bad requests are
ConditionErrors naming the field, and the same seed gives the same rows."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import ks_2samp

from synth.errors import ConditionError, ConditionWarning, GenerationError
from synth.synthesizer import LatentSynthesizer

NUMERIC = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
SPECIES = ["setosa", "versicolor", "virginica"]


def _satisfies(frame: pd.DataFrame, labels, conditions: dict) -> np.ndarray:
    ok = np.ones(len(frame), bool)
    for column, spec in conditions.items():
        if column == "species":
            ok &= np.isin(labels.astype(str), [spec] if isinstance(spec, str) else spec)
        else:
            ok &= (frame[column] >= spec[0]).to_numpy() & (frame[column] <= spec[1]).to_numpy()
    return ok


@st.composite
def iris_conditions(draw, frame):
    conditions = {}
    for column in draw(st.lists(st.sampled_from(NUMERIC), min_size=1, max_size=2, unique=True)):
        low, high = float(frame[column].min()), float(frame[column].max())
        a = draw(st.floats(low, high - 0.3 * (high - low)))
        conditions[column] = [round(a, 2), round(a + draw(st.floats(0.3, 0.7)) * (high - low), 2)]
    if draw(st.booleans()):
        conditions["species"] = draw(st.lists(st.sampled_from(SPECIES), min_size=1, max_size=2, unique=True))
    return conditions


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_returned_row_satisfies_random_conditions(iris_synth, iris_frame, data):
    conditions = data.draw(iris_conditions(iris_frame))
    constraint = data.draw(
        st.sampled_from([None, {"kind": "inequality", "low": "petal_width", "high": "petal_length"}])
    )
    try:
        out = iris_synth.generate(
            40,
            conditions=conditions,
            constraints=[constraint] if constraint else None,
            random_state=3,
            max_tries=20_000,
        )
    except GenerationError:  # a combination the model never produces: said so, not hung
        return
    except ConditionError as exc:  # e.g. a species the numeric ranges exclude
        assert exc.field is None or exc.field in conditions
        return
    assert 0 < len(out.data) <= 40 and out.report["returned"] == len(out.data)
    assert _satisfies(out.data, out.labels, conditions).all()
    if constraint:
        assert (out.data["petal_width"] <= out.data["petal_length"]).all()
    assert (out.provenance["accepted"]).all() and (out.provenance["tries"] >= 1).all()
    assert out.provenance["conditions"].iloc[0] == out.report["conditions"]


def test_same_seed_same_rows_and_label_conditions_pick_clusters(iris_synth):
    conditions = {"species": ["setosa", "virginica"], "sepal_length": [5.0, 6.5]}
    a = iris_synth.generate(60, conditions=conditions, random_state=7)
    b = iris_synth.generate(60, conditions=conditions, random_state=7)
    c = iris_synth.generate(60, conditions=conditions, random_state=8)
    pd.testing.assert_frame_equal(a.data, b.data)
    assert not a.data.equals(c.data)
    assert set(a.labels) <= {"setosa", "virginica"} and "versicolor" not in a.stats


def _rare_range(syn) -> dict:
    """A condition keeping 0.2–1.5 % of the model's own rows (an upper tail of one column), so
    it is rare but possible under the model; decoded values are rounded, so tails are found by value."""
    frame = syn.generate(4000, random_state=11).data
    tails = [
        (abs(share - 0.007), column, float(value))
        for column in NUMERIC
        for value in np.sort(frame[column].unique())
        if 0.002 <= (share := float((frame[column] >= value).mean())) <= 0.015
    ]
    if not tails:
        raise AssertionError("the model has no rare upper tail")
    _, column, value = min(tails)  # rounded values make tails coarse: the one nearest 0.7 % of the rows
    return {column: [value, float(frame[column].max())]}


def test_steered_draw_needs_fewer_decodes_and_keeps_the_distribution(iris_synth):
    """A rare condition: the steered sampler decodes several times fewer rows than plain rejection
    and its rows follow the same conditional distribution (two-sample KS on every column). The range
    is an upper tail keeping ~1 % of the model's own rows."""
    conditions = _rare_range(iris_synth)
    steered = iris_synth.generate(300, conditions=conditions, random_state=1)
    plain = iris_synth.generate(300, conditions=conditions, random_state=2, steer=False)
    assert any(s["steered"] for s in steered.stats.values())
    assert steered.report["decoded"] * 3 < plain.report["decoded"]
    for column in ("sepal_length", "sepal_width", "petal_length"):
        assert ks_2samp(steered.data[column], plain.data[column]).pvalue > 0.001, column


def test_conditional_rows_are_the_models_rows_in_the_condition(iris_synth):
    """The conditional sampler is exact: its rows follow the model's unconditional rows that fall
    in the condition (per-column KS), whatever the model's quality."""
    conditions = {"petal_length": [1.0, 4.5]}
    conditional = iris_synth.generate(600, conditions=conditions, random_state=4).data
    free = iris_synth.generate(4000, random_state=5).data
    inside = free[(free.petal_length >= 1.0) & (free.petal_length <= 4.5)]
    for column in NUMERIC:
        assert ks_2samp(conditional[column], inside[column]).pvalue > 0.001, column


def test_conditional_rows_match_the_real_rows_in_the_condition(iris_frame):
    """A condition keeping >= 20 % of the data: the default model's conditional rows match the real
    rows that satisfy it about as well as its unconditional rows match the whole table (mean KS)."""
    syn = LatentSynthesizer(model="vae", random_state=0).fit(iris_frame, y="species")
    conditions = {"petal_length": [1.0, 4.5]}
    real = iris_frame[(iris_frame.petal_length >= 1.0) & (iris_frame.petal_length <= 4.5)]
    assert len(real) >= 0.2 * len(iris_frame)
    conditional = syn.generate(len(real) * 3, conditions=conditions, random_state=4).data
    unconditional = syn.generate(len(iris_frame) * 3, random_state=4).data

    def mean_ks(a, b):
        return np.mean([ks_2samp(a[c], b[c]).statistic for c in NUMERIC])

    assert mean_ks(conditional, real) <= mean_ks(unconditional, iris_frame) + 0.05


def test_budget_ends_hopeless_requests(iris_synth):
    def never(frame):
        return np.zeros(len(frame), bool)

    with pytest.raises(GenerationError, match="impossible"):
        iris_synth.generate(10, constraints=[never], random_state=0)
    with pytest.warns(ConditionWarning, match="of 500 rows"):
        out = iris_synth.generate(500, conditions=_rare_range(iris_synth), random_state=0, max_tries=1000)
    assert (
        0 < out.report["returned"] < 500 and out.report["share_met"] < 1 and out.report["drawn"] <= 2 * 1000 + 256 * 3
    )


@pytest.mark.parametrize(
    ("conditions", "field", "message"),
    [
        ({"colour": "red"}, "colour", "unknown column"),
        ({"sepal_length": "long"}, "sepal_length", "numeric"),
        ({"sepal_length": [20, 30]}, "sepal_length", "outside the values seen"),
        ({"sepal_length": [6, 5]}, "sepal_length", "empty"),
        ({"species": "daisy"}, None, "no value"),
    ],
)
def test_bad_conditions_name_the_field(iris_synth, conditions, field, message):
    with pytest.raises(ConditionError, match=message) as caught:
        iris_synth.generate(5, conditions=conditions, random_state=0)
    assert caught.value.field == (field or "species")


def test_bad_constraints_are_refused(iris_synth):
    with pytest.raises(ConditionError, match="kind"):
        iris_synth.generate(5, constraints=[{"kind": "sorted"}])
    with pytest.raises(ConditionError, match="unknown column"):
        iris_synth.generate(5, constraints=[{"kind": "positive", "column": "nope"}])


def test_declared_constraints_hold_on_every_row_and_survive_save_load(tmp_path):
    rng = np.random.default_rng(0)
    n = 240
    shape = rng.choice(["round", "square"], n)
    colour = np.where(shape == "round", rng.choice(["red", "blue"], n), rng.choice(["green", "blue"], n))
    start = rng.uniform(0, 10, n)
    frame = pd.DataFrame({"shape": shape, "colour": colour, "start": start, "end": start + rng.uniform(0, 5, n)})
    constraints = [
        {"kind": "inequality", "low": "start", "high": "end"},
        {"kind": "fixed_combinations", "columns": ["shape", "colour"]},
        {"kind": "positive", "column": "end"},
    ]
    syn = LatentSynthesizer(model="vae", epochs=40, constraints=constraints, random_state=0).fit(frame)
    out = syn.generate(200, random_state=1)
    assert (out.data["start"] <= out.data["end"]).all() and (out.data["end"] > 0).all()
    seen = set(zip(frame["shape"], frame["colour"]))
    assert set(zip(out.data["shape"], out.data["colour"])) <= seen and len(out.data) == 200
    syn.save(tmp_path / "m")
    again = LatentSynthesizer.load(tmp_path / "m").generate(200, random_state=1)
    pd.testing.assert_frame_equal(again.data, out.data)
    with pytest.raises(ConditionError, match="training rows break"):
        LatentSynthesizer(
            model="vae", epochs=2, constraints=[{"kind": "inequality", "low": "end", "high": "start"}]
        ).fit(frame)
