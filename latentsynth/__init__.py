"""latentsynth: synthetic data from cluster-specific Gaussian models of a learned latent space.

from latentsynth import LatentSynthesizer
syn = LatentSynthesizer(model="vae", latent_dim=5, random_state=0).fit(df, y="species")
X_new, labels = syn.sample(200, cluster="setosa", method="ellipsoid_walk", random_state=1)
"""

from synth import __version__
from synth.errors import (
    ArtifactError,
    ConfigError,
    DataError,
    GenerationError,
    LatentSynthError,
    UnknownClusterError,
    UnknownMethodError,
)
from synth.synthesizer import LatentSynthesizer, Samples

__all__ = [
    "ArtifactError",
    "ConfigError",
    "DataError",
    "GenerationError",
    "LatentSynthError",
    "LatentSynthesizer",
    "Samples",
    "UnknownClusterError",
    "UnknownMethodError",
    "__version__",
]
