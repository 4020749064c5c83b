"""The one training loop and its parts.

``loop`` drives epochs, data order, validation and callbacks for any model kind;
a kind's *recipe* (in ``synth.models``) says how that kind takes one step.
``losses`` and ``schedules`` are plain functions of tensors; ``checkpoints`` and
``runs`` hold the loop state on disk; ``sample_grid`` is a callback that writes
sample images while training. Ray Train runs the same loop (``synth.distributed``).
"""

from synth.training.loop import Callback, EarlyStopping, TrainConfig, TrainingLoop, fit_local

__all__ = ["Callback", "EarlyStopping", "TrainConfig", "TrainingLoop", "fit_local"]
