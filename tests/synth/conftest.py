"""Fixtures for the GAN / double-AE / record tests."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def records():
    """90 toy 2-D records (16×20), three classes of class-dependent peaks plus noise."""
    from synth.data.toy_records import peak_records
    return peak_records()
