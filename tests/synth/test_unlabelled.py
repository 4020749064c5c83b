"""An unlabelled model scored against the classes hidden from it: the majority map in the
report, TSTR through it, and the per-cluster sample grid."""

import io

import numpy as np
import pytest
from PIL import Image

from synth.evaluate import RealData, evaluate, report_markdown
from synth.plots import image_grid_png
from synth.synthesizer import LatentSynthesizer
from synth.unlabelled import cluster_grid_png


def test_evaluate_maps_separated_blobs_to_their_classes(blobs_frame):
    truth = np.repeat(["x", "y", "z"], 40)  # the blob each row was drawn from
    X = blobs_frame.drop(columns=["kind"])
    syn = LatentSynthesizer(model="identity", n_clusters=3, random_state=0).fit(X.iloc[::2], None)
    real = RealData(X.iloc[::2], None, X.iloc[1::2], None, true_train=truth[::2], true_test=truth[1::2])
    report = evaluate(syn, real, methods=["random"], n=90, random_state=0)
    majority = report["majority_map"]
    assert report["adjusted_rand_index"] == 1.0 and majority["purity"] == 1.0
    assert sorted(c["label"] for c in majority["clusters"].values()) == ["x", "y", "z"]
    assert sum(c["n"] for c in majority["clusters"].values()) == 60  # every training row is in the map
    utility = report["methods"]["random"]["utility"]
    assert utility["labels"] == "cluster majority" and utility["n_syn"] == 90
    assert utility["tstr"]["accuracy"] >= 0.95 and utility["trtr"]["accuracy"] >= 0.95
    assert report["methods"]["random"]["car_mean"] is not None  # CAR of the unlabelled clusters
    md = report_markdown(report)
    assert "majority true class" in md and "overall purity **1.000**" in md


def test_grid_rows_and_size():
    images = np.random.default_rng(0).random((30, 1, 8, 8))
    images[25:] = np.nan  # the last row's tail: blank tiles
    plain = Image.open(io.BytesIO(image_grid_png(images, ncol=10)))
    labelled = Image.open(io.BytesIO(image_grid_png(images, ncol=10, row_labels=["a", "b", "cluster 2\nmajority 7"])))
    cell = 8 * 6 + 2  # 8 pixels × 6 (tile 48) plus a 1-pixel border each side
    assert plain.size == (10 * cell, 3 * cell) and labelled.size[1] == 3 * cell
    margin = labelled.size[0] - 10 * cell
    assert margin > 0
    pixels = np.asarray(labelled)
    assert (pixels[2 * cell :, margin + 5 * cell :] == 255).all()  # blank tiles stay white
    assert (pixels[2 * cell :, margin + 4 * cell : margin + 5 * cell] < 255).any()
    assert (pixels[:, :margin] < 255).any()  # the captions are drawn
    with pytest.raises(ValueError, match="2 captions for 3 rows"):
        image_grid_png(images, ncol=10, row_labels=["a", "b"])


@pytest.mark.filterwarnings("ignore:PolarizedHierarchical found")
def test_cluster_grid_has_one_row_per_cluster():
    from synth.data.sources import load_embedded

    raw = load_embedded("digits")
    syn = LatentSynthesizer(model="identity", n_clusters=3, random_state=0).fit(raw.data[:300], None)
    k = len(syn.cluster_names_)
    samples = syn.generate(20 * k, method="random", random_state=0)
    majority = {"clusters": {str(syn.cluster_names_[0]): {"label": "4", "purity": 0.9, "n": 10}}}
    picture = Image.open(io.BytesIO(cluster_grid_png(syn, samples, majority, per_row=6)))
    cell = 8 * 6 + 2
    assert picture.size[1] == k * cell and (picture.size[0] - 6 * cell) > 0
