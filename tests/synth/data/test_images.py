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
