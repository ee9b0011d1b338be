"""The reference engine on other array libraries: array-api-strict (its CPU
device, a second emulated device and a float64-less device) and PyTorch on
the CPU give NumPy's numbers, keep arrays where they are, and say clearly
what to do with mixed devices or a dtype the device lacks."""
from __future__ import annotations

import numpy as np
import pytest

import softmaxlab as sl
from softmaxlab.backend import BackendError, to_numpy
from softmaxlab.io import load_model, save_model
from softmaxlab.nn import SoftmaxCrossEntropy, mlp, softmax_regression

xps = pytest.importorskip("array_api_strict")
array_api_compat = pytest.importorskip("array_api_compat")

STRICT = array_api_compat.array_namespace(xps.asarray([1.0]))
DEVICES = ["CPU_DEVICE", "device1", "no_float64"]


def _strict(a, dev):
    return xps.asarray(np.asarray(a), device=xps.Device(dev))


def _data(n=120, d=6, c=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)).astype(np.float32)
    y = (X[:, :c] ** 2).argmax(axis=1)
    return X, y


def _fit(X, y, xp=None, dev=None, *, opt="adam", dropout=0.2, sample_weight=None, epochs=3,
         class_weight=None):
    model = mlp(X.shape[1], [8], 3, activation="tanh", dropout=dropout,
                rng=np.random.default_rng(1))
    if xp is not None:
        model.to(xp, dev)
    optimizer = (sl.Adam(model.parameters(), lr=1e-2, weight_decay=1e-3) if opt == "adam"
                 else sl.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True))
    trainer = sl.Trainer(model, optimizer, loss=SoftmaxCrossEntropy(class_weight), batch_size=16,
                         rng=2)
    trainer.fit(X, y, epochs=epochs, sample_weight=sample_weight)
    return model, trainer


@pytest.mark.parametrize("dev", DEVICES)
@pytest.mark.parametrize("opt", ["adam", "nesterov"])
def test_training_on_array_api_strict_gives_numpys_model(dev, opt):
    X, y = _data()
    sw = np.random.default_rng(3).uniform(0.5, 2.0, len(y)).astype(np.float32)
    ref, ref_tr = _fit(X, y, opt=opt, sample_weight=sw, class_weight=[1.0, 2.0, 0.5])
    model, tr = _fit(_strict(X, dev), _strict(y, dev), STRICT, xps.Device(dev), opt=opt,
                     sample_weight=_strict(sw, dev), class_weight=[1.0, 2.0, 0.5])
    assert tr.engine_used == "reference" and ref_tr.engine_used == "fast"
    np.testing.assert_allclose(tr.history.train_loss, ref_tr.history.train_loss, rtol=1e-5)
    for a, b in zip(model.get_weights(), ref.get_weights(), strict=True):
        assert a.device == xps.Device(dev)                    # the weights stayed on the device
        np.testing.assert_allclose(to_numpy(a), b, rtol=1e-4, atol=1e-6)
    proba = model.predict_proba(_strict(X[:7], dev))
    assert isinstance(proba, type(_strict(X, dev))) and proba.device == xps.Device(dev)
    np.testing.assert_allclose(to_numpy(proba), ref.predict_proba(X[:7]), atol=1e-5)


def test_float64_on_a_device_without_it_names_the_fix():
    model = softmax_regression(4, 3, rng=np.random.default_rng(0), dtype=np.float64)
    with pytest.raises(BackendError, match="does not support float64; use float32"):
        model.to(STRICT, xps.Device("no_float64"))


def test_mixed_devices_are_refused_with_the_fix():
    X, y = _data()
    model = softmax_regression(6, 3, rng=np.random.default_rng(0)).to(STRICT, xps.Device("device1"))
    trainer = sl.Trainer(model, sl.SGD(model.parameters()), rng=0)
    with pytest.raises(BackendError, match="on device .*device1.* but X is on device .*CPU_DEVICE"):
        trainer.fit(_strict(X, "CPU_DEVICE"), _strict(y, "CPU_DEVICE"), epochs=1)
    with pytest.raises(BackendError, match="not an array of that library"):
        trainer.fit(X, y, epochs=1)
    numpy_model = softmax_regression(6, 3, rng=np.random.default_rng(0))
    trainer = sl.Trainer(numpy_model, sl.SGD(numpy_model.parameters()), rng=0)
    with pytest.raises(BackendError, match=r"model.to\(array_api_compat.array_namespace\(X\)"):
        trainer.fit(_strict(X, "device1"), _strict(y, "device1"), epochs=1)


def test_bad_input_on_another_device_gets_the_numpy_messages():
    X, y = _data()
    model = softmax_regression(6, 3, rng=np.random.default_rng(0)).to(STRICT, xps.Device("device1"))
    trainer = sl.Trainer(model, sl.SGD(model.parameters()), rng=0)
    Xbad = X.copy()
    Xbad[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity in 1 of 120 rows"):
        trainer.fit(_strict(Xbad, "device1"), _strict(y, "device1"), epochs=1)
    with pytest.raises(ValueError, match=r"must lie in \[0, 3\)"):
        trainer.fit(_strict(X, "device1"), _strict(y + 1, "device1"), epochs=1)
    with pytest.raises(ValueError, match="has 5 features, but the model was built for 6"):
        trainer.fit(_strict(X[:, :5], "device1"), _strict(y, "device1"), epochs=1)


def test_a_model_trained_on_another_device_saves_and_loads_with_numpy(tmp_path):
    X, y = _data()
    model, _ = _fit(_strict(X, "device1"), _strict(y, "device1"), STRICT, xps.Device("device1"))
    path = save_model(tmp_path / "model.npz", model, {"note": "device1"})
    loaded = load_model(path).model
    assert all(isinstance(w, np.ndarray) for w in loaded.get_weights())
    np.testing.assert_allclose(loaded.predict_proba(X),
                               to_numpy(model.predict_proba(_strict(X, "device1"))), atol=1e-6)


@pytest.fixture
def torch_one_thread():
    # On a shared 2-core machine PyTorch's intra-op threads can wait on each
    # other for milliseconds per tiny matmul; the numbers do not depend on it.
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield torch
    torch.set_num_threads(before)


def test_training_on_torch_cpu_tensors_gives_numpys_model(torch_one_thread):
    torch = torch_one_thread
    tx = array_api_compat.array_namespace(torch.zeros(1))
    X, y = _data()
    ref, ref_tr = _fit(X, y)
    model, tr = _fit(torch.asarray(X), torch.asarray(y), tx, torch.device("cpu"))
    assert tr.engine_used == "reference"
    np.testing.assert_allclose(tr.history.train_loss, ref_tr.history.train_loss, rtol=1e-5)
    for a, b in zip(model.get_weights(), ref.get_weights(), strict=True):
        assert isinstance(a, torch.Tensor)
        np.testing.assert_allclose(a.numpy(), b, rtol=1e-4, atol=1e-6)
    assert isinstance(model.predict(torch.asarray(X[:3])), torch.Tensor)


def test_cuda_training_matches_numpy(torch_one_thread):
    torch = torch_one_thread
    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU here")
    tx = array_api_compat.array_namespace(torch.zeros(1))
    X, y = _data()
    ref, _ = _fit(X, y)
    dev = torch.device("cuda")
    model, _ = _fit(torch.asarray(X, device=dev), torch.asarray(y, device=dev), tx, dev)
    for a, b in zip(model.get_weights(), ref.get_weights(), strict=True):
        assert a.device.type == "cuda"
        np.testing.assert_allclose(a.cpu().numpy(), b, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("name, device, message", [
    ("numpy", "cuda", "runs on the CPU only"),
    ("torch", "tpu", "unknown device 'tpu'; use cpu, cuda or cuda:N"),
    ("jax", None, "unknown backend 'jax'"),
    ("torch", "cuda:7", "CUDA|does not exist"),
])
def test_resolve_backend_errors_say_what_to_do(name, device, message):
    from softmaxlab.backend import resolve_backend

    pytest.importorskip("torch")
    with pytest.raises(BackendError, match=message):
        resolve_backend(name, device)


def test_resolve_backend_cpu_and_missing_cupy():
    from softmaxlab.backend import resolve_backend

    torch = pytest.importorskip("torch")
    assert resolve_backend("numpy") == (np, None)
    xp, dev = resolve_backend("torch", "cpu")
    assert dev == torch.device("cpu") and xp.asarray([1.0]).device == dev
    try:
        import cupy  # noqa: F401
    except ImportError:
        with pytest.raises(BackendError, match="needs CuPy"):
            resolve_backend("cupy")
