"""One BLAS call NumPy does not expose: ``C = alpha * X^T @ G + beta * C`` in place.

Why this exists: a plain-SGD step is ``W -= lr * X^T @ G``. With ``matmul``
that is a GEMM that writes the gradient, then two element-wise passes over W
(``tmp = lr * g``; ``W -= tmp``). GEMM's own ``alpha``/``beta`` arguments do
the whole update in one call, without writing the gradient at all; with
momentum ``v = mu * v + g`` is the same call with ``beta = mu``.

Why not ``scipy.linalg.blas.sgemm``: SciPy bundles a *second* OpenBLAS with
its own thread pool. Alternating NumPy's and SciPy's GEMMs inside a training
step makes the two pools' spinning worker threads fight for the cores; on a
2-core machine an MLP epoch went from 0.35 s to 2.8 s (measured, see
benchmarks/README.md). So we call ``cblas_?gemm`` of the OpenBLAS that NumPy
itself loaded, through ``ctypes``.

Only NumPy's own wheels' OpenBLAS (64-bit integer interface, symbols
``scipy_cblas_?gemm64_``) is recognised. Anything else (MKL, Accelerate,
another build) makes :func:`available` return False and callers use
``matmul`` plus a separate update; a one-off self-test against ``matmul``
also has to pass before the binding is used.
"""
from __future__ import annotations

import ctypes
import glob
import os

import numpy as np

__all__ = ["available", "xtg_accumulate"]

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
_SYMBOLS = {np.dtype(np.float32): ("scipy_cblas_sgemm64_", ctypes.c_float),
            np.dtype(np.float64): ("scipy_cblas_dgemm64_", ctypes.c_double)}
_state: dict = {}


def _library_paths() -> list[str]:
    """NumPy's bundled OpenBLAS (``numpy.libs`` on Linux, ``.dylibs`` on macOS)."""
    root = os.path.dirname(os.path.dirname(np.__file__))
    pkg = os.path.dirname(np.__file__)
    found = []
    for pattern in (os.path.join(root, "numpy.libs", "libscipy_openblas64_*"),
                    os.path.join(pkg, ".dylibs", "libscipy_openblas64_*")):
        found.extend(sorted(glob.glob(pattern)))
    return found


def _load() -> dict:
    """Resolve the gemm functions once; {} when not available."""
    funcs = {}
    for path in _library_paths():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for dtype, (name, ctype) in _SYMBOLS.items():
            fn = getattr(lib, name, None)
            if fn is None:
                continue
            i64, ptr = ctypes.c_int64, ctypes.c_void_p
            fn.restype = None
            fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, i64, i64, i64,
                           ctype, ptr, i64, ptr, i64, ctype, ptr, i64]
            funcs[dtype] = (fn, ctype)
        if funcs:
            break
    return funcs


def _self_test(funcs: dict) -> bool:
    """The binding must agree with matmul on a small odd-shaped case per dtype."""
    rng = np.random.default_rng(0)
    for dtype in list(funcs):
        X = rng.standard_normal((7, 5)).astype(dtype)
        G = rng.standard_normal((7, 3)).astype(dtype)
        C = rng.standard_normal((5, 3)).astype(dtype)
        want = -0.5 * (X.T @ G) + 0.25 * C
        _call(funcs[dtype], X, G, C, -0.5, 0.25)
        if not np.allclose(C, want, rtol=1e-4, atol=1e-5):
            return False
    return True


def available(dtype) -> bool:
    """Whether :func:`xtg_accumulate` can run for ``dtype`` (float32/float64)."""
    if "funcs" not in _state:
        funcs = _load()
        _state["funcs"] = funcs if funcs and _self_test(funcs) else {}
    return np.dtype(dtype) in _state["funcs"]


def _call(entry, X, G, C, alpha, beta):
    fn, ctype = entry
    n, a = X.shape
    b = G.shape[1]
    # X^T is operand A: a row-major X is passed transposed; a column-major X
    # (X.T row-major) is X^T as it stands. G is operand B, the other way round.
    ta, lda = (_TRANS, _ld(X)) if _row_major(X) else (_NO_TRANS, _ld(X.T))
    tb, ldb = (_NO_TRANS, _ld(G)) if _row_major(G) else (_TRANS, _ld(G.T))
    fn(_ROW_MAJOR, ta, tb, a, b, n, ctype(alpha), X.ctypes.data, lda, G.ctypes.data, ldb,
       ctype(beta), C.ctypes.data, _ld(C))


def _ld(A: np.ndarray) -> int:
    """Leading dimension of a row-major operand, in items."""
    return A.strides[0] // A.itemsize


def _row_major(A: np.ndarray) -> bool:
    """2-D, unit column stride, row stride a whole number of items >= the width:
    exactly what a row-major BLAS operand with a leading dimension needs."""
    return (A.ndim == 2 and A.strides[1] == A.itemsize and A.strides[0] % A.itemsize == 0
            and A.strides[0] >= max(A.shape[1], 1) * A.itemsize)


def _blas_operand(A: np.ndarray) -> bool:
    """Row-major, or column-major (its transpose row-major): BLAS takes both."""
    return _row_major(A) or (A.ndim == 2 and _row_major(A.T))


def xtg_accumulate(X: np.ndarray, G: np.ndarray, C: np.ndarray, alpha: float, beta: float) -> bool:
    """``C = alpha * X.T @ G + beta * C``, in place, in one GEMM.

    Parameters
    ----------
    X : ndarray of shape (n, a)
    G : ndarray of shape (n, b)
    C : ndarray of shape (a, b), written in place
    alpha, beta : float

    Returns
    -------
    bool
        True if done; False (C untouched) when the binding is unavailable, an
        operand is not a float32/float64 array of C's dtype laid out as BLAS
        needs (rows or columns contiguous), C is not C-contiguous, or C
        overlaps an operand. The caller then falls back to ``matmul``.
    """
    dtype = C.dtype
    if not (X.dtype == G.dtype == dtype and available(dtype)):
        return False
    if not (X.shape[0] == G.shape[0] and C.shape == (X.shape[1], G.shape[1]) and min(X.shape) > 0 and G.shape[1] > 0):
        return False
    # c_contiguous alone is not enough: NumPy calls a (1, b) array with any
    # row stride contiguous, and BLAS needs a leading dimension >= b.
    if not (_blas_operand(X) and _blas_operand(G) and C.flags.c_contiguous and _row_major(C)
            and C.flags.writeable):
        return False
    if np.may_share_memory(C, X) or np.may_share_memory(C, G):
        return False
    _call(_state["funcs"][dtype], X, G, C, alpha, beta)
    return True
