import math

import pytest

from synth.errors import ConfigError
from synth.training.schedules import KLSchedule


def test_linear_is_seed001_warmup():
    s = KLSchedule("linear", beta_max=0.01, warmup_epochs=100)
    assert s(0, 300) == 0.0
    assert s(50, 300) == pytest.approx(0.005)
    assert s(100, 300) == s(299, 300) == pytest.approx(0.01)
    assert s.settled_epoch == 100


def test_constant_sigmoid_cyclical():
    assert KLSchedule("constant", beta_max=0.3)(7, 10) == 0.3
    sig = KLSchedule("sigmoid", beta_max=1.0, warmup_epochs=100)
    assert sig(50, 200) == pytest.approx(0.5)
    assert sig(0, 200) < 0.01 and sig(100, 200) > 0.99
    assert all(sig(t, 200) <= sig(t + 1, 200) for t in range(199))
    cyc = KLSchedule("cyclical", beta_max=1.0, n_cycles=4, ratio=0.5)
    # 100 epochs, 4 cycles of 25: ramp over 12.5 epochs then hold
    assert cyc(0, 100) == 0.0 and cyc(25, 100) == 0.0 and cyc(50, 100) == 0.0
    assert cyc(5, 100) == pytest.approx(5 / 12.5)
    assert cyc(20, 100) == 1.0 and cyc(45, 100) == 1.0
    assert math.isclose(cyc(30, 100), 5 / 12.5)


@pytest.mark.parametrize("kwargs", [{"kind": "exp"}, {"beta_max": -1}, {"n_cycles": 0}, {"ratio": 0}])
def test_bad_schedule(kwargs):
    with pytest.raises(ConfigError):
        KLSchedule(**kwargs)
