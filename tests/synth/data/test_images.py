"""ImageTransformer: fitting needs two images, scaling one (a one-image grid) works."""

from __future__ import annotations

import numpy as np
import pytest

from synth.data.images import ImageTransformer
from synth.errors import DataError


def test_one_image_scales_but_fitting_needs_two():
    images = np.arange(2 * 64, dtype=np.uint8).reshape(2, 1, 8, 8)
    scaler = ImageTransformer().fit(images)
    one = scaler.transform(images[:1])
    assert one.shape == (1, 1, 8, 8) and float(one.max()) == pytest.approx(63 / 255)
    with pytest.raises(DataError, match="at least 2 images"):
        ImageTransformer().fit(images[:1])


def test_float_images_of_whole_numbers_come_back_as_whole_numbers():
    rng = np.random.default_rng(0)
    levels = rng.integers(0, 17, (6, 1, 4, 4)).astype(np.float32)  # digits-like 0..16 stored as float
    grid = ImageTransformer().fit(levels)
    noisy = grid.transform(levels) + np.float32(0.02)  # a decoder's output is never exactly on the grid
    back = grid.inverse_transform(noisy)
    assert back.dtype == np.float32 and np.array_equal(back, np.round(back)) and np.array_equal(back, levels)
    smooth = ImageTransformer().fit(levels + np.float32(0.5))  # not whole numbers: left continuous
    assert not np.array_equal(smooth.inverse_transform(noisy), np.round(smooth.inverse_transform(noisy)))
    again = ImageTransformer.from_dict(grid.to_dict())
    assert again.to_dict() == grid.to_dict() and np.array_equal(again.inverse_transform(noisy), back)
    old = {k: v for k, v in grid.to_dict().items() if k != "integral"}  # saved before the flag existed
    assert not ImageTransformer.from_dict(old).integral_
