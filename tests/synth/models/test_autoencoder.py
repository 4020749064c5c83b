import pytest
import torch

from synth.errors import ConfigError
from synth.models import get_model_kind
from synth.models.autoencoder import Autoencoder, AutoencoderConfig


@pytest.mark.parametrize("shape", [(1, 8, 8), (1, 28, 28), (3, 32, 32), (3, 64, 64), (1, 5, 9), (1, 3, 3)])
@pytest.mark.parametrize("variational", [False, True])
def test_conv_autoencoder_round_trips_any_shape(shape, variational):
    net = Autoencoder(AutoencoderConfig(variational=variational, input_shape=shape, latent_dim=7))
    x = torch.rand(3, *shape)
    recon, mean, logvar = net(x, torch.randn(3, 7) if variational else None)
    assert recon.shape == x.shape and mean.shape == (3, 7)
    assert (logvar is None) != variational
    assert torch.equal(net.encode(x), mean)


def test_mlp_seed001_sizes():
    net = Autoencoder(AutoencoderConfig(input_shape=(4,), latent_dim=5))
    widths = [m.out_features for m in net.encoder.body if isinstance(m, torch.nn.Linear)]
    dec = [m.out_features for m in net.decoder.body if isinstance(m, torch.nn.Linear)]
    assert widths == [16, 8] and net.encoder.mean.out_features == 5 and dec == [8, 16, 4]


def test_vae_noise_is_used_only_when_given():
    net = Autoencoder(AutoencoderConfig(input_shape=(4,), latent_dim=2))
    x = torch.rand(5, 4)
    a, _, _ = net(x, None)
    b, _, _ = net(x, torch.randn(5, 2))
    assert not torch.allclose(a, b)
    assert torch.equal(a, net.decode(net.encode(x)))


def test_unknown_model_kind():
    with pytest.raises(ConfigError, match="unknown model 'gan9'"):
        get_model_kind("gan9")
