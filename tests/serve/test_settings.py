"""The builder's typed arguments."""

import pytest
from pydantic import ValidationError

from serve.settings import ServeArgs


def test_unknown_and_bad_arguments_name_the_field(tmp_path):
    with pytest.raises(ValidationError, match="max_batch"):
        ServeArgs(models_dir=tmp_path, max_batch=4)
    with pytest.raises(ValidationError, match="max_batch_size"):
        ServeArgs(models_dir=tmp_path, max_batch_size=0)
    with pytest.raises(ValidationError, match="not a directory"):
        ServeArgs(models_dir=tmp_path / "missing")


def test_api_key_from_argument_or_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("LATENTSYNTH_API_KEY", raising=False)
    assert ServeArgs(models_dir=tmp_path).resolved_api_key() is None
    monkeypatch.setenv("LATENTSYNTH_API_KEY", "from-env")
    assert ServeArgs(models_dir=tmp_path).resolved_api_key() == "from-env"
    assert ServeArgs(models_dir=tmp_path, api_key="given").resolved_api_key() == "given"
    monkeypatch.setenv("OTHER_KEY", "other")
    assert ServeArgs(models_dir=tmp_path, api_key_env="OTHER_KEY").resolved_api_key() == "other"


def test_builder_takes_the_yaml_dict(tmp_path):
    from serve.app import build_app

    app = build_app({"models_dir": str(tmp_path), "max_batch_size": 8})
    assert type(app).__name__ == "Application"
    with pytest.raises(ValidationError, match="replicas"):
        build_app({"models_dir": str(tmp_path), "replicas": 0})
