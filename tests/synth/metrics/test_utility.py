import json

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split

from synth.errors import ConfigError, DataError
from synth.metrics.utility import utility_report


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return train_test_split(X, y, test_size=0.4, random_state=0, stratify=y)


def test_copy_of_training_data_gives_tstr_equal_trtr(iris):
    X_train, X_test, y_train, y_test = iris
    report = utility_report(X_train, y_train, X_test, y_test, X_train.copy(), y_train.copy())
    assert report["tstr"] == report["trtr"]
    assert report["tstr_gap"] == 0.0
    assert report["trtr"]["accuracy"] > 0.85
    assert report["lift"]["accuracy"] == pytest.approx(report["augmented"]["accuracy"] - report["trtr"]["accuracy"])
    assert set(report) >= {"trtr", "tstr", "augmented", "lift", "tstr_gap"}
    assert report["n_syn"] == len(X_train) and report["classifier"] == "random_forest"
    assert json.loads(json.dumps(report, allow_nan=False)) == report


def test_random_synthetic_labels_lower_tstr(iris):
    X_train, X_test, y_train, y_test = iris
    y_noise = np.random.default_rng(0).permutation(y_train)
    report = utility_report(X_train, y_train, X_test, y_test, X_train, y_noise, random_state=1)
    assert report["tstr"]["accuracy"] < report["trtr"]["accuracy"] - 0.3
    assert report["tstr_gap"] > 0.3
    assert report["tstr"]["macro_f1"] < report["trtr"]["macro_f1"]


def test_logistic_option_with_dataframes_and_string_labels(iris):
    X_train, X_test, y_train, y_test = iris
    names = np.array(["setosa", "versicolor", "virginica"])
    frame = lambda X: pd.DataFrame(X, columns=list("abcd"))  # noqa: E731
    report = utility_report(
        frame(X_train),
        names[y_train],
        frame(X_test),
        names[y_test],
        frame(X_train),
        pd.Series(names[y_train]),
        classifier="logistic",
    )
    assert report["classifier"] == "logistic"
    assert report["trtr"]["accuracy"] > 0.85 and report["tstr"] == report["trtr"]


def test_generator_random_state_is_reproducible(iris):
    X_train, X_test, y_train, y_test = iris
    y_noise = np.random.default_rng(0).permutation(y_train)
    run = lambda: utility_report(  # noqa: E731
        X_train,
        y_train,
        X_test,
        y_test,
        X_train,
        y_noise,
        random_state=np.random.default_rng(5),
    )
    assert run() == run()


def test_unknown_classifier_is_a_config_error(iris):
    X_train, X_test, y_train, y_test = iris
    with pytest.raises(ConfigError, match="svm"):
        utility_report(X_train, y_train, X_test, y_test, X_train, y_train, classifier="svm")


def test_synthetic_labels_unseen_in_training_are_rejected(iris):
    X_train, X_test, y_train, y_test = iris
    y_bad = y_train.copy()
    y_bad[0] = 7
    with pytest.raises(DataError, match="7"):
        utility_report(X_train, y_train, X_test, y_test, X_train, y_bad)


@pytest.mark.parametrize("case", ["one_class_train", "one_class_syn", "features", "lengths"])
def test_bad_inputs_are_rejected(iris, case):
    X_train, X_test, y_train, y_test = iris
    args = [X_train, y_train, X_test, y_test, X_train, y_train]
    if case == "one_class_train":
        args[1] = np.zeros_like(y_train)
    elif case == "one_class_syn":
        args[5] = np.zeros_like(y_train)
    elif case == "features":
        args[4] = X_train[:, :3]
    else:
        args[3] = y_test[:-1]
    with pytest.raises(DataError):
        utility_report(*args)
