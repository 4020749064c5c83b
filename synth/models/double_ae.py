"""The sequential double autoencoder for 2-D records (H×W), the kind ``double-ae``: network,
recipe and kind, after "Synthetic generation of 2D data records based on Autoencoders" (arXiv 2502.13183).

A record x (H×W) is read as W columns of length H. The *column* autoencoder
encodes each column to d₁, giving an intermediate d₁×W matrix M; the *row*
autoencoder encodes each of M's d₁ rows (length W) to d₂, giving the latent
matrix E (d₁×d₂), flattened to d₁·d₂ for clustering. Decoding runs the two
decoders in reverse. Each autoencoder sees many short series instead of a few
large images, which is the point on small data sets (the paper's §II.B).

The series encoders are MLPs or a small transformer encoder (patch tokens,
learned positions, no dropout so no hidden RNG), chosen by ``encoder``.
The modules know nothing of losses; ``DoubleAERecipe`` trains them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from synth.errors import ConfigError
from synth.models.kind import ModelKind
from synth.training.loop import TrainConfig
from synth.training.losses import reconstruction_loss

MAX_TOKENS = 64  # a transformer series is cut into at most this many patches


@dataclass(frozen=True)
class DoubleAEConfig:
    input_shape: tuple[int, int] = (32, 32)  # (H, W) of a (cropped) record
    column_dim: int = 8  # d₁
    row_dim: int = 8  # d₂
    encoder: str = "mlp"  # "mlp" or "transformer"
    hidden: tuple[int, ...] = (128, 64)  # MLP widths (decoders mirror them)
    model_dim: int = 32  # transformer token width
    heads: int = 4
    layers: int = 2

    def __post_init__(self):
        object.__setattr__(self, "input_shape", tuple(int(s) for s in self.input_shape))
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        if len(self.input_shape) != 2 or min(self.input_shape) < 2:
            raise ConfigError(f"the double autoencoder takes records (H, W) with H, W ≥ 2, got {self.input_shape}")
        if self.encoder not in ("mlp", "transformer"):
            raise ConfigError(f"encoder must be 'mlp' or 'transformer', got {self.encoder!r}")
        if self.model_dim % self.heads:
            raise ConfigError(f"model_dim {self.model_dim} must be a multiple of heads {self.heads}")

    @property
    def latent_dim(self) -> int:
        return self.column_dim * self.row_dim


def _mlp(widths: list[int]) -> nn.Sequential:
    layers = []
    for i in range(len(widths) - 1):
        layers.append(nn.Linear(widths[i], widths[i + 1]))
        if i < len(widths) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class _Tokens(nn.Module):
    """A series (n, L) ⇄ patch tokens (n, T, model_dim); T = ceil(L / patch) ≤ MAX_TOKENS."""

    def __init__(self, length: int, model_dim: int, heads: int, layers: int):
        super().__init__()
        self.length = length
        self.patch = math.ceil(length / MAX_TOKENS)
        self.tokens = math.ceil(length / self.patch)
        self.position = nn.Parameter(torch.zeros(1, self.tokens, model_dim))
        nn.init.normal_(self.position, 0.0, 0.02)
        layer = nn.TransformerEncoderLayer(
            model_dim, heads, dim_feedforward=2 * model_dim, dropout=0.0, batch_first=True
        )
        self.mixer = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)


class TransformerSeriesEncoder(_Tokens):
    def __init__(self, length: int, code_dim: int, model_dim: int, heads: int, layers: int):
        super().__init__(length, model_dim, heads, layers)
        self.embed = nn.Linear(self.patch, model_dim)
        self.out = nn.Linear(self.tokens * model_dim, code_dim)

    def forward(self, series: torch.Tensor) -> torch.Tensor:
        pad = self.tokens * self.patch - self.length
        x = nn.functional.pad(series, (0, pad)).view(len(series), self.tokens, self.patch)
        h = self.mixer(self.embed(x) + self.position)
        return self.out(h.flatten(1))


class TransformerSeriesDecoder(_Tokens):
    def __init__(self, length: int, code_dim: int, model_dim: int, heads: int, layers: int):
        super().__init__(length, model_dim, heads, layers)
        self.model_dim = model_dim
        self.inp = nn.Linear(code_dim, self.tokens * model_dim)
        self.out = nn.Linear(model_dim, self.patch)

    def forward(self, code: torch.Tensor) -> torch.Tensor:
        h = self.inp(code).view(len(code), self.tokens, self.model_dim)
        return self.out(self.mixer(h + self.position)).flatten(1)[:, : self.length]


class SeriesAutoencoder(nn.Module):
    """Series (n, L) ⇄ codes (n, d). ``forward(x)`` → (reconstruction, code);
    ``forward(code=c)`` decodes only (one entry point, so DDP can wrap it)."""

    def __init__(self, length: int, code_dim: int, config: DoubleAEConfig):
        super().__init__()
        if config.encoder == "mlp":
            widths = [length, *config.hidden, code_dim]
            self.encoder, self.decoder = _mlp(widths), _mlp(widths[::-1])
        else:
            args = (length, code_dim, config.model_dim, config.heads, config.layers)
            self.encoder, self.decoder = TransformerSeriesEncoder(*args), TransformerSeriesDecoder(*args)

    def forward(self, x: torch.Tensor | None = None, *, code: torch.Tensor | None = None):
        if code is not None:
            return self.decoder(code)
        code = self.encoder(x)
        return self.decoder(code), code


# Reshapes between records, their columns and the rows of the intermediate matrix (pure views).


def columns_of(x: torch.Tensor) -> torch.Tensor:
    """(n, H, W) records → (n·W, H) columns."""
    n, h, w = x.shape
    return x.transpose(1, 2).reshape(n * w, h)


def matrix_from_columns(codes: torch.Tensor, n: int) -> torch.Tensor:
    """(n·W, d₁) column codes → (n, d₁, W) intermediate matrices."""
    return codes.view(n, -1, codes.shape[1]).transpose(1, 2)


def rows_of(matrix: torch.Tensor) -> torch.Tensor:
    """(n, d₁, W) → (n·d₁, W) rows."""
    return matrix.reshape(-1, matrix.shape[2])


def records_from_columns(columns: torch.Tensor, n: int) -> torch.Tensor:
    """(n·W, H) → (n, H, W)."""
    return columns.view(n, -1, columns.shape[1]).transpose(1, 2)


class DoubleAutoencoder(nn.Module):
    """encode: (n, H, W) → (n, d₁·d₂); decode: the inverse path through both decoders."""

    def __init__(self, config: DoubleAEConfig):
        super().__init__()
        self.config = config
        h, w = config.input_shape
        self.column = SeriesAutoencoder(h, config.column_dim, config)
        self.row = SeriesAutoencoder(w, config.row_dim, config)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        n = len(x)
        _, col_codes = self.column(columns_of(x))
        _, latent = self.row(rows_of(matrix_from_columns(col_codes, n)))
        return latent.reshape(n, -1)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        n, (d1, d2) = len(z), (self.config.column_dim, self.config.row_dim)
        matrix = self.row(code=z.reshape(n * d1, d2)).view(n, d1, -1)  # (n, d₁, W)
        columns = self.column(code=matrix.transpose(1, 2).reshape(-1, d1))  # (n·W, H)
        return records_from_columns(columns, n)


# How the double autoencoder trains (the paper's §II.B):
#
# ``two_stage`` (the paper): for the first ⌈epochs/2⌉ epochs only the column
# autoencoder learns, on every column of every record; then it is frozen and
# the row autoencoder learns the rows of the intermediate matrices. ``joint``:
# both at once, on the record reconstruction plus the column reconstruction.
# The logged ``loss`` is the column loss in stage 1 and the row loss in stage 2
# (hence early stopping only counts from stage 2). Every step also logs ``record_mse``,
# the per-pixel squared error of the whole encode → decode path in model space ([0, 1]),
# the number to compare across modes.
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


class DoubleAEKind(ModelKind):
    name = "double-ae"
    description = "sequential double autoencoder: columns → d₁, rows of that → d₂ (2-D records)"
    data_kinds = ("record",)
    network_type = DoubleAEConfig
    module_type = DoubleAutoencoder

    def defaults(self, config) -> dict:
        d1, d2 = config.column_dim or 8, config.row_dim or 8
        if config.latent_dim is not None and config.latent_dim != d1 * d2:
            raise ConfigError(
                f"double-ae's latent is the d₁×d₂ matrix ({d1}×{d2} = {d1 * d2}); set column_dim and "
                f"row_dim instead of latent_dim={config.latent_dim}"
            )
        return {"column_dim": d1, "row_dim": d2, "latent_dim": d1 * d2, "batch_size": 16, "epochs": 60}

    def network_config(self, config, input_shape, *, n_classes: int = 0) -> DoubleAEConfig:
        if len(input_shape) != 2:
            raise ConfigError(f"double-ae takes 2-D records (H, W), got data of shape {tuple(input_shape)}")
        return DoubleAEConfig(
            input_shape=tuple(input_shape),
            column_dim=config.column_dim,
            row_dim=config.row_dim,
            encoder=config.record_encoder,
            hidden=config.record_hidden,
        )

    def network_from_dict(self, obj: dict) -> DoubleAEConfig:
        return DoubleAEConfig(**obj)

    def recipe(self, config, network) -> DoubleAERecipe:
        return DoubleAERecipe(training=config.record_training, epochs=config.epochs, betas=config.adam_betas)


KINDS = (DoubleAEKind(),)
