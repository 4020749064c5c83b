"""Per-cluster Gaussians from merged block sums equal ClusterGaussians.fit on all the latents."""

import numpy as np
import pytest

from cluster.gaussians import ClusterGaussians
from synth.data.missing import missing_rates
from synth.latent_moments import ClusterMoments


@pytest.mark.parametrize("shrinkage", ["ledoit_wolf", "ridge", "none"])
def test_merged_sums_give_the_in_memory_gaussians(shrinkage):
    rng = np.random.default_rng(0)
    K, d, n = 3, 4, 3000
    codes = rng.integers(0, K, n)
    Z = rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) * 0.3 + 5.0 * codes[:, None] + 2.0
    masks = {"a": rng.random(n) < 0.2, "b": rng.random(n) < 0.5 * (codes == 1)}
    sample = rng.choice(n, 200, replace=False)
    shift = np.array([Z[sample][codes[sample] == k].mean(axis=0) for k in range(K)])
    edges = [0, 7, 1100, 1101, 2500, n]
    parts = [
        ClusterMoments.from_block(Z[a:b], codes[a:b], shift, missing={c: m[a:b] for c, m in masks.items()})
        for a, b in zip(edges[:-1], edges[1:])
    ]
    order = rng.permutation(len(parts))
    merged = parts[order[0]]
    for i in order[1:]:
        merged = merged.merge(parts[i])
    streamed = merged.gaussians(shrinkage=shrinkage)
    fitted = ClusterGaussians(shrinkage=shrinkage).fit(Z, codes)
    np.testing.assert_allclose(streamed.means_, fitted.means_, rtol=1e-12, atol=0)
    np.testing.assert_allclose(streamed.covariances_, fitted.covariances_, rtol=1e-12, atol=0)
    np.testing.assert_allclose(streamed.shrinkage_, fitted.shrinkage_, rtol=1e-12, atol=0)
    assert np.array_equal(streamed.counts_, fitted.counts_)
    if shrinkage == "ledoit_wolf":
        assert (streamed.shrinkage_ > 0).all()
    assert merged.missing_rates() == missing_rates(masks, codes, K)


def test_unshifted_sums_still_merge_and_a_tiny_cluster_is_refused():
    rng = np.random.default_rng(1)
    Z, codes = rng.normal(size=(50, 2)), np.r_[np.zeros(49, int), 1]
    sums = ClusterMoments.from_block(Z, codes, np.zeros((2, 2)))
    with pytest.raises(Exception, match="cluster 1 has 1 row"):
        sums.gaussians()
