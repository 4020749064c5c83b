"""POST /v1/fid's logic, with a stand-in backend (the real one is synth.metrics.fid's)."""
import json

import pytest

from serve.fid import NOT_INSTALLED, evaluate_fid
from serve.protocol import Failure, Payload


def _body(**kw):
    return {"model": "digits", "n": 20, "seed": 3, "reference": "fid_reference", "batch_size": 8, **kw}


@pytest.fixture
def with_reference(serve_models):
    path = serve_models / "digits" / "fid_reference.npz"
    path.write_bytes(b"stand-in: the fake backend does not read it")
    yield path
    path.unlink()


def test_not_installed_is_a_clear_501(serve_models):
    result = evaluate_fid(serve_models, _body(), workers=1, max_n=100, backend=None)
    assert isinstance(result, Failure) and result.status == 501 and result.detail == NOT_INSTALLED


def test_backend_result_becomes_the_response(serve_models, with_reference):
    seen = {}

    def backend(syn, *, n, seed, reference, batch_size, workers):
        seen.update(kind=syn.data_kind_, n=n, seed=seed, reference=reference, batch_size=batch_size, workers=workers)
        return {"fid": 12.5, "shards": workers}

    result = evaluate_fid(serve_models, _body(), workers=2, max_n=100, backend=backend)
    assert isinstance(result, Payload)
    body = json.loads(result.body)
    assert body["fid"] == 12.5 and body["n"] == 20 and body["details"] == {"shards": 2}
    assert seen == {"kind": "image", "n": 20, "seed": 3, "reference": with_reference, "batch_size": 8, "workers": 2}


@pytest.mark.parametrize("body, status, field", [
    (_body(n=1000), 422, "n"),
    (_body(reference="other"), 422, "reference"),
    (_body(model="iris"), 422, "reference"),   # iris has no reference stats either; checked first
    (_body(model="nope"), 404, None),
])
def test_bad_requests(serve_models, with_reference, body, status, field):
    result = evaluate_fid(serve_models, body, workers=1, max_n=100, backend=lambda *a, **k: {"fid": 1.0})
    assert isinstance(result, Failure) and (result.status, result.field) == (status, field)


def test_tabular_model_and_broken_backend(serve_models):
    ref = serve_models / "iris" / "fid_reference.npz"
    ref.write_bytes(b"x")
    try:
        tabular = evaluate_fid(serve_models, _body(model="iris"), workers=1, max_n=100,
                               backend=lambda *a, **k: {"fid": 1.0})
        assert (tabular.status, tabular.field) == (422, "model")
    finally:
        ref.unlink()

    def moved(*args, **kwargs):
        raise AttributeError("module has no attribute 'fid_distributed'")

    (serve_models / "digits" / "fid_reference.npz").write_bytes(b"x")
    try:
        broken = evaluate_fid(serve_models, _body(), workers=1, max_n=100, backend=moved)
        assert broken.status == 501 and "does not match" in broken.detail
        nan = evaluate_fid(serve_models, _body(), workers=1, max_n=100, backend=lambda *a, **k: {"fid": float("nan")})
        assert nan.status == 422
    finally:
        (serve_models / "digits" / "fid_reference.npz").unlink()
