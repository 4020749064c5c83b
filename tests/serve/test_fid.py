"""POST /v1/fid's logic: request checks with a stand-in backend, and the real backend (pytorch-fid's
Inception with stand-in weights, sharded over a Ray actor) giving Python's value. Stand-in weights
prove plumbing and exactness, never image quality."""

import json

import numpy as np
import pytest

from serve.fid import evaluate_fid, sharded_model_fid
from serve.protocol import Failure, Payload


def _body(**kw):
    return {"model": "digits", "n": 20, "seed": 3, "reference": "fid_reference", "batch_size": 8, **kw}


@pytest.fixture
def with_reference(serve_models):
    path = serve_models / "digits" / "fid_reference.npz"
    path.write_bytes(b"stand-in: the fake backend does not read it")
    yield path
    path.unlink()


def test_backend_result_becomes_the_response(serve_models, with_reference, tmp_path):
    seen = {}

    def backend(syn, *, n, seed, reference, batch_size, workers, weights):
        seen.update(
            kind=syn.data_kind_,
            n=n,
            seed=seed,
            reference=reference,
            batch_size=batch_size,
            workers=workers,
            weights=weights,
        )
        return {"fid": 12.5, "shards": workers}

    result = evaluate_fid(serve_models, _body(), workers=2, max_n=100, weights=tmp_path / "w.pth", backend=backend)
    assert isinstance(result, Payload)
    body = json.loads(result.body)
    assert body["fid"] == 12.5 and body["n"] == 20 and body["details"] == {"shards": 2}
    assert seen == {
        "kind": "image",
        "n": 20,
        "seed": 3,
        "reference": with_reference,
        "batch_size": 8,
        "workers": 2,
        "weights": tmp_path / "w.pth",
    }


@pytest.mark.parametrize(
    "body, status, field",
    [
        (_body(n=1000), 422, "n"),
        (_body(reference="other"), 422, "reference"),
        (_body(model="iris"), 422, "reference"),  # iris has no reference stats either; checked first
        (_body(model="nope"), 404, None),
    ],
)
def test_bad_requests(serve_models, with_reference, body, status, field):
    result = evaluate_fid(serve_models, body, workers=1, max_n=100, backend=lambda *a, **k: {"fid": 1.0})
    assert isinstance(result, Failure) and (result.status, result.field) == (status, field)


def test_tabular_model_and_non_finite_values(serve_models):
    ref = serve_models / "iris" / "fid_reference.npz"
    ref.write_bytes(b"x")
    try:
        tabular = evaluate_fid(
            serve_models, _body(model="iris"), workers=1, max_n=100, backend=lambda *a, **k: {"fid": 1.0}
        )
        assert (tabular.status, tabular.field) == (422, "model")
    finally:
        ref.unlink()
    (serve_models / "digits" / "fid_reference.npz").write_bytes(b"x")
    try:
        nan = evaluate_fid(serve_models, _body(), workers=1, max_n=100, backend=lambda *a, **k: {"fid": float("nan")})
        assert nan.status == 422
    finally:
        (serve_models / "digits" / "fid_reference.npz").unlink()


def test_missing_weights_and_foreign_statistics_are_4xx(serve_models, tmp_path, fid_weights):
    from synth.metrics.feature_stats import FeatureStats

    reference = serve_models / "digits" / "fid_reference.npz"
    rng = np.random.default_rng(0)
    FeatureStats.from_features(rng.random((5, 2048)), extractor="some-other-network").to_npz(reference)
    try:
        missing = evaluate_fid(serve_models, _body(), workers=1, max_n=100, weights=tmp_path / "absent.pth")
        assert missing.status in (400, 422) and "absent.pth" in missing.detail
        foreign = evaluate_fid(serve_models, _body(), workers=1, max_n=100, weights=fid_weights)
        assert foreign.status in (400, 422) and "some-other-network" in foreign.detail
    finally:
        reference.unlink()


@pytest.mark.ray
def test_real_backend_gives_pythons_fid(ray_session, serve_models, fid_weights):
    """Reference statistics of 24 real digits; 20 samples with seed 3 through one Ray actor."""
    from synth.data.sources import load_embedded
    from synth.metrics.fid import InceptionExtractor, feature_stats, fid_score
    from synth.synthesizer import LatentSynthesizer

    extractor = InceptionExtractor(fid_weights, device="cpu")
    real = load_embedded("digits").data[:24].astype(np.float32) / 16.0
    reference = serve_models / "digits" / "fid_reference.npz"
    feature_stats(real, extractor=extractor, batch_size=8).to_npz(reference)
    try:
        served = evaluate_fid(serve_models, _body(), workers=1, max_n=100, weights=fid_weights)
        assert isinstance(served, Payload), served
        body = json.loads(served.body)
        syn = LatentSynthesizer.load(serve_models / "digits")
        expected = fid_score(reference, syn, n=20, seed=3, batch_size=8, weights=fid_weights).fid
        assert body["fid"] > 0 and abs(body["fid"] - expected) <= 1e-6 * expected
        assert body["details"]["n_gen"] == 20 and body["details"]["official_weights"] is False
        assert "not that images are good" in body["details"]["note"]
        direct = sharded_model_fid(syn, n=20, seed=3, reference=reference, batch_size=8, workers=1, weights=fid_weights)
        assert direct["fid"] == body["fid"]
    finally:
        reference.unlink()
