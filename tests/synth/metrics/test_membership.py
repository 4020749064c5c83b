import numpy as np
import pytest

from synth.errors import ConfigError, DataError
from synth.metrics.membership import membership_inference


@pytest.fixture(scope="module")
def split():
    rng = np.random.default_rng(0)

    # two clusters of different spread, so density varies across the space
    def draw(n):
        return np.r_[rng.normal(size=(n, 4)) * 0.2, rng.normal(size=(n, 4)) * 2 + 4]

    return draw(150), draw(60), draw(150)


def test_a_copy_of_the_training_set_leaks(split):
    train, holdout, _ = split
    out = membership_inference(train, holdout, train.copy())
    assert out["dcr"]["auc"] > 0.95
    assert out["domias"]["auc"] > 0.95
    assert out["max_auc"] == max(out["dcr"]["auc"], out["domias"]["auc"])
    assert (out["n_members"], out["n_non_members"]) == (300, 120)


def test_a_fresh_sample_does_not(split):
    train, holdout, fresh = split
    out = membership_inference(train, holdout, fresh)
    assert abs(out["dcr"]["auc"] - 0.5) < 0.1
    assert abs(out["domias"]["auc"] - 0.5) < 0.1


@pytest.mark.parametrize("seed", [0, 1])
def test_density_ratio_beats_the_distance_where_density_varies(seed):
    # a dense cluster generated faithfully (no leak) and a wide one whose members are copied
    # with noise: close synthetic rows in the dense cluster fool the distance, not the ratio
    rng = np.random.default_rng(seed)
    wide_members = rng.normal(size=(150, 4)) * 2 + 4
    train = np.r_[rng.normal(size=(150, 4)) * 0.05, wide_members]
    holdout = np.r_[rng.normal(size=(60, 4)) * 0.05, rng.normal(size=(60, 4)) * 2 + 4]
    syn = np.r_[rng.normal(size=(150, 4)) * 0.05, wide_members + 0.3 * rng.normal(size=wide_members.shape)]
    out = membership_inference(train, holdout, syn)
    assert out["domias"]["auc"] > out["dcr"]["auc"] + 0.03
    assert out["dcr"]["auc"] > 0.55


def test_bad_input(split):
    train, holdout, fresh = split
    with pytest.raises(DataError, match="3 features but X_train has 4"):
        membership_inference(train, holdout[:, :3], fresh)
    with pytest.raises(DataError, match="at least 2 held-out rows"):
        membership_inference(train, holdout[:1], fresh)
    with pytest.raises(ConfigError, match="k must be"):
        membership_inference(train, holdout, fresh, k=0)
    with pytest.raises(DataError, match="NaN"):
        membership_inference(train, holdout, np.full_like(fresh, np.nan))
