"""GAN networks, losses and recipe: shapes for every supported image size, the gradient
penalty against closed forms, and the recipe's RNG discipline."""

import math

import pytest
import torch
from torch import nn

from synth.errors import ConfigError
from synth.models.gan import GAN, GANConfig, GANRecipe
from synth.training.loop import TrainConfig
from synth.training.losses import (
    discriminator_loss,
    generator_loss,
    gradient_penalty,
    wasserstein_critic_loss,
    wasserstein_generator_loss,
)

SIZES = [(8, 8), (28, 28), (32, 32), (64, 64)]


@pytest.mark.parametrize("hw", SIZES)
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("n_classes", [0, 4])
@pytest.mark.parametrize("activation", ["leaky_relu", "relu"])
def test_generator_and_discriminator_shapes(hw, channels, n_classes, activation):
    config = GANConfig(
        input_shape=(channels, *hw), latent_dim=12, n_classes=n_classes, channels=32, activation=activation
    )
    gan = GAN(config)
    labels = torch.tensor([0, 3, 1]) if n_classes else None
    images = gan.generator(torch.randn(3, 12), labels)
    assert images.shape == (3, channels, *hw)
    assert images.min() >= 0 and images.max() <= 1  # model space of synth.data
    assert gan.discriminator(images, labels).shape == (3,)


@pytest.mark.parametrize("hw, start", [((28, 28), (7, 7)), ((64, 64), (8, 8)), ((8, 8), (4, 4)), ((32, 32), (8, 8))])
def test_seed001_start_maps(hw, start):
    """the VAE/GAN/FID report: MNIST starts at 7×7×256, Flowers at 8×8×256."""
    assert GAN(GANConfig(input_shape=(1, *hw))).generator.start == (256, *start)


@pytest.mark.parametrize("shape", [(1, 5, 9), (3, 17, 30), (1, 4, 4)])
def test_odd_and_non_square_sizes_come_out_exact(shape):
    gan = GAN(GANConfig(input_shape=shape, latent_dim=4, channels=16))
    assert gan.generator(torch.randn(2, 4)).shape == (2, *shape)


def test_critic_has_no_batchnorm_generator_does():
    gan = GAN(GANConfig(input_shape=(3, 32, 32), channels=32))
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in gan.discriminator.modules())
    assert any(isinstance(m, nn.BatchNorm2d) for m in gan.generator.modules())


def test_bad_configs_and_missing_labels():
    with pytest.raises(ConfigError, match="1 or 3 channels"):
        GANConfig(input_shape=(2, 8, 8))
    with pytest.raises(ConfigError, match="at least 4"):
        GANConfig(input_shape=(1, 3, 8))
    gan = GAN(GANConfig(input_shape=(1, 8, 8), latent_dim=4, n_classes=3, channels=16))
    with pytest.raises(ConfigError, match="needs class labels"):
        gan.generator(torch.randn(2, 4))


def test_standard_losses_closed_form():
    zero = torch.zeros(5)
    assert discriminator_loss(zero, zero).item() == pytest.approx(2 * math.log(2))
    assert generator_loss(zero).item() == pytest.approx(math.log(2))
    # a confident, correct discriminator has ~0 loss; the generator then has a large one
    assert discriminator_loss(torch.full((3,), 20.0), torch.full((3,), -20.0)).item() < 1e-8
    assert generator_loss(torch.full((3,), -20.0)).item() == pytest.approx(20.0, rel=1e-6)


def test_wasserstein_losses():
    real, fake = torch.tensor([3.0, 5.0]), torch.tensor([1.0, 1.0])
    assert wasserstein_critic_loss(real, fake).item() == pytest.approx(1.0 - 4.0)
    assert wasserstein_generator_loss(fake).item() == pytest.approx(-1.0)


class LinearCritic(nn.Module):
    def __init__(self, weight: torch.Tensor):
        super().__init__()
        self.weight = nn.Parameter(weight.clone())

    def forward(self, x, labels=None):
        shift = 0.0 if labels is None else labels.float() * 100.0  # labels change the value, not the gradient
        return x.flatten(1) @ self.weight + 7.0 + shift


def test_gradient_penalty_of_a_linear_critic_is_closed_form():
    """C(x) = w·x + b has ∇ₓC = w everywhere, so GP = (‖w‖₂ − 1)² whatever the points."""
    g = torch.Generator().manual_seed(0)
    w = torch.randn(2 * 3 * 3, generator=g)
    critic = LinearCritic(w)
    real, fake = torch.rand(6, 2, 3, 3, generator=g), torch.rand(6, 2, 3, 3, generator=g)
    gp = gradient_penalty(critic, real, fake, mix=torch.rand(6, generator=g), labels=torch.arange(6))
    expected = (w.norm() - 1.0) ** 2
    assert gp.item() == pytest.approx(expected.item(), rel=1e-6)
    # differentiable in the critic's weights: d/dw (‖w‖ − 1)² = 2 (‖w‖ − 1) w / ‖w‖
    gp.backward()
    torch.testing.assert_close(critic.weight.grad, 2 * (w.norm() - 1) * w / w.norm())


def test_gradient_penalty_of_a_quadratic_critic_sees_the_interpolate():
    """C(x) = ½‖x‖² has ∇ₓC = x̂ = ε·real + (1 − ε)·fake: the penalty must use that point."""
    critic = lambda x: 0.5 * x.flatten(1).pow(2).sum(1)  # noqa: E731
    real, fake = torch.tensor([[3.0, 4.0], [0.0, 0.0]]), torch.tensor([[0.0, 0.0], [0.0, 2.0]])
    mix = torch.tensor([0.5, 0.25])
    # x̂ = [1.5, 2.0] (norm 2.5) and [0, 1.5] (norm 1.5)
    expected = ((2.5 - 1) ** 2 + (1.5 - 1) ** 2) / 2
    assert gradient_penalty(critic, real, fake, mix=mix).item() == pytest.approx(expected)


@pytest.mark.parametrize("objective, critic_steps", [("standard", 1), ("wasserstein", 3)])
@pytest.mark.parametrize("conditional", [False, True])
def test_recipe_steps_both_networks_without_the_global_rng(objective, critic_steps, conditional):
    gan = GAN(GANConfig(input_shape=(1, 8, 8), latent_dim=6, n_classes=3 if conditional else 0, channels=16))
    recipe = GANRecipe(
        objective=objective,
        latent_dim=6,
        conditional=conditional,
        critic_steps=critic_steps,
        gp_weight=10.0,
        betas=(0.5, 0.9),
    )
    modules = recipe.modules(gan)
    assert set(modules) == {"generator", "discriminator"}
    optimizers = recipe.make_optimizers(modules, TrainConfig(lr=1e-3))
    assert optimizers["generator"].defaults["betas"] == (0.5, 0.9)
    before = {k: v.clone() for k, v in gan.state_dict().items()}
    batch = (torch.rand(10, 1, 8, 8), torch.randint(0, 3, (10,)))
    global_state = torch.get_rng_state()
    logs = recipe.train_step(
        modules, batch, optimizers, epoch=0, total_epochs=1, generator=torch.Generator().manual_seed(0)
    )
    assert torch.equal(global_state, torch.get_rng_state())
    assert {"d_loss", "g_loss"} <= set(logs) and all(math.isfinite(v) for v in logs.values())
    assert ("gp" in logs) == (objective == "wasserstein")
    changed = {k.split(".")[0] for k, v in gan.state_dict().items() if not torch.equal(v, before[k])}
    assert changed == {"generator", "discriminator"}
