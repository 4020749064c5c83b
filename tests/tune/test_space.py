"""The search space: file forms, validation with messages that name the problem, defaults,
and the Ray domains it becomes."""

import json

import pytest

from synth.errors import ConfigError
from tune.space import (
    build_space,
    default_space,
    load_space_file,
    mutations,
    parse_space,
    representative_config,
    space_to_spec,
    to_param_space,
    trial_count,
)


def test_forms_of_a_spec():
    space = parse_space(
        {
            "latent_dim": [2, 3],
            "kl_schedule": {"grid": ["linear", "cyclical"]},
            "beta_max": {"loguniform": [1e-4, 1e-1]},
            "lr": {"uniform": [1e-4, 1e-3]},
            "warmup_epochs": {"randint": [5, 50]},
            "batch_size": 16,
            "hidden": [16, 8],
            "channels": {"choice": [[8, 16], [16, 32]]},
        },
        model="vae",
    )
    kinds = {k: (p.kind, p.values) for k, p in space.items()}
    assert kinds["latent_dim"] == ("choice", (2, 3))
    assert kinds["kl_schedule"] == ("grid", ("linear", "cyclical"))
    assert kinds["beta_max"] == ("loguniform", (1e-4, 1e-1))
    assert kinds["warmup_epochs"] == ("randint", (5, 50))
    assert kinds["batch_size"] == ("fixed", (16,))
    # a bare list for a tuple-valued field is its value, not a choice
    assert kinds["hidden"] == ("fixed", ([16, 8],))
    assert kinds["channels"] == ("choice", ((8, 16), (16, 32)))
    assert space_to_spec(space)["latent_dim"] == {"choice": [2, 3]}


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"latent_size": [2, 3]}, "unknown search space key 'latent_size'; valid keys are the config fields"),
        ({"latent_dim": []}, "search space key 'latent_dim' has an empty choice list"),
        ({"kl_schedule": {"grid": []}}, "search space key 'kl_schedule' has an empty grid list"),
        ({"kl_schedule": ["linear", "exponential"]}, "value 'exponential' is not valid"),
        ({"latent_dim": [2, 0]}, "value 0 is not valid"),
        ({"beta_max": {"loguniform": [0, 0.1]}}, "loguniform needs low > 0"),
        ({"lr": {"uniform": [0.1, 0.01]}}, "needs low < high"),
        ({"warmup_epochs": {"randint": [1.5, 9]}}, "randint bounds must be integers"),
        ({"lr": {"uniform": [0.1]}}, "takes [low, high] numbers"),
        ({"lr": {"normal": [0, 1]}}, "a mapping must have exactly one of the keys"),
        ({"epochs": [10, 20]}, "'epochs' is set by --epochs"),
        ({"model": ["ae", "vae"]}, "'model' is set by --model"),
    ],
)
def test_bad_spaces_fail_with_a_message_naming_the_problem(spec, message):
    with pytest.raises(ConfigError) as err:
        parse_space(spec, model="vae")
    assert message in str(err.value)


def test_unknown_key_lists_the_valid_ones():
    with pytest.raises(ConfigError) as err:
        parse_space({"bogus": 1}, model="vae")
    assert "latent_dim" in str(err.value) and "kl_schedule" in str(err.value)


def test_default_space_by_model():
    vae = default_space(family="autoencoder", variational=True, data_kind="tabular", epochs=100)
    assert vae["latent_dim"] == [2, 3, 5, 8]
    assert set(vae["kl_schedule"]) == {"constant", "linear", "sigmoid", "cyclical"}
    assert vae["warmup_epochs"] == [10, 25, 50] and max(vae["warmup_epochs"]) <= 100
    ae = default_space(family="autoencoder", variational=False, data_kind="tabular", epochs=100)
    assert "kl_schedule" not in ae and "beta_max" not in ae and "lr" in ae
    image = default_space(family="autoencoder", variational=True, data_kind="image", epochs=10)
    assert image["latent_dim"] == [8, 16, 32]


def test_gan_space_is_data_driven(monkeypatch):
    """GAN keys are config field names; a build whose config lacks them gets a clear error,
    one that has them searches them."""
    import tune.space as space_module

    monkeypatch.setattr(space_module, "config_fields", lambda: ["lr", "latent_dim"])
    with pytest.raises(ConfigError, match="no default search space for a gan model"):
        default_space(family="gan", variational=False, data_kind="image", epochs=10)
    monkeypatch.setattr(space_module, "config_fields", lambda: ["lr", "critic_steps", "gp_weight"])
    gan = default_space(family="gan", variational=False, data_kind="image", epochs=10)
    assert set(gan) == {"lr", "critic_steps", "gp_weight"}


def test_user_file_overrides_defaults_key_by_key():
    defaults = default_space(family="autoencoder", variational=True, data_kind="tabular", epochs=50)
    space = build_space(model="vae", defaults=defaults, overrides={"latent_dim": {"grid": [3, 5]}}, fixed={"lr": 0.002})
    assert space["latent_dim"].kind == "grid" and space["kl_schedule"].kind == "choice"
    assert space["lr"].kind == "fixed" and space["lr"].values == (0.002,)
    assert trial_count(space, 3) == 6


def test_ray_domains_and_pbt_mutations():
    from ray.tune.search.sample import Categorical, Float, Integer

    space = parse_space(
        {
            "latent_dim": {"grid": [2, 5]},
            "kl_schedule": ["linear", "cyclical"],
            "beta_max": {"loguniform": [1e-4, 1e-1]},
            "warmup_epochs": {"randint": [3, 4]},
            "batch_size": 16,
        },
        model="vae",
    )
    ray_space = to_param_space(space)
    assert ray_space["latent_dim"] == {"grid_search": [2, 5]}
    assert isinstance(ray_space["kl_schedule"], Categorical)
    assert isinstance(ray_space["beta_max"], Float) and ray_space["batch_size"] == 16
    assert isinstance(ray_space["warmup_epochs"], Integer)
    drawn = set(ray_space["warmup_epochs"].sample(size=200))
    assert drawn == {3, 4}  # our randint includes its upper bound
    mutable = mutations(space)
    assert set(mutable) == {"kl_schedule", "beta_max", "warmup_epochs"}  # never latent_dim, never fixed keys
    assert representative_config(space)["latent_dim"] == 2


def test_space_files(tmp_path):
    (tmp_path / "s.yaml").write_text("latent_dim: [2, 3]\nbeta_max: {loguniform: [1.0e-4, 0.1]}\n")
    assert load_space_file(tmp_path / "s.yaml") == {"latent_dim": [2, 3], "beta_max": {"loguniform": [1e-4, 0.1]}}
    (tmp_path / "s.json").write_text(json.dumps({"kl_schedule": {"grid": ["linear"]}}))
    assert load_space_file(tmp_path / "s.json") == {"kl_schedule": {"grid": ["linear"]}}
    (tmp_path / "bad.yaml").write_text("latent_dim: [2, 3\n")
    with pytest.raises(ConfigError, match="could not be parsed"):
        load_space_file(tmp_path / "bad.yaml")
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="non-empty mapping"):
        load_space_file(tmp_path / "list.yaml")
    with pytest.raises(ConfigError, match="not found"):
        load_space_file(tmp_path / "missing.yaml")
