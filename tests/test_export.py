"""ONNX export of networks and estimators, checked in onnxruntime.

Every comparison is the exported graph in onnxruntime against softmaxlab's
own prediction on the same float32 rows: probabilities within 1e-6
(absolute), labels exactly equal.
"""
from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

onnx = pytest.importorskip("onnx", reason="needs the onnx extra: pip install softmaxlab[onnx]")
ort = pytest.importorskip("onnxruntime", reason="needs the onnx extra")
pytest.importorskip("skl2onnx", reason="needs the onnx extra")

import softmaxlab as sl  # noqa: E402
from softmaxlab.export import MIN_OPSET, ExportError, OpsetError, to_onnx  # noqa: E402
from softmaxlab.export._skl2onnx import MAX_OPSET  # noqa: E402
from softmaxlab.nn import Layer, Linear, ReLU, Sequential, from_weights, mlp, sigmoid  # noqa: E402

ATOL = 1e-6


def run(onx, X):
    """(label, probabilities) from onnxruntime on float32 rows."""
    sess = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    assert [o.name for o in sess.get_outputs()] == ["label", "probabilities"]
    return sess.run(None, {"X": np.asarray(X, dtype=np.float32)})


def props(onx) -> dict:
    return {p.key: p.value for p in onx.metadata_props}


def rows(rng, n, d, scale=2.0):
    return (scale * rng.standard_normal((n, d))).astype(np.float32)


def quiet_fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, y)


# ---- bare networks: every activation, dropout, float64 -------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "tanh", "sigmoid", "identity"])
@pytest.mark.parametrize("n_classes", [2, 5])
def test_softmax_network_matches_engine(activation, n_classes, dtype, rng):
    net = mlp(7, [16, 9], n_classes, activation=activation, dropout=0.3, init="glorot",
              rng=rng, dtype=dtype)
    X = rows(rng, 64, 7)
    onx = to_onnx(net)
    onnx.checker.check_model(onx, full_check=True)
    label, proba = run(onx, X)
    assert proba.dtype == np.float32 and proba.shape == (64, n_classes)
    np.testing.assert_allclose(proba, net.predict_proba(X.astype(dtype)), rtol=0, atol=ATOL)
    np.testing.assert_array_equal(label, net.predict(X.astype(dtype)))
    assert label.dtype == np.int64
    ops = {n.op_type for n in onx.graph.node}
    assert "Dropout" not in ops and ops >= {"Gemm", "Softmax", "ArgMax"}


def test_leaky_relu_slope_is_exported(rng):
    net = Sequential([Linear(5, 8, rng=rng), sl.LeakyReLU(0.3), Linear(8, 3, rng=rng)])
    X = rows(rng, 50, 5)
    _, proba = run(to_onnx(net), X)
    np.testing.assert_allclose(proba, net.predict_proba(X), rtol=0, atol=ATOL)
    node = next(n for n in to_onnx(net).graph.node if n.op_type == "LeakyRelu")
    assert onnx.helper.get_attribute_value(node.attribute[0]) == pytest.approx(0.3)


def test_network_metadata(rng):
    net = mlp(3, [4], 3, rng=rng)
    onx = to_onnx(net, classes=["cat", "dog", "owl"], feature_names=["a", "b", "c"])
    p = props(onx)
    assert json.loads(p["classes"]) == ["cat", "dog", "owl"]
    assert json.loads(p["feature_names"]) == ["a", "b", "c"]
    assert p["softmaxlab_version"] == sl.__version__
    assert p["output"] == "multiclass" and p["source_dtype"] == "float32"
    assert json.loads(props(to_onnx(net))["feature_names"]) is None  # unknown: null


def test_network_string_labels_match(rng):
    net = mlp(3, [4], 3, rng=rng)
    names = np.array(["cat", "dog", "owl"])
    X = rows(rng, 40, 3)
    label, _ = run(to_onnx(net, classes=names), X)
    np.testing.assert_array_equal(label, names[net.predict(X)])


# ---- sigmoid outputs: one logistic unit, multilabel --------------------------------------


def sigmoid_net(rng, n_in, n_out, activation="tanh", dtype=np.float32):
    W1, b1 = rng.standard_normal((n_in, 6)), rng.standard_normal(6)
    W2, b2 = rng.standard_normal((6, n_out)), rng.standard_normal(n_out)
    net = from_weights([(W1, b1), (W2, b2)], activation=activation, dtype=dtype)
    net.output = "sigmoid"
    return net


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_logistic_unit(dtype, rng):
    net = sigmoid_net(rng, 4, 1, dtype=dtype)
    X = rows(rng, 200, 4)
    onx = to_onnx(net, classes=["no", "yes"])
    label, proba = run(onx, X)
    z = net.predict_logits(X.astype(dtype))
    p = sigmoid(z)
    np.testing.assert_allclose(proba, np.hstack([1 - p, p]), rtol=0, atol=ATOL)
    np.testing.assert_array_equal(label, np.where(z[:, 0] > 0, "yes", "no"))
    assert props(onx)["output"] == "binary" and proba.shape == (200, 2)
    assert {"no", "yes"} == set(label)  # both branches of the threshold exercised


def test_multilabel(rng):
    net = sigmoid_net(rng, 5, 3, activation="relu")
    X = rows(rng, 100, 5)
    onx = to_onnx(net, classes=["red", "green", "blue"])
    label, proba = run(onx, X)
    z = net.predict_logits(X)
    np.testing.assert_allclose(proba, sigmoid(z), rtol=0, atol=ATOL)
    np.testing.assert_array_equal(label, (z > 0).astype(np.int64))
    assert label.dtype == np.int64 and label.shape == (100, 3)
    assert props(onx)["output"] == "multilabel"
    assert json.loads(props(onx)["classes"]) == ["red", "green", "blue"]


# ---- estimators -------------------------------------------------------------------------


@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_mlp_classifier_matches_predict_proba(activation, n_classes, dtype, rng):
    X = rows(rng, 120, 6, scale=1.0)
    y = np.array(list("abcd"))[rng.integers(0, n_classes, 120)]
    est = quiet_fit(sl.MLPClassifier((10, 7), activation=activation, max_iter=5, dropout=0.2,
                                     dtype=dtype, random_state=0), X, y)
    label, proba = run(to_onnx(est), X)
    np.testing.assert_allclose(proba, est.predict_proba(X), rtol=0, atol=ATOL)
    np.testing.assert_array_equal(label, est.predict(X))


def test_softmax_regression_integer_labels(rng):
    X = rows(rng, 90, 5)
    y = rng.choice([3, 7, 11], 90)
    est = quiet_fit(sl.SoftmaxRegression(max_iter=20, random_state=0), X, y)
    label, proba = run(to_onnx(est), X)
    assert label.dtype == np.int64
    np.testing.assert_array_equal(label, est.predict(X))
    np.testing.assert_allclose(proba, est.predict_proba(X), rtol=0, atol=ATOL)


def test_estimator_feature_names_from_dataframe(rng):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(rows(rng, 30, 3), columns=["x", "y", "z"])
    est = quiet_fit(sl.SoftmaxRegression(max_iter=3), frame, rng.integers(0, 2, 30))
    assert json.loads(props(to_onnx(est))["feature_names"]) == ["x", "y", "z"]


def test_estimator_file_and_load(tmp_path, rng):
    X = rows(rng, 60, 4)
    y = np.array(["lo", "mid", "hi"])[rng.integers(0, 3, 60)]
    est = quiet_fit(sl.MLPClassifier((8,), max_iter=5, random_state=1), X, y)
    path = est.save(tmp_path / "est.npz")
    for source in (path, sl.load(path)):
        label, proba = run(to_onnx(source), X)
        np.testing.assert_allclose(proba, est.predict_proba(X), rtol=0, atol=ATOL)
        np.testing.assert_array_equal(label, est.predict(X))


def test_bare_network_file(tmp_path, rng):
    net = mlp(4, [6], 3, activation="tanh", rng=rng)
    path = sl.save_model(tmp_path / "net.npz", net)
    X = rows(rng, 30, 4)
    label, proba = run(to_onnx(path), X)
    np.testing.assert_array_equal(label, net.predict(X))  # class indices as labels
    np.testing.assert_allclose(proba, net.predict_proba(X), rtol=0, atol=ATOL)


# ---- every opset the converter supports runs in onnxruntime -------------------------------


@pytest.mark.parametrize("kind", ["multiclass", "binary", "multilabel"])
def test_every_supported_opset_runs(kind, rng):
    if kind == "multiclass":
        net, classes = mlp(4, [5], 3, activation="leaky_relu", rng=rng), ["a", "b", "c"]
    else:
        net, classes = sigmoid_net(rng, 4, 1 if kind == "binary" else 2), None
    X = rows(rng, 20, 4)
    expected = run(to_onnx(net, classes=classes), X)
    for opset in range(MIN_OPSET, MAX_OPSET + 1):
        onx = to_onnx(net, target_opset=opset, classes=classes)
        assert next(o.version for o in onx.opset_import if o.domain == "") == opset
        label, proba = run(onx, X)
        np.testing.assert_array_equal(label, expected[0])
        # Other opsets may pick other onnxruntime kernels: a few float32 ulps apart.
        np.testing.assert_allclose(proba, expected[1], rtol=0, atol=ATOL)


# ---- clear errors -------------------------------------------------------------------------


class Doubler(Layer):
    def apply(self, X):
        return 2 * X

    forward = lambda self, X, training=False: 2 * X  # noqa: E731


def test_custom_layer_is_refused(rng):
    net = Sequential([Linear(3, 4, rng=rng), Doubler(), Linear(4, 2, rng=rng)])
    with pytest.raises(ExportError, match=r"layer 1 \(Doubler\) has no ONNX export"):
        to_onnx(net)


def test_subclass_of_a_layer_is_refused(rng):
    class MyReLU(ReLU):
        def apply(self, X):
            return X

    net = Sequential([Linear(3, 4, rng=rng), MyReLU(), Linear(4, 2, rng=rng)])
    with pytest.raises(ExportError, match="MyReLU"):
        to_onnx(net)


def test_opset_too_old_names_the_operator(rng):
    est = quiet_fit(sl.SoftmaxRegression(max_iter=2), rows(rng, 20, 3), rng.integers(0, 2, 20))
    with pytest.raises(OpsetError, match=r"target_opset=6 is too old .*Gemm \(opset 7 or later\)"):
        to_onnx(est, target_opset=6)
    with pytest.raises(OpsetError, match="newer than"):
        to_onnx(est, target_opset=MAX_OPSET + 1)
    with pytest.raises(OpsetError, match="must be an integer"):
        to_onnx(est, target_opset="17")


def test_not_a_softmaxlab_file(tmp_path):
    bad = tmp_path / "data.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(sl.ModelFormatError, match="not a softmaxlab model file"):
        to_onnx(bad)
    with pytest.raises(FileNotFoundError, match="no such run folder"):
        to_onnx(tmp_path / "missing.npz")
    with pytest.raises(FileNotFoundError, match="has no model.npz"):
        to_onnx(tmp_path)


def test_wrong_inputs(rng):
    with pytest.raises(TypeError, match="cannot export a dict"):
        to_onnx({})
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        to_onnx(sl.MLPClassifier())
    with pytest.raises(ExportError, match="2 labels for a network with 3 classes"):
        to_onnx(mlp(3, [4], 3, rng=rng), classes=["a", "b"])
    with pytest.raises(ExportError, match="int64 numbers or strings"):
        to_onnx(mlp(3, [4], 2, rng=rng), classes=[0.5, 1.5])
    with pytest.raises(TypeError, match="bare Sequential"):
        est = quiet_fit(sl.SoftmaxRegression(max_iter=2), rows(rng, 20, 3), rng.integers(0, 2, 20))
        to_onnx(est, classes=[0, 1])


def test_missing_extra_names_it(monkeypatch, rng):
    import sys

    monkeypatch.setitem(sys.modules, "skl2onnx", None)  # import skl2onnx now fails
    with pytest.raises(ImportError, match=r"pip install softmaxlab\[onnx\]"):
        to_onnx(mlp(3, [4], 2, rng=rng))
