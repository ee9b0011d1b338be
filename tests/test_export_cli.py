"""``softmaxlab export``: a CLI run as ONNX, its preprocessing inside the
graph: raw CSV rows in, the original labels out, as ``softmaxlab predict``."""
from __future__ import annotations

import json
import sys

import numpy as np
import pytest

onnx = pytest.importorskip("onnx", reason="needs the onnx extra: pip install softmaxlab[onnx]")
ort = pytest.importorskip("onnxruntime", reason="needs the onnx extra")
pytest.importorskip("skl2onnx", reason="needs the onnx extra")

import softmaxlab as sl  # noqa: E402
from softmaxlab.cli import main  # noqa: E402
from softmaxlab.cli.config import TrainConfig  # noqa: E402
from softmaxlab.export import to_onnx  # noqa: E402
from softmaxlab.runs.predictor import load_predictor  # noqa: E402
from softmaxlab.cli.runner import run_training  # noqa: E402

ATOL = 1e-6


def train(run_dir, **settings):
    run_training(TrainConfig(**settings), run_dir=run_dir, progress_mode="quiet", report=False)
    return run_dir


def onnx_run(path, X):
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return sess.run(None, {"X": np.asarray(X, dtype=np.float32)})


JSON_PROPS = {"classes", "class_names", "feature_names", "n_features"}


def props(onx) -> dict:
    return {p.key: json.loads(p.value) if p.key in JSON_PROPS else p.value
            for p in onx.metadata_props}


@pytest.fixture(scope="module")
def flowers(tmp_path_factory):
    """A CSV of iris-like rows with string labels and named columns."""
    from sklearn.datasets import load_iris

    d = load_iris()
    tmp = tmp_path_factory.mktemp("flowers")
    path = tmp / "flowers.csv"
    cols = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    with open(path, "w") as f:
        # the label column first: columns are matched by name, not position
        f.write("species," + ",".join(cols) + "\n")
        for row, t in zip(d.data, d.target, strict=True):
            f.write(f"{d.target_names[t]}," + ",".join(f"{v:g}" for v in row) + "\n")
    return path, d.data, cols


@pytest.fixture(scope="module")
def leaky_run(flowers, tmp_path_factory):
    return train(tmp_path_factory.mktemp("runs") / "leaky", data=str(flowers[0]),
                 label_column="species", model="mlp", hidden=[8, 6], activation="leaky_relu",
                 dropout=0.2, epochs=15, batch_size=16)


def test_cli_export_of_a_csv_run(leaky_run, flowers, capsys):
    _, X, cols = flowers
    assert main(["export", str(leaky_run)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"wrote {leaky_run / 'model.onnx'}: opset 17, input X float32 [N, 4]")
    assert "label string [N], probabilities float32 [N, 3]" in out
    onx = onnx.load(leaky_run / "model.onnx")
    onnx.checker.check_model(onx, full_check=True)
    p = props(onx)
    assert p["feature_names"] == cols and p["label_column"] == "species"
    assert p["classes"] == ["setosa", "versicolor", "virginica"]
    assert p["softmaxlab_version"] == sl.__version__ and p["preprocessing"] == "standard"
    pred = load_predictor(leaky_run / "model.npz")
    label, proba = onnx_run(leaky_run / "model.onnx", X)
    np.testing.assert_allclose(proba, pred.predict_proba(X), rtol=0, atol=ATOL)
    np.testing.assert_array_equal(label, pred.predict(X))
    ops = {n.op_type for n in onx.graph.node}
    assert {"LeakyRelu", "Sub", "Div"} <= ops and "Dropout" not in ops


@pytest.mark.parametrize("preprocess,dtype", [("pixel", "float32"), ("none", "float64")])
def test_cli_export_digits_integer_labels(preprocess, dtype, tmp_path):
    from sklearn.datasets import load_digits

    run = train(tmp_path / "digits", data="digits", preprocess=preprocess, dtype=dtype,
                model="mlp", hidden=[16], activation="tanh", epochs=2)
    out = tmp_path / "elsewhere" / "digits.onnx"
    assert main(["export", str(run / "model.npz"), "--output", str(out), "--opset", "13"]) == 0
    X = load_digits().data
    label, proba = onnx_run(out, X)
    pred = load_predictor(run / "model.npz")
    assert label.dtype == np.int64
    np.testing.assert_allclose(proba, pred.predict_proba(X), rtol=0, atol=ATOL)
    np.testing.assert_array_equal(label, pred.predict(X))
    assert props(onnx.load(out))["source_dtype"] == dtype


def test_model_file_default_output_name(tmp_path, leaky_run):
    import shutil

    copy = shutil.copy(leaky_run / "model.npz", tmp_path / "flowers.npz")
    assert main(["export", str(copy)]) == 0
    assert (tmp_path / "flowers.onnx").is_file()


def test_load_of_a_cli_run_exports_its_preprocessing(flowers, tmp_path):
    path, X, _ = flowers
    run = train(tmp_path / "relu", data=str(path), label_column="species", model="mlp",
                hidden=[8], activation="relu", epochs=10, batch_size=16)
    pipe = sl.load(run / "model.npz")  # Pipeline(FunctionTransformer(pre.transform), MLPClassifier)
    label, proba = onnx_run_model(to_onnx(pipe), X)
    np.testing.assert_allclose(proba, pipe.predict_proba(X), rtol=0, atol=ATOL)
    np.testing.assert_array_equal(label, pipe.predict(X))


def onnx_run_model(onx, X):
    sess = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, {"X": np.asarray(X, dtype=np.float32)})


def test_load_of_a_leaky_run_exports_its_leaky_network(leaky_run, flowers):
    _, X, _ = flowers
    with pytest.warns(UserWarning, match="no MLPClassifier equivalent"):
        pipe = sl.load(leaky_run / "model.npz")
    # Its estimator says activation="relu" (it has no leaky ReLU); the network
    # it predicts with, its network_, is leaky, and that is what is exported.
    onx = to_onnx(pipe)
    assert "LeakyRelu" in {n.op_type for n in onx.graph.node}
    label, proba = onnx_run_model(onx, X)
    np.testing.assert_allclose(proba, pipe.predict_proba(X), rtol=0, atol=ATOL)
    np.testing.assert_array_equal(label, pipe.predict(X))


def test_cli_binary_run_matches_softmaxlab_predict(tmp_path, capsys):
    import pandas as pd

    from softmaxlab.cli.commands.predict import predict_csv

    rng = np.random.default_rng(3)
    X = rng.standard_normal((160, 3))
    y = np.where(X[:, 0] - X[:, 2] > 0, "spam", "ham")
    path = tmp_path / "mail.csv"
    with open(path, "w") as f:
        f.write("f0,f1,f2,kind\n")
        f.writelines(",".join(f"{v:.6f}" for v in row) + f",{t}\n" for row, t in zip(X, y, strict=True))
    run = train(tmp_path / "binary", data=str(path), label_column="kind", model="mlp", hidden=[6],
                activation="tanh", epochs=8, batch_size=16)
    assert main(["export", str(run)]) == 0
    assert "label string [N], probabilities float32 [N, 2]" in capsys.readouterr().out
    onx = onnx.load(run / "model.onnx")
    assert props(onx)["classes"] == ["ham", "spam"]
    rows = pd.read_csv(path)[["f0", "f1", "f2"]]  # the file's rows, as a user reads them
    label, proba = onnx_run(run / "model.onnx", rows)
    expected = predict_csv(run, path, proba=True)
    assert list(expected.columns) == ["ham", "spam"]
    np.testing.assert_allclose(proba, expected.to_numpy(), rtol=0, atol=ATOL)
    np.testing.assert_array_equal(label, predict_csv(run, path)["prediction"].to_numpy())
    assert {"ham", "spam"} == set(label)


def test_cli_multilabel_run_matches_softmaxlab_predict(tmp_path, capsys):
    """Several 0/1 label columns: the graph gives the label matrix and each
    label's probability, as ``softmaxlab predict`` does."""
    from softmaxlab.cli.commands.predict import predict_csv

    rng = np.random.default_rng(4)
    X = rng.standard_normal((200, 3))
    Y = np.stack([X[:, 0] > 0, X[:, 1] + X[:, 2] > 0, X[:, 2] > 0.5], axis=1).astype(int)
    path = tmp_path / "tags.csv"
    with open(path, "w") as f:
        f.write("f0,f1,f2,red,green,blue\n")
        f.writelines(",".join(f"{v:.6f}" for v in row) + "," + ",".join(map(str, t)) + "\n"
                     for row, t in zip(X, Y, strict=True))
    run = train(tmp_path / "tags", data=str(path), label_column="red,green,blue", epochs=10,
                batch_size=16)
    assert main(["export", str(run)]) == 0
    capsys.readouterr()
    label, proba = onnx_run(run / "model.onnx", X)
    expected = predict_csv(run, path, proba=True)
    assert list(expected.columns) == ["red", "green", "blue"]
    np.testing.assert_allclose(proba, expected.to_numpy(), rtol=0, atol=ATOL)
    np.testing.assert_array_equal(label, predict_csv(run, path).to_numpy())


def test_cli_errors_are_one_line(tmp_path, leaky_run, capsys, monkeypatch):
    bad = tmp_path / "notes.txt"
    bad.write_text("hello\n")
    assert main(["export", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("softmaxlab export: error:") and "not a softmaxlab model" in err
    assert err.count("\n") == 1
    assert main(["export", str(leaky_run), "--opset", "6"]) == 2
    assert "too old" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "nothing")]) == 1
    assert "no such run folder or model file" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "skl2onnx", None)
    assert main(["export", str(leaky_run)]) == 1
    err = capsys.readouterr().err
    assert "pip install softmaxlab[onnx]" in err and err.count("\n") == 1
