"""A table as users have them — gaps at several rates, ``NA`` as a real category, an ID,
dates, a constant, free text, integers, booleans, a heavy tail — trains with no options."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from synth.errors import DataError
from synth.synthesizer import LatentSynthesizer

N_GEN = 1500


@pytest.fixture(scope="module")
def messy(messy_frame):
    return messy_frame.copy()


@pytest.fixture(scope="module")
def messy_synth(messy):
    return LatentSynthesizer(epochs=60, random_state=0).fit(messy, y="cls")


def _tolerance(p: float, n: int) -> float:
    return 4 * np.sqrt(max(p * (1 - p), 1e-4) / n) + 0.01


def test_detected_kinds_and_every_row_used(messy_synth):
    report = messy_synth.cleaning_report_
    assert report["rows_used"] == report["rows_in"] == 400
    kinds = {c: info["kind"] for c, info in report["columns"].items()}
    assert kinds == {
        "sample_id": "identifier",
        "date": "datetime",
        "x": "numeric",
        "gappy": "numeric",
        "sparse": "numeric",
        "country": "categorical",
        "site": "constant",
        "comment": "text",
        "count": "numeric",
        "n_int": "numeric",
        "flag": "categorical",
        "heavy": "numeric",
    }
    assert report["modelled_missing"]["sparse"] > 300 and report["tokens_replaced"] == {}
    assert "NA" in next(c for c in messy_synth.transformer_.columns_ if c.name == "country").categories


def test_generated_table_has_columns_dtypes_and_missing_shares(messy, messy_synth):
    out = messy_synth.generate(N_GEN, random_state=1)
    data, labels = out.data, np.asarray(out.labels)
    features = messy.drop(columns="cls")
    assert list(data.columns) == list(features.columns)
    assert data.dtypes.to_dict() == features.dtypes.to_dict()
    for column in ("gappy", "sparse", "count"):
        for k in ("a", "b"):
            real = features.loc[messy["cls"] == k, column].isna().mean()
            made = data.loc[labels == k, column].isna().mean()
            assert abs(made - real) <= _tolerance(real, int((labels == k).sum())), (column, k, real, made)
    assert data["comment"].isna().all()  # free text is not modelled (docs/tables.md)
    assert (data["site"] == "lab-1").all()
    assert data["heavy"].between(features["heavy"].min(), features["heavy"].max()).all()  # clipped to the seen range


def test_ids_fresh_dates_in_range_and_na_a_category(messy, messy_synth):
    data = messy_synth.generate(N_GEN, random_state=2).data
    ids = data["sample_id"]
    assert ids.is_unique and not set(ids) & set(messy["sample_id"])
    assert ids.str.fullmatch(r"S-\d{5}").all()
    dates = pd.to_datetime(data["date"], format="%d/%m/%Y")
    seen = pd.to_datetime(messy["date"], format="%d/%m/%Y")
    assert dates.notna().all() and dates.min() >= seen.min() and dates.max() <= seen.max()
    share = (data["country"] == "NA").mean()
    assert abs(share - (messy["country"] == "NA").mean()) < 0.12, share
    assert data["n_int"].dtype == np.int64 and str(data["count"].dtype) == "float64"


def test_same_seed_same_table_and_blanks_follow_rows(messy_synth):
    a = messy_synth.generate(300, random_state=5)
    b = messy_synth.generate(300, random_state=5)
    pd.testing.assert_frame_equal(a.data, b.data)
    clusters = np.asarray(a.labels)
    one = messy_synth.decode(a.latents[:7], clusters=clusters[:7])  # a row decoded alone or with others
    pd.testing.assert_frame_equal(one, a.data.iloc[:7].reset_index(drop=True))


def test_save_load_keeps_schema_and_missing_rates(messy_synth, tmp_path):
    path = messy_synth.save(tmp_path / "model")
    meta = json.loads((path / "model.json").read_text())
    assert meta["cleaning"]["rows_used"] == 400 and meta["cleaning"]["columns"]["date"]["kind"] == "datetime"
    rates = meta["schema"]["missing_rates"]["gappy"]
    assert rates[0] < 0.2 < 0.35 < rates[1]  # learned per class (10 % and 50 %)
    loaded = LatentSynthesizer.load(path)
    assert loaded.transformer_.missing_rates_ == messy_synth.transformer_.missing_rates_
    assert [c.kind for c in loaded.transformer_.columns_] == [c.kind for c in messy_synth.transformer_.columns_]
    pd.testing.assert_frame_equal(
        loaded.generate(50, random_state=3).data, messy_synth.generate(50, random_state=3).data
    )
    info = loaded.describe()
    assert info["cleaning"]["rows_in"] == 400
    assert next(c for c in info["schema"]["columns"] if c["name"] == "gappy")["missing_rates"] == rates


def test_schema_overrides_detection_and_names_unknown_columns(messy):
    small = messy.iloc[:120]
    syn = LatentSynthesizer(epochs=1, schema={"n_int": "categorical", "comment": "text", "x": "numeric"})
    syn.fit(small, y="cls")
    assert syn.cleaning_report_["columns"]["n_int"]["kind"] == "categorical"
    spec = next(c for c in syn.transformer_.columns_ if c.name == "n_int")
    assert spec.other == "other" and len(spec.categories) == 21  # the 20 most frequent + "other"
    with pytest.raises(DataError, match=r"unknown columns \['nope'\]"):
        LatentSynthesizer(epochs=1, schema={"nope": "numeric"}).fit(small, y="cls")
    with pytest.raises(DataError, match="'country' numeric"):
        LatentSynthesizer(epochs=1, schema={"country": "numeric"}).fit(small, y="cls")


def test_tokens_mean_missing_only_in_numeric_columns():
    df = pd.DataFrame(
        {
            "level": ["1.5", "-999", "2.5", "pending", "3.0", "N/A", "4.5", "L"] * 5,
            "size": ["S", "L", "M", "L", "NA", "S", "M", "L"] * 5,
            "code": ["x", "", "y", "x", "y", "x", "", "y"] * 5,
        }
    )
    syn = LatentSynthesizer(epochs=1, na_tokens=("-999", "N/A", "NA", "pending", "L", "", "4.5")).fit(df)
    report = syn.cleaning_report_
    assert report["tokens_replaced"] == {"level": 25}
    assert report["columns"]["size"]["missing"] == 0 and report["columns"]["code"]["missing"] == 10
    assert set(next(c for c in syn.transformer_.columns_ if c.name == "size").categories) == {"L", "M", "NA", "S"}


def test_drop_and_impute_stay_options(messy):
    small = messy.iloc[:200]
    with pytest.warns(UserWarning, match="dropped"):
        syn = LatentSynthesizer(epochs=1, missing="drop", allow_drop=True).fit(small, y="cls")
    report = syn.cleaning_report_
    assert report["rows_used"] == 200 - report["dropped_missing"] and report["dropped_by_column"]["sparse"] > 100
    with pytest.raises(DataError, match=r"drop \d+ of 200 rows .*'sparse'"):
        LatentSynthesizer(epochs=1, missing="drop").fit(small, y="cls")
    syn = LatentSynthesizer(epochs=1, missing="impute").fit(small, y="cls")
    assert syn.cleaning_report_["rows_used"] == 200 and syn.transformer_.missing_rates_ == {}
    assert syn.generate(100, random_state=0).data["gappy"].notna().all()


def test_dates_keep_their_zone_and_format():
    from synth.data.tabular import TabularTransformer, clean_table

    stamps = pd.date_range("2023-03-20 08:00", periods=30, freq="7h", tz="Europe/Berlin")  # crosses a DST change
    df = pd.DataFrame({"t": stamps, "s": stamps.strftime("%Y-%m-%dT%H:%M:%S%z"), "v": np.arange(30) * 1.5})
    frame, _, report = clean_table(df)
    assert report.schema["s"]["fmt"] == "%Y-%m-%dT%H:%M:%S%z" and report.schema["t"]["tz"] == "Europe/Berlin"
    t = TabularTransformer().fit(frame, dtypes=report.dtypes, schema=report.schema)
    back = t.inverse_transform(t.transform(frame))
    assert back["t"].dtype == df["t"].dtype and (back["t"] == df["t"]).all()
    # mixed offsets come back as the same instants, written in the first value's offset
    assert (pd.to_datetime(back["s"], utc=True) == pd.to_datetime(df["s"], utc=True)).all()
    assert back["s"].str.endswith("+0100").all()


def test_evaluation_leaves_out_ids_and_text_and_compares_dates_as_time(messy, messy_synth):
    from synth.evaluate import RealData, score_samples
    from synth.metrics.columns import column_kinds, comparable_frames

    X = messy.drop(columns="cls")
    samples = messy_synth.generate(len(X), random_state=1)
    real, fake, excluded = comparable_frames(X, samples.data, column_kinds(messy_synth))
    assert set(excluded) == {"sample_id", "comment"} and "identifier" in excluded["sample_id"]
    assert real["date"].dtype == fake["date"].dtype == np.float64 and fake["date"].notna().all()
    # as time, the dates' shapes are close (as 400 unrelated labels they share almost nothing)
    assert ks_2samp(real["date"], fake["date"]).statistic < 0.3
    half = len(X) // 2
    data = RealData(X.iloc[:half], messy["cls"].to_numpy()[:half], X.iloc[half:], messy["cls"].to_numpy()[half:])
    fidelity = score_samples(messy_synth, data, samples, gate=False, random_state=0)["fidelity"]
    assert set(fidelity["not_compared"]) == {"sample_id", "comment"}
    assert "sample_id" not in fidelity["columns"] and fidelity["columns"]["date"]["kind"] == "numeric"


def test_binary_features_are_counted_and_set_beta(messy_synth):
    """One-hot and missing-indicator features (named ``col=value`` / ``col__missing``) are what
    lifts a table's default β."""
    names = messy_synth.transformer_.feature_names_
    binary = [n for n in names if "=" in n or n.endswith("__missing")]
    assert messy_synth.transformer_.n_discrete_ == len(binary) > 0
    assert messy_synth.config_.beta_max == 1e-2
