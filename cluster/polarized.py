"""Polarized hierarchical clustering of unlabelled latents (doi 10.1109/access.2026.3692685, component 2).

Our definition (docs/design.md): start with all of Z as one node. To split a node,
project it on its first principal axis and cut the projection into two
poles by exact 1-D 2-means. Keep the split only if both poles have at least
``min_size`` points and two Gaussians (hard assignment, one full-covariance
MLE Gaussian per pole plus mixing weights) have a lower BIC than one
Gaussian on the node. Repeatedly split the largest leaf whose split is
accepted, until ``n_clusters`` leaves (or, with ``"auto"``, until no split
is accepted). Every step is deterministic: no random initialisation.

Codes: the root has code 0; split number s (0-based) leaves the left pole
(projection ≤ threshold) with its parent's code and gives the right pole
code s + 1. So after s splits the codes are exactly 0..s, and ``cut(k)``
only has to undo the splits numbered k-1 and later.
"""

from __future__ import annotations

import copy
import warnings

import numpy as np

from ._checks import as_latents, check_float, check_int, check_random_state
from .formats import format_problem
from .gaussians import ClusterGaussians
from .polarized_split import polarized_split, two_means_1d

__all__ = ["PolarizedHierarchical", "polarized_split", "two_means_1d"]

_FORMAT = "latentsynth.cluster.PolarizedHierarchical"
_VERSION = 1


class PolarizedHierarchical:
    """Polarized hierarchical clustering (see the module docstring).

    Parameters
    ----------
    n_clusters : int >= 1 or "auto"
        Leaves wanted; "auto" splits until no split is accepted.
    min_size : int >= 1
        Smallest pole a split may create (at least 2 is always enforced,
        since each leaf gets its own Gaussian).
    max_clusters : int >= 1
        Cap on the number of leaves (the stop for "auto").
    ridge : float > 0
        Diagonal ridge of the BIC Gaussians, relative to the node's mean variance.
    random_state : int, None or numpy Generator
        Accepted (and validated) for API consistency; the algorithm uses no
        randomness, not even on large n (every step is O(n d² + n log n)).

    Learned: ``labels_`` (n,) int64 leaf codes, ``n_clusters_``, ``tree_``
    (JSON-able list of node dicts), ``gaussians_`` (``ClusterGaussians`` on
    the leaves, Ledoit–Wolf), ``n_features_in_``.

    Node dicts in ``tree_``: id, parent, children, size, depth, code (the
    node's cluster code while it was a leaf), split_order (None for leaves),
    axis (unit vector) and threshold (left pole: z @ axis ≤ threshold),
    bic_gain = BIC(one Gaussian) − BIC(two), leaf_code (None for inner nodes).
    """

    def __init__(
        self, n_clusters=2, *, min_size: int = 5, max_clusters: int = 64, ridge: float = 1e-6, random_state=None
    ):
        self.n_clusters = n_clusters
        self.min_size = min_size
        self.max_clusters = max_clusters
        self.ridge = ridge
        self.random_state = random_state

    def _check_params(self) -> int:
        """Validate the constructor arguments; return the target number of leaves."""
        max_clusters = check_int(self.max_clusters, name="max_clusters", minimum=1)
        check_int(self.min_size, name="min_size", minimum=1)
        check_float(self.ridge, name="ridge", low=0.0, low_open=True)
        check_random_state(self.random_state)
        if isinstance(self.n_clusters, str):
            if self.n_clusters != "auto":
                raise ValueError(f"n_clusters must be an int >= 1 or 'auto', got {self.n_clusters!r}.")
            return max_clusters
        n_clusters = check_int(self.n_clusters, name="n_clusters", minimum=1)
        if n_clusters > max_clusters:
            raise ValueError(f"n_clusters={n_clusters} exceeds max_clusters={max_clusters}; raise max_clusters.")
        return n_clusters

    def fit(self, Z, y=None) -> PolarizedHierarchical:
        """Build the tree on Z: (n, d) float. ``y`` is ignored (estimator convention)."""
        target = self._check_params()
        Z = as_latents(Z, min_rows=2)
        n, d = Z.shape
        min_pole = max(int(self.min_size), 2)
        nodes = [
            {
                "id": 0,
                "parent": None,
                "children": [],
                "size": n,
                "depth": 0,
                "code": 0,
                "split_order": None,
                "axis": None,
                "threshold": None,
                "bic_gain": None,
                "leaf_code": None,
            }
        ]
        rows = {0: np.arange(n)}
        candidates: dict[int, dict | None] = {}
        leaves = [0]
        while len(leaves) < target:
            for leaf in leaves:
                if leaf not in candidates:
                    # too small to give two poles of min_pole: no candidate
                    candidates[leaf] = (
                        None
                        if rows[leaf].size < 2 * min_pole
                        else polarized_split(Z[rows[leaf]], min_size=min_pole, ridge=self.ridge)
                    )
            accepted = [leaf for leaf in leaves if candidates[leaf] and candidates[leaf]["accepted"]]
            if not accepted:
                break
            best = min(accepted, key=lambda leaf: (-nodes[leaf]["size"], leaf))
            split, parent = candidates.pop(best), nodes[best]
            order = len(leaves) - 1
            parent.update(
                split_order=order,
                axis=[float(v) for v in split["axis"]],
                threshold=split["threshold"],
                bic_gain=split["bic_gain"],
            )
            member = rows.pop(best)
            for code, mask in ((parent["code"], split["left"]), (order + 1, ~split["left"])):
                child = len(nodes)
                rows[child] = member[mask]
                nodes.append(
                    {
                        "id": child,
                        "parent": best,
                        "children": [],
                        "size": int(mask.sum()),
                        "depth": parent["depth"] + 1,
                        "code": code,
                        "split_order": None,
                        "axis": None,
                        "threshold": None,
                        "bic_gain": None,
                        "leaf_code": None,
                    }
                )
                parent["children"].append(child)
            leaves[leaves.index(best) : leaves.index(best) + 1] = parent["children"]
        labels = np.empty(n, dtype=np.int64)
        for leaf in leaves:
            nodes[leaf]["leaf_code"] = nodes[leaf]["code"]
            labels[rows[leaf]] = nodes[leaf]["code"]
        if self.n_clusters != "auto" and len(leaves) < target:
            warnings.warn(
                f"PolarizedHierarchical found {len(leaves)} clusters, not the n_clusters={target} "
                f"asked: no leaf has a split with both poles >= {min_pole} points and a lower BIC "
                "than one Gaussian. Lower min_size, or use n_clusters='auto'.",
                UserWarning,
                stacklevel=2,
            )
        self.tree_ = nodes
        self.labels_ = labels
        self.n_clusters_ = len(leaves)
        self.n_features_in_ = d
        self.gaussians_ = ClusterGaussians(ridge=self.ridge).fit(Z, labels)
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "tree_"):
            raise ValueError("This PolarizedHierarchical is not fitted yet; call fit(Z) first.")

    def predict(self, Z) -> np.ndarray:
        """Leaf code of each row by highest Gaussian log-density. Z: (n, d) → (n,) int64."""
        self._check_fitted()
        return self.gaussians_.predict(Z)

    def cut(self, k: int) -> np.ndarray:
        """Training labels (n_train,) after only the first k − 1 splits (codes 0..k−1).

        Works on the training data only (it maps ``labels_`` up the tree); a
        model restored with ``from_json`` has no ``labels_`` and cannot cut.
        """
        self._check_fitted()
        k = check_int(k, name="k", minimum=1)
        if k > self.n_clusters_:
            raise ValueError(f"k={k} exceeds the {self.n_clusters_} clusters found; pick k <= {self.n_clusters_}.")
        if getattr(self, "labels_", None) is None:
            raise ValueError("cut() needs the training labels_, which a model restored from JSON lacks; refit.")
        mapping = np.empty(self.n_clusters_, dtype=np.int64)
        for node in self.tree_:
            if node["leaf_code"] is None:
                continue
            top = node
            # climb while the parent's split is not among the first k − 1
            while top["parent"] is not None and self.tree_[top["parent"]]["split_order"] >= k - 1:
                top = self.tree_[top["parent"]]
            mapping[node["leaf_code"]] = top["code"]
        return mapping[self.labels_]

    def linkage_matrix(self) -> np.ndarray:
        """SciPy linkage (K − 1, 4) of the leaves, for ``scipy.cluster.hierarchy.dendrogram``.

        Observation i is leaf code i. Merges undo the splits last-first; the
        height of the merge undoing split s is K − 1 − s, so heights are
        monotone and the first split is the top of the dendrogram.
        """
        self._check_fitted()
        K = self.n_clusters_
        index = {node["id"]: node["leaf_code"] for node in self.tree_ if node["leaf_code"] is not None}
        n_leaves = {node["id"]: 1 for node in self.tree_ if node["leaf_code"] is not None}
        internal = sorted(
            (node for node in self.tree_ if node["split_order"] is not None), key=lambda node: -node["split_order"]
        )
        out = np.empty((K - 1, 4))
        for r, node in enumerate(internal):
            a, b = node["children"]
            n_leaves[node["id"]] = n_leaves[a] + n_leaves[b]
            out[r] = (index[a], index[b], K - 1 - node["split_order"], n_leaves[node["id"]])
            index[node["id"]] = K + r
        return out

    def to_json(self) -> dict:
        """JSON-able dict: parameters, tree and the leaf Gaussians (as nested lists).

        ``labels_`` (one code per training row) is not included.
        """
        self._check_fitted()
        # a Generator cannot go to JSON; it is unused by fit anyway
        seed = int(self.random_state) if isinstance(self.random_state, (int, np.integer)) else None
        n_clusters = "auto" if isinstance(self.n_clusters, str) else int(self.n_clusters)
        return {
            "format": _FORMAT,
            "version": _VERSION,
            "params": {
                "n_clusters": n_clusters,
                "min_size": int(self.min_size),
                "max_clusters": int(self.max_clusters),
                "ridge": float(self.ridge),
                "random_state": seed,
            },
            "n_features_in": self.n_features_in_,
            "n_clusters": self.n_clusters_,
            "tree": copy.deepcopy(self.tree_),  # the caller may edit the dict; the model must not change
            "gaussians": {key: value.tolist() for key, value in self.gaussians_.to_arrays().items()},
        }

    @classmethod
    def from_json(cls, obj: dict) -> PolarizedHierarchical:
        """Restore a model that can ``predict`` and draw its tree from ``to_json`` output."""
        problem = format_problem(obj, _FORMAT, _VERSION)
        if problem == "format":
            raise ValueError(f"not a PolarizedHierarchical JSON object (expected format {_FORMAT!r}).")
        if problem == "version":
            raise ValueError(
                f"PolarizedHierarchical JSON version {obj.get('version')!r} is not "
                f"supported (this code reads version {_VERSION})."
            )
        try:
            model = cls(**obj["params"])
            model._check_params()
            arrays = {key: np.asarray(value) for key, value in obj["gaussians"].items()}
            gaussians = ClusterGaussians.from_arrays(arrays)
            model.tree_ = copy.deepcopy(list(obj["tree"]))
            model.n_clusters_ = int(obj["n_clusters"])
            model.n_features_in_ = int(obj["n_features_in"])
        except (KeyError, TypeError) as exc:
            raise ValueError(f"PolarizedHierarchical JSON is incomplete or corrupt ({exc!r}).") from None
        n_leaves = sum(node.get("leaf_code") is not None for node in model.tree_)
        if (gaussians.n_clusters_, gaussians.n_features_in_) != (
            model.n_clusters_,
            model.n_features_in_,
        ) or n_leaves != model.n_clusters_:
            raise ValueError(
                "PolarizedHierarchical JSON is inconsistent: tree, cluster count and "
                "Gaussians disagree; re-save the model."
            )
        model.gaussians_ = gaussians
        return model
