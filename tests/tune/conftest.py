"""Fixtures of the Tune tests: the campaign data, a small trial setup, and one bounded
8-trial Iris campaign (latent 2/3/5/8 × linear/cyclical, ASHA) run once per session
through the CLI on the session's Ray."""

from __future__ import annotations

import pytest

GRID_SPACE = "latent_dim: {grid: [2, 3, 5, 8]}\nkl_schedule: {grid: [linear, cyclical]}\n"
CAMPAIGN_EPOCHS = 12


@pytest.fixture(scope="session")
def iris_campaign_data():
    from tune.data import load_campaign_data

    return load_campaign_data("iris", label=None, unlabelled=False, holdout=0.2, seed=0)


@pytest.fixture
def small_setup(iris_campaign_data):
    from tune.trainable import TrialSetup

    return TrialSetup(
        data=iris_campaign_data,
        fixed={"model": "vae", "epochs": 8, "random_state": 0, "patience": None},
        metrics_every=3,
        checkpoint_every=3,
    )


@pytest.fixture(scope="session")
def iris_campaign(ray_session, tmp_path_factory):
    """(out dir, exit code, stdout) of `latentsynth tune` on Iris: 8 grid trials, 12 epochs max."""
    import contextlib
    import io

    from latentsynth.cli import main

    root = tmp_path_factory.mktemp("tune_iris")
    space = root / "space.yaml"
    space.write_text(GRID_SPACE)
    out = root / "out"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(
            [
                "tune",
                "--data",
                "iris",
                "--num-samples",
                "1",
                "--space",
                str(space),
                "--epochs",
                str(CAMPAIGN_EPOCHS),
                "--cpus-per-trial",
                "0.5",
                "--grace-period",
                "2",
                "--quiet",
                "--out",
                str(out),
            ]
        )
    return out, code, buf.getvalue()
