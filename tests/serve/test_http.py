"""The app over real HTTP on 127.0.0.1: every endpoint, same seed → same bytes as Python,
every error a 4xx JSON body, path traversal, the API key, the model LRU, and a
schemathesis run against /openapi.json."""

from __future__ import annotations

import asyncio
import io
import json

import httpx
import numpy as np
import pandas as pd
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from serve.payloads import encode_samples
from serve.settings import ServeArgs
from synth.plots import image_grid_png
from synth.synthesizer import LatentSynthesizer

pytestmark = pytest.mark.ray
MAX_N, KEY = 128, "s3cret-key"
NO_ENV_KEY = "LATENTSYNTH_TEST_KEY_THAT_IS_NEVER_SET"


@pytest.fixture(scope="module")
def server(ray_session, serve_models, serve_tools, fid_weights):
    tools = serve_tools
    port = tools.free_port()
    base = f"http://127.0.0.1:{port}"
    common = dict(models_dir=serve_models, generator_cpus=0, api_key_env=NO_ENV_KEY, request_timeout_s=120)
    with tools.started(port):
        tools.deploy(
            ServeArgs(
                **common,
                max_n=MAX_N,
                max_models_per_replica=2,
                max_batch_size=16,
                batch_wait_timeout_s=0.02,
                fid_weights=fid_weights,
                max_fid_n=40,
            ),
            name="main",
            route_prefix="/",
        )
        tools.deploy(ServeArgs(**common, api_key=KEY), name="locked", route_prefix="/locked")
        tools.wait_healthy(base)
        tools.wait_healthy(f"{base}/locked")
        yield base


@pytest.fixture(scope="module")
def http(server):
    with httpx.Client(base_url=server, timeout=120) as client:
        yield client


@pytest.fixture(scope="module")
def local(serve_models):
    """The same artifacts loaded in this process: what Python users get."""
    return {name: LatentSynthesizer.load(serve_models / name) for name in ("iris", "digits")}


def _expected(syn, name, fmt, **kw):
    samples = syn.generate(kw.pop("n"), random_state=kw.pop("seed"), **kw)
    return encode_samples(
        samples,
        data_kind=syn.data_kind_,
        label_name=syn.label_name_,
        model=name,
        fmt=fmt,
        png_scale=syn.transformer_.transform,
    )


def _is_json_error(response, status):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()["detail"]


def _loc(response):
    detail = _is_json_error(response, 422)
    return [tuple(item["loc"]) for item in detail]


# ---------------------------------------------------------------- service endpoints


def test_health_docs_and_openapi(http):
    health = http.get("/healthz").json()
    assert health == {"status": "ok", "models": 5, "max_n": MAX_N, "api_key_required": False}
    assert "swagger" in http.get("/docs").text.lower()
    document = http.get("/openapi.json").json()
    paths = set(document["paths"])
    # no key configured: no security declared; the caps are this server's
    assert "securitySchemes" not in document["components"] and "security" not in json.dumps(document["paths"])
    assert document["components"]["schemas"]["GenerateBody"]["properties"]["n"]["maximum"] == MAX_N
    locked = http.get("/locked/openapi.json").json()
    assert set(locked["components"]["securitySchemes"]) == {"APIKeyHeader"}
    assert all(op["security"] for p in locked["paths"] if p != "/healthz" for op in locked["paths"][p].values())
    assert paths == {
        "/healthz",
        "/v1/models",
        "/v1/models/{name}",
        "/v1/models/{name}/generate",
        "/v1/fid",
        "/generate/tabular",
        "/generate/image",
    }


def test_models_listing_and_description(http, iris_synth):
    listed = {m["name"]: m for m in http.get("/v1/models").json()["models"]}
    assert set(listed) == {"broken", "digits", "iris", "iris-copy", "messy"}  # not the symlink out
    assert listed["iris"]["data_kind"] == "tabular" and listed["digits"]["data_kind"] == "image"
    iris = http.get("/v1/models/iris").json()
    assert iris["clusters"] == [
        {"name": n, "size": s} for n, s in zip(iris_synth.cluster_names_, iris_synth.cluster_sizes_)
    ]
    assert iris["methods"] == ["random", "ellipsoid_walk", "random_walk", "morph", "crossover"]
    assert [c["name"] for c in iris["schema"]["columns"]] == [c.name for c in iris_synth.transformer_.columns_]
    assert iris["formats"] == ["json", "csv"] and iris["label"] == "species"
    digits = http.get("/v1/models/digits").json()
    assert digits["schema"]["shape"] == [1, 8, 8] and [c["name"] for c in digits["clusters"]] == list("0123456789")
    assert digits["formats"] == ["json", "png", "npz"]


# ---------------------------------------------------------------- same seed → same bytes


@pytest.mark.parametrize(
    "name, fmt, request_fields",
    [
        ("iris", "json", {"n": 9, "seed": 11}),
        ("iris", "csv", {"n": 12, "seed": 2, "cluster": "versicolor", "method": "morph"}),
        ("iris", "json", {"n": 5, "seed": 4, "method": "ellipsoid_walk", "accept_reject": True, "back_project": True}),
        ("digits", "json", {"n": 3, "seed": 5, "method": "crossover"}),
        ("digits", "png", {"n": 10, "seed": 6}),
        (
            "digits",
            "npz",
            {"n": 7, "seed": 7, "cluster": "3", "method": "random_walk", "method_options": {"step": 0.5}},
        ),
    ],
)
def test_same_seed_same_bytes_as_python(http, local, name, fmt, request_fields):
    response = http.post(f"/v1/models/{name}/generate", json={**request_fields, "format": fmt})
    assert response.status_code == 200, response.text
    fields = dict(request_fields)
    options = fields.pop("method_options", {})
    expect = _expected(local[name], name, fmt, **fields, **options)
    assert response.content == expect.body
    assert response.headers["content-type"].split(";")[0] == expect.media_type.split(";")[0]
    # and the values are those of LatentSynthesizer.sample
    syn = local[name]
    X, labels = syn.sample(
        fields["n"],
        random_state=fields["seed"],
        cluster=fields.get("cluster"),
        method=fields.get("method", "random"),
        accept_reject=fields.get("accept_reject", False),
        back_project=fields.get("back_project", False),
        **options,
    )
    if fmt == "json" and name == "iris":
        body = response.json()
        assert pd.DataFrame(body["rows"], columns=body["columns"]).equals(X)
        assert len(body["provenance"]) == fields["n"] and body["seed"] == fields["seed"]
    elif fmt == "json":
        assert np.array_equal(np.array(response.json()["images"], dtype=X.dtype), X)
    elif fmt == "csv":
        assert response.text == X.assign(species=labels).to_csv(index=False)
        assert json.loads(response.headers["X-Latentsynth-Provenance"])["seed"] == fields["seed"]
    elif fmt == "png":
        assert response.content == image_grid_png(syn.transformer_.transform(X), labels=labels)
    else:
        with np.load(io.BytesIO(response.content), allow_pickle=False) as npz:
            assert np.array_equal(npz["images"], X) and npz["labels"].tolist() == [str(v) for v in labels]
            assert npz["provenance_seed"].tolist() == [fields["seed"]] * fields["n"]


def test_concurrent_requests_are_batched_and_each_exact(server, local):
    from ray import serve as ray_serve

    generator = ray_serve.get_deployment_handle("Generator", app_name="main")
    before = generator.batch_sizes.remote().result()
    requests = [{"n": 1 + (i * 7) % 30, "seed": 100 + i, "method": ["random", "morph"][i % 2]} for i in range(24)]

    async def burst():
        async with httpx.AsyncClient(base_url=server, timeout=120) as client:
            return await asyncio.gather(
                *(client.post("/v1/models/digits/generate", json={**r, "format": "npz"}) for r in requests)
            )

    responses = asyncio.run(burst())
    for fields, response in zip(requests, responses):
        assert response.status_code == 200, response.text
        assert response.content == _expected(local["digits"], "digits", "npz", **fields).body
    after = generator.batch_sizes.remote().result()
    new = {size: after.get(size, 0) - before.get(size, 0) for size in after}
    assert sum(size * count for size, count in new.items()) == len(requests)
    assert max(size for size, count in new.items() if count) > 1, new  # requests were coalesced


def test_messy_table_same_rows_in_python_cli_and_http(http, serve_models, capsys):
    """A table with ids, text dates, gaps, ``NA`` as a value and free text: one seed gives the
    same rows (fresh ids, dates in their format, blanks) from Python, the CLI and HTTP."""
    from latentsynth.cli import main

    syn = LatentSynthesizer.load(serve_models / "messy")
    expect = syn.generate(30, random_state=5)
    python_csv = expect.data.assign(cls=expect.labels).to_csv(index=False)
    assert main(["generate", str(serve_models / "messy"), "--n", "30", "--seed", "5"]) == 0
    assert capsys.readouterr().out == python_csv
    csv = http.post("/v1/models/messy/generate", json={"n": 30, "seed": 5, "format": "csv"})
    assert csv.status_code == 200, csv.text
    assert csv.text == python_csv
    frame = pd.read_csv(io.StringIO(csv.text), keep_default_na=False, na_values=[""])
    assert frame["sample_id"].is_unique and frame["country"].isin(["NA", "DE", "FR"]).all()
    assert frame["sparse"].isna().any() and pd.to_datetime(frame["date"], format="%d/%m/%Y").notna().all()
    js = http.post("/v1/models/messy/generate", json={"n": 30, "seed": 5})
    assert js.status_code == 200, js.text
    rows = pd.DataFrame(js.json()["rows"], columns=js.json()["columns"])
    assert rows["sample_id"].tolist() == expect.data["sample_id"].tolist()
    assert rows["date"].tolist() == expect.data["date"].tolist()


def test_conditional_request_same_rows_in_python_cli_and_http(http, local, serve_models, capsys):
    """One conditional request (label set, a range, a constraint) with one seed: the rows of
    ``LatentSynthesizer.generate``, of ``latentsynth generate`` and of the HTTP csv and json
    bodies are the same; the json carries the report and per-row tries."""
    from latentsynth.cli import main

    conditions = {"species": ["setosa", "virginica"], "petal_length": [1.2, 5.5]}
    constraints = [{"kind": "inequality", "low": "petal_width", "high": "petal_length", "strict": False}]
    expect = local["iris"].generate(24, random_state=9, conditions=conditions, constraints=constraints)
    python_csv = expect.data.assign(species=expect.labels).to_csv(index=False)

    argv = [
        "generate",
        str(serve_models / "iris"),
        "--n",
        "24",
        "--seed",
        "9",
        "--condition",
        "species=setosa,virginica",
    ]
    assert main([*argv, "--condition", "petal_length=1.2:5.5", "--constraint", "petal_width<=petal_length"]) == 0
    assert capsys.readouterr().out == python_csv

    request = {"n": 24, "seed": 9, "conditions": conditions, "constraints": constraints}
    csv = http.post("/v1/models/iris/generate", json={**request, "format": "csv"})
    assert csv.status_code == 200, csv.text
    assert csv.text == python_csv
    js = http.post("/v1/models/iris/generate", json=request).json()
    assert pd.DataFrame(js["rows"], columns=js["columns"]).equals(expect.data)
    assert [p["tries"] for p in js["provenance"]] == expect.provenance["tries"].tolist()
    report = js["report"]
    assert (report["requested"], report["returned"], report["share_met"]) == (24, 24, 1.0)
    assert report["drawn"] == expect.report["drawn"] and 0 < report["acceptance_rate"] <= 1


def test_unseeded_requests_report_their_seed(http, local):
    body = http.post("/v1/models/iris/generate", json={"n": 4}).json()
    again = http.post("/v1/models/iris/generate", json={"n": 4, "seed": body["seed"]}).json()
    assert again["rows"] == body["rows"]


# ---------------------------------------------------------------- the VAE/GAN/FID report compatibility


def test_seed_001_endpoints(http, local):
    csv = http.get("/generate/tabular", params={"model": "iris", "samples": 6, "file_format": "csv", "seed": 3})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.content == _expected(local["iris"], "iris", "csv", n=6, seed=3).body
    js = http.get("/generate/tabular", params={"model": "iris", "samples": 6, "file_format": "json", "seed": 3})
    assert js.content == _expected(local["iris"], "iris", "json", n=6, seed=3).body
    png = http.get("/generate/image", params={"model": "digits", "samples": 4, "seed": 1})
    assert png.headers["content-type"] == "image/png"
    assert png.content == _expected(local["digits"], "digits", "png", n=4, seed=1).body
    image_json = http.get("/generate/image", params={"model": "digits", "samples": 2, "file_format": "json"})
    assert image_json.status_code == 200 and image_json.json()["shape"] == [2, 1, 8, 8]
    assert (
        http.get("/generate/tabular", params={"model": "iris"}).text.count("\n") == 101
    )  # the VAE/GAN/FID report default 100
    assert _loc(http.get("/generate/image", params={"model": "iris"})) == [("query", "model")]
    assert _loc(http.get("/generate/tabular", params={"model": "iris", "samples": MAX_N + 1})) == [("query", "samples")]
    assert _loc(http.get("/generate/tabular", params={"model": "iris", "file_format": "png"})) == [
        ("query", "file_format")
    ]
    _is_json_error(http.get("/generate/tabular", params={"model": "nope"}), 404)


# ---------------------------------------------------------------- errors: 4xx JSON naming the field


@pytest.mark.parametrize(
    "payload, loc",
    [
        ({"n": 0}, ("body", "n")),
        ({"n": MAX_N + 1}, ("body", "n")),
        ({"n": "many"}, ("body", "n")),
        ({"n": 2, "cluster": "rose"}, ("body", "cluster")),
        ({"n": 2, "method": "magic"}, ("body", "method")),
        ({"n": 2, "format": "png"}, ("body", "format")),
        ({"n": 2, "format": "gif"}, ("body", "format")),
        ({"n": 2, "q": 1.5}, ("body", "q")),
        ({"n": 2, "seed": -1}, ("body", "seed")),
        ({"n": 2, "colour": "red"}, ("body", "colour")),
        ({"n": 2, "method": "ellipsoid_walk", "method_options": {"axes": [0, 99]}}, ("body",)),
        ({"n": 2, "method": "ellipsoid_walk", "method_options": {"axes": [0, 0]}}, ("body", "method_options", "axes")),
        ({"n": 2, "conditions": {"colour": "red"}}, ("body", "conditions", "colour")),
        ({"n": 2, "conditions": {"sepal_length": "long"}}, ("body", "conditions", "sepal_length")),
        ({"n": 2, "conditions": {"sepal_length": [50, 60]}}, ("body", "conditions", "sepal_length")),
        ({"n": 2, "conditions": {"species": "rose"}}, ("body", "conditions", "species")),
        ({"n": 2, "constraints": [{"kind": "positive", "column": "colour"}]}, ("body", "constraints")),
        ({"n": 2, "constraints": [{"kind": "custom", "column": "x"}]}, ("body", "constraints", 0)),
        (
            {"n": 2, "seed": 1, "conditions": {"species": "setosa", "petal_length": [6.5, 6.9]}, "max_tries": 3000},
            ("body", "conditions"),
        ),
        (
            {"n": MAX_N, "method": "random", "accept_reject": True, "q": 1e-9, "cluster": "setosa"},
            ("body", "accept_reject"),
        ),
    ],
)
def test_bad_fields_are_422_naming_them(http, payload, loc):
    locs = _loc(http.post("/v1/models/iris/generate", json=payload))
    assert any(got[: len(loc)] == loc for got in locs), locs


def test_malformed_and_missing_bodies_are_422(http):
    assert (
        _loc(http.post("/v1/models/iris/generate", content=b"{not json", headers={"content-type": "application/json"}))[
            0
        ][0]
        == "body"
    )
    assert ("body",) in _loc(http.post("/v1/models/iris/generate"))


@pytest.mark.parametrize(
    "path",
    [
        "/v1/models/nope",
        "/v1/models/escape",
        "/v1/models/..%2F..%2Fetc",
        "/v1/models/%2Fetc%2Fpasswd",
        "/v1/models/.hidden",
        "/v1/models/iris%00",
    ],
)
def test_unknown_and_escaping_model_names_are_404(http, path):
    _is_json_error(http.get(path), 404)
    _is_json_error(http.post(f"{path}/generate", json={"n": 1}), 404)


@pytest.mark.parametrize("model", ["../outside", "/etc", "escape", "..", "iris/../../outside"])
def test_traversal_through_query_parameters_is_404(http, model):
    _is_json_error(http.get("/generate/tabular", params={"model": model, "samples": 1}), 404)
    fid = http.post("/v1/fid", json={"model": model, "n": 10})
    assert fid.status_code in (404, 422) and fid.headers["content-type"] == "application/json"


def test_a_corrupt_artifact_is_404_everywhere(http):
    for response in (
        http.get("/generate/tabular", params={"model": "broken", "samples": 1}),
        http.get("/v1/models/broken"),
        http.post("/v1/models/broken/generate", json={"n": 1}),
    ):
        assert "cannot be loaded" in _is_json_error(response, 404)


def test_api_key(server):
    locked = f"{server}/locked"
    assert httpx.get(f"{locked}/healthz").json()["api_key_required"] is True
    for headers in ({}, {"X-API-Key": "wrong"}, {"X-API-Key": KEY + "x"}, {"X-API-Key": ""}):
        for method, path, kw in (
            ("GET", "/v1/models", {}),
            ("GET", "/v1/models/iris", {}),
            ("POST", "/v1/models/iris/generate", {"json": {"n": 1}}),
            ("GET", "/generate/tabular", {"params": {"model": "iris"}}),
            ("POST", "/v1/fid", {"json": {"model": "digits", "n": 10}}),
        ):
            _is_json_error(httpx.request(method, f"{locked}{path}", headers=headers, timeout=60, **kw), 401)
    ok = httpx.post(
        f"{locked}/v1/models/iris/generate", json={"n": 2, "seed": 0}, headers={"X-API-Key": KEY}, timeout=60
    )
    assert ok.status_code == 200 and len(ok.json()["rows"]) == 2
    assert httpx.get(f"{locked}/v1/models", headers={"X-API-Key": KEY}).status_code == 200


def test_model_cache_is_a_bounded_lru(http):
    from ray import serve as ray_serve

    for name in ("iris", "digits", "iris-copy", "iris"):
        assert http.post(f"/v1/models/{name}/generate", json={"n": 1, "seed": 0}).status_code == 200
    loaded = ray_serve.get_deployment_handle("Generator", app_name="main").loaded_models.remote().result()
    assert len(loaded) == 2 and loaded[-1] == "iris"


def test_fid_endpoint(http, serve_models, local, fid_weights):
    """Over HTTP, the same FID as fid_score in this process (stand-in Inception weights: the value
    proves the plumbing, not image quality)."""
    from synth.data.sources import load_embedded
    from synth.metrics.fid import InceptionExtractor, feature_stats, fid_score

    assert ("body", "reference") in _loc(http.post("/v1/fid", json={"model": "digits", "n": 10, "seed": 0}))
    reference = serve_models / "digits" / "fid_reference.npz"
    real = load_embedded("digits").data[:16].astype(np.float32) / 16.0
    feature_stats(real, extractor=InceptionExtractor(fid_weights, device="cpu"), batch_size=8).to_npz(reference)
    try:
        response = http.post("/v1/fid", json={"model": "digits", "n": 12, "seed": 5, "batch_size": 6})
        assert response.status_code == 200, response.text
        body = response.json()
        expected = fid_score(reference, local["digits"], n=12, seed=5, batch_size=6, weights=fid_weights).fid
        assert abs(body["fid"] - expected) <= 1e-6 * expected and body["details"]["official_weights"] is False
        capped = http.post("/v1/fid", json={"model": "digits", "n": 41, "seed": 5})
        assert ("body", "n") in _loc(capped) or capped.status_code == 422
    finally:
        reference.unlink()
    _is_json_error(http.post("/v1/fid", json={"model": "nope", "n": 10}), 404)
    assert ("body", "n") in _loc(http.post("/v1/fid", json={"model": "digits", "n": 1}))


# ---------------------------------------------------------------- schemathesis against /openapi.json


@pytest.mark.parametrize("prefix, headers", [("", []), ("/locked", ["-H", f"X-API-Key: {KEY}"])])
def test_schemathesis_run_all_checks(server, prefix, headers, tmp_path):
    """``schemathesis run --checks all`` against the served document, as a user would run it,
    without and with an API key: no failure (a few examples per operation). The one built-in
    check swapped out is positive_data_acceptance, for its variant in schemathesis_hooks.py that
    lets through only the 422s that depend on what the named model holds."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    hooks = Path(__file__).with_name("schemathesis_hooks.py")
    command = [sys.executable, "-m", "schemathesis.cli", "run", f"{server}{prefix}/openapi.json", "--checks", "all"]
    command += ["--exclude-checks", "positive_data_acceptance", "--max-examples", "8", "--seed", "1"]
    command += ["--workers", "1", "--request-timeout", "60", "--suppress-health-check", "all", *headers]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": str(hooks)}
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    summary = done.stdout.split("SUMMARY")[-1]
    assert "Tested: 7" in summary and " passed" in summary, summary


WITH_INPUT = [
    ("GET", "/v1/models/{name}"),
    ("POST", "/v1/models/{name}/generate"),
    ("POST", "/v1/fid"),
    ("GET", "/generate/tabular"),
    ("GET", "/generate/image"),
]
OPERATIONS = [(m, p, GenerationMode.POSITIVE) for m, p in [("GET", "/healthz"), ("GET", "/v1/models"), *WITH_INPUT]]
OPERATIONS += [(m, p, GenerationMode.NEGATIVE) for m, p in WITH_INPUT]  # the others have no input to break
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def api_schema(server):
    return schemathesis.openapi.from_url(f"{server}/openapi.json")


@pytest.mark.parametrize("method, path, mode", OPERATIONS)
def test_openapi_contract(api_schema, method, path, mode):
    """No 5xx and no response outside the schema, for generated valid and invalid requests
    (bounded: a few examples per operation and mode). Every other generated model name is
    swapped for a real one so the generation paths run too."""
    strategy = api_schema[path][method].as_strategy(generation_mode=mode)
    real = iter(["iris", "digits"] * 1000)
    statuses = []

    @given(case=strategy)
    @settings(
        max_examples=25,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(case):
        if case.path_parameters and "name" in case.path_parameters and len(str(case.path_parameters["name"])) % 2:
            case.path_parameters["name"] = next(real)
        if isinstance(case.query, dict) and "model" in case.query and len(str(case.query["model"])) % 2:
            case.query["model"] = "iris" if path.endswith("tabular") else "digits"
        if isinstance(case.body, dict) and "model" in case.body and len(str(case.body["model"])) % 2:
            case.body["model"] = "digits"
        response = case.call_and_validate(checks=CHECKS, timeout=120)
        assert response.status_code < 500, response.text
        statuses.append(response.status_code)

    check()
    if mode == GenerationMode.POSITIVE:  # valid requests reached a model, not only 404s
        assert (200 if path != "/v1/fid" else 422) in statuses, statuses
