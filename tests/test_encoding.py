"""Imputation and one-hot encoding of a user's table: fitted on the training
split only, pickle-free in model.npz, recorded in config.toml, and applied
the same way by ``predict``, ``evaluate`` and the Pipeline of ``softmaxlab.load``."""
from __future__ import annotations

import math
import warnings
import zipfile

import numpy as np
import pandas as pd
import pytest

import softmaxlab
from softmaxlab.cli import main
from softmaxlab.cli.config import read_toml
from softmaxlab.data import ColumnEncoder, DataNote, Preprocessor
from softmaxlab.runs.predictor import load_predictor


def _frame():
    return pd.DataFrame({
        "size": [1.0, np.nan, 3.0, 5.0],
        "color": np.array(["red", "blue", None, "red"], dtype=object),
        "weight": [10.0, 20.0, 30.0, np.nan],
    })


def test_impute_then_one_hot_in_column_order():
    enc = ColumnEncoder(["size", "color", "weight"], ["numeric", "categorical", "numeric"],
                        impute="mean").fit(_frame())
    assert enc.feature_names_out_ == ["size", "color=blue", "color=red", "weight"]
    assert enc.onehot_columns_.tolist() == [1, 2]
    out = enc.transform(_frame())
    # size: mean of 1, 3, 5 = 3; weight: mean of 10, 20, 30 = 20; color: most frequent red.
    np.testing.assert_array_equal(out, [[1, 0, 1, 10], [3, 1, 0, 20], [3, 0, 1, 30],
                                        [5, 0, 1, 20]])
    assert enc.describe()["fill"] == {"size": 3.0, "weight": 20.0, "color": "red"}
    assert enc.describe()["order"] == "impute -> one-hot -> scale"


@pytest.mark.parametrize("strategy, fill", [("median", 3.0), ("most_frequent", 1.0)])
def test_other_strategies(strategy, fill):
    enc = ColumnEncoder(["size"], ["numeric"], impute=strategy).fit(_frame()[["size"]])
    assert enc.transform(pd.DataFrame({"size": [np.nan]}))[0, 0] == fill


def test_statistics_come_from_the_rows_it_is_fitted_on_only():
    train = pd.DataFrame({"x": [0.0, 2.0, np.nan]})
    enc = ColumnEncoder(["x"], ["numeric"], impute="mean").fit(train)
    later = pd.DataFrame({"x": [np.nan, 100.0, 100.0]})
    assert enc.transform(later)[0, 0] == 1.0  # the training mean, not 67


def test_missing_values_without_imputation_are_refused_with_a_count():
    enc = ColumnEncoder(["x", "c"], ["numeric", "categorical"])
    with pytest.raises(ValueError, match=r"the training rows: 2 rows have missing values.*--impute"):
        enc.fit(pd.DataFrame({"x": [1.0, np.nan, 2.0], "c": ["a", "b", None]}))


def test_unseen_categories_are_zero_with_one_note():
    enc = ColumnEncoder(["c"], ["categorical"]).fit(pd.DataFrame({"c": ["a", "b", "a"]}))
    with pytest.warns(DataNote) as notes:
        out = enc.transform(pd.DataFrame({"c": ["a", "z", "z", "y"]}), "new.csv")
    np.testing.assert_array_equal(out, [[1, 0], [0, 0], [0, 0], [0, 0]])
    assert len(notes) == 1
    assert str(notes[0].message) == ("new.csv: 3 rows have a category not seen in training, "
                                     "encoded as none of the known ones: 'c' = 'y' (1 row), "
                                     "'c' = 'z' (2 rows)")


def test_columns_by_name_in_any_order_and_arrays_by_position():
    enc = ColumnEncoder(["size", "color", "weight"], ["numeric", "categorical", "numeric"],
                        impute="mean").fit(_frame())
    shuffled = _frame()[["weight", "color", "size"]]
    np.testing.assert_array_equal(enc.transform(shuffled), enc.transform(_frame()))
    np.testing.assert_array_equal(enc.transform(_frame().to_numpy(dtype=object)),
                                  enc.transform(_frame()))
    with pytest.raises(ValueError, match="lacks 1 column the model was trained on: 'weight'"):
        enc.transform(_frame()[["size", "color"]])


def test_to_arrays_round_trip_is_exact_and_pickle_free():
    enc = ColumnEncoder(["size", "color", "weight"], ["numeric", "categorical", "numeric"],
                        impute="median").fit(_frame())
    arrays, info = enc.to_arrays()
    assert all(a.dtype.kind == "f" for a in arrays.values())
    import json

    back = ColumnEncoder.from_arrays(arrays, json.loads(json.dumps(info)))
    new = pd.DataFrame({"size": [np.nan, 7.0], "color": [None, "green"], "weight": [1.0, np.nan]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataNote)
        np.testing.assert_array_equal(back.transform(new), enc.transform(new))
    assert back.feature_names_out_ == enc.feature_names_out_


def test_bad_encoder_info_is_refused():
    enc = ColumnEncoder(["x"], ["numeric"], impute="mean").fit(pd.DataFrame({"x": [1.0, 2.0]}))
    arrays, info = enc.to_arrays()
    with pytest.raises(ValueError, match="format"):
        ColumnEncoder.from_arrays(arrays, {**info, "version": 99})
    with pytest.raises(ValueError, match="fill values have shape"):
        ColumnEncoder.from_arrays({"fill": np.ones(3)}, info)


def test_one_hot_columns_pass_the_scaler_unscaled():
    X = np.array([[1.0, 0.0, 10.0], [3.0, 1.0, 30.0]])
    pre = Preprocessor("standard").fit(X, passthrough=[1])
    out = pre.transform(X, np.float64)
    np.testing.assert_array_equal(out[:, 1], [0.0, 1.0])
    np.testing.assert_allclose(out[:, [0, 2]], [[-1, -1], [1, 1]])


# ---- through the CLI and softmaxlab.load ------------------------------------------------------

@pytest.fixture(scope="module")
def cat_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("enc")
    rng = np.random.default_rng(0)
    n = 90
    k = np.arange(n) % 3
    frame = pd.DataFrame({"a": rng.normal(3 * k, 0.5), "shape": np.array(["round", "square",
                          "star"])[(k + (rng.random(n) < 0.1)) % 3],
                          "b": rng.normal(-2 * k, 0.5), "label": np.array(["x", "y", "z"])[k]})
    frame.loc[[4, 17, 33], "a"] = np.nan
    frame.loc[[8], "shape"] = np.nan
    frame.to_csv(d / "t.csv", index=False)
    assert main(["train", "--data", str(d / "t.csv"), "--label-column", "label", "--impute",
                 "mean", "--epochs", "30",
                 "--batch-size", "8", "--out", str(d / "run"), "--quiet"]) == 0
    return d, frame


def test_config_toml_records_the_encoding(cat_run):
    d, frame = cat_run
    cfg = read_toml(d / "run" / "config.toml")
    enc = cfg["encoding"]
    assert enc["order"] == "impute -> one-hot -> scale" and enc["impute"] == "mean"
    assert enc["numeric"] == ["a", "b"] and enc["categorical"] == {"shape": ["round", "square",
                                                                             "star"]}
    assert set(enc["fill"]) == {"a", "b", "shape"}
    # The mean is the training split's, not the whole file's.
    assert enc["fill"]["a"] != pytest.approx(frame["a"].mean(), abs=1e-12)
    assert cfg["impute"] == "mean" and cfg["categorical"] == "onehot"
    # and config.toml reruns the run
    assert main(["train", "--config", str(d / "run" / "config.toml"), "--out",
                 str(d / "again"), "--quiet"]) == 0
    a = np.load(d / "run" / "model.npz")["param.0"]
    b = np.load(d / "again" / "model.npz")["param.0"]
    assert a.tobytes() == b.tobytes()


def test_model_file_holds_the_encoding_without_pickle(cat_run):
    d, _ = cat_run
    with np.load(d / "run" / "model.npz", allow_pickle=False) as z:
        assert all(z[k].dtype.kind != "O" for k in z.files)
        assert "extra.enc.fill" in z.files
    with zipfile.ZipFile(d / "run" / "model.npz") as z:
        assert all(name.endswith(".npy") for name in z.namelist())
    pred = load_predictor(d / "run" / "model.npz")
    assert pred.encoder.kinds == ["numeric", "categorical", "numeric"]


def test_load_gives_a_pipeline_that_encodes_like_predict(cat_run, capsys):
    d, frame = cat_run
    pipe = softmaxlab.load(d / "run" / "model.npz")
    assert [name for name, _ in pipe.steps] == ["encode", "preprocess", "model"]
    X = frame.drop(columns="label")[["b", "shape", "a"]]  # any column order
    pred = load_predictor(d / "run" / "model.npz")
    np.testing.assert_array_equal(pipe.predict(X), pred.predict(X))
    np.testing.assert_allclose(pipe.predict_proba(X), pred.predict_proba(X), rtol=1e-6)
    assert (pipe.predict(X) == frame["label"]).mean() > 0.9
    # and the CLI's predict gives the same labels
    X.to_csv(d / "new.csv", index=False)
    assert main(["predict", str(d / "run"), str(d / "new.csv")]) == 0
    assert capsys.readouterr().out.split()[1:] == list(pipe.predict(X))
    with pytest.warns(DataNote, match="'shape' = 'hexagon'"):
        pipe.predict(X.assign(shape="hexagon"))


def test_pipeline_step_exposes_the_encoder(cat_run):
    d, _ = cat_run
    pipe = softmaxlab.load(d / "run" / "model.npz")
    enc = pipe.named_steps["encode"].func.__self__
    assert isinstance(enc, ColumnEncoder)
    assert enc.onehot_.categories_[0].tolist() == ["round", "square", "star"]
    assert math.isfinite(float(enc.imputer_.statistics_[0]))
