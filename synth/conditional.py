"""Sampling rows that satisfy conditions and constraints, steered in latent space.

The model's conditional distribution is p(z | A) ∝ Σₖ πₖ N(z; μₖ, Σₖ) 1_A(decode(z)) for
the set A of rows that pass every check. It is reached in three steps:

1. **Pilot**: each allowed cluster draws ``PILOT`` latents from its own generator (the
   request's method, seeded by (seed, k)), decodes and checks them, doubling the draws until
   ``PILOT_ACCEPTED`` rows passed over all clusters (or the budget ends). The pilot's acceptance
   rate âₖ estimates P(A | k), so clusters are drawn in proportion to πₖ âₖ — the mixture
   conditioned on A (clusters whose rows rarely satisfy it are drawn less; none that never
   did in the pilot).
2. **Plain rejection** where a cluster's rate is high enough (≥ ``STEER_BELOW``) or the
   method is not ``random``: keep drawing in rounds sized by the running rate and keep the
   first accepted rows in draw order. This is exact.
3. **Steered** (``random`` only, rare conditions): a Gaussian g with the importance-weighted
   mean and covariance of the accepted latents — the covariance shrunk toward the cluster's
   (Ledoit & Wolf 2004) by the pool's effective size, so a handful of accepted latents in many
   dimensions cannot make g thinner than the region it must cover — used as the defensive mixture q = α p + (1 − α) g
   (Hesterberg 1995) so the weights p/q stay ≤ 1/α; draws from q are decoded and checked,
   every accepted draw is weighted by p / q̄ with q̄ the draw-count mixture of all the
   proposals used (the pilot's included; Veach & Guibas 1995's balance heuristic), and the
   rows returned are a weighted sample without replacement (Efraimidis & Spirakis 2006) of
   that pool once its effective size is ``POOL_FACTOR`` times what the cluster owes: far
   fewer decodes at rare conditions, while the returned rows follow p(z | A) up to the
   resampling error of a finite pool.

Every returned row passes the checks exactly (they are evaluated on the decoded rows the
user receives). The draw budget (``max_tries`` candidates) and an optional time budget
bound the work: a shortfall returns what was found with a ``ConditionWarning``; nothing
found is a ``GenerationError`` naming the conditions.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cluster.gaussians import mahalanobis_sq
from synth.conditions import ColumnInfo, RowFilter, compile_filter
from synth.errors import ConditionError, ConditionWarning, GenerationError
from synth.generate import check_method, chi2_radius, propose_latents
from synth.sampling import LatentDraw, Samples, allocate, check_count, check_seed

PILOT = 256  # pilot draws per cluster
PILOT_ACCEPTED = 16  # the pilot goes on until this many rows passed over all clusters
STEER_BELOW = 0.05  # steer a cluster whose pilot acceptance rate is below this
STEER_SEED = 8  # accepted prior draws the first steered proposal is fitted to
POOL_FACTOR = 3.0  # steered pool's effective size, in rows owed
DEFENSIVE = 0.2  # α: the prior's share of the steered proposal


def column_info(syn) -> dict[str, ColumnInfo]:
    """What conditions may ask of each column of a fitted table model."""
    out = {}
    for c in syn.transformer_.columns_:
        if c.kind == "categorical":
            out[c.name] = ColumnInfo(c.name, "categorical", categories=tuple(c.categories))
        else:
            out[c.name] = ColumnInfo(c.name, c.kind, minimum=c.minimum, maximum=c.maximum)
    return out


def request_filter(syn, conditions, constraints) -> RowFilter:
    """The request's conditions and constraints plus the model's declared ones, validated."""
    declared = getattr(syn, "constraints_", [])
    if not (conditions or constraints or declared):
        return RowFilter([], [])
    if syn.data_kind_ != "tabular" and constraints:
        raise ConditionError("constraints apply to tables only")
    return compile_filter(
        conditions,
        constraints,
        columns=column_info(syn) if syn.data_kind_ == "tabular" else {},
        label=syn.label_name_ or "cluster",
        cluster_names=syn.cluster_names_,
        declared=declared,
    )


def one_cluster(row_filter: RowFilter):
    """Images and records are conditioned by cluster only: the one cluster a label condition names."""
    if row_filter.conditions or row_filter.constraints or row_filter.predicates:
        raise ConditionError("conditions on values apply to tables; for images and records name a cluster")
    if row_filter.clusters is None or len(row_filter.clusters) != 1:
        raise ConditionError("for images and records, a condition may only name one cluster (its label)")
    return row_filter.clusters[0]


def generate_conditional(
    syn, n: int, *, row_filter: RowFilter, cluster, method, random_state, max_tries, time_budget_s, steer, **kwargs
) -> Samples:
    """``Samples`` of ``n`` rows that satisfy ``row_filter``, with a ``report`` (see module doc).
    ``kwargs``: accept_reject, back_project, q, max_draws and the method's options."""
    options, q, back_projection = syn.draw_settings(kwargs)
    n, method, seed = check_count(n), check_method(method), check_seed(random_state)
    codes = list(range(syn.clusters_.n_clusters))
    if cluster is not None:
        codes = [syn.cluster_code(cluster)]
    if row_filter.clusters is not None:
        allowed = {syn.cluster_code(c) for c in row_filter.clusters}
        codes = [k for k in codes if k in allowed]
        if not codes:
            raise ConditionError(f"cluster {cluster!r} is not one the conditions allow {list(row_filter.clusters)}")
    draw, frame, report = sample_conditional(
        syn,
        n,
        row_filter=row_filter,
        codes=codes,
        method=method,
        seed=seed,
        q=q,
        accept_reject=bool(kwargs.get("accept_reject", False)),
        back_projection=back_projection,
        options=options,
        max_tries=max_tries if max_tries is not None else kwargs.get("max_draws"),
        time_budget_s=time_budget_s,
        steer=steer,
    )
    return Samples(frame, draw.labels, draw.latents, draw.provenance, draw.stats, report)


@dataclass
class _ClusterRun:
    k: int
    rng: np.random.Generator
    drawn: int = 0
    decoded: int = 0
    rounds: int = 0
    z: list = field(default_factory=list)  # accepted latents, per batch
    rows: list = field(default_factory=list)  # their decoded rows
    tries: list = field(default_factory=list)  # 1-based draw index of each accepted latent
    logw: list = field(default_factory=list)  # log p/q̄ of each accepted latent (steered runs)
    steered: bool = False
    set_aside: int = 0  # draws of a steered attempt that did not pay (not prior draws)

    @property
    def accepted(self) -> int:
        return sum(len(z) for z in self.z)

    @property
    def rate(self) -> float:
        """Acceptance rate of the prior draws (at least one in all of them, so rounds stay finite)."""
        prior = self.drawn - self.set_aside
        return max(self.accepted / prior, 1.0 / prior)


def sample_conditional(
    syn,
    n: int,
    *,
    row_filter,
    codes: list[int],
    method: str,
    seed: int,
    q: float,
    accept_reject: bool,
    back_projection,
    options,
    max_tries: int | None = None,
    time_budget_s: float | None = None,
    steer: bool = True,
) -> tuple[LatentDraw, pd.DataFrame, dict]:
    """(latent draw, decoded rows, report) of ``n`` rows of clusters ``codes`` that pass
    ``row_filter`` (and the χ² gate / back-projection when asked)."""
    started = time.perf_counter()
    g, clusters = syn.gaussians_, syn.clusters_
    budget = max_tries or 200 * n + 20 * PILOT * len(codes)
    deadline = None if time_budget_s is None else started + float(time_budget_s)
    radius = chi2_radius(syn.network_.latent_dim, q)
    threshold = radius**2 * (1 + 1e-9)

    def check(run: _ClusterRun, z: np.ndarray) -> None:
        """Gate, decode, check; keep what passes (with its draw index)."""
        first = run.drawn
        run.drawn += len(z)
        run.rounds += 1
        keep = np.ones(len(z), bool)
        if accept_reject:
            keep &= mahalanobis_sq(z, g.means_[run.k], g.cholesky_[run.k]) <= threshold
        if not keep.any():
            return
        frame = syn.decode_codes(z[keep], np.full(int(keep.sum()), run.k))
        run.decoded += len(frame)
        ok = row_filter.mask(frame)
        if back_projection is not None and ok.any():
            ok[ok] &= np.asarray(back_projection(z[keep][ok], run.k), bool)
        index = np.flatnonzero(keep)[ok]
        run.z.append(z[index])
        run.rows.append(frame.iloc[np.flatnonzero(ok)].reset_index(drop=True))
        run.tries.append(first + 1 + index)

    def propose(run: _ClusterRun, size: int) -> np.ndarray:
        k = run.k
        return propose_latents(
            method,
            size,
            run.rng,
            mean=g.means_[k],
            cov=g.covariances_[k],
            chol=g.cholesky_[k],
            anchors=clusters.anchors[k],
            radius=radius,
            options=options,
            round_=run.rounds,
        )

    def spent() -> bool:
        return sum(r.drawn for r in runs.values()) >= budget or (
            deadline is not None and time.perf_counter() > deadline
        )

    runs = {k: _ClusterRun(k, np.random.default_rng(np.random.SeedSequence([int(seed), k]))) for k in codes}
    for run in runs.values():  # 1. pilot, doubled until PILOT_ACCEPTED rows passed or the budget ends
        check(run, propose(run, PILOT))
    while sum(r.accepted for r in runs.values()) < PILOT_ACCEPTED and not spent():
        for run in runs.values():
            check(run, propose(run, min(run.drawn, budget)))
    rates = {k: r.accepted / r.drawn for k, r in runs.items()}
    weights = np.array([g.counts_[k] * rates[k] for k in codes], float)
    if weights.sum() == 0:
        raise GenerationError(
            f"none of {sum(r.drawn for r in runs.values())} draws satisfied {row_filter.describe()}: the "
            "conditions are (nearly) impossible under this model; widen them or check them against the data"
        )
    owed = dict(zip(codes, allocate(n, weights)))
    for k, run in runs.items():
        if owed[k] == 0:
            continue
        rare = steer and method == "random" and rates[k] < STEER_BELOW and owed[k] > STEER_SEED
        while run.accepted < (STEER_SEED if rare else owed[k]) and not spent():  # 2. plain rejection
            wanted = (STEER_SEED if rare else owed[k]) - run.accepted
            check(run, propose(run, min(budget, math.ceil(wanted / run.rate * 1.1) + 8, 100_000)))
        if rare and run.accepted < owed[k]:  # 3. steered, from the prior draws accepted so far
            _steered(run, owed[k], check=check, spent=spent, mean=g.means_[k], chol=g.cholesky_[k], pilot=run.drawn)
        while not run.steered and run.accepted < owed[k] and not spent():  # steering did not pay: plain
            wanted = owed[k] - run.accepted
            check(run, propose(run, min(budget, math.ceil(wanted / run.rate * 1.1) + 8, 100_000)))
    return _assemble(
        syn, runs, owed, row_filter, method=method, seed=seed, q=q, back=back_projection, started=started, n=n
    )


def _steered(run: _ClusterRun, owed: int, *, check, spent, mean, chol, pilot: int) -> None:
    """3. Draw from defensive mixtures α p + (1 − α) gₛ, each gₛ refitted to the latents accepted
    so far, until the weighted pool's effective size reaches POOL_FACTOR × owed (or the budget
    ends). Weights p/q̄ use the draw-count mixture q̄ of every stage (the pilot's prior included).
    When the pool's effective size per draw falls below plain rejection's acceptance rate (weights
    degenerate, as they can in many latent dimensions), the steered draws are set aside and the
    caller goes on with plain rejection: steering never costs more than a stage over plain."""
    run.steered = True
    plain_rate, kept = run.accepted / run.drawn, len(run.z)
    d = len(mean)
    prior_cov = chol @ chol.T
    stages = [(pilot, None)]  # (draws, chol of gₛ and its centre, or None for the prior)
    size = max(64, 4 * owed)
    while not spent():
        accepted = np.concatenate(run.z)
        run.logw = [_log_weights(accepted, stages, mean, chol)]
        ess = _ess(run.logw[0])
        if ess >= POOL_FACTOR * owed:
            return
        # self-normalised estimates of the conditional mean and covariance, the latter shrunk
        # toward the cluster's covariance with weight d / (ess + d)
        w = np.exp(run.logw[0] - run.logw[0].max())
        w /= w.sum()
        centre = w @ accepted
        diff = accepted - centre
        shrink = ess / (ess + d)
        cov = shrink * ((w[:, None] * diff).T @ diff) + (1 - shrink) * prior_cov
        g_chol = np.linalg.cholesky(cov + 1e-9 * np.trace(prior_cov) / d * np.eye(d))
        from_prior = run.rng.random(size) < DEFENSIVE
        eps = run.rng.standard_normal((size, d))
        check(run, np.where(from_prior[:, None], mean + eps @ chol.T, centre + eps @ g_chol.T))
        stages.append((size, (centre, g_chol)))
        logw = _log_weights(np.concatenate(run.z), stages, mean, chol)
        if _ess(logw) / run.drawn < plain_rate and _ess(logw) < POOL_FACTOR * owed:
            del run.z[kept:], run.rows[kept:], run.tries[kept:]
            run.steered, run.logw, run.set_aside = False, [], run.drawn - pilot
            return
    run.logw = [_log_weights(np.concatenate(run.z), stages, mean, chol)]


def _log_gauss(z, mean, chol) -> np.ndarray:
    return -0.5 * mahalanobis_sq(z, mean, chol) - np.log(np.diag(chol)).sum() - 0.5 * len(mean) * math.log(2 * math.pi)


def _log_weights(z: np.ndarray, stages, mean, chol) -> np.ndarray:
    """log p(z)/q̄(z), q̄ = Σₛ (Nₛ/N) qₛ with qₛ = p (the pilot) or α p + (1 − α) gₛ."""
    log_p = _log_gauss(z, mean, chol)
    total = sum(size for size, _ in stages)
    parts = []
    for size, g in stages:
        share = math.log(size / total)
        if g is None:
            parts.append(share + log_p)
        else:
            log_q = np.logaddexp(math.log(DEFENSIVE) + log_p, math.log(1 - DEFENSIVE) + _log_gauss(z, *g))
            parts.append(share + log_q)
    return log_p - np.logaddexp.reduce(np.stack(parts), axis=0)


def _ess(logw: np.ndarray) -> float:
    if logw.size == 0:
        return 0.0
    w = np.exp(logw - logw.max())
    return float(w.sum() ** 2 / (w**2).sum())


def _assemble(syn, runs, owed, row_filter, *, method, seed, q, back, started, n):
    latents, frames, codes, tries, d2s, stats = [], [], [], [], [], {}
    for k, run in runs.items():
        want = owed[k]
        z = np.concatenate(run.z) if run.z else np.empty((0, syn.network_.latent_dim))
        rows = pd.concat(run.rows, ignore_index=True) if run.rows else None
        index = np.arange(min(want, len(z)))
        if run.steered and len(z) > want:  # weighted sample without replacement: keys u^(1/w)
            logw = run.logw[0]
            # log of the Efraimidis–Spirakis key u^(1/w), ranked as log(−log u) − log w (ascending)
            keys = np.log(-np.log(run.rng.random(len(z)))) - logw
            index = np.sort(np.argsort(keys, kind="stable")[:want])
        if len(index):
            latents.append(z[index])
            frames.append(rows.iloc[index])
            codes.append(np.full(len(index), k))
            tries.append(np.concatenate(run.tries)[index])
            d2s.append(mahalanobis_sq(z[index], syn.gaussians_.means_[k], syn.gaussians_.cholesky_[k]))
        name = str(syn.cluster_names_[k])
        stats[name] = {
            "drawn": run.drawn,
            "decoded": run.decoded,
            "accepted": run.accepted,
            "acceptance_rate": run.accepted / run.drawn if run.drawn else 0.0,
            "owed": int(want),
            "returned": int(len(index)),
            "steered": run.steered,
        }
    returned = sum(s["returned"] for s in stats.values())
    drawn, decoded = sum(s["drawn"] for s in stats.values()), sum(s["decoded"] for s in stats.values())
    report = {
        "conditions": row_filter.describe(),
        "requested": int(n),
        "returned": int(returned),
        "share_met": returned / n,
        "drawn": drawn,
        "decoded": decoded,
        "acceptance_rate": sum(s["accepted"] for s in stats.values()) / drawn if drawn else 0.0,
        "seconds": time.perf_counter() - started,
    }
    if returned == 0:
        raise GenerationError(f"no row satisfied {row_filter.describe()} within {drawn} draws; widen the conditions")
    if returned < n:
        warnings.warn(
            f"only {returned} of {n} rows satisfied {row_filter.describe()} within the budget ({drawn} draws); "
            "raise max_tries / time_budget_s or widen the conditions",
            ConditionWarning,
            stacklevel=4,
        )
    Z, codes = np.concatenate(latents), np.concatenate(codes)
    names = syn.clusters_.name_of(codes)
    d2_rows = np.concatenate(d2s)
    threshold = syn.gaussians_.chi2_threshold(q)
    provenance = pd.DataFrame(
        {
            "cluster": names,
            "method": method,
            "seed": int(seed),
            "d2": d2_rows,
            "in_region": d2_rows <= threshold * (1 + 1e-9),
            "accepted": True,
            "back_projected": back is not None,
            "conditions": row_filter.describe(),
            "tries": np.concatenate(tries).astype(np.int64),
        }
    )
    frame = pd.concat(frames, ignore_index=True)
    return LatentDraw(Z, names, codes, provenance, stats), frame, report
