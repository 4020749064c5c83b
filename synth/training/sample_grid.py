"""A training callback that writes a PNG grid of the model's samples every N epochs.

The grid always decodes the same noise (its own seeded ``torch.Generator``,
never the loop's, so training is bit-identical with or without it): a GAN's
noise z — one row per class for a conditional GAN — or an autoencoder's
latent drawn from N(0, I) (meaningful for a VAE's prior; for a plain AE it
only shows that the decoder produces something). Images and 2-D records
only. Only rank 0 writes, so it is safe under Ray Train.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from synth.errors import ConfigError
from synth.training.loop import Callback


class SampleGrid(Callback):
    """``every``: epochs between grids (the last epoch always gets one); ``per_class``: columns per
    class of a conditional GAN (rows = classes), else ``n`` samples in rows of 8."""

    def __init__(self, out_dir: str | Path, *, every: int = 5, n: int = 64, per_class: int = 8, seed: int = 0):
        if every < 1 or n < 1 or per_class < 1:
            raise ConfigError("SampleGrid needs every, n and per_class ≥ 1")
        self.out_dir, self.every, self.n, self.per_class, self.seed = Path(out_dir), every, n, per_class, seed
        self.written: list[str] = []

    def on_train_begin(self, loop) -> None:
        config = loop.model.config
        if len(config.input_shape) == 1:
            raise ConfigError("sample grids are for images and 2-D records, not tables")
        classes = getattr(config, "n_classes", 0)
        self.labels = torch.arange(classes).repeat_interleave(self.per_class) if classes else None
        count = len(self.labels) if classes else self.n
        generator = torch.Generator().manual_seed(self.seed)
        self.noise = torch.randn(count, config.latent_dim, generator=generator)
        if loop.rank == 0:
            self.out_dir.mkdir(parents=True, exist_ok=True)

    @torch.no_grad()
    def render(self, model) -> np.ndarray:
        """(n, C, H, W) or (n, H, W) float32 in model space, from the fixed noise."""
        modes = [(m, m.training) for m in model.modules()]
        model.eval()  # BatchNorm uses running statistics and updates nothing
        try:
            if self.labels is not None:
                out = model.decode(self.noise, self.labels)
            else:
                out = model.decode(self.noise)
        finally:
            for m, mode in modes:
                m.train(mode)
        return out.cpu().numpy()

    def on_epoch_end(self, loop, logs) -> None:
        epoch = int(logs["epoch"])
        if loop.rank != 0 or (epoch % self.every and epoch != loop.config.epochs):
            return
        from synth.plots import image_grid_png

        images = self.render(loop.model)
        ncol = self.per_class if self.labels is not None else 8
        labels = self.labels.numpy() if self.labels is not None else None
        path = self.out_dir / f"epoch_{epoch:04d}.png"
        path.write_bytes(image_grid_png(images, ncol=ncol, labels=labels))
        self.written.append(str(path))
        loop.summary["sample_grids"] = list(self.written)

    def state_dict(self) -> dict:
        return {"written": list(self.written)}

    def load_state_dict(self, state: dict) -> None:
        self.written = list(state.get("written", []))
