"""How the double autoencoder trains (seed 003 §II.B; the loop in synth/train.py drives it).

``two_stage`` (the paper): for the first ⌈epochs/2⌉ epochs only the column
autoencoder learns, on every column of every record; then it is frozen and
the row autoencoder learns the rows of the intermediate matrices. ``joint``:
both at once, on the record reconstruction plus the column reconstruction.
The logged ``loss`` is the column loss in stage 1 and the row loss in stage 2
(hence early stopping only counts from stage 2). Every step also logs ``record_mse``,
the per-pixel squared error of the whole encode → decode path in model space ([0, 1]),
the number to compare across modes.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from synth.losses import reconstruction_loss
from synth.models.double_ae import columns_of, matrix_from_columns, records_from_columns, rows_of
from synth.train import TrainConfig


class DoubleAERecipe:
    def __init__(self, *, training: str, epochs: int, betas: tuple[float, float] = (0.9, 0.999)):
        if training not in ("two_stage", "joint"):
            raise ValueError(f"training must be 'two_stage' or 'joint', got {training!r}")
        self.training, self.betas = training, tuple(betas)
        self.switch_epoch = math.ceil(epochs / 2) if training == "two_stage" else 0

    def modules(self, model: nn.Module) -> dict[str, nn.Module]:
        return {"column": model.column, "row": model.row}

    def make_optimizers(self, modules, config: TrainConfig):
        return {
            name: torch.optim.Adam(m.parameters(), lr=config.lr, betas=self.betas, weight_decay=config.weight_decay)
            for name, m in modules.items()
        }

    def stage(self, epoch: int) -> int:
        """0: column autoencoder, 1: row autoencoder (two_stage); joint is always stage 1."""
        return 0 if epoch < self.switch_epoch else 1

    def _losses(self, modules, x, epoch):
        """(loss to minimise, logs). Shapes: x (n, H, W)."""
        column, row = modules["column"], modules["row"]
        n, cols = len(x), columns_of(x)
        if self.training == "two_stage" and self.stage(epoch) == 0:
            recon, _ = column(cols)
            loss = reconstruction_loss(recon, cols)
            return loss, {}
        if self.training == "two_stage":
            with torch.no_grad():
                _, codes = column(cols)
            rows = rows_of(matrix_from_columns(codes, n))
            recon_rows, _ = row(rows)
            loss = reconstruction_loss(recon_rows, rows)
            return loss, {}
        col_recon, codes = column(cols)
        recon_rows, _ = row(rows_of(matrix_from_columns(codes, n)))
        col_loss = reconstruction_loss(col_recon, cols) * x.shape[2]  # summed over a record's W columns
        record = self._record(column, recon_rows, n, codes.shape[1])
        rec_loss = reconstruction_loss(record, x)
        return rec_loss + col_loss, {"record_loss": float(rec_loss.detach()), "column_loss": float(col_loss.detach())}

    @staticmethod
    def _record(column, recon_rows, n, d1):
        """Decoded rows (n·d₁, W) → records (n, H, W) through the column decoder."""
        matrix = recon_rows.view(n, d1, -1)
        return records_from_columns(column(code=matrix.transpose(1, 2).reshape(-1, d1)), n)

    def _record_mse(self, modules, x) -> float:
        column, row = modules["column"], modules["row"]
        with torch.no_grad():
            _, codes = column(columns_of(x))
            recon_rows, _ = row(rows_of(matrix_from_columns(codes, len(x))))
            return float((self._record(column, recon_rows, len(x), codes.shape[1]) - x).pow(2).mean())

    def train_step(self, modules, batch, optimizers, *, epoch, total_epochs, generator):
        x = batch[0]
        loss, logs = self._losses(modules, x, epoch)
        names = (
            ["column"]
            if self.training == "two_stage" and self.stage(epoch) == 0
            else (["row"] if self.training == "two_stage" else ["column", "row"])
        )
        for name in names:
            optimizers[name].zero_grad(set_to_none=True)
        loss.backward()
        for name in names:
            optimizers[name].step()
        return {"loss": float(loss.detach()), **logs, "record_mse": self._record_mse(modules, x)}

    def eval_step(self, modules, batch, *, epoch, total_epochs):
        x = batch[0]
        loss, logs = self._losses(modules, x, epoch)
        return {"loss": float(loss), **logs, "record_mse": self._record_mse(modules, x)}

    def epoch_logs(self, epoch, total_epochs):
        return {}

    @property
    def settled_epoch(self) -> int:
        """Early stopping counts only once the objective stops changing meaning (stage 2)."""
        return self.switch_epoch
