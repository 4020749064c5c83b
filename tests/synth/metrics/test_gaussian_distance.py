import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synth.errors import DataError
from synth.metrics.gaussian_distance import (
    bhattacharyya_distance,
    frechet_distance,
    gaussian_stats,
    latent_bhattacharyya,
    latent_frechet_distance,
    sqrtm_psd,
)


def random_covariance(rng, d, *, n=None):
    """Well-conditioned SPD matrix: a Wishart draw with 3d degrees of freedom."""
    A = rng.normal(size=(d, n or 3 * d))
    return A @ A.T / A.shape[1]


# --- gaussian_stats / sqrtm_psd ---------------------------------------------


def test_gaussian_stats_match_numpy_mean_and_unbiased_cov():
    X = np.random.default_rng(0).normal(size=(40, 3))
    mu, sigma = gaussian_stats(X)
    np.testing.assert_allclose(mu, X.mean(axis=0))
    np.testing.assert_allclose(sigma, (X - mu).T @ (X - mu) / 39)
    assert mu.dtype == sigma.dtype == np.float64


def test_gaussian_stats_one_dimensional_features_give_1x1_covariance():
    mu, sigma = gaussian_stats(np.array([[1.0], [3.0]]))
    assert mu.shape == (1,) and sigma.shape == (1, 1)
    assert sigma[0, 0] == pytest.approx(2.0)


@pytest.mark.parametrize("X", [np.zeros((1, 3)), np.zeros(5), np.array([[0.0, np.nan], [1, 2]])])
def test_gaussian_stats_rejects_unusable_samples(X):
    with pytest.raises(DataError):
        gaussian_stats(X)


def test_sqrtm_psd_squares_back_and_clips_singular_directions():
    rng = np.random.default_rng(1)
    A = random_covariance(rng, 6)
    S = sqrtm_psd(A)
    np.testing.assert_allclose(S @ S, A, atol=1e-10)
    np.testing.assert_allclose(S, S.T)
    v = rng.normal(size=(4, 1))
    rank_one = v @ v.T  # eigenvalues 0 (possibly −1e-17) and ‖v‖²
    R = sqrtm_psd(rank_one)
    assert np.isfinite(R).all()
    np.testing.assert_allclose(R @ R, rank_one, atol=1e-10)


# --- Fréchet distance: closed forms -----------------------------------------


def test_frechet_identical_statistics_is_zero():
    rng = np.random.default_rng(2)
    mu, sigma = rng.normal(size=8), random_covariance(rng, 8)
    assert abs(frechet_distance(mu, sigma, mu, sigma)) < 1e-8


def test_frechet_equal_covariances_is_squared_mean_shift():
    rng = np.random.default_rng(3)
    sigma = random_covariance(rng, 10)
    mu1, mu2 = rng.normal(size=10), rng.normal(size=10)
    expected = float(np.sum((mu1 - mu2) ** 2))
    assert frechet_distance(mu1, sigma, mu2, sigma) == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_frechet_diagonal_covariances_closed_form():
    rng = np.random.default_rng(4)
    mu1, mu2 = rng.normal(size=7), rng.normal(size=7)
    std1, std2 = rng.uniform(0.1, 3.0, size=7), rng.uniform(0.1, 3.0, size=7)
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((std1 - std2) ** 2)
    got = frechet_distance(mu1, np.diag(std1**2), mu2, np.diag(std2**2))
    assert got == pytest.approx(expected, rel=1e-10)


def test_frechet_one_dimensional_scalars():
    # N(0, 4) vs N(3, 1): 3² + (2 − 1)² = 10
    assert frechet_distance(0.0, 4.0, 3.0, 1.0) == pytest.approx(10.0)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("d, seed", [(64, 0), (64, 1), (64, 2), (512, 3)])
def test_frechet_matches_pytorch_fid(d, seed):
    fid_score = pytest.importorskip("pytorch_fid.fid_score")
    rng = np.random.default_rng(seed)
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    sigma1, sigma2 = random_covariance(rng, d), random_covariance(rng, d)
    reference = float(fid_score.calculate_frechet_distance(mu1, sigma1, mu2, sigma2))
    assert frechet_distance(mu1, sigma1, mu2, sigma2) == pytest.approx(reference, rel=1e-6)


@pytest.mark.parametrize("singular_first", [True, False])
def test_frechet_rank_deficient_covariances_stay_finite_and_exact(singular_first):
    # Σ₁ = diag(s², 0…0) against Σ₂ = diag(t²): still the diagonal closed form.
    rng = np.random.default_rng(5)
    std1 = np.array([1.5, 0.7, 0.0, 0.0, 0.0])
    std2 = rng.uniform(0.5, 2.0, size=5)
    s1, s2 = np.diag(std1**2), np.diag(std2**2)
    expected = np.sum((std1 - std2) ** 2)
    args = (np.zeros(5), s1, np.zeros(5), s2) if singular_first else (np.zeros(5), s2, np.zeros(5), s1)
    got = frechet_distance(*args)
    assert np.isfinite(got)
    assert got == pytest.approx(expected, rel=1e-9)


def test_frechet_both_singular_from_samples_is_finite():
    # 3 samples in 6-D: both covariances have rank ≤ 2, Cholesky fails for both.
    rng = np.random.default_rng(6)
    got = latent_frechet_distance(rng.normal(size=(3, 6)), rng.normal(size=(3, 6)) + 1.0)
    assert np.isfinite(got) and got > 0


def test_frechet_both_singular_equal_is_zero():
    v = np.arange(1.0, 5.0)[:, None]
    sigma = v @ v.T
    assert abs(frechet_distance(np.zeros(4), sigma, np.zeros(4), sigma)) < 1e-8


def test_frechet_round_off_eigenvalues_do_not_leak_through_the_square_root():
    # Σ₁ = D diagonal PD, Σ₂ = v vᵀ rank one: √(Σ₁Σ₂) has the single eigenvalue
    # √(vᵀ D v); the 7 zero eigenvalues come out as ±1e-14, whose square roots
    # (1e-7) must not be summed.
    v = np.arange(1.0, 9.0)
    D = np.linspace(0.5, 2.0, 8)
    expected = D.sum() + v @ v - 2 * np.sqrt(v @ (D * v))
    got = frechet_distance(np.zeros(8), np.diag(D), np.zeros(8), np.outer(v, v))
    assert abs(got - expected) < 1e-10


def test_frechet_both_singular_matches_eigenvalues_of_the_product():
    # rank 3 and rank 4 in 6-D: neither Cholesky works; compare with the
    # eigenvalues of the (non-symmetric) product Σ₁Σ₂ itself.
    rng = np.random.default_rng(12)
    s1, s2 = random_covariance(rng, 6, n=3), random_covariance(rng, 6, n=4)
    mu1, mu2 = rng.normal(size=6), rng.normal(size=6)
    lam = np.clip(np.linalg.eigvals(s1 @ s2).real, 0, None)
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.sqrt(lam).sum()
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-6)


def _commuting_pair(rng, a, b):
    """Σ₁ = Q diag(a) Qᵀ, Σ₂ = Q diag(b) Qᵀ for a random rotation Q: tr √(Σ₁Σ₂) = Σ √(aᵢbᵢ)."""
    Q, _ = np.linalg.qr(rng.normal(size=(a.size, a.size)))
    return (Q * a) @ Q.T, (Q * b) @ Q.T


@pytest.mark.parametrize("second_rank", [None, 296], ids=["both definite", "second singular"])
def test_frechet_keeps_small_real_eigenvalues_of_ill_conditioned_covariances(second_rank):
    # Like 2,100 Inception features: positive definite covariances whose condition (1e7 here)
    # puts the smallest eigenvalues of Σ₁Σ₂ (~1e-14) below round-off level d·ε·λ_max. They are
    # real: dropping them moved a 2,100-image FID by 2e-5 relative. With the second covariance
    # singular, the product also has true zeros, which must not leak in through √ either.
    rng = np.random.default_rng(21)
    d = 300
    a = np.logspace(0, -7, d)
    b = 1.5 * a
    if second_rank is not None:
        b[second_rank:] = 0.0
    s1, s2 = _commuting_pair(rng, a, b)
    expected = np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    for args in ((s1, s2), (s2, s1)):
        got = frechet_distance(np.zeros(d), args[0], np.zeros(d), args[1])
        assert got == pytest.approx(expected, rel=1e-7)  # the old rule was off by 6e-6


@pytest.mark.parametrize("n1, n2", [(120, 240), (280, 290), (295, 260)])
def test_frechet_of_samples_fewer_than_dimensions_matches_the_exact_route(n1, n2):
    # Fewer samples than dimensions on one or both sides, with a spectrum spanning 8 decades
    # like Inception features. With Aᵢ = (Xᵢ − x̄ᵢ)/√(nᵢ−1), tr √(Σ₁Σ₂) is exactly the nuclear norm
    # of the small matrix A₁A₂ᵀ; no eigenvalue of Σ₁Σ₂ has to be guessed to be round-off. The old
    # rule (drop eigenvalues of the product below d·ε·λ_max when both are singular) lost real
    # ones as n neared d; a square root of Σ₁Σ₂ (pytorch-fid) adds √ of its round-off zeros.
    rng = np.random.default_rng(n1 + n2)
    d = 300
    scale = np.logspace(0, -4, d)
    x1 = rng.standard_normal((n1, d)) * scale + 0.5
    x2 = rng.standard_normal((n2, d)) * scale * 1.2 + 0.4
    a1 = (x1 - x1.mean(0)) / np.sqrt(n1 - 1)
    a2 = (x2 - x2.mean(0)) / np.sqrt(n2 - 1)
    exact = (
        np.sum((x1.mean(0) - x2.mean(0)) ** 2)
        + np.sum(a1**2)
        + np.sum(a2**2)
        - 2 * np.linalg.svd(a1 @ a2.T, compute_uv=False).sum()
    )
    got = frechet_distance(*gaussian_stats(x1), *gaussian_stats(x2))
    assert got == pytest.approx(exact, rel=1e-9)


def test_frechet_adds_eps_only_when_the_first_attempt_is_not_finite(monkeypatch):
    import synth.metrics.gaussian_distance as gd

    calls = []
    real = gd._trace_sqrt_product

    def flaky(a, b):
        calls.append((a.copy(), b.copy()))
        return float("nan") if len(calls) == 1 else real(a, b)

    monkeypatch.setattr(gd, "_trace_sqrt_product", flaky)
    var1, var2, eps = np.array([1.0, 4.0]), np.array([9.0, 0.25]), 0.1
    got = gd.frechet_distance(np.zeros(2), np.diag(var1), np.ones(2), np.diag(var2), eps=eps)
    expected = 2 + var1.sum() + var2.sum() - 2 * np.sqrt((var1 + eps) * (var2 + eps)).sum()
    assert len(calls) == 2
    np.testing.assert_allclose(calls[1][0], np.diag(var1 + eps))
    assert got == pytest.approx(expected, rel=1e-12)
    # a finite first attempt is used as is, with no offset
    calls.clear()
    monkeypatch.setattr(gd, "_trace_sqrt_product", lambda a, b: calls.append(a) or 2.0)
    assert gd.frechet_distance(np.zeros(2), np.eye(2), np.zeros(2), np.eye(2), eps=eps) == 0.0
    assert len(calls) == 1


def test_no_general_scipy_sqrtm_in_the_module():
    import inspect

    import synth.metrics.gaussian_distance as gd

    assert "sqrtm(" not in inspect.getsource(gd).replace("sqrtm_psd(", "")


@pytest.mark.parametrize(
    "mu2, sigma2",
    [(np.zeros(4), np.eye(3)), (np.zeros(3), np.eye(4)), (np.zeros(3), np.ones((3, 2)))],
)
def test_frechet_shape_mismatch_errors(mu2, sigma2):
    with pytest.raises(DataError, match="shape|lengths"):
        frechet_distance(np.zeros(3), np.eye(3), mu2, sigma2)


def test_frechet_non_finite_input_errors():
    sigma = np.eye(3)
    sigma[0, 0] = np.nan
    with pytest.raises(DataError, match="sigma2"):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(3), sigma)


def test_latent_frechet_distance_of_shifted_samples_is_about_shift_squared():
    rng = np.random.default_rng(7)
    Z = rng.normal(size=(4000, 3))
    got = latent_frechet_distance(Z, Z + np.array([2.0, 0.0, 0.0]))
    assert got == pytest.approx(4.0, rel=1e-9)  # same sample covariance, exact shift


# --- Bhattacharyya distance ------------------------------------------------


def test_bhattacharyya_identical_gaussians_is_zero():
    rng = np.random.default_rng(8)
    mu, sigma = rng.normal(size=5), random_covariance(rng, 5)
    assert bhattacharyya_distance(mu, sigma, mu, sigma) == pytest.approx(0.0, abs=1e-12)


def test_bhattacharyya_equal_covariances_is_mahalanobis_over_eight():
    rng = np.random.default_rng(9)
    sigma = random_covariance(rng, 6)
    mu1, mu2 = rng.normal(size=6), rng.normal(size=6)
    diff = mu1 - mu2
    expected = diff @ np.linalg.solve(sigma, diff) / 8
    assert bhattacharyya_distance(mu1, sigma, mu2, sigma) == pytest.approx(expected, rel=1e-10)


def test_bhattacharyya_one_dimensional_closed_form():
    m1, v1, m2, v2 = 0.5, 2.0, -1.0, 0.5
    expected = (m1 - m2) ** 2 / (4 * (v1 + v2)) + 0.5 * np.log((v1 + v2) / (2 * np.sqrt(v1 * v2)))
    assert bhattacharyya_distance(m1, v1, m2, v2) == pytest.approx(expected, rel=1e-12)


def test_bhattacharyya_is_symmetric():
    rng = np.random.default_rng(10)
    a = rng.normal(size=4), random_covariance(rng, 4)
    b = rng.normal(size=4), random_covariance(rng, 4)
    assert bhattacharyya_distance(*a, *b) == pytest.approx(bhattacharyya_distance(*b, *a), rel=1e-12)
    assert bhattacharyya_distance(*a, *b) > 0


def test_bhattacharyya_singular_covariance_errors_unless_ridge():
    v = np.array([[1.0], [2.0], [0.5]])
    singular = v @ v.T
    with pytest.raises(DataError, match="ridge"):
        bhattacharyya_distance(np.zeros(3), singular, np.zeros(3), np.eye(3))
    got = bhattacharyya_distance(np.zeros(3), singular, np.zeros(3), np.eye(3), ridge=1e-6)
    assert np.isfinite(got) and got > 1.0  # a near-degenerate Gaussian is far from N(0, I)


def test_bhattacharyya_rejects_indefinite_covariance_with_positive_determinant():
    indefinite = np.diag([1.0, -1.0, -1.0])  # det = +1, yet not a covariance
    # (indefinite + 3I)/2 is positive definite, so only the check of sigma1 can object
    with pytest.raises(DataError, match="sigma1 is not positive definite"):
        bhattacharyya_distance(np.zeros(3), indefinite, np.zeros(3), 3 * np.eye(3))


def test_latent_bhattacharyya_separated_clusters_exceed_overlapping_ones():
    rng = np.random.default_rng(11)
    Z = rng.normal(size=(500, 2))
    near = latent_bhattacharyya(Z, rng.normal(size=(500, 2)))
    far = latent_bhattacharyya(Z, rng.normal(size=(500, 2)) + 4.0)
    assert near < 0.05 < 2.0 < far  # Δμᵀ Σ⁻¹ Δμ / 8 ≈ 32/8 = 4


# --- property test --------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), d=st.integers(1, 6), rank=st.integers(1, 12))
def test_frechet_symmetric_nonnegative_and_bhattacharyya_nonnegative(seed, d, rank):
    rng = np.random.default_rng(seed)
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d) * 3
    # rank < d gives singular covariances on purpose
    s1 = random_covariance(rng, d, n=rank) * rng.uniform(0.01, 10)
    s2 = random_covariance(rng, d, n=rank)
    forward = frechet_distance(mu1, s1, mu2, s2)
    backward = frechet_distance(mu2, s2, mu1, s1)
    scale = 1.0 + np.trace(s1) + np.trace(s2) + np.sum((mu1 - mu2) ** 2)
    assert forward >= -1e-9 * scale
    assert forward == pytest.approx(backward, rel=1e-7, abs=1e-9 * scale)
    b = bhattacharyya_distance(mu1, s1, mu2, s2, ridge=1e-3)
    assert b >= 0 and b == pytest.approx(bhattacharyya_distance(mu2, s2, mu1, s1, ridge=1e-3), rel=1e-9, abs=1e-12)
