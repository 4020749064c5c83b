"""Polarized hierarchical clustering of unlabelled latents (doi 10.1109/access.2026.3692685, component 2).

Our definition (docs/method.md): standardise each latent dimension (``standardize``),
start with all rows as one node. A node's candidate split: project it on its first
principal axis, cut the projection into two poles by exact 1-D 2-means, then refine the
two poles by up to ``split_refine`` two-cluster hard-EM steps in the node's full space
(``refine.hard_em``: each row to the pole whose shrunk Gaussian gives it the higher
density). If that split is rejected, the next of ``n_axes`` principal axes is tried. A
split is accepted only if both poles have at least ``min_size`` rows and two Gaussians
(hard assignment, one full-covariance MLE Gaussian per pole plus mixing weights) have a
lower BIC than one Gaussian on the node. The largest leaf with an accepted split is split
(``split_order="size"``; ``"gain"`` takes the largest BIC gain), and after every split all
leaves are refined jointly by up to ``refine`` hard-EM steps (Celeux & Govaert 1992),
each kept only if it raises the within-cluster log-likelihood; a leaf whose rows changed
gets a fresh candidate split. This repeats until ``n_clusters`` leaves (or, with
``"auto"``, until no split is accepted). No random initialisation anywhere.

The tree stays consistent with the final labels: a node holds exactly the rows of its
descendant leaves (sizes are recomputed after refinement), and ``axis``/``threshold``
record the initial polar cut of each split, in standardised units.

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
from .polarized_tree import cut_mapping, linkage, mixture_bic, new_node, resize
from .refine import hard_em

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
        Smallest pole a split (or a refinement step) may leave (at least 2 is always
        enforced, since each leaf gets its own Gaussian).
    max_clusters : int >= 1
        Cap on the number of leaves (the stop for "auto").
    ridge : float > 0
        Diagonal ridge of the BIC Gaussians, relative to the node's mean variance.
    split_order : "size" or "gain"
        Which accepted split goes next: the largest leaf's, or the largest BIC gain's.
        On digits latents "size" scores ARI 0.80 and "gain" 0.74 (benchmarks/clustering.py).
    split_refine : int >= 0
        Two-pole hard-EM steps on each candidate split (0: the bare axis cut).
    refine : int >= 0
        Joint hard-EM steps on the leaves (0: none).
    refine_each : bool
        Refine after every split (True) or only once the tree is grown.
    standardize : bool
        Cluster (Z − mean) / std per dimension; ``predict`` applies the same scaling.
    n_axes : int >= 1
        Principal axes tried in turn when a node's first-axis split is rejected.
    random_state : int, None or numpy Generator
        Accepted (and validated) for API consistency; the algorithm uses no randomness.

    Learned: ``labels_`` (n,) int64 leaf codes, ``n_clusters_``, ``tree_``
    (JSON-able list of node dicts), ``gaussians_`` (``ClusterGaussians`` on
    the leaves, Ledoit–Wolf, in standardised units), ``n_features_in_``, ``center_`` and
    ``scale_`` (d,) (the standardisation), ``refinement_`` (the last joint refinement's
    log-likelihoods, steps kept in all, rows moved in all) and ``selection_`` (the number
    of clusters found, why growth stopped, each split's BIC gain, the mixture's BIC).

    Node dicts in ``tree_``: id, parent, children, size, depth, code (the
    node's cluster code while it was a leaf), split_order (None for leaves),
    axis (unit vector) and threshold (left pole: z @ axis ≤ threshold),
    bic_gain = BIC(one Gaussian) − BIC(two), leaf_code (None for inner nodes).
    """

    def __init__(
        self,
        n_clusters=2,
        *,
        min_size: int = 5,
        max_clusters: int = 64,
        ridge: float = 1e-6,
        split_order: str = "size",
        split_refine: int = 10,
        refine: int = 100,
        refine_each: bool = True,
        standardize: bool = True,
        n_axes: int = 3,
        random_state=None,
    ):
        self.n_clusters = n_clusters
        self.min_size = min_size
        self.max_clusters = max_clusters
        self.ridge = ridge
        self.split_order = split_order
        self.split_refine = split_refine
        self.refine = refine
        self.refine_each = refine_each
        self.standardize = standardize
        self.n_axes = n_axes
        self.random_state = random_state

    _PARAMS = (
        "n_clusters",
        "min_size",
        "max_clusters",
        "ridge",
        "split_order",
        "split_refine",
        "refine",
        "refine_each",
        "standardize",
        "n_axes",
        "random_state",
    )

    def get_params(self, deep: bool = True) -> dict:
        """Constructor arguments (scikit-learn convention; ``deep`` is accepted, nothing is nested)."""
        return {name: getattr(self, name) for name in self._PARAMS}

    def set_params(self, **params) -> PolarizedHierarchical:
        """Set constructor arguments; unknown names are a ValueError. Validated at ``fit``."""
        unknown = sorted(set(params) - set(self._PARAMS))
        if unknown:
            raise ValueError(f"unknown parameter(s) {unknown} for PolarizedHierarchical; valid: {list(self._PARAMS)}")
        for name, value in params.items():
            setattr(self, name, value)
        return self

    def _check_params(self) -> int:
        """Validate the constructor arguments; return the target number of leaves."""
        max_clusters = check_int(self.max_clusters, name="max_clusters", minimum=1)
        check_int(self.min_size, name="min_size", minimum=1)
        check_int(self.split_refine, name="split_refine", minimum=0)
        check_int(self.refine, name="refine", minimum=0)
        check_int(self.n_axes, name="n_axes", minimum=1)
        if self.split_order not in ("gain", "size"):
            raise ValueError(f"split_order must be 'gain' or 'size', got {self.split_order!r}.")
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
        self.center_, self.scale_ = np.zeros(d), np.ones(d)
        if self.standardize:
            spread = Z.std(axis=0)
            self.center_, self.scale_ = Z.mean(axis=0), np.where(spread > 0, spread, 1.0)
        Z = (Z - self.center_) / self.scale_
        min_pole = max(int(self.min_size), 2)
        nodes = [new_node(0, None, n, 0, 0)]
        labels = np.zeros(n, dtype=np.int64)
        stop = "reached n_clusters" if self.n_clusters != "auto" else "reached max_clusters"
        rows = {0: np.arange(n)}
        candidates: dict[int, dict | None] = {}
        leaves = [0]
        self.refinement_ = {"loglik": [], "steps": 0, "converged": None, "moved": 0}
        while len(leaves) < target:
            for leaf in leaves:
                if leaf not in candidates:
                    # too small to give two poles of min_pole: no candidate
                    candidates[leaf] = (
                        None
                        if rows[leaf].size < 2 * min_pole
                        else polarized_split(
                            Z[rows[leaf]],
                            min_size=min_pole,
                            ridge=self.ridge,
                            refine=self.split_refine,
                            n_axes=self.n_axes,
                        )
                    )
            accepted = [leaf for leaf in leaves if candidates[leaf] and candidates[leaf]["accepted"]]
            if not accepted:
                stop = "no leaf has a split with both poles >= min_size whose two Gaussians have a lower BIC than one"
                break
            rank = "bic_gain" if self.split_order == "gain" else "size"
            best = min(
                accepted,
                key=lambda leaf: (-(candidates[leaf][rank] if rank == "bic_gain" else nodes[leaf]["size"]), leaf),
            )
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
                labels[member[mask]] = code
                nodes.append(new_node(child, best, int(mask.sum()), parent["depth"] + 1, code))
                parent["children"].append(child)
            leaves[leaves.index(best) : leaves.index(best) + 1] = parent["children"]
            if self.refine_each and self.refine > 0:
                labels = self._refine(Z, labels, nodes, leaves, rows, candidates, min_pole)
        for leaf in leaves:
            nodes[leaf]["leaf_code"] = nodes[leaf]["code"]
        if self.n_clusters != "auto" and len(leaves) < target:
            warnings.warn(
                f"PolarizedHierarchical found {len(leaves)} clusters, not the n_clusters={target} "
                f"asked: no leaf has a split with both poles >= {min_pole} points and a lower BIC "
                "than one Gaussian. Lower min_size, or use n_clusters='auto'.",
                UserWarning,
                stacklevel=2,
            )
        if self.refine > 0 and len(leaves) > 1 and not self.refine_each:
            labels = self._refine(Z, labels, nodes, leaves, rows, candidates, min_pole)
        self.tree_ = nodes
        self.labels_ = labels
        self.n_clusters_ = len(leaves)
        self.n_features_in_ = d
        self.gaussians_ = ClusterGaussians(ridge=self.ridge).fit(Z, labels)
        self.selection_ = {
            "n_clusters": self.n_clusters_,
            "asked": self.n_clusters,
            "criterion": "split BIC (full-covariance Gaussians, hard assignment)",
            "stopped": stop,
            "split_bic_gains": [
                node["bic_gain"]
                for node in sorted(nodes, key=lambda node: node["split_order"] or 0)
                if node["children"]
            ],
            "mixture_bic": mixture_bic(Z, labels, self.gaussians_),
        }
        return self

    def _refine(self, Z, labels, nodes, leaves, rows, candidates, min_pole) -> np.ndarray:
        """Joint hard EM of the current leaves; leaves whose rows changed lose their cached split."""
        labels, _, record = hard_em(Z, labels, max_iter=self.refine, min_size=min_pole, ridge=self.ridge)
        for leaf in leaves:
            members = np.flatnonzero(labels == nodes[leaf]["code"])
            if not np.array_equal(members, rows[leaf]):
                rows[leaf] = members
                candidates.pop(leaf, None)
        resize(nodes, labels, {nodes[leaf]["code"]: leaf for leaf in leaves})
        previous = self.refinement_
        self.refinement_ = {
            "loglik": record["loglik"],
            "steps": previous["steps"] + record["steps"],
            "converged": record["converged"],
            "moved": previous["moved"] + record["moved"],
        }
        return labels

    def fit_predict(self, Z, y=None) -> np.ndarray:
        """``fit(Z).labels_`` (estimator convention)."""
        return self.fit(Z).labels_

    def _check_fitted(self) -> None:
        if not hasattr(self, "tree_"):
            raise ValueError("This PolarizedHierarchical is not fitted yet; call fit(Z) first.")

    def predict(self, Z) -> np.ndarray:
        """Leaf code of each row by highest Gaussian log-density. Z: (n, d) → (n,) int64."""
        self._check_fitted()
        Z = as_latents(Z, n_features=self.n_features_in_)
        return self.gaussians_.predict((Z - self.center_) / self.scale_)

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
        mapping = cut_mapping(self.tree_, self.n_clusters_, k)
        return mapping[self.labels_]

    def linkage_matrix(self) -> np.ndarray:
        """SciPy linkage (K − 1, 4) of the leaves, for ``scipy.cluster.hierarchy.dendrogram``.

        Observation i is leaf code i. Merges undo the splits last-first; the
        height of the merge undoing split s is K − 1 − s, so heights are
        monotone and the first split is the top of the dendrogram.
        """
        self._check_fitted()
        return linkage(self.tree_, self.n_clusters_)

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
                "split_order": str(self.split_order),
                "split_refine": int(self.split_refine),
                "refine": int(self.refine),
                "refine_each": bool(self.refine_each),
                "standardize": bool(self.standardize),
                "n_axes": int(self.n_axes),
                "random_state": seed,
            },
            "n_features_in": self.n_features_in_,
            "selection": copy.deepcopy(getattr(self, "selection_", None)),
            "center": self.center_.tolist(),
            "scale": self.scale_.tolist(),
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
            d = model.n_features_in_
            model.center_ = np.asarray(obj.get("center", np.zeros(d)), dtype=np.float64).reshape(d)
            model.scale_ = np.asarray(obj.get("scale", np.ones(d)), dtype=np.float64).reshape(d)
            if obj.get("selection") is not None:
                model.selection_ = copy.deepcopy(obj["selection"])
            if "center" not in obj:  # written before standardisation existed: the tree is in Z's own units
                model.standardize = False
        except (KeyError, TypeError, ValueError) as exc:
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
