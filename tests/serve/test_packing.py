"""Packed decoding gives each request exactly the bytes it gets alone."""

import copy
import json

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from serve.packing import LoadedModel, decode_many, generate_many, pack, row_alignment
from serve.payloads import encode_samples
from serve.protocol import Failure, GenerateCall, Payload
from synth.synthesizer import LatentSynthesizer


@given(st.lists(st.integers(1, 600), max_size=40), st.sampled_from([8, 16, 64]))
@settings(max_examples=60, deadline=None)
def test_pack_places_requests_at_aligned_disjoint_offsets(sizes, align):
    chunks, alone = pack(sizes, chunk=256, align=align)
    placed = [i for members in chunks for i, _ in members]
    assert sorted(placed + alone) == list(range(len(sizes)))
    assert all(sizes[i] > 256 for i in alone)
    for members in chunks:
        spans = sorted((offset, offset + sizes[i]) for i, offset in members)
        assert all(start % align == 0 and end <= 256 for start, end in spans)
        assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(spans, spans[1:]))


@pytest.fixture(scope="module")
def digits_synth(serve_models):
    return LatentSynthesizer.load(serve_models / "digits")


def test_alignment_probe_finds_row_independence(iris_synth, digits_synth):
    for syn in (iris_synth, digits_synth):
        align = row_alignment(syn)
        assert align is not None and 256 % align == 0  # both decoders are row-independent at some alignment
        out = syn.generate(300, random_state=5)
        cuts = [slice(0, 3), slice(3, 40), slice(40, 41), slice(41, 300)]  # the last is larger than a chunk
        parts, names = [out.latents[c] for c in cuts], [out.labels[c] for c in cuts]
        codes = [np.array([syn.cluster_code(n) for n in part]) for part in names]
        for got, z, part in zip(decode_many(syn, parts, align=align, codes=codes), parts, names):
            expect = syn.decode(z, clusters=part)  # each cluster decodes through its own marginal map
            assert got.equals(expect) if hasattr(expect, "equals") else np.array_equal(got, expect)


def test_probe_refuses_a_decoder_that_mixes_rows(iris_synth):
    class Mixing(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def decode(self, z):
            return self.inner.decode(z) + 1e-3 * z.mean()  # every row depends on every other row

    syn = copy.copy(iris_synth)
    syn.module_ = Mixing(iris_synth.module_)
    assert row_alignment(syn) is None


@pytest.mark.parametrize("align", [None, "probe"])
def test_a_batch_gives_each_request_its_own_bytes(iris_synth, digits_synth, align):
    for name, syn, formats in (("iris", iris_synth, ["json", "csv"]), ("digits", digits_synth, ["json", "png", "npz"])):
        model = LoadedModel(name, syn, row_alignment(syn) if align else None)
        calls = [
            GenerateCall(
                n=n,
                seed=s,
                method=["random", "morph", "ellipsoid_walk", "crossover"][s % 4],
                format=formats[s % len(formats)],
                accept_reject=s % 3 == 0,
            )
            for s, n in enumerate([1, 3, 4, 9, 17, 300, 5, 64, 2, 250])
        ]
        for call, got in zip(calls, generate_many(model, calls)):
            samples = syn.generate(call.n, method=call.method, random_state=call.seed, accept_reject=call.accept_reject)
            expect = encode_samples(
                samples,
                data_kind=syn.data_kind_,
                label_name=syn.label_name_,
                model=name,
                fmt=call.format,
                png_scale=syn.transformer_.transform,
            )
            assert isinstance(got, Payload) and got.body == expect.body and got.headers == expect.headers, call


def test_one_bad_request_fails_alone(iris_synth):
    model = LoadedModel("iris", iris_synth, row_alignment(iris_synth))
    good, unknown, wrong_format = generate_many(
        model, [GenerateCall(n=2, seed=1), GenerateCall(n=2, cluster="rose"), GenerateCall(n=2, format="npz")]
    )
    assert isinstance(good, Payload)
    assert isinstance(unknown, Failure) and (unknown.status, unknown.field) == (422, "cluster")
    assert "rose" in unknown.detail and "setosa" in unknown.detail
    assert isinstance(wrong_format, Failure) and wrong_format.field == "format"


def test_conditional_requests_and_declared_constraints_go_through_generate(iris_synth):
    """A conditional call gets the rows of ``syn.generate`` with its conditions (csv: the same
    bytes); a model with declared constraints never serves a row that breaks them; bad and
    impossible conditions fail alone, naming their field."""
    from synth.conditions import Constraint

    model = LoadedModel("iris", iris_synth, row_alignment(iris_synth))
    conditions = {"species": ["setosa", "virginica"], "sepal_length": [5.0, 6.5]}
    constraints = [{"kind": "inequality", "low": "petal_width", "high": "petal_length"}]
    asked = dict(n=9, seed=4, conditions=conditions, constraints=constraints)
    csv, js, plain, unknown, wrong, impossible = generate_many(
        model,
        [
            GenerateCall(**asked, format="csv"),
            GenerateCall(**asked),
            GenerateCall(n=3, seed=4),
            GenerateCall(n=3, conditions={"colour": "red"}),
            GenerateCall(n=3, conditions={"sepal_length": "long"}),
            GenerateCall(n=3, seed=1, conditions={"species": "setosa", "petal_length": [6.5, 6.9]}, max_tries=4000),
        ],
    )
    expect = iris_synth.generate(9, random_state=4, conditions=conditions, constraints=constraints)
    assert csv.body == expect.data.assign(species=expect.labels).to_csv(index=False).encode()
    report = json.loads(csv.headers["X-Latentsynth-Provenance"])["report"]
    assert report["returned"] == 9 and 0 < report["acceptance_rate"] <= 1
    body = json.loads(js.body)
    assert body["rows"] == expect.data.to_dict(orient="split")["data"] and body["labels"] == list(expect.labels)
    assert [p["tries"] for p in body["provenance"]] == expect.provenance["tries"].tolist()
    assert body["report"]["conditions"] == expect.report["conditions"] and "report" not in json.loads(plain.body)
    assert (unknown.status, unknown.field) == (422, ("conditions", "colour"))
    assert (wrong.status, wrong.field) == (422, ("conditions", "sepal_length")) and "numeric" in wrong.detail
    assert (impossible.status, impossible.field, impossible.kind) == (422, "conditions", "generation_error")

    declared = copy.copy(iris_synth)
    declared.constraints_ = [Constraint("inequality", ("sepal_width", "petal_length"))]
    (checked,) = generate_many(LoadedModel("iris", declared, model.align), [GenerateCall(n=40, seed=2)])
    rows = json.loads(checked.body)
    frame = pd.DataFrame(rows["rows"], columns=rows["columns"])
    assert len(frame) == 40 and (frame["sepal_width"] <= frame["petal_length"]).all()
    unconstrained = iris_synth.generate(200, random_state=2).data
    assert (unconstrained["sepal_width"] > unconstrained["petal_length"]).any()  # the constraint bites


def test_a_png_of_one_image(digits_synth):
    (png,) = generate_many(LoadedModel("digits", digits_synth, None), [GenerateCall(n=1, seed=3, format="png")])
    assert isinstance(png, Payload) and png.body.startswith(b"\x89PNG")
