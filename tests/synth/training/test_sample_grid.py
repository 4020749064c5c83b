"""The sample-grid callback: PNGs every N epochs, and training unchanged by it."""

import numpy as np
import pytest
import torch
from PIL import Image

from synth.errors import ConfigError
from synth.synthesizer import LatentSynthesizer
from synth.training.sample_grid import SampleGrid


@pytest.fixture(scope="module")
def digits_small():
    from synth.data.sources import load_embedded

    raw = load_embedded("digits")
    idx = np.flatnonzero(raw.labels < 4)[:64]
    return raw.data[idx], raw.labels[idx]


def test_grid_every_n_epochs_and_training_unchanged(digits_small, tmp_path):
    X, y = digits_small
    options = {"model": "cdcgan", "epochs": 3, "gan_channels": 16, "batch_size": 32, "random_state": 0}
    grid = SampleGrid(tmp_path / "grids", every=2, per_class=5)
    with_grid = LatentSynthesizer(**options).fit(X, y, callbacks=[grid])
    without = LatentSynthesizer(**options).fit(X, y)
    for (k, a), b in zip(with_grid.module_.state_dict().items(), without.module_.state_dict().values()):
        assert torch.equal(a, b), k  # own RNG, BatchNorm state restored
    files = sorted(p.name for p in (tmp_path / "grids").iterdir())
    assert files == ["epoch_0002.png", "epoch_0003.png"]  # every 2 epochs, and the last one
    assert with_grid.train_summary_["sample_grids"][-1].endswith("epoch_0003.png")
    picture = Image.open(tmp_path / "grids" / "epoch_0003.png")
    assert picture.width > picture.height > 0  # 4 classes × 5 columns


def test_grid_for_records_and_refusal_for_tables(tmp_path, iris_frame):
    rng = np.random.default_rng(0)
    grid = SampleGrid(tmp_path / "rec", every=1, n=6)
    LatentSynthesizer(model="double-ae", epochs=1, column_dim=2, row_dim=2, random_state=0).fit(
        rng.random((8, 6, 5)), callbacks=[grid]
    )
    assert [p.name for p in (tmp_path / "rec").iterdir()] == ["epoch_0001.png"]
    with pytest.raises(ConfigError, match="not tables"):
        LatentSynthesizer(model="ae", epochs=1).fit(iris_frame, y="species", callbacks=[SampleGrid(tmp_path)])
