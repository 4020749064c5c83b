"""Anchors that store no training row: micro-centroids (generators).

Each anchor is the mean of a disjoint group of at least ``min_size`` encoded
rows, and the groups cover every row. The groups come from a seeded k-means
(k-means++ start, a few Lloyd steps) with k = n // min_size; groups that end
up smaller than ``min_size`` are merged into the group with the nearest
centroid until none is left.

Cost: each Lloyd step compares n rows with k = n // min_size centres, so
O(n² d / min_size) per step (distances by GEMM in row chunks, memory flat).
Above ``KMEANS_MAX_ROWS`` rows the groups are the leaves of a k-d tree instead
(Bentley 1975: split at the median of the widest coordinate until a group has
fewer than 2 · min_size rows), O(n d log n): leaves hold min_size to
2 · min_size − 1 neighbouring rows, and the result needs no seed.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from ._checks import as_latents, check_int, check_random_state

KMEANS_MAX_ROWS = 4096  # 10⁵ rows: minutes of k-means (k = 2·10⁴ centres) against ~1 s of k-d tree


def _kmeans_plus_plus(Z: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k starting centres (k, d): each next one drawn with probability ∝ D² to the chosen ones."""
    n = Z.shape[0]
    sq_norms = np.einsum("ij,ij->i", Z, Z)
    centres = np.empty((k, Z.shape[1]))
    d2 = np.full(n, np.inf)
    pick = int(rng.integers(n))
    for j in range(k):
        centres[j] = Z[pick]
        # ‖z − c‖² = ‖z‖² − 2 z·c + ‖c‖²: one matrix-vector product per centre
        d2 = np.minimum(d2, np.maximum(sq_norms - 2.0 * (Z @ Z[pick]) + sq_norms[pick], 0.0))
        cumulative = np.cumsum(d2)
        if cumulative[-1] <= 0.0:  # every row sits on a centre already
            pick = int(rng.integers(n))
        else:
            pick = min(int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right")), n - 1)
    return centres


def _nearest(Z: np.ndarray, centres: np.ndarray, chunk_elems: int = 1 << 22) -> np.ndarray:
    """Index of the nearest centre for each row (n,) int64, via GEMM in row chunks.

    Chunks bound the (rows × k) distance block to ``chunk_elems`` floats, so
    memory stays flat however large n · k gets.
    """
    c_norms = np.einsum("ij,ij->i", centres, centres)
    step = max(1, chunk_elems // max(1, centres.shape[0]))
    out = np.empty(Z.shape[0], dtype=np.int64)
    for start in range(0, Z.shape[0], step):
        block = Z[start : start + step]
        # ‖z‖² is the same for every centre of a row, so it cannot change the argmin
        out[start : start + step] = np.argmin(c_norms - 2.0 * (block @ centres.T), axis=1)
    return out


def _group_sums(Z: np.ndarray, labels: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-group row sums (k, d) and sizes (k,), via one sparse product."""
    n = Z.shape[0]
    member = sparse.csr_matrix((np.ones(n), (labels, np.arange(n))), shape=(k, n))
    return np.asarray(member @ Z), np.bincount(labels, minlength=k)


def micro_centroids(
    Z,
    *,
    min_size: int = 5,
    n_iter: int = 10,
    random_state=None,
    return_sizes: bool = False,
    return_labels: bool = False,
):
    """Means of disjoint groups of >= ``min_size`` rows of Z, covering all rows.

    Parameters
    ----------
    Z : (n, d) float
        Encoded rows of one cluster.
    min_size : int >= 1
        Fewest rows behind one centroid. If n < min_size there is one
        centroid, the mean of all n rows (fewer than min_size: the caller
        decides whether such a small cluster may be anchored at all).
    n_iter : int >= 1
        Most Lloyd iterations (stops early once assignments settle).
    random_state : int, None or numpy Generator
        Seeds the k-means++ start; the same seed gives the same centroids.
    return_sizes, return_labels : bool
        Also return the group sizes (m,) int64 and/or each row's group (n,) int64.

    Returns
    -------
    centroids : (m, d) float64, or the tuple (centroids, [sizes], [labels]).
    """
    Z = as_latents(Z)
    min_size = check_int(min_size, name="min_size", minimum=1)
    n_iter = check_int(n_iter, name="n_iter", minimum=1)
    rng = check_random_state(random_state)
    n = Z.shape[0]
    if n < min_size:
        labels = np.zeros(n, dtype=np.int64)
    elif n > KMEANS_MAX_ROWS:
        labels = _tree_groups(Z, min_size)
    else:
        labels = _merge_small_groups(Z, _kmeans(Z, n // min_size, n_iter, rng), min_size)
    sums, sizes = _group_sums(Z, labels, int(labels.max()) + 1)
    centroids = sums / sizes[:, None]
    extra = ((sizes.astype(np.int64),) if return_sizes else ()) + ((labels,) if return_labels else ())
    return (centroids, *extra) if extra else centroids


def _kmeans(Z: np.ndarray, k: int, n_iter: int, rng: np.random.Generator) -> np.ndarray:
    """Lloyd's k-means from a k-means++ start; returns each row's group (n,) int64."""
    centres = _kmeans_plus_plus(Z, k, rng)
    labels = None
    for _ in range(n_iter):
        new_labels = _nearest(Z, centres)
        if labels is not None and np.array_equal(new_labels, labels):
            break
        labels = new_labels
        sums, sizes = _group_sums(Z, labels, k)
        filled = sizes > 0  # an emptied group keeps its old centre (it simply stays empty)
        centres[filled] = sums[filled] / sizes[filled, None]
    return labels


def _merge_small_groups(Z: np.ndarray, labels: np.ndarray, min_size: int) -> np.ndarray:
    """Merge groups below ``min_size`` into the nearest centroid's group; renumber 0..m-1.

    Always the smallest group first (ties: lowest index), so the result is
    deterministic; merged centroids are the exact means of their rows.
    """
    k = int(labels.max()) + 1
    sums, sizes = _group_sums(Z, labels, k)
    alive = sizes > 0
    target = np.arange(k)  # group → group it was merged into
    while alive.sum() > 1:
        small = np.flatnonzero(alive & (sizes < min_size))
        if small.size == 0:
            break
        i = small[np.argmin(sizes[small])]
        centroids = sums / np.maximum(sizes, 1)[:, None]
        dist = ((centroids - centroids[i]) ** 2).sum(axis=1)
        dist[~alive] = np.inf
        dist[i] = np.inf
        j = int(np.argmin(dist))
        sums[j] += sums[i]
        sizes[j] += sizes[i]
        sums[i], sizes[i], alive[i] = 0.0, 0, False
        target[target == i] = j
    # renumber the surviving groups consecutively, in index order
    new_code = np.cumsum(alive) - 1
    return new_code[target[labels]].astype(np.int64)


def _tree_groups(Z: np.ndarray, min_size: int) -> np.ndarray:
    """Leaves of a median-split k-d tree, each of min_size to 2 · min_size − 1 rows (n,) int64.

    A node of m ≥ 2 · min_size rows splits at the median of its widest coordinate into
    halves of ⌊m/2⌋ and ⌈m/2⌉ ≥ min_size rows; leaves are numbered depth first."""
    labels = np.empty(Z.shape[0], dtype=np.int64)
    stack, leaf = [np.arange(Z.shape[0])], 0
    while stack:
        rows = stack.pop()
        if len(rows) < 2 * min_size:
            labels[rows], leaf = leaf, leaf + 1
            continue
        block = Z[rows]
        axis = int(np.argmax(block.max(axis=0) - block.min(axis=0)))
        order = np.argsort(block[:, axis], kind="stable")
        half = len(rows) // 2
        stack += [rows[order[half:]], rows[order[:half]]]
    return labels
