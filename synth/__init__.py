"""latentsynth's engine: data, models, training, latent generators, metrics, artifacts."""

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("latentsynth")
except _metadata.PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
