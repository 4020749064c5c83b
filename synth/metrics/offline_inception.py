"""Stand-in weights for pytorch-fid's InceptionV3 on machines that cannot download the real ones.

The file has exactly the shapes and key names of ``pt_inception-2015-12-05-6726825d.pth``, so
pytorch-fid and ``synth.metrics.fid`` load it through their ordinary code path. Values are
torchvision's own Inception initialisation (truncated normal, σ = 0.1), seeded, with every
BatchNorm's running statistics calibrated on a few random images in training mode: plain random
weights would push all 2048 features to ~0 or to overflow, calibrated ones spread them out.

FID values computed with these weights show that the pipeline is exact (same numbers as
pytorch-fid on the same files), never that images are good.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

WEIGHTS_NAME = "pt_inception-2015-12-05-6726825d.pth"


def offline_inception_state(*, seed: int = 0, calibration_images: int = 8, size: int = 299) -> dict:
    """The state dict of ``pytorch_fid.inception.fid_inception_v3()``'s network, filled with
    seeded torchvision initialisation and BatchNorm statistics of ``calibration_images`` smooth
    random images of ``size``×``size`` (bilinear upsampled 8×8 noise, as tiny test images are)."""
    import torchvision
    from pytorch_fid import inception as fid_inception

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        # The same skeleton as pytorch_fid.inception.fid_inception_v3, minus the download.
        net = torchvision.models.inception_v3(num_classes=1008, aux_logits=False, weights=None, init_weights=False)
        net.Mixed_5b = fid_inception.FIDInceptionA(192, pool_features=32)
        net.Mixed_5c = fid_inception.FIDInceptionA(256, pool_features=64)
        net.Mixed_5d = fid_inception.FIDInceptionA(288, pool_features=64)
        net.Mixed_6b = fid_inception.FIDInceptionC(768, channels_7x7=128)
        net.Mixed_6c = fid_inception.FIDInceptionC(768, channels_7x7=160)
        net.Mixed_6d = fid_inception.FIDInceptionC(768, channels_7x7=160)
        net.Mixed_6e = fid_inception.FIDInceptionC(768, channels_7x7=192)
        net.Mixed_7b = fid_inception.FIDInceptionE_1(1280)
        net.Mixed_7c = fid_inception.FIDInceptionE_2(2048)
        for module in net.modules():  # torchvision's Inception3 initialisation, over the patched blocks too
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(module.weight, mean=0.0, std=0.1, a=-2, b=2)
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
                module.momentum = None  # cumulative average over the calibration batches
        images = F.interpolate(
            torch.rand(calibration_images, 3, 8, 8), size=(size, size), mode="bilinear", align_corners=False
        )
        net.train()
        with torch.no_grad():
            for part in images.split(4):
                net(2 * part - 1)  # pytorch-fid feeds (−1, 1)
        for module in net.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.momentum = 0.1  # torchvision's default, as stored in the real file
    return net.state_dict()


def write_offline_weights(torch_home: str | Path, *, seed: int = 0, calibration_images: int = 8) -> Path:
    """Write the stand-in file where pytorch-fid looks: ``TORCH_HOME/hub/checkpoints/<name>``.
    Atomic (temporary file + rename). Returns the file's path."""
    target = Path(torch_home) / "hub" / "checkpoints" / WEIGHTS_NAME
    target.parent.mkdir(parents=True, exist_ok=True)
    state = offline_inception_state(seed=seed, calibration_images=calibration_images)
    handle = tempfile.NamedTemporaryFile(dir=target.parent, prefix=f".{WEIGHTS_NAME}.", delete=False)
    try:
        with handle:
            torch.save(state, handle)
        os.replace(handle.name, target)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return target
