"""Paper components 2–3: partitions, polarized hierarchical clustering,
per-cluster Gaussians with the Mahalanobis/χ² gate, and micro-centroid
anchors. numpy + scipy only; arrays in, arrays out.
"""

from .anchors import micro_centroids
from .gaussians import ClusterGaussians
from .partition import LabelPartition, UnknownLabelError
from .polarized import PolarizedHierarchical

__all__ = [
    "ClusterGaussians",
    "LabelPartition",
    "PolarizedHierarchical",
    "UnknownLabelError",
    "micro_centroids",
]
