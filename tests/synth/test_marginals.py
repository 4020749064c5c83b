"""Per-cluster marginal calibration: closed forms on known distributions, and its place in a fit."""

import numpy as np
import pytest
from scipy import stats

from synth.marginals import MarginalCalibration, fit_marginal_calibration, grid_size, real_quantiles


def _fit(real, codes, model_draws, **kwargs):
    """Calibration whose model side draws from ``model_draws[k]`` (a seeded sampler per cluster)."""
    return fit_marginal_calibration(
        real, codes, len(model_draws), draw=lambda k, m: model_draws[k](m), features=np.arange(real.shape[1]), **kwargs
    )


def test_a_gaussian_decoder_output_gets_the_real_skewed_marginal_and_keeps_its_order():
    rng = np.random.default_rng(0)
    real = np.column_stack([rng.exponential(1.0, 4000), rng.uniform(2, 3, 4000)])
    draws = [lambda m: np.random.default_rng(1).normal(size=(m, 2))]
    cal = _fit(real, np.zeros(4000, int), draws, anchor_size=5, n_draws=4000)
    x = rng.normal(size=(3000, 2))
    y = cal.apply(x, np.zeros(3000, int))
    assert stats.ks_2samp(y[:, 0], real[:, 0]).statistic < 0.05  # was ~0.5 before the map
    assert stats.ks_2samp(y[:, 1], real[:, 1]).statistic < 0.05
    assert stats.ks_2samp(x[:, 0], real[:, 0]).statistic > 0.3
    for j in range(2):  # a monotone map per feature: every sample keeps its rank
        assert np.array_equal(np.argsort(x[:, j], kind="stable"), np.argsort(y[:, j], kind="stable"))


def test_same_distribution_on_both_sides_is_close_to_the_identity():
    rng = np.random.default_rng(2)
    real = rng.normal(size=(5000, 3))
    cal = _fit(real, np.zeros(5000, int), [lambda m: np.random.default_rng(3).normal(size=(m, 3))], n_draws=5000)
    x = rng.normal(size=(1000, 3))
    assert np.abs(cal.apply(x, np.zeros(1000, int)) - x).max() < 0.25
    assert np.median(np.abs(cal.apply(x, np.zeros(1000, int)) - x)) < 0.05


def test_each_cluster_gets_its_own_marginal_and_rows_map_independently():
    rng = np.random.default_rng(4)
    real = np.r_[rng.normal(0, 1, (500, 1)), rng.normal(10, 2, (500, 1))]
    codes = np.r_[np.zeros(500, int), np.ones(500, int)]
    same = [lambda m: np.random.default_rng(5).normal(size=(m, 1))] * 2
    cal = _fit(real, codes, same, n_draws=2000)
    x, c = rng.normal(size=(400, 1)), np.repeat([0, 1], 200)
    y = cal.apply(x, c)
    assert abs(y[c == 0].mean()) < 0.3 and abs(y[c == 1].mean() - 10) < 0.5 and abs(y[c == 1].std() - 2) < 0.4
    assert np.array_equal(cal.apply(x[150:250], c[150:250]), y[150:250])  # no row depends on another


def test_features_not_listed_and_cells_marked_missing_stay_out():
    rng = np.random.default_rng(6)
    values = rng.uniform(5, 6, 300)
    gaps = rng.random(300) < 0.3
    real = np.column_stack([np.where(gaps, 0.0, values), gaps.astype(float), rng.normal(size=300)])
    cal = fit_marginal_calibration(
        real,
        np.zeros(300, int),
        1,
        draw=lambda k, m: np.random.default_rng(7).normal(size=(m, 3)),
        features=np.array([0]),
        indicators=np.array([1]),
        n_draws=1000,
    )
    x = rng.normal(size=(200, 3))
    y = cal.apply(x, np.zeros(200, int))
    assert y[:, 0].min() > 4.5  # the imputed zeros of the missing cells are not part of the real marginal
    assert np.array_equal(y[:, 1:], x[:, 1:])


def test_the_map_continues_linearly_past_the_draws_range_and_keeps_a_constant_feature():
    real = np.column_stack([np.linspace(0, 1, 101), np.linspace(0, 1, 101)])
    draws = [lambda m: np.column_stack([np.linspace(-1, 1, m), np.zeros(m)])]
    cal = _fit(real, np.zeros(101, int), draws, anchor_size=1, n_draws=201)
    y = cal.apply(np.array([[1.5, 7.0], [-2.0, -7.0]]), np.zeros(2, int))
    assert y[:, 0] == pytest.approx([1.25, -0.5])  # slope = real span / model span = 1 / 2
    assert np.array_equal(y[:, 1], [7.0, -7.0])  # the decoder's output there is constant: left as it is


def test_real_quantiles_hold_one_knot_per_anchor_size_rows():
    values = np.arange(40, dtype=float)
    levels = np.linspace(0, 1, 101)
    table = real_quantiles(values, levels, anchor_size=5)  # 40 // 5 + 1 = 9 knots
    knots = np.linspace(0, 1, 9)
    assert np.allclose(table, np.interp(levels, knots, np.quantile(values, knots)))
    assert table[0] == 0 and table[-1] == 39
    assert real_quantiles(np.array([3.0, 4.0]), levels, anchor_size=5)[50] == pytest.approx(3.5)


def test_wide_images_get_a_coarser_grid():
    assert grid_size(10, 64) == 101
    assert grid_size(102, 64 * 64 * 3) == 3  # Flowers102 at 64×64: min, median, max per pixel and class


def test_arrays_round_trip_and_refuse_mismatched_shapes():
    rng = np.random.default_rng(8)
    real = rng.normal(size=(200, 2))
    cal = _fit(real, rng.integers(0, 2, 200), [lambda m: np.random.default_rng(9).normal(size=(m, 2))] * 2)
    back = MarginalCalibration.from_arrays(cal.to_arrays())
    x, c = rng.normal(size=(50, 2)), rng.integers(0, 2, 50)
    assert np.array_equal(back.apply(x, c), cal.apply(x, c))
    assert MarginalCalibration.from_arrays({}) is None
    broken = {**cal.to_arrays(), "marginals_real": cal.real_quantiles[:, :-1]}
    with pytest.raises(ValueError, match="shape"):
        MarginalCalibration.from_arrays(broken)


def _ks_to_real(out, frame, label="species") -> float:
    """Mean two-sample KS distance of each class's generated column to its real rows."""
    columns = [c for c in frame.columns if c != label]
    return float(
        np.mean(
            [
                stats.ks_2samp(out.data.loc[out.labels == k, c], frame.loc[frame[label] == k, c]).statistic
                for k in frame[label].unique()
                for c in columns
            ]
        )
    )


def test_a_fit_calibrates_each_class_and_the_artifact_keeps_it(iris_synth, iris_frame, tmp_path):
    from synth.synthesizer import LatentSynthesizer

    cal = iris_synth.calibration_
    assert cal is not None and list(cal.features) == [0, 1, 2, 3] and cal.model_quantiles.shape[0] == 3
    uncalibrated = iris_synth.with_clusters(iris_synth.clusters_)  # same network and Gaussians, no map
    assert uncalibrated.calibration_ is None
    calibrated, plain = iris_synth.generate(900, random_state=3), uncalibrated.generate(900, random_state=3)
    assert np.array_equal(calibrated.latents, plain.latents)  # the same draws, only decoded differently
    assert _ks_to_real(calibrated, iris_frame) < _ks_to_real(plain, iris_frame)
    iris_synth.save(tmp_path / "iris")
    back = LatentSynthesizer.load(tmp_path / "iris")
    assert back.config_.calibrate and back.generate(900, random_state=3).data.equals(calibrated.data)
