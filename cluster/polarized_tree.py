"""The polarized tree's bookkeeping: node dicts, sizes after refinement, ``cut`` and the
SciPy linkage of the leaves, and the BIC of a hard-assigned mixture. Plain dicts and
arrays; ``PolarizedHierarchical`` (polarized.py) owns the algorithm."""

from __future__ import annotations

import numpy as np

from .gaussians import ClusterGaussians


def new_node(node_id: int, parent: int | None, size: int, depth: int, code: int) -> dict:
    """A leaf node dict (see ``PolarizedHierarchical``'s docstring for the fields)."""
    return {
        "id": node_id,
        "parent": parent,
        "children": [],
        "size": size,
        "depth": depth,
        "code": code,
        "split_order": None,
        "axis": None,
        "threshold": None,
        "bic_gain": None,
        "leaf_code": None,
    }


def resize(nodes: list[dict], labels: np.ndarray, leaf_of_code: dict[int, int]) -> None:
    """Node sizes after the leaves were refined: a node holds the rows of its descendant leaves."""
    counts = np.bincount(labels, minlength=len(leaf_of_code))
    for code, leaf in leaf_of_code.items():
        nodes[leaf]["size"] = int(counts[code])
    for node in sorted(nodes, key=lambda node: -node["depth"]):
        if node["children"]:
            node["size"] = sum(nodes[child]["size"] for child in node["children"])


def cut_mapping(tree: list[dict], n_clusters: int, k: int) -> np.ndarray:
    """(K,) leaf code → code after only the first k − 1 splits."""
    mapping = np.empty(n_clusters, dtype=np.int64)
    for node in tree:
        if node["leaf_code"] is None:
            continue
        top = node
        # climb while the parent's split is not among the first k − 1
        while top["parent"] is not None and tree[top["parent"]]["split_order"] >= k - 1:
            top = tree[top["parent"]]
        mapping[node["leaf_code"]] = top["code"]
    return mapping


def linkage(tree: list[dict], n_clusters: int) -> np.ndarray:
    """SciPy linkage (K − 1, 4): merges undo the splits last-first, split s at height K − 1 − s."""
    K = n_clusters
    index = {node["id"]: node["leaf_code"] for node in tree if node["leaf_code"] is not None}
    n_leaves = {node["id"]: 1 for node in tree if node["leaf_code"] is not None}
    internal = sorted((node for node in tree if node["split_order"] is not None), key=lambda node: -node["split_order"])
    out = np.empty((K - 1, 4))
    for r, node in enumerate(internal):
        a, b = node["children"]
        n_leaves[node["id"]] = n_leaves[a] + n_leaves[b]
        out[r] = (index[a], index[b], K - 1 - node["split_order"], n_leaves[node["id"]])
        index[node["id"]] = K + r
    return out


def mixture_bic(Z: np.ndarray, labels: np.ndarray, gaussians: ClusterGaussians) -> float:
    """BIC of the hard-assigned mixture: −2 Σᵢ (log πₖ + log N(zᵢ | μₖ, Σₖ)) + p log n,
    p = K (d + d(d+1)/2) + K − 1."""
    n, d = Z.shape
    K = gaussians.n_clusters_
    weights = np.log(gaussians.counts_ / n)
    loglik = gaussians.log_density(Z)[np.arange(n), labels] + weights[labels]
    return float(-2.0 * loglik.sum() + (K * (d + d * (d + 1) // 2) + K - 1) * np.log(n))
