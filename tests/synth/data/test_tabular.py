import numpy as np
import pandas as pd
import pytest

from synth.data.tabular import CleaningOptions, TabularTransformer, clean_table
from synth.errors import DataError


def test_seed001_tokens_become_missing_and_rows_drop_on_request():
    df = pd.DataFrame(
        {
            "iq": ["101", "-999", "95", "pending", "110", "N/A"],
            "age": [10, 11, -999, 12, 13, 14],
            "site": ["a", "b", "a", "", "b", "a"],
            "dx": ["x", "y", "x", "y", "x", "y"],
        }
    )
    with pytest.warns(UserWarning, match="dropped 4 of 6 rows"):
        frame, y, report = clean_table(df, label="dx", options=CleaningOptions(missing="drop", allow_drop=True))
    assert report.tokens_replaced == {"iq": 3, "age": 1}  # the empty site cell is missing, not a token
    assert report.dropped_missing == 4 and report.rows_used == 2
    assert report.dropped_by_column == {"iq": 3, "age": 1, "site": 0}
    assert list(frame["iq"]) == [101.0, 110.0]
    assert list(y) == ["x", "x"]
    assert report.numeric_columns == ["iq", "age"] and report.categorical_columns == ["site"]
    with pytest.raises(DataError, match="drop 4 of 6 rows.*'iq': 3"):
        clean_table(df, label="dx", options=CleaningOptions(missing="drop"))
    frame, y, report = clean_table(df, label="dx")  # default: every row kept, missing cells modelled
    assert report.rows_used == 6 and report.modelled_missing == {"iq": 3, "age": 1, "site": 1}
    assert frame["iq"].isna().sum() == 3 and len(y) == 6


def test_L_is_missing_in_numbers_but_a_value_in_text():
    df = pd.DataFrame({"score": ["1", "L", "3", "4"], "size": ["S", "L", "M", "L"]})
    frame, _, report = clean_table(df)
    assert report.tokens_replaced == {"score": 1}
    assert sorted(frame["size"]) == ["L", "L", "M", "S"]  # every row kept; "L" a size, not a gap
    assert frame["score"].isna().tolist() == [False, True, False, False]


def test_impute_keeps_rows():
    df = pd.DataFrame({"a": [1.0, np.nan, 3.0, 5.0], "c": ["u", "v", "", "v"]})
    frame, _, report = clean_table(df, options=CleaningOptions(missing="impute", outlier_z=None))
    assert len(frame) == 4 and report.imputed == {"a": 1, "c": 1}
    assert frame["a"].tolist() == [1.0, 3.0, 3.0, 5.0] and frame["c"].tolist() == ["u", "v", "v", "v"]


def test_z_filter_drops_outliers_only():
    rng = np.random.default_rng(0)
    a = rng.standard_normal(200)
    a[7] = 50.0
    frame, _, report = clean_table(pd.DataFrame({"a": a}), options=CleaningOptions(outlier_z=3.0))
    assert report.dropped_outliers == 1 and 50.0 not in frame["a"].to_numpy()
    assert report.dropped_by_column == {"a": 1}
    frame, _, report = clean_table(pd.DataFrame({"a": a}))  # off by default
    assert report.dropped_outliers == 0 and len(frame) == 200


@pytest.mark.parametrize(
    "df, label, message",
    [
        (pd.DataFrame({"a": [np.nan, np.nan], "b": ["x", "x"]}), None, "no column to model"),
        (pd.DataFrame({"a": [1.0, 2.0]}), "species", "label column 'species' not found"),
        (pd.DataFrame(), None, "empty"),
        (pd.DataFrame({"a": [1.0, 2.0, 3.0], "y": ["p", "", ""]}), "y", "only 1 row"),
    ],
)
def test_bad_tables_are_named(df, label, message):
    with pytest.raises(DataError, match=message):
        clean_table(df, label=label, options=CleaningOptions(outlier_z=None))


def test_transform_round_trip_restores_units_order_and_dtypes():
    df = pd.DataFrame(
        {
            "z_int": np.array([3, 7, 5, 9], dtype=np.int32),
            "f": [0.25, 1.5, 2.75, 4.0],
            "cat": ["b", "a", "b", "c"],
            "g": [10.1, 10.2, 10.3, 10.9],
        }
    )
    t = TabularTransformer().fit(df)
    X = t.transform(df)
    assert X.dtype == np.float32 and X.shape == (4, 1 + 1 + 3 + 1)
    assert X.min() >= 0 and X.max() <= 1
    back = t.inverse_transform(X)
    assert list(back.columns) == list(df.columns)
    assert back["z_int"].dtype == np.int32 and back["z_int"].tolist() == [3, 7, 5, 9]
    assert back["cat"].tolist() == ["b", "a", "b", "c"]
    np.testing.assert_allclose(back["f"], df["f"])
    np.testing.assert_allclose(back["g"], df["g"])


def test_inverse_clips_rounds_and_argmaxes():
    df = pd.DataFrame({"n": np.array([0, 10], dtype=np.int64), "c": ["p", "q"]})
    t = TabularTransformer().fit(df)
    back = t.inverse_transform(np.array([[1.7, 0.2, 0.9], [-0.5, 0.8, 0.1], [0.44, 0.3, 0.6]]))
    assert back["n"].tolist() == [10, 0, 4]
    assert back["c"].tolist() == ["q", "p", "q"]
    unclipped = TabularTransformer(clip=False).fit(df).inverse_transform(np.array([[1.7, 1, 0]]))
    assert unclipped["n"].tolist() == [17]


def test_rounding_never_steps_past_the_seen_range():
    """Values past the 6 decimals kept: the bounds are rounded inward, so a value at a bound stays inside."""
    df = pd.DataFrame({"x": [2.00000041, 5.1, 7.12345678]})
    t = TabularTransformer().fit(df)
    back = t.inverse_transform(np.array([[-0.2], [0.5], [1.3]]))["x"]
    assert back.tolist() == [2.000001, back[1], 7.123456]
    assert back.between(df["x"].min(), df["x"].max()).all()
    assert TabularTransformer(clip=False).fit(df).inverse_transform(np.array([[1.0]]))["x"].tolist() == [7.123457]


def test_transformer_json_round_trip():
    df = pd.DataFrame({"a": [1.5, 2.5, 9.0], "c": ["x", "y", "x"]})
    t = TabularTransformer().fit(df)
    import json

    t2 = TabularTransformer.from_dict(json.loads(json.dumps(t.to_dict())))
    X = np.random.default_rng(0).random((5, t.n_features_))
    pd.testing.assert_frame_equal(t.inverse_transform(X), t2.inverse_transform(X))
    assert t2.feature_names_ == ["a", "c=x", "c=y"]


def test_original_int_dtype_survives_token_cleaning():
    df = pd.DataFrame({"b": np.array([1, 2, -999, 4, 5, 6, 7, 8, 9, 10, 11, 12], dtype=np.int64)})
    frame, _, report = clean_table(df, options=CleaningOptions(missing="impute"))
    t = TabularTransformer().fit(frame, dtypes=report.dtypes, schema=report.schema)
    back = t.inverse_transform(t.transform(frame))
    assert back["b"].dtype == np.int64 and back["b"].tolist()[:4] == [1, 2, 7, 4]  # -999 imputed by the median
    frame, _, report = clean_table(df)  # modelled: the missing cell makes it nullable Int64
    t = TabularTransformer().fit(frame, dtypes=report.dtypes, schema=report.schema)
    back = t.inverse_transform(t.transform(frame))
    assert str(back["b"].dtype) == "Int64" and t.feature_names_ == ["b", "b__missing"]


def test_long_right_tails_are_modelled_on_the_log_scale_and_come_back_exactly():
    from scipy.stats import skew

    from synth.data.scaling import SKEW_RATIO, log_offset

    rng = np.random.default_rng(3)
    n = 2000
    df = pd.DataFrame(
        {
            "income": rng.lognormal(10.0, 1.0, n).round(2),
            "zeros": np.where(rng.random(n) < 0.6, 0.0, rng.exponential(100.0, n)).round(1),  # median at min
            "height": rng.normal(170.0, 10.0, n).round(1),
            "uniform": rng.uniform(0, 1, n),
        }
    )
    fitted = TabularTransformer().fit(df)
    logged = {c.name: c.log_offset for c in fitted.columns_}
    assert logged["income"] and logged["zeros"] and logged["height"] is None and logged["uniform"] is None
    X = fitted.transform(df)
    assert X.min() >= 0.0 and X.max() <= 1.0
    # the tail is drawn in: the income feature is far less skewed than min-max scaling leaves it
    linear = (df["income"] - df["income"].min()) / (df["income"].max() - df["income"].min())
    assert abs(skew(X[:, 0])) < 1.0 < skew(linear)
    back = fitted.inverse_transform(X)
    assert np.allclose(back["income"], df["income"], rtol=1e-5) and np.array_equal(back["zeros"], df["zeros"])
    assert back["income"].between(df["income"].min(), df["income"].max()).all()  # clip keeps the range
    # the rule: a tail more than SKEW_RATIO times the body below the median, nothing else
    assert log_offset(0.0, 10.0 * SKEW_RATIO, 10.0) is None and log_offset(0.0, 10.0 * SKEW_RATIO, 5.0)
    assert log_offset(5.0, 5.0, 5.0) is None  # a constant has no scale
    again = TabularTransformer.from_dict(fitted.to_dict())
    assert np.array_equal(again.transform(df), X)


def test_long_tails_on_both_sides_go_on_the_asinh_scale_and_come_back():
    from scipy.stats import kurtosis

    from synth.data.scaling import asinh_scale

    rng = np.random.default_rng(4)
    n = 2000
    df = pd.DataFrame({"returns": (rng.standard_t(3, n) * 2).round(3), "height": rng.normal(170.0, 10.0, n).round(1)})
    fitted = TabularTransformer().fit(df)
    scales = {c.name: c.asinh_scale for c in fitted.columns_}
    q1, q3 = np.quantile(df["returns"], [0.25, 0.75], method="lower")
    assert scales["returns"] == (q3 - q1) / 2 and scales["height"] is None
    assert all(c.log_offset is None for c in fitted.columns_)  # log is for one long right tail only
    X = fitted.transform(df)
    assert X.min() >= 0.0 and X.max() <= 1.0
    # the bulk is spread out: asinh leaves far lighter tails than min-max scaling
    assert kurtosis(X[:, 0]) < 3.0 < kurtosis(df["returns"])
    back = fitted.inverse_transform(X)
    assert np.allclose(back["returns"], df["returns"], atol=1e-3)
    # the rule: both tails beyond SKEW_RATIO quartile distances from the median
    assert asinh_scale(-100.0, 100.0, 0.0, -1.0, 1.0) == 1.0
    assert asinh_scale(-5.0, 100.0, 0.0, -1.0, 1.0) is None and asinh_scale(-1.0, 1.0, 0.0, 0.0, 0.0) is None
    assert np.array_equal(TabularTransformer.from_dict(fitted.to_dict()).transform(df), X)
