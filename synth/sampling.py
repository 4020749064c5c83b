"""Drawing latents across clusters: how many samples each cluster gets, each cluster's own
seeded stream, the per-cluster generator (``synth.generate``) and the provenance of every
sample. Decoding is the caller's (``LatentSynthesizer.generate``).

Seeding: cluster k draws from ``SeedSequence([seed, k])``, so a cluster's samples depend
only on the request's seed, the cluster and its count — never on the other clusters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from synth.errors import ConfigError
from synth.generate import MethodOptions, check_method, draw_cluster
from synth.latent_clusters import LatentClusters


@dataclass
class Samples:
    """What ``generate`` returns; ``sample`` hands back ``(data, labels)`` of it."""

    data: pd.DataFrame | np.ndarray  # rows in original units, (n, C, H, W) images or (n, H, W) records
    labels: np.ndarray  # (n,) cluster name per sample
    latents: np.ndarray  # (n, d) the latents that were decoded
    provenance: pd.DataFrame  # cluster, method, seed, d2, in_region, accepted, back_projected
    stats: dict  # per cluster: drawn, accepted, acceptance_rate
    report: dict | None = None  # conditional requests: requested, returned, share_met, drawn, decoded, …


@dataclass
class LatentDraw:
    """What ``draw_latents`` returns: a ``Samples`` before decoding."""

    latents: np.ndarray  # (n, d)
    labels: np.ndarray  # (n,) cluster name per sample
    codes: np.ndarray  # (n,) cluster index per sample (what a conditional GAN decodes for)
    provenance: pd.DataFrame
    stats: dict


def allocate(n: int, weights: np.ndarray) -> np.ndarray:
    """Split n over clusters proportionally to weights (largest remainder, deterministic)."""
    share = n * weights / weights.sum()
    counts = np.floor(share).astype(int)
    order = np.argsort(-(share - counts), kind="stable")
    counts[order[: n - counts.sum()]] += 1
    return counts


def fresh_seed() -> int:
    """A seed from the OS's entropy, for calls that give no ``random_state``."""
    return int(np.random.SeedSequence().entropy % (2**53))  # exact in any JSON reader (RFC 7493)


def check_seed(random_state) -> int:
    seed = fresh_seed() if random_state is None else random_state
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"random_state must be a non-negative integer or None, got {random_state!r}")
    return int(seed)


def check_count(n) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ConfigError(f"n must be a positive integer, got {n!r}")
    return int(n)


def draw_latents(
    clusters: LatentClusters,
    n: int,
    *,
    cluster=None,
    method: str = "random",
    seed: int,
    q: float,
    accept_reject: bool = False,
    back_projection: Callable[[np.ndarray, int], np.ndarray] | None = None,
    max_draws: int | None = None,
    options: MethodOptions | None = None,
) -> LatentDraw:
    """``n`` latents spread over the clusters by their training sizes (``cluster=None``) or all
    from one cluster. ``back_projection(z, k)``: the extra check a latent of cluster k must pass
    (decode → re-encode → assigned to k and inside its χ² region), or None."""
    n = check_count(n)
    check_method(method)
    if not 0 < q < 1:
        raise ConfigError(f"q must be in (0, 1), got {q}")
    options = options or MethodOptions()
    g = clusters.gaussians
    if cluster is None:
        counts = allocate(n, g.counts_.astype(float))
    else:
        counts = np.zeros(clusters.n_clusters, int)
        counts[clusters.code(cluster)] = n
    latents, codes, d2s, stats = [], [], [], {}
    for k, count in enumerate(counts):
        if count == 0:
            continue
        rng = np.random.default_rng(np.random.SeedSequence([int(seed), k]))
        check = (lambda z, k=k: back_projection(z, k)) if back_projection is not None else None
        draw = draw_cluster(
            method,
            int(count),
            rng,
            mean=g.means_[k],
            cov=g.covariances_[k],
            chol=g.cholesky_[k],
            anchors=clusters.anchors[k],
            q=q,
            options=options,
            gate=accept_reject,
            extra_check=check,
            max_draws=max_draws,
        )
        latents.append(draw.z)
        codes.append(np.full(count, k))
        d2s.append(draw.d2)
        stats[str(clusters.names[k])] = {
            "drawn": draw.drawn,
            "accepted": draw.accepted,
            "acceptance_rate": draw.acceptance_rate,
        }
    Z, codes, d2 = np.concatenate(latents), np.concatenate(codes), np.concatenate(d2s)
    names = clusters.name_of(codes)
    in_region = d2 <= g.chi2_threshold(q) * (1 + 1e-9)
    provenance = pd.DataFrame(
        {
            "cluster": names,
            "method": method,
            "seed": int(seed),
            "d2": d2,
            "in_region": in_region,
            # passes every check: the χ² gate (when off, whether it would), back-projection when asked
            "accepted": True if accept_reject else in_region,
            "back_projected": back_projection is not None,
        }
    )
    return LatentDraw(Z, names, codes, provenance, stats)
