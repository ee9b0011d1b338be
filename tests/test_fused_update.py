"""The optimizer update fused into the weight-gradient GEMM, on the fast path.

``softmaxlab._kernels.blas.xtg_accumulate`` calls NumPy's own OpenBLAS; the
fast path uses it for plain SGD and classical momentum. These tests pin the
binding against ``matmul`` for every layout it accepts, check that it
refuses what it cannot do (leaving C untouched), and that fused training
gives the same weights as the unfused path (which the PyTorch parity tests
cover) for every optimizer setting, fused or not.
"""
from __future__ import annotations

import numpy as np
import pytest

import softmaxlab._kernels.epoch as epoch_mod
from softmaxlab._kernels.blas import available, xtg_accumulate
from softmaxlab._kernels.epoch import FastPath
from softmaxlab._kernels.options import fast_path_options
from softmaxlab.nn import mlp, softmax_regression
from softmaxlab.optim import SGD, Adam
from softmaxlab.train import Trainer

needs_blas = pytest.mark.skipif(not available(np.float32),
                                reason="NumPy's bundled OpenBLAS is not the BLAS in use")


@needs_blas
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_order", ["C", "F"])
@pytest.mark.parametrize("g_order", ["C", "F"])
@pytest.mark.parametrize("alpha,beta", [(1.0, 0.0), (-0.1, 1.0), (1.0, 0.9), (0.5, -2.0)])
def test_xtg_accumulate_matches_matmul(dtype, x_order, g_order, alpha, beta):
    rng = np.random.default_rng(0)
    X = np.asarray(rng.standard_normal((37, 11)), dtype=dtype, order=x_order)
    G = np.asarray(rng.standard_normal((37, 5)), dtype=dtype, order=g_order)
    C = rng.standard_normal((11, 5)).astype(dtype)
    want = alpha * (X.T.astype(np.float64) @ G) + beta * C.astype(np.float64)
    assert xtg_accumulate(X, G, C, alpha, beta)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(C, want, rtol=tol, atol=tol)


@needs_blas
def test_xtg_accumulate_single_row_c_with_odd_strides():
    """A (1, b) C whose row stride is smaller than b items (a transposed
    column): NumPy calls it C-contiguous, BLAS would reject its ldc. Either
    refused or right, never wrong."""
    rng = np.random.default_rng(4)
    X = rng.standard_normal((6, 1))
    G = rng.standard_normal((6, 5))
    C = np.zeros((5, 1)).T
    want = X.T @ G
    if xtg_accumulate(X, G, C, 1.0, 0.0):
        np.testing.assert_allclose(C, want, rtol=1e-12)
    else:
        np.testing.assert_array_equal(C, 0.0)


@needs_blas
def test_xtg_accumulate_strided_views():
    rng = np.random.default_rng(1)
    big = rng.standard_normal((40, 30))
    X, G = big[::2, 3:9], big[::2, 20:24]      # row strides 60 items, not contiguous
    C = np.ones((6, 4))
    assert xtg_accumulate(X, G, C, 2.0, 1.0)
    np.testing.assert_allclose(C, 2.0 * X.T @ G + 1.0, rtol=1e-12)


@needs_blas
@pytest.mark.parametrize("case", ["dtype_mismatch", "c_fortran", "c_overlaps_x", "shape", "empty",
                                  "float16", "column_strided", "read_only"])
def test_xtg_accumulate_refuses_and_leaves_c_untouched(case):
    rng = np.random.default_rng(2)
    X = rng.standard_normal((8, 6)).astype(np.float32)
    G = rng.standard_normal((8, 4)).astype(np.float32)
    C = rng.standard_normal((6, 4)).astype(np.float32)
    if case == "dtype_mismatch":
        G = G.astype(np.float64)
    elif case == "c_fortran":
        C = np.asfortranarray(C)
    elif case == "c_overlaps_x":
        X = np.zeros((8, 6), np.float32)
        C = X.reshape(-1)[:24].reshape(6, 4)   # C-contiguous, and inside X
    elif case == "shape":
        C = rng.standard_normal((5, 4)).astype(np.float32)
    elif case == "empty":
        X, G = X[:0], G[:0]
    elif case == "float16":
        X, G, C = X.astype(np.float16), G.astype(np.float16), C.astype(np.float16)
    elif case == "column_strided":
        X = rng.standard_normal((8, 12)).astype(np.float32)[:, ::2]
    elif case == "read_only":
        C.flags.writeable = False
    before = C.copy()
    assert not xtg_accumulate(X, G, C, 1.0, 1.0)
    np.testing.assert_array_equal(C, before)


def _data(n=300, d=300, c=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = (X[:, :c] ** 2).argmax(axis=1)
    return X, y


def _train(opt_factory, fuse, dtype=np.float64, hidden=(256,), epochs=2, min_size=None,
           monkeypatch=None):
    X, y = _data()
    model = mlp(X.shape[1], list(hidden), 4, rng=np.random.default_rng(3), dtype=dtype)
    if min_size is not None:
        monkeypatch.setattr(epoch_mod, "FUSE_MIN_SIZE", min_size)
    tr = Trainer(model, opt_factory(model.parameters()), batch_size=32, rng=5)
    with fast_path_options(fuse=fuse):
        tr.fit(X.astype(dtype), y, epochs=epochs)
    assert tr.engine_used == "fast"
    return model, tr


def _fused(tr):
    """Indices of the Linear layers whose last backward fused the update."""
    return tr.fast_path.network.fused


OPTIMIZERS = {
    "sgd": lambda p: SGD(p, lr=0.05),
    "momentum": lambda p: SGD(p, lr=0.02, momentum=0.9),
    "nesterov": lambda p: SGD(p, lr=0.02, momentum=0.9, nesterov=True),
    "sgd_decay": lambda p: SGD(p, lr=0.05, weight_decay=1e-3),
    "momentum_decay": lambda p: SGD(p, lr=0.02, momentum=0.5, weight_decay=1e-3),
    "adam": lambda p: Adam(p, lr=1e-3),
}
FUSES = {"sgd": True, "momentum": True, "nesterov": False, "sgd_decay": False,
         "momentum_decay": False, "adam": False}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_fused_training_equals_unfused(name):
    """Same weights (to float64 rounding) with and without fusion; and fusion
    happens exactly where the optimizer offers it (300 x 256 first layer)."""
    fused, tr = _train(OPTIMIZERS[name], fuse=True)
    plain, _ = _train(OPTIMIZERS[name], fuse=False)
    assert (0 in _fused(tr)) is (FUSES[name] and available(np.float64))
    assert 2 not in _fused(tr)        # 256 x 4: below FUSE_MIN_SIZE
    for a, b in zip(fused.get_weights(), plain.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    assert np.isfinite(tr.history.train_loss).all()


@needs_blas
@pytest.mark.parametrize("name", ["sgd", "momentum"])
def test_every_layer_fused_when_threshold_is_lowered(name, monkeypatch):
    """With FUSE_MIN_SIZE = 1 every Linear layer (including the 256 x 4
    output layer, whose dL/dX is needed) fuses; weights still match."""
    fused, tr = _train(OPTIMIZERS[name], fuse=True, hidden=(64, 32), min_size=1,
                       monkeypatch=monkeypatch)
    assert _fused(tr) == {0, 2, 4}
    plain, _ = _train(OPTIMIZERS[name], fuse=False, hidden=(64, 32))
    for a, b in zip(fused.get_weights(), plain.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


@needs_blas
def test_fused_float32_close_and_deterministic(monkeypatch):
    # A fixed BLAS team: with the default, a machine busy enough for the team
    # to move to one thread in one run and not the other changes the last bits.
    monkeypatch.setenv("SOFTMAXLAB_BLAS_THREADS", "2")
    a, tr = _train(OPTIMIZERS["sgd"], fuse=True, dtype=np.float32)
    b, _ = _train(OPTIMIZERS["sgd"], fuse=True, dtype=np.float32)
    c, _ = _train(OPTIMIZERS["sgd"], fuse=False, dtype=np.float32)
    assert 0 in _fused(tr)
    for wa, wb, wc in zip(a.get_weights(), b.get_weights(), c.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)                 # same seed, same bits
        np.testing.assert_allclose(wa, wc, rtol=1e-3, atol=1e-5)


def test_unavailable_blas_falls_back(monkeypatch):
    """Without the binding (another BLAS), training takes the matmul path."""
    import softmaxlab._kernels.blas as blas

    monkeypatch.setitem(blas._state, "funcs", {})
    monkeypatch.setattr(epoch_mod, "blas_available", blas.available)
    model, tr = _train(OPTIMIZERS["sgd"], fuse=True)
    assert not _fused(tr)
    assert tr.fast_path.fusable() == []


def test_softmax_regression_is_not_fused():
    model = softmax_regression(784, 10, rng=np.random.default_rng(0))
    opt = SGD(model.parameters(), lr=0.1)
    fast = FastPath(model, opt, Trainer(model, opt).loss)
    assert fast.fusable() == []          # 7840 weights < FUSE_MIN_SIZE
