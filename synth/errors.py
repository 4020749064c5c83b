"""One exception class per kind of failure a user can act on.

The CLI turns these into a message and a non-zero exit, the HTTP layer into a
4xx JSON body. Every message says what was wrong, with which value, and what
to do about it.
"""


class LatentSynthError(Exception):
    """Base class: an error whose message is meant for the user."""


class DataError(LatentSynthError, ValueError):
    """Input data cannot be used: missing file, wrong format, too few rows, …"""


class ConfigError(LatentSynthError, ValueError):
    """An option or argument is out of range or names something unknown."""


class UnknownClusterError(ConfigError, KeyError):
    """A cluster name that the model does not have."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class UnknownMethodError(ConfigError):
    """A generation method that does not exist."""


class ArtifactError(LatentSynthError):
    """A saved model directory is missing, corrupt, foreign or of another version."""


class GenerationError(LatentSynthError):
    """Sampling could not deliver what was asked (e.g. the gate rejects too much)."""


class TrainingError(LatentSynthError):
    """Training diverged or was stopped in a state that cannot be used."""


class ConditionError(ConfigError):
    """A condition or constraint that names an unknown column, has the wrong type, or can never
    be met under the model (a value never seen, a range outside the data). ``field`` names the
    column (the HTTP layer reports it in its 422 body)."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


class ConditionWarning(UserWarning):
    """Fewer rows than asked satisfied the conditions within the tries or time budget."""


class DataWarning(UserWarning):
    """Cleaning dropped more than a tenth of the rows (the cleaning summary says which and why)."""
