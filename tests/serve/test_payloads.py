"""Samples → bytes: exact floats in JSON, the CLI's CSV, deterministic npz, provenance headers."""

import io
import json

import numpy as np
import pandas as pd

from serve.payloads import encode_samples, npz_bytes
from serve.protocol import Failure, Payload


def _encode(syn, samples, fmt, model="m"):
    return encode_samples(
        samples,
        data_kind=syn.data_kind_,
        label_name=syn.label_name_,
        model=model,
        fmt=fmt,
        png_scale=syn.transformer_.transform,
    )


def test_json_rows_are_the_exact_values(iris_synth):
    out = iris_synth.generate(7, method="morph", random_state=3)
    payload = _encode(iris_synth, out, "json")
    assert isinstance(payload, Payload) and payload.media_type == "application/json"
    body = json.loads(payload.body)
    assert body["columns"] == list(out.data.columns)
    assert pd.DataFrame(body["rows"], columns=body["columns"]).equals(out.data)  # bit-exact floats
    assert body["seed"] == 3 and body["method"] == "morph" and body["n"] == 7
    assert [p["d2"] for p in body["provenance"]] == out.provenance["d2"].tolist()
    assert body["labels"] == [str(v) for v in out.labels]


def test_csv_is_the_command_line_csv_with_provenance_header(iris_synth):
    out = iris_synth.generate(5, random_state=1)
    payload = _encode(iris_synth, out, "csv")
    assert payload.body.decode() == out.data.assign(species=out.labels).to_csv(index=False)
    summary = json.loads(payload.headers["X-Latentsynth-Provenance"])
    assert summary["seed"] == 1 and summary["n"] == 5 and set(summary["stats"]) == set(out.stats)


def test_wrong_format_for_the_data_kind_names_the_field(iris_synth):
    failure = _encode(iris_synth, iris_synth.generate(2, random_state=0), "png")
    assert isinstance(failure, Failure) and failure.status == 422 and failure.field == "format"


def test_npz_is_deterministic_and_loads_with_numpy():
    arrays = {"images": np.arange(24, dtype=np.float32).reshape(2, 1, 3, 4), "labels": np.array(["a", "b"])}
    first, second = npz_bytes(arrays), npz_bytes(arrays)
    assert first == second
    with np.load(io.BytesIO(first), allow_pickle=False) as npz:
        assert np.array_equal(npz["images"], arrays["images"]) and npz["labels"].tolist() == ["a", "b"]
