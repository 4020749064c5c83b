"""Metrics of synthetic data: pure functions, arrays in, JSON-able numbers out.

gaussian_distance  Fréchet and Bhattacharyya distances between fitted Gaussians
adherence          cluster adherence rate (CAR) of re-encoded samples
fidelity           per-column KS / total variation, correlation difference
utility            TRTR / TSTR / augmentation lift of a simple classifier (unlabelled models: via the
                   cluster → majority-true-label map)
privacy            distance to closest record (DCR) and the holdout ratio
detection          C2ST: k-fold ROC AUC of a classifier telling real from synthetic, with its floor
support            α-precision, β-recall, authenticity (Alaa et al. 2022) and PRDC (Naeem et al. 2020)
membership         membership-inference attack AUC (distance and density-ratio attacks)
"""

from synth.metrics.adherence import cluster_adherence_rate
from synth.metrics.detection import c2st, detection_auc, image_detection
from synth.metrics.fidelity import correlation_difference, ks_per_column
from synth.metrics.gaussian_distance import (
    bhattacharyya_distance,
    frechet_distance,
    gaussian_stats,
    latent_bhattacharyya,
    latent_frechet_distance,
    sqrtm_psd,
)
from synth.metrics.membership import membership_inference
from synth.metrics.privacy import distance_to_closest_record
from synth.metrics.support import alpha_precision, prdc, support_metrics
from synth.metrics.utility import majority_label_map, majority_utility_report, utility_report

__all__ = [
    "alpha_precision",
    "c2st",
    "detection_auc",
    "image_detection",
    "membership_inference",
    "prdc",
    "support_metrics",
    "bhattacharyya_distance",
    "cluster_adherence_rate",
    "correlation_difference",
    "distance_to_closest_record",
    "frechet_distance",
    "gaussian_stats",
    "ks_per_column",
    "majority_label_map",
    "majority_utility_report",
    "latent_bhattacharyya",
    "latent_frechet_distance",
    "sqrtm_psd",
    "utility_report",
]
