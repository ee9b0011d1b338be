"""ONNX export of the estimators' sigmoid outputs: a binary classifier with
one logistic unit and a multilabel one with one unit per label, through
``softmaxlab.export.to_onnx`` and through ``skl2onnx.to_onnx`` (zipmap on
and off), against ``predict_proba`` (within 1e-6) and ``predict`` (equal)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

onnx = pytest.importorskip("onnx", reason="needs the onnx extra: pip install softmaxlab[onnx]")
ort = pytest.importorskip("onnxruntime", reason="needs the onnx extra")
skl2onnx = pytest.importorskip("skl2onnx", reason="needs the onnx extra")

from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import softmaxlab as sl  # noqa: E402
from softmaxlab.export import ExportError, to_onnx  # noqa: E402

ATOL = 1e-6
MAKERS = {
    "mlp": lambda: sl.MLPClassifier((8, 6), activation="tanh", max_iter=25, random_state=0),
    "softmax": lambda: sl.SoftmaxRegression(max_iter=25, random_state=0),
}


def fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few iterations: ConvergenceWarning
        return est.fit(X, y)


def outputs(onx, X) -> list:
    sess = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, {sess.get_inputs()[0].name: X})


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(5)
    X = 2 * rng.standard_normal((150, 5))
    y = np.where(X[:, 0] - X[:, 1] + 0.5 * rng.standard_normal(150) > 0, "yes", "no")
    Y = (X[:, :3] + rng.standard_normal((150, 3)) > 0).astype(np.int64)
    return X, X.astype(np.float32), y, Y


@pytest.mark.parametrize("which", MAKERS)
def test_binary_one_logistic_unit(which, data):
    X, X32, y, _ = data
    est = fit(MAKERS[which](), X32, y)
    assert est.out_activation_ == "logistic" and est.n_outputs_ == 1
    expected, labels = est.predict_proba(X32), est.predict(X32)
    assert expected.shape == (150, 2) and set(labels) == {"no", "yes"}
    onx = to_onnx(est)
    assert {p.key: p.value for p in onx.metadata_props}["output"] == "binary"
    label, proba = outputs(onx, X32)
    np.testing.assert_allclose(proba, expected, rtol=0, atol=ATOL)
    np.testing.assert_array_equal(label, labels)
    # skl2onnx, our estimator converted inside its pipeline: ZipMap, tensor, columns.
    maps = outputs(skl2onnx.to_onnx(est, X32[:1]), X32)
    np.testing.assert_array_equal(maps[0], labels)
    got = np.array([[m[c] for c in est.classes_] for m in maps[1]])
    np.testing.assert_allclose(got, expected, rtol=0, atol=ATOL)
    label, proba = outputs(skl2onnx.to_onnx(est, X32[:1], options={id(est): {"zipmap": False}}),
                           X32)
    np.testing.assert_allclose(proba, expected, rtol=0, atol=ATOL)
    np.testing.assert_array_equal(label, labels)
    label, *columns = outputs(skl2onnx.to_onnx(est, X32[:1], options={id(est): {"zipmap": "columns"}}),
                              X32)
    np.testing.assert_allclose(np.column_stack(columns), expected, rtol=0, atol=ATOL)


@pytest.mark.parametrize("zipmap", [True, False])
def test_binary_pipeline_with_integer_labels_in_skl2onnx(zipmap, data):
    X, _, y, _ = data
    pipe = fit(make_pipeline(StandardScaler(), MAKERS["mlp"]()), X, (y == "yes").astype(int) * 7)
    assert pipe[-1].out_activation_ == "logistic"
    expected, labels = pipe.predict_proba(X), pipe.predict(X)
    for x in (X, X.astype(np.float32)):  # float64 input computes in float64
        out = outputs(skl2onnx.to_onnx(pipe, x[:1], options={id(pipe[-1]): {"zipmap": zipmap}}), x)
        proba = np.array([[m[c] for c in (0, 7)] for m in out[1]]) if zipmap else out[1]
        np.testing.assert_allclose(proba, expected, rtol=0, atol=ATOL)
        np.testing.assert_array_equal(out[0], labels)
        assert out[0].dtype == np.int64
    label, proba = outputs(to_onnx(pipe), X.astype(np.float32))
    np.testing.assert_allclose(proba, expected, rtol=0, atol=ATOL)
    np.testing.assert_array_equal(label, labels)


@pytest.mark.parametrize("which", MAKERS)
def test_multilabel_one_unit_per_label(which, data):
    X, X32, _, Y = data
    est = fit(MAKERS[which](), X32, Y)
    assert est.out_activation_ == "logistic" and est.n_outputs_ == 3
    expected, labels = est.predict_proba(X32), est.predict(X32)
    assert expected.shape == labels.shape == (150, 3)
    assert 0 < labels.mean() < 1
    onx = to_onnx(est)
    assert {p.key: p.value for p in onx.metadata_props}["output"] == "multilabel"
    candidates = {"to_onnx": onx,
                  # zipmap does not apply to multilabel networks: the same two tensors
                  "skl2onnx": skl2onnx.to_onnx(est, X32[:1]),
                  "skl2onnx, zipmap=False": skl2onnx.to_onnx(
                      est, X32[:1], options={id(est): {"zipmap": False}})}
    for name, graph in candidates.items():
        label, proba = outputs(graph, X32)
        assert label.dtype == np.int64 and label.shape == (150, 3), name
        np.testing.assert_allclose(proba, expected, rtol=0, atol=ATOL, err_msg=name)
        np.testing.assert_array_equal(label, labels, err_msg=name)


def test_multilabel_pipeline(data):
    X, _, _, Y = data
    pipe = fit(make_pipeline(StandardScaler(), MAKERS["mlp"]()), X, Y)
    label, proba = outputs(to_onnx(pipe), X.astype(np.float32))
    np.testing.assert_allclose(proba, pipe.predict_proba(X), rtol=0, atol=ATOL)
    np.testing.assert_array_equal(label, pipe.predict(X))
    label, proba = outputs(skl2onnx.to_onnx(pipe, X[:1]), X)  # float64 from end to end
    assert proba.dtype == np.float64
    np.testing.assert_allclose(proba, pipe.predict_proba(X), rtol=0, atol=ATOL)
    np.testing.assert_array_equal(label, pipe.predict(X))


def test_a_model_fitted_on_one_class_is_refused(data):
    _, X32, _, _ = data
    est = fit(sl.MLPClassifier((4,), max_iter=2), X32, np.full(150, "only"))
    with pytest.raises(ExportError, match="fitted on one class only \\('only'\\)"):
        to_onnx(est)
