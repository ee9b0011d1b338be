"""ONNX export of Pipelines on real data sets, and skl2onnx converting our
estimators after ``import softmaxlab`` (zipmap on and off)."""
from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

onnx = pytest.importorskip("onnx", reason="needs the onnx extra: pip install softmaxlab[onnx]")
ort = pytest.importorskip("onnxruntime", reason="needs the onnx extra")
skl2onnx = pytest.importorskip("skl2onnx", reason="needs the onnx extra")

from sklearn import datasets  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import (  # noqa: E402
    FunctionTransformer,
    MaxAbsScaler,
    MinMaxScaler,
    StandardScaler,
)

import softmaxlab as sl  # noqa: E402
from softmaxlab.export import ExportError, to_onnx  # noqa: E402

ATOL = 1e-6


def session(onx):
    return ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])


def quiet_fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, y)


def named(loader):
    """A data set with string labels (its target names), float64 features."""
    d = loader()
    return d.data.astype(np.float64), np.asarray(d.target_names)[d.target]


CASES = [
    ("digits", datasets.load_digits, StandardScaler, lambda: sl.MLPClassifier((32,), max_iter=8)),
    ("iris", datasets.load_iris, MinMaxScaler, lambda: sl.MLPClassifier((16, 8), "tanh",
                                                                          max_iter=40)),
    ("wine", datasets.load_wine, MaxAbsScaler, lambda: sl.SoftmaxRegression(max_iter=40)),
    ("breast_cancer", datasets.load_breast_cancer, StandardScaler,
     lambda: sl.MLPClassifier((16,), "logistic", max_iter=20)),
]


@pytest.mark.parametrize("name,loader,scaler,make", CASES, ids=[c[0] for c in CASES])
def test_pipeline_on_real_data(name, loader, scaler, make):
    X, y = named(loader)
    pipe = quiet_fit(make_pipeline(scaler(), make().set_params(random_state=0)), X, y)
    onx = to_onnx(pipe)
    onnx.checker.check_model(onx, full_check=True)
    label, proba = session(onx).run(None, {"X": X.astype(np.float32)})
    # float64 model and scaler on float64 rows against the float32 graph
    # (docs/export.md: the tolerance of a float64 model).
    np.testing.assert_allclose(proba, pipe.predict_proba(X), rtol=0, atol=ATOL)
    np.testing.assert_array_equal(label, pipe.predict(X))
    # digits' target names are the integers 0-9: an int64 label tensor.
    assert label.dtype == (object if y.dtype.kind == "U" else np.int64)


def test_float32_pipeline(rng):
    X, y = datasets.load_digits(return_X_y=True)
    X = X.astype(np.float32)
    pipe = quiet_fit(make_pipeline(MinMaxScaler(), sl.MLPClassifier((20,), dtype="float32",
                                                                     max_iter=5, random_state=0)),
                     X, y)
    label, proba = session(to_onnx(pipe)).run(None, {"X": X})
    np.testing.assert_allclose(proba, pipe.predict_proba(X), rtol=0, atol=ATOL)
    np.testing.assert_array_equal(label, pipe.predict(X))


def test_passthrough_and_nested_pipelines(rng):
    X, y = named(datasets.load_wine)
    pipe = quiet_fit(make_pipeline("passthrough", make_pipeline(StandardScaler(), MaxAbsScaler()),
                                   sl.SoftmaxRegression(max_iter=20, random_state=0)), X, y)
    label, proba = session(to_onnx(pipe)).run(None, {"X": X.astype(np.float32)})
    np.testing.assert_allclose(proba, pipe.predict_proba(X), rtol=0, atol=ATOL)
    np.testing.assert_array_equal(label, pipe.predict(X))


def test_unsupported_steps_are_refused(rng):
    X, y = named(datasets.load_iris)
    odd = quiet_fit(make_pipeline(FunctionTransformer(np.log1p), sl.SoftmaxRegression(max_iter=3)),
                    X, y)
    with pytest.raises(ExportError, match="FunctionTransformer of 'log1p'"):
        to_onnx(odd)
    from sklearn.linear_model import LogisticRegression

    theirs = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    with pytest.raises(ExportError, match="ends in LogisticRegression"):
        to_onnx(theirs)


# ---- skl2onnx converts our estimators --------------------------------------------------


@pytest.fixture(scope="module")
def iris_pipe():
    X, y = named(datasets.load_iris)
    return X, quiet_fit(make_pipeline(StandardScaler(), sl.MLPClassifier((8,), max_iter=30,
                                                                         random_state=0)), X, y)


@pytest.mark.parametrize("x_dtype", [np.float32, np.float64])
def test_skl2onnx_zipmap(iris_pipe, x_dtype):
    X, pipe = iris_pipe
    X = X.astype(x_dtype)
    sess = session(skl2onnx.to_onnx(pipe, X[:1]))
    label, maps = sess.run(None, {sess.get_inputs()[0].name: X})
    expected = pipe.predict_proba(X)
    got = np.array([[m[c] for c in pipe.classes_] for m in maps])
    np.testing.assert_allclose(got, expected, rtol=0, atol=ATOL)
    np.testing.assert_array_equal(label, pipe.predict(X))


@pytest.mark.parametrize("x_dtype", [np.float32, np.float64])
def test_skl2onnx_without_zipmap(iris_pipe, x_dtype):
    X, pipe = iris_pipe
    X = X.astype(x_dtype)
    onx = skl2onnx.to_onnx(pipe, X[:1], options={id(pipe[-1]): {"zipmap": False}})
    label, proba = session(onx).run(None, {"X": X})
    assert proba.dtype == x_dtype  # computed in the input's dtype
    np.testing.assert_allclose(proba, pipe.predict_proba(X), rtol=0, atol=ATOL)
    np.testing.assert_array_equal(label, pipe.predict(X))


def test_skl2onnx_zipmap_columns_and_nocl(iris_pipe):
    X, pipe = iris_pipe
    X = X.astype(np.float32)
    est = pipe[-1]
    onx = skl2onnx.to_onnx(pipe, X[:1], options={id(est): {"zipmap": "columns"}})
    out = session(onx).run(None, {"X": X})
    assert len(out) == 1 + len(est.classes_)
    np.testing.assert_allclose(np.column_stack(out[1:]), pipe.predict_proba(X), rtol=0, atol=ATOL)
    onx = skl2onnx.to_onnx(pipe, X[:1], options={id(est): {"zipmap": False, "nocl": True}})
    label, _ = session(onx).run(None, {"X": X})
    np.testing.assert_array_equal(est.classes_[label], pipe.predict(X))


IMPORT_ORDER = """
import sys
{first}
{second}
import numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
X = np.random.default_rng(0).standard_normal((40, 3))
y = (X[:, 0] > 0).astype(int)
from softmaxlab import SoftmaxRegression
pipe = make_pipeline(StandardScaler(), SoftmaxRegression(max_iter=5)).fit(X, y)
import skl2onnx, onnxruntime
onx = skl2onnx.to_onnx(pipe, X[:1].astype(np.float32), options={{"zipmap": False}})
sess = onnxruntime.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
label, proba = sess.run(None, {{"X": X.astype(np.float32)}})
assert np.abs(proba - pipe.predict_proba(X.astype(np.float32))).max() < 1e-6
print("ok")
"""


@pytest.mark.parametrize("skl_first", [False, True], ids=["softmaxlab-first", "skl2onnx-first"])
def test_import_softmaxlab_export_makes_skl2onnx_see_estimators(skl_first):
    """A fresh interpreter: after `import softmaxlab.export`, in either order
    with skl2onnx, skl2onnx converts our estimators."""
    a, b = "import softmaxlab.export", "import skl2onnx"
    code = IMPORT_ORDER.format(first=b if skl_first else a, second=a if skl_first else "",
                               skl_first=skl_first)
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"


def test_import_softmaxlab_stays_light():
    code = ("import sys, softmaxlab; heavy = [m for m in ('onnx', 'skl2onnx', 'onnxruntime', "
            "'softmaxlab.estimators') if m in sys.modules]; print(heavy)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"
