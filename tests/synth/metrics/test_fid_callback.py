"""FID over epochs: the callback logs ``fid`` every K epochs into the history (CSV column, plot
panel) without changing what training does. A cheap pooling extractor stands in for Inception
here (test_fid_cli runs the real one): these values check plumbing, not image quality."""

import numpy as np
import pandas as pd
import pytest

from synth.errors import ConfigError
from synth.metrics.fid_callback import FIDCallback
from synth.plots import history_png
from synth.synthesizer import LatentSynthesizer


@pytest.fixture(scope="module")
def digits():
    from synth.data.sources import load_embedded

    raw = load_embedded("digits")
    return raw.data[:240], raw.labels[:240]


def _fit(digits, callbacks=()):
    X, y = digits
    return LatentSynthesizer(model="vae", latent_dim=4, epochs=4, patience=None, random_state=0).fit(
        X, y, callbacks=callbacks
    )


def test_fid_is_logged_every_k_epochs_and_training_is_unchanged(digits, pool_features, tmp_path):
    callback = FIDCallback(every=2, n=30, extractor=pool_features)
    with_fid = _fit(digits, [callback])
    without = _fit(digits)
    logged = {h["epoch"]: h.get("fid") for h in with_fid.history_}
    assert logged[1] is None and logged[3] is None
    assert np.isfinite(logged[2]) and np.isfinite(logged[4]) and logged[2] > 0
    assert [h["loss"] for h in with_fid.history_] == [h["loss"] for h in without.history_]
    assert callback.reference.n == 30
    with_fid.save(tmp_path / "art")
    frame = pd.read_csv(tmp_path / "art" / "history.csv")
    assert frame["fid"].notna().tolist() == [False, True, False, True]
    assert (tmp_path / "art" / "history.png").read_bytes()[:4] == b"\x89PNG"
    reloaded = LatentSynthesizer.load(tmp_path / "art").history_
    assert history_png(reloaded)[:4] == b"\x89PNG"  # NaN-padded fid column from the CSV


def test_history_plot_gets_an_fid_panel_only_when_fid_was_logged():
    import io

    from PIL import Image

    base = [{"epoch": e, "loss": 1.0 / e, "val_loss": 1.2 / e, "beta": 0.01 * e, "seconds": 0.1} for e in (1, 2, 3)]
    with_fid = [dict(h, **({"fid": 50.0 / h["epoch"]} if h["epoch"] != 2 else {})) for h in base]
    width = Image.open(io.BytesIO(history_png(base))).size[0]
    assert Image.open(io.BytesIO(history_png(with_fid))).size[0] > width


def test_tabular_models_and_bad_settings_are_clear_errors(iris_frame, pool_features):
    with pytest.raises(ConfigError, match="FID needs image data"):
        LatentSynthesizer(model="vae", epochs=2, random_state=0).fit(
            iris_frame, y="species", callbacks=[FIDCallback(every=1, n=10, extractor=pool_features)]
        )
    for every in (0, 1.5, True):
        with pytest.raises(ConfigError, match="every K epochs"):
            FIDCallback(every=every)
    with pytest.raises(ConfigError, match="at least 2 images"):
        FIDCallback(every=1, n=1)


def test_a_conditional_gan_is_scored_from_its_own_prior(digits, pool_features):
    """A GAN has no encoder: the callback feeds it N(0, I) noise and uniform classes; training is unchanged."""
    X, y = digits

    def fit(callbacks=()):
        return LatentSynthesizer(model="cdcgan", epochs=2, gan_channels=16, random_state=0).fit(
            X[:120], y[:120], callbacks=callbacks
        )

    scored = fit([FIDCallback(every=1, n=24, extractor=pool_features)])
    fids = [h["fid"] for h in scored.history_]
    assert len(fids) == 2 and all(np.isfinite(f) and f > 0 for f in fids)
    assert [h["g_loss"] for h in scored.history_] == [h["g_loss"] for h in fit().history_]
