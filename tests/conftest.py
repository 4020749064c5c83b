"""Shared fixtures. Ray tests share ONE session-scoped local Ray (num_cpus=2);
GPU tests skip cleanly without CUDA."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

os.environ.setdefault("RAY_DISABLE_IMPORT_WARNING", "1")
os.environ.setdefault("RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO", "0")


def pytest_collection_modifyitems(config, items):
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU (none on this machine)")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def ray_session():
    """One local Ray for the whole test session (start-up costs ~5–20 s here)."""
    ray = pytest.importorskip("ray")
    if not ray.is_initialized():
        ray.init(
            num_cpus=2,
            include_dashboard=False,
            log_to_driver=False,
            runtime_env={
                "env_vars": {
                    "PYTHONPATH": os.pathsep.join(
                        filter(
                            None,
                            [os.path.dirname(os.path.dirname(os.path.abspath(__file__))), os.environ.get("PYTHONPATH")],
                        )
                    )
                }
            },
        )
    yield ray
    ray.shutdown()


def messy_table(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """A table as users have them: gaps at several rates (one column 90 % empty), ``NA`` as a
    real category, an ID, dates as text, a constant, free text, integers, booleans, a heavy tail."""
    rng = np.random.default_rng(seed)
    cls = rng.choice(["a", "b"], n)
    x = rng.normal(size=n) + 2.0 * (cls == "b")
    gappy = np.where(rng.random(n) < np.where(cls == "a", 0.1, 0.5), np.nan, x + rng.normal(size=n))  # rate by class
    sparse = np.where(rng.random(n) < 0.9, np.nan, rng.gamma(2.0, size=n).round(2))  # 90 % empty
    count = rng.poisson(30, n).astype(float)
    count[rng.random(n) < 0.05] = np.nan  # integers with gaps (float64 with NaN, as pandas reads them)
    words = ["fine", "redo", "check again", "sample lost", "ok", "noisy"]
    comment = [f"{' '.join(rng.choice(words, 3))} #{i}" if rng.random() < 0.3 else "" for i in range(n)]
    dates = pd.Timestamp("2021-03-01") + pd.to_timedelta(rng.integers(0, 400, n), unit="D")
    return pd.DataFrame(
        {
            "sample_id": [f"S-{i:05d}" for i in rng.permutation(n) + 1],
            "date": dates.strftime("%d/%m/%Y"),
            "x": x,
            "gappy": gappy,
            "sparse": sparse,
            "country": rng.choice(["NA", "DE", "FR"], n, p=[1 / 3, 1 / 3, 1 / 3]),  # NA: Namibia, not missing
            "site": "lab-1",
            "comment": comment,
            "count": count,
            "n_int": rng.integers(0, 1000, n),
            "flag": rng.random(n) < 0.3,
            "heavy": rng.standard_t(3, n),
            "cls": cls,
        }
    )


@pytest.fixture(scope="session")
def messy_frame() -> pd.DataFrame:
    return messy_table()


@pytest.fixture(scope="session")
def iris_frame() -> pd.DataFrame:
    from synth.data.sources import load_embedded

    return load_embedded("iris").data


@pytest.fixture(scope="session")
def iris_synth(iris_frame):
    """The VAE/GAN/FID report's Iris VAE (latent 5, 300 epochs), trained once per session (~6 s). Its recipe is
    spelled out: the package defaults were retuned (128-64, β 1e-4, 1000 epochs)."""
    from synth.synthesizer import LatentSynthesizer

    return LatentSynthesizer(
        model="vae", latent_dim=5, hidden=(16, 8), beta_max=0.01, epochs=300, patience=40, random_state=0
    ).fit(iris_frame, y="species")


@pytest.fixture(scope="session")
def blobs_frame() -> pd.DataFrame:
    """Three separated Gaussian blobs with an int, a float and a categorical column, unlabelled."""
    rng = np.random.default_rng(0)
    centers = np.array([[0, 0, 0], [6, 6, 0], [0, 6, 6]], float)
    X = np.concatenate([c + rng.standard_normal((40, 3)) for c in centers])
    return pd.DataFrame(
        {
            "a": X[:, 0],
            "b": np.round(X[:, 1] * 10).astype(np.int64),
            "c": X[:, 2],
            "kind": np.repeat(["x", "y", "z"], 40),
        }
    )


# Stand-in pytorch-fid Inception weights (right shapes, calibrated BatchNorm; no download here):
# values computed with them prove FID plumbing and exactness, never image quality.
@pytest.fixture(scope="session")
def fid_torch_home(tmp_path_factory) -> Path:
    from synth.metrics.offline_inception import write_offline_weights

    home = tmp_path_factory.mktemp("torch_home")
    write_offline_weights(home, seed=0, calibration_images=4)
    return home


@pytest.fixture(scope="session")
def fid_weights(fid_torch_home) -> Path:
    from synth.metrics.offline_inception import WEIGHTS_NAME

    return fid_torch_home / "hub" / "checkpoints" / WEIGHTS_NAME


@pytest.fixture
def cli_fails(capsys):
    """``cli_fails(argv, message)``: the CLI exits 2 with ``message`` on stderr and no traceback;
    returns stderr."""
    from latentsynth.cli import main

    def fails(argv, message):
        code = main(argv)
        err = capsys.readouterr().err
        assert code == 2, err
        assert message in err and "Traceback" not in err, err
        return err

    return fails
