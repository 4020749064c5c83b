"""`latentsynth inspect` and the cleaning summary / --allow-drop of `latentsynth train`."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from latentsynth.cli import main


@pytest.fixture
def field_csv(tmp_path):
    rng = np.random.default_rng(0)
    n = 60
    frame = pd.DataFrame(
        {
            "plot_id": [f"P{i:03d}" for i in range(n)],
            "when": pd.date_range("2022-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
            "height": np.where(rng.random(n) < 0.6, "", rng.normal(10, 2, n).round(1).astype(str)),
            "country": rng.choice(["NA", "ZA"], n),
            "weight": rng.normal(50, 5, n).round(2),
            "species": rng.choice(["oak", "elm"], n),
        }
    )
    frame.loc[3, "weight"] = -999  # an NA token in a numeric column
    path = tmp_path / "field.csv"
    frame.to_csv(path, index=False)
    return path


def test_inspect_prints_the_schema_without_training(field_csv, tmp_path, capsys):
    assert main(["inspect", str(field_csv), "--label", "species"]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines()[2:] if line.strip() and not line.startswith(" ")}
    assert "identifier" in lines["plot_id"] and "datetime" in lines["when"] and "%Y-%m-%d" in lines["when"]
    assert "categorical" in lines["country"] and "numeric" in lines["weight"]
    assert "modelled" in lines["height"] and "rows used 60" in out
    assert not list(tmp_path.glob("**/model.json"))
    assert main(["inspect", str(field_csv), "--label", "species", "--json", "--na-values", "ZA"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["rows_used"] == 60 and report["columns"]["weight"]["missing"] == 1
    assert report["columns"]["country"]["missing"] == 0  # ZA is a token only where the rest are numbers


def test_inspect_and_train_name_a_large_drop(field_csv, tmp_path, capsys, cli_fails):
    assert main(["inspect", str(field_csv), "--label", "species", "--missing", "drop"]) == 0
    out = capsys.readouterr().out
    assert "training would stop here" in out and "'height'" in out
    art = tmp_path / "art"
    base = ["train", "--data", str(field_csv), "--label", "species", "--missing", "drop", "--epochs", "1"]
    err = cli_fails([*base, "--out", str(art)], "rows dropped by column: 'height'")
    assert "--allow-drop" in err and not art.exists()
    assert main([*base, "--allow-drop", "--holdout", "0", "--out", str(art)]) == 0
    captured = capsys.readouterr()
    assert "cleaning: rows in 60, rows used" in captured.out and "warning: cleaning dropped" in captured.out
    meta = json.loads((art / "model.json").read_text())
    assert meta["cleaning"]["rows_used"] < 30 and meta["cleaning"]["dropped_by_column"]["height"] > 30


def test_train_default_uses_every_row_and_schema_file(field_csv, tmp_path, capsys):
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps({"country": "text"}))
    art = tmp_path / "art"
    argv = ["train", "--data", str(field_csv), "--label", "species", "--epochs", "1", "--holdout", "0"]
    assert main([*argv, "--schema", str(schema), "--out", str(art)]) == 0
    out = capsys.readouterr().out
    assert "rows in 60, rows used 60" in out and "country: text" in out
    assert main(["generate", str(art), "--n", "20", "--out", str(tmp_path / "g.csv")]) == 0
    made = pd.read_csv(tmp_path / "g.csv", keep_default_na=False)
    assert list(made.columns) == ["plot_id", "when", "height", "country", "weight", "species"]
    assert made["plot_id"].str.fullmatch(r"P\d{3}").all() and made["plot_id"].is_unique
    assert not set(made["plot_id"]) & {f"P{i:03d}" for i in range(60)}


def test_train_streams_parquet_to_ray_workers_only_where_it_can(tmp_path, capsys):
    from latentsynth.cli import build_parser
    from latentsynth.commands.train import _streams

    pd.DataFrame({"a": [1.0, 2.0]}).to_parquet(tmp_path / "t.parquet")
    (tmp_path / "t.csv").write_text("a\n1\n2\n")

    def streams(*extra, data="t.parquet"):
        args = build_parser().parse_args(["train", "--data", str(tmp_path / data), "--out", "o", *extra])
        return _streams(args, [])

    assert streams("--workers", "2") and streams("--workers", "2", "--model", "ae")
    assert not streams() and not streams("--workers", "2", "--no-stream")
    assert not streams("--workers", "2", data="t.csv")
    assert not streams("--workers", "2", "--model", "gan")
    assert "gan trains on a copy of the table in memory" in capsys.readouterr().out
