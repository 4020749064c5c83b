"""Model names resolve only to artifact directories directly inside the models directory."""

import pytest

from serve.models_dir import model_dir, model_names, model_summary


@pytest.mark.parametrize(
    "name",
    [
        "../models/iris",
        "..",
        ".",
        "",
        "/etc",
        "iris/",
        "a/b",
        ".hidden",
        "escape",
        "nope",
        "iris\x00",
        "x" * 200,
        "%2e%2e",
        "iris copy",
    ],
)
def test_names_that_are_not_models(serve_models, name):
    assert model_dir(serve_models, name) is None


def test_symlink_out_of_the_directory_is_invisible(serve_models):
    outside = serve_models.parent / "outside"
    assert (outside / "model.json").is_file()  # a valid artifact — but not ours to serve
    assert (serve_models / "escape").resolve() == outside.resolve()
    assert model_dir(serve_models, "escape") is None
    assert "escape" not in model_names(serve_models)


def test_symlink_inside_the_directory_is_followed(serve_models, tmp_path):
    root = tmp_path / "m"
    root.mkdir()
    (root / "real").symlink_to(serve_models / "iris")  # out of root: refused
    assert model_dir(root.resolve(), "real") is None
    inner = serve_models / "alias-iris"
    inner.symlink_to(serve_models / "iris", target_is_directory=True)
    try:
        assert model_dir(serve_models, "alias-iris") == (serve_models / "iris").resolve()
    finally:
        inner.unlink()


def test_listing_and_summary(serve_models):
    names = model_names(serve_models)
    assert names == ["broken", "digits", "iris", "iris-copy", "messy"]
    iris = model_summary(serve_models, "iris")
    assert iris["data_kind"] == "tabular" and iris["clusters"] == ["setosa", "versicolor", "virginica"]
    assert model_summary(serve_models, "digits")["data_kind"] == "image"
    assert model_summary(serve_models, "broken")["error"]
    assert model_summary(serve_models, "../x") is None
