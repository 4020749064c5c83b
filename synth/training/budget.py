"""How long a table trains: batch size, epochs, KL warm-up and patience from the row count.

A fixed epoch count makes cost grow as rows × epochs, while the cost of one step of
these small MLPs barely depends on the batch (measured on 2 CPU cores: about 4–7 ms per
Adam step of a (64, 32) VAE from batch 32 to batch 2048). So a table gets a *budget*:

- batch = 32 up to 2,048 training rows, then the power of two that keeps an epoch at
  32–64 steps, at most 1,024 (large batches as in Goyal et al. 2017, "Accurate, large
  minibatch SGD"; CTGAN/TVAE train at batch 500, Xu et al. 2019);
- epochs: enough to see ``ROWS_SEEN`` rows (2 M: the 1,000 epochs of the 1,797-row digits
  table) and to take ``MIN_STEPS`` optimiser steps, at most ``MAX_EPOCHS``;
- the KL warm-up is ``WARMUP_SHARE`` of the planned epochs (100 of 1,000);
- a schedule cut short by the budget stops early on the validation loss (patience a fifth
  of the planned epochs, at least 5) and keeps the best weights; a table that gets the
  full 1,000 epochs trains every one (early stopping on a 10 % split of a few hundred rows
  picked under-trained models).

A table of ≤ 2,048 training rows therefore trains exactly as before (batch 32, 1,000
epochs, warm-up 100, no early stopping); 18,000 rows take ~4,000 steps of batch 512 and
90,000 rows ~4,000 steps of batch 1,024. Values the user sets always win.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

SMALL_BATCH = 32
MAX_BATCH = 1024
STEPS_PER_EPOCH = 64  # the batch grows so that an epoch takes at most this many steps
ROWS_SEEN = 2_000_000
MIN_STEPS = 4_000
MAX_EPOCHS = 1000
WARMUP_SHARE = 0.1
PATIENCE_SHARE = 0.2
MIN_PATIENCE = 5


# Images (VAE / AE with a conv net): a conv step costs about the pixels it passes, so an image set
# trains until IMAGE_PIXELS_SEEN pixel positions (H·W per image, summed over epochs) have gone
# through, within [MIN_IMAGE_EPOCHS, IMAGE_EPOCHS]. 1,617 training 8×8 digits keep their 300
# epochs; 4,500 training 28×28 images get 29 (benchmarks/conv28.py, on a shared 2-core VM: the conv
# VAE fits 5,000 28×28 images in 77 s against 8 min to hours for 300 epochs, and doubling the epochs
# did not lower its detection AUC); 54,000 MNIST images get 5. A set of few large images still takes
# MIN_IMAGE_STEPS optimiser steps (Flowers102's 918 training images at 64×64 and batch 64: 134 epochs).
IMAGE_EPOCHS = 300
IMAGE_PIXELS_SEEN = 100_000_000
MIN_IMAGE_EPOCHS = 5
MIN_IMAGE_STEPS = 2_000


def image_epochs(rows: int, pixels: int, batch_size: int = 64) -> int:
    """Epochs of ``rows`` training images of ``pixels`` (H·W) each: 1,617 × 64 → 300,
    4,500 × 784 → 29, 54,000 × 784 → 5, 918 × 4,096 → 134 (the step floor)."""
    rows = max(int(rows), 1)
    wanted = math.ceil(IMAGE_PIXELS_SEEN / (rows * max(int(pixels), 1)))
    steps = math.ceil(MIN_IMAGE_STEPS / math.ceil(rows / max(int(batch_size), 1)))
    return max(MIN_IMAGE_EPOCHS, min(IMAGE_EPOCHS, max(wanted, steps)))


@dataclass(frozen=True)
class Schedule:
    """The planned run of one table: what the loop is told, and why (for the fit summary)."""

    rows: int  # training rows (the validation split excluded)
    batch_size: int
    epochs: int
    steps_per_epoch: int
    planned_steps: int
    warmup_epochs: int
    patience: int | None
    source: dict  # field -> "budget" (from the rows) or "user" (set explicitly)

    def to_dict(self) -> dict:
        return asdict(self)


def budget_batch_size(rows: int) -> int:
    """32 while an epoch is ≤ 64 steps of 32, then the next power of two that keeps it ≤ 64
    steps, capped at 1,024: 135 → 32, 1,617 → 32, 18,000 → 512, 90,000 → 1,024."""
    if rows <= SMALL_BATCH * STEPS_PER_EPOCH:
        return SMALL_BATCH
    return min(MAX_BATCH, 2 ** math.ceil(math.log2(rows / STEPS_PER_EPOCH)))


def budget_epochs(rows: int, batch_size: int) -> int:
    """Epochs to see ``ROWS_SEEN`` rows and take ``MIN_STEPS`` steps, within [1, MAX_EPOCHS]."""
    steps_per_epoch = math.ceil(rows / batch_size)
    wanted = max(math.ceil(ROWS_SEEN / rows), math.ceil(MIN_STEPS / steps_per_epoch))
    return max(1, min(MAX_EPOCHS, wanted))


def table_schedule(
    rows: int,
    *,
    batch_size: int | None = None,
    epochs: int | None = None,
    warmup_epochs: int | None = None,
    patience: int | None = None,
    patience_set: bool = False,
) -> Schedule:
    """The schedule of a table of ``rows`` training rows; each argument given wins over the
    budget. ``patience_set``: the user chose ``patience`` (``None`` then means "never stop")."""
    rows = max(int(rows), 1)
    source = {
        "batch_size": "user" if batch_size else "budget",
        "epochs": "user" if epochs else "budget",
        "warmup_epochs": "user" if warmup_epochs is not None else "budget",
        "patience": "user" if patience_set else "budget",
    }
    batch = batch_size or budget_batch_size(rows)
    n_epochs = epochs or budget_epochs(rows, batch)
    if warmup_epochs is None:
        # explicit epochs keep the 100-epoch warm-up they always had; a budgeted run scales it
        warmup_epochs = 100 if epochs else max(1, round(WARMUP_SHARE * n_epochs))
    if not patience_set:
        cut_short = not epochs and n_epochs < MAX_EPOCHS
        patience = max(MIN_PATIENCE, math.ceil(PATIENCE_SHARE * n_epochs)) if cut_short else None
    steps = math.ceil(rows / batch)
    return Schedule(rows, batch, n_epochs, steps, steps * n_epochs, warmup_epochs, patience, source)


def loop_config(config, *, seed: int):
    """The ``TrainConfig`` of a resolved ``SynthConfig`` (patience 0: never stop early)."""
    from synth.training.loop import TrainConfig

    return TrainConfig(
        epochs=config.epochs,
        batch_size=config.batch_size,
        lr=config.lr,
        weight_decay=config.weight_decay,
        val_fraction=config.val_fraction,
        patience=config.patience or None,
        seed=seed,
    )
