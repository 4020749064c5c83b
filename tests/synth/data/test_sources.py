import numpy as np
import pytest

from synth.data.sources import load_embedded, load_source, read_csv
from synth.data.split import fingerprint, holdout_split
from synth.errors import DataError


@pytest.mark.parametrize(
    "name, shape, n_classes", [("iris", (150, 5), 3), ("wine", (178, 14), 3), ("breast_cancer", (569, 31), 2)]
)
def test_embedded_tables(name, shape, n_classes):
    raw = load_embedded(name)
    assert raw.kind == "tabular" and raw.data.shape == shape
    assert raw.data[raw.label_column].nunique() == n_classes


def test_embedded_digits_are_images():
    raw = load_embedded("digits")
    assert raw.kind == "image" and raw.data.shape == (1797, 1, 8, 8) and raw.data.max() == 16
    assert sorted(set(raw.labels.tolist())) == list(range(10))


def test_csv_errors(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        read_csv(tmp_path / "nope.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataError, match="is empty"):
        read_csv(tmp_path / "empty.csv")
    (tmp_path / "header.csv").write_text("a,b\n")
    with pytest.raises(DataError, match="no data rows"):
        read_csv(tmp_path / "header.csv")
    (tmp_path / "bin.csv").write_bytes(bytes(range(256)) * 4)
    with pytest.raises(DataError, match="not a text CSV"):
        read_csv(tmp_path / "bin.csv")
    with pytest.raises(DataError, match="is a directory"):
        read_csv(tmp_path)
    with pytest.raises(DataError, match="unknown data set 'irs'"):
        load_source("irs")


def test_csv_label_checked(tmp_path):
    (tmp_path / "t.csv").write_text("a,b\n1,2\n3,4\n")
    assert load_source(str(tmp_path / "t.csv"), label="b").label_column == "b"
    with pytest.raises(DataError, match="label column 'c' not found"):
        load_source(str(tmp_path / "t.csv"), label="c")


def test_holdout_is_stratified_reproducible_and_disjoint():
    raw = load_embedded("iris")
    train, test = holdout_split(raw, test_size=0.3, seed=0)
    again, _ = holdout_split(raw, test_size=0.3, seed=0)
    assert len(train.data) == 105 and len(test.data) == 45
    assert train.data.equals(again.data)
    assert (test.data["species"].value_counts() == 15).all()
    merged = np.concatenate([train.data.to_numpy(), test.data.to_numpy()])
    assert len({tuple(r) for r in merged}) == len({tuple(r) for r in raw.data.to_numpy()})
    assert fingerprint(raw) == fingerprint(load_embedded("iris")) != fingerprint(train)
