"""The estimators on other array libraries, as scikit-learn's array-API
estimators behave: inside ``sklearn.config_context(array_api_dispatch=True)``
a fit on torch tensors or array-api-strict arrays trains on their device,
keeps ``coefs_`` there and predicts arrays of that library; the same
``random_state`` gives NumPy's model to float32 rounding; a model trained on
a device saves and loads with NumPy; mismatches get messages with the fix.
(scikit-learn's own array-API checks run in tests/test_sklearn_checks.py.)"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import sklearn
from sklearn.datasets import load_digits

import softmaxlab
from softmaxlab import MLPClassifier, SoftmaxRegression
from softmaxlab.backend import BackendError, to_numpy

xps = pytest.importorskip("array_api_strict")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X = ((X - X.mean(0)) / (X.std(0) + 1e-9)).astype(np.float32)
    return X[:600], y[:600]


def _on(lib, a):
    if lib == "torch":
        torch = pytest.importorskip("torch")
        return torch.asarray(np.asarray(a))
    return xps.asarray(np.asarray(a), device=xps.Device(lib))


@pytest.fixture(autouse=True)
def _one_torch_thread():
    # Tiny matmuls with several intra-op threads crawl on a shared 2-core
    # machine; the numbers do not depend on it.
    try:
        import torch
    except ImportError:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


CASES = {
    "mlp-adam-dropout": (lambda: MLPClassifier((16,), max_iter=4, dropout=0.2, random_state=0),
                         "multiclass", 1e-5),
    "mlp-sgd-early-stopping": (lambda: MLPClassifier((16,), solver="sgd", max_iter=4,
                                                     early_stopping=True, random_state=0),
                               "multiclass", 1e-5),
    "softmax-lbfgs-defaults": (lambda: SoftmaxRegression(random_state=0), "multiclass", 1e-3),
    "mlp-binary": (lambda: MLPClassifier((8,), max_iter=4, random_state=0), "binary", 1e-5),
    "mlp-multilabel": (lambda: MLPClassifier((8,), max_iter=4, random_state=0), "multilabel",
                       1e-5),
}


def _targets(y, kind):
    if kind == "binary":
        return (y > 4).astype(np.int64)
    if kind == "multilabel":
        return np.stack([y % 2, y > 4, y == 0], axis=1).astype(np.int64)
    return y


@pytest.mark.parametrize("lib", ["device1", "torch"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_fit_on_a_device_gives_numpys_model(case, lib, digits):
    make, kind, tol = CASES[case]
    X, y = digits
    T = _targets(y, kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence notes of these short fits
        ref = make().fit(X, T)
        with sklearn.config_context(array_api_dispatch=True):
            est = make().fit(_on(lib, X), _on(lib, T))
            proba = est.predict_proba(_on(lib, X[:40]))
            pred = est.predict(_on(lib, X[:40]))
    Xd = _on(lib, X[:1])
    for W in est.coefs_:
        assert type(W) is type(Xd) and str(W.device) == str(Xd.device)   # stayed on the device
    for out in (proba, pred):
        assert type(out) is type(Xd) and str(out.device) == str(Xd.device)
    np.testing.assert_allclose(to_numpy(proba), ref.predict_proba(X[:40]), atol=tol)
    np.testing.assert_array_equal(to_numpy(pred), ref.predict(X[:40]))
    assert est.n_iter_ == ref.n_iter_


def test_partial_fit_and_weights_follow_x(digits):
    X, y = digits
    sw = np.linspace(0.5, 2.0, len(y))
    ref = MLPClassifier((8,), random_state=0)
    est = MLPClassifier((8,), random_state=0)
    for _ in range(2):
        ref.partial_fit(X, y, classes=np.arange(10), sample_weight=sw)
        with sklearn.config_context(array_api_dispatch=True):
            # y and sample_weight on the CPU in NumPy: they move to X's device.
            est.partial_fit(_on("device1", X), y, classes=np.arange(10), sample_weight=sw)
    with sklearn.config_context(array_api_dispatch=True):
        proba = to_numpy(est.predict_proba(_on("device1", X[:20])))
    np.testing.assert_allclose(proba, ref.predict_proba(X[:20]), atol=1e-5)


def test_predicting_from_another_library_names_the_fix(digits):
    X, y = digits
    with sklearn.config_context(array_api_dispatch=True):
        est = MLPClassifier((8,), max_iter=2, random_state=0).fit(_on("device1", X), y)
        with pytest.raises(ValueError, match=r"MLPClassifier.predict\(\): X must use the same "
                                             r"namespace and device .*softmaxlab.load"):
            est.predict(X[:3])
        with pytest.raises(ValueError, match=r"predict_proba\(\): X must use the same namespace"):
            est.predict_proba(_on("CPU_DEVICE", X[:3]))
        numpy_est = MLPClassifier((8,), max_iter=2, random_state=0).fit(X, y)
        with pytest.raises(ValueError, match="fitted on \\(NumPy\\)|fitted on \\(NumPy"):
            numpy_est.predict(_on("device1", X[:3]))


def test_float64_on_a_device_without_it_names_the_fix(digits):
    X, y = digits
    with sklearn.config_context(array_api_dispatch=True):
        with pytest.raises(BackendError, match="does not support float64; use float32"):
            MLPClassifier((8,), max_iter=1, dtype="float64").fit(_on("no_float64", X), y)
        est = MLPClassifier((8,), max_iter=2, random_state=0).fit(_on("no_float64", X), y)
    assert est.coefs_[0].dtype == xps.float32


def test_a_model_fitted_on_a_device_loads_with_numpy(digits, tmp_path):
    X, y = digits
    with sklearn.config_context(array_api_dispatch=True):
        est = MLPClassifier((8,), max_iter=3, random_state=0).fit(_on("device1", X), y)
        want = to_numpy(est.predict_proba(_on("device1", X[:10])))
    est.save(tmp_path / "model.npz")
    loaded = softmaxlab.load(tmp_path / "model.npz")
    assert isinstance(loaded.coefs_[0], np.ndarray)
    np.testing.assert_allclose(loaded.predict_proba(X[:10]), want, atol=1e-6)


def test_without_dispatch_tensors_become_numpy(digits):
    torch = pytest.importorskip("torch")
    X, y = digits
    est = MLPClassifier((8,), max_iter=2, random_state=0).fit(torch.asarray(X), torch.asarray(y))
    assert isinstance(est.coefs_[0], np.ndarray)
    assert isinstance(est.predict(torch.asarray(X[:3])), np.ndarray)
