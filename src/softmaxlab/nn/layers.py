"""Layers as forward/backward pairs: the reference maths.

Contract (docs/ENGINE_API.md): a layer has ``params`` and ``grads`` (dicts of arrays
with the same keys), ``forward(X, training)`` that overwrites one cache with
exactly what ``backward`` needs, ``backward(dout)`` that fills ``grads`` and
returns ``dX``, and a cache-free ``apply(X)`` used for prediction. No method
writes into its arguments.

Every formula is written against the array namespace of its input
(``array_api_compat.array_namespace``), so it runs unchanged on NumPy,
PyTorch, CuPy or array-api-strict arrays. Parameters are created as NumPy
arrays from the run's Generator and moved with ``to(xp, device)``. The
NumPy-only speed work (a GEMM that also applies the SGD update, cached
constants) is elsewhere, in the private fast path ``softmaxlab._kernels``,
which is tested to compute the same numbers as these lines.

This module holds the affine layer and gathers every built-in layer under one
import: the contract's base class is in ``softmaxlab.nn.base``, the
activations in ``softmaxlab.nn.activations``, dropout in ``softmaxlab.nn.dropout``.
"""
from __future__ import annotations

import numpy as np
from array_api_compat import array_namespace

from softmaxlab._validation import Interval, validate_params
from softmaxlab.nn.activations import (
    ACTIVATIONS,
    Identity,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Tanh,
    make_activation,
)
from softmaxlab.nn.base import LAYER_TYPES, Layer, Parameter, layer_from_config
from softmaxlab.nn.dropout import Dropout
from softmaxlab.nn.init import get_initializer
from softmaxlab.errors import InputError

__all__ = [
    "ACTIVATIONS",
    "Dropout",
    "Identity",
    "Layer",
    "LeakyReLU",
    "Linear",
    "Parameter",
    "ReLU",
    "Sigmoid",
    "Tanh",
    "layer_from_config",
    "make_activation",
]


class Linear(Layer):
    """Affine layer ``Y = X @ W + b``.

    Parameters
    ----------
    n_in, n_out : int
        Input and output widths.
    init : str or callable, default="glorot"
        ``glorot``/``xavier``, ``he``/``kaiming``, ``normal`` (std 0.01),
        ``zeros``, or ``softmaxlab.nn.init.normal(std)``.
    rng : numpy.random.Generator, optional
        Needed unless ``init="zeros"``; pass the run's Generator.
    dtype : numpy dtype, default=float32

    Attributes
    ----------
    params : {"W": array (n_in, n_out), "b": array (n_out,)}
    grads : same keys and shapes.

    Notes
    -----
    With upstream gradient ``G = dL/dY`` of shape (n, n_out), the chain rule
    through ``Y_ij = sum_k X_ik W_kj + b_j`` gives::

        dL/dW = X^T G          (n_in, n_out)
        dL/db = sum_rows(G)    (n_out,)
        dL/dX = G W^T          (n, n_in)

    For one sample with the fused softmax loss this is the textbook
    ``grad_b = q - onehot(y)``, ``grad_W = x grad_b^T`` (W is stored as
    (n_in, n_out), so a batch is one row-major product ``X @ W``).
    """

    def __init__(self, n_in: int, n_out: int, init="glorot", rng=None, dtype=np.float32):
        super().__init__()
        validate_params("Linear", {"n_in": [Interval(int, 1)], "n_out": [Interval(int, 1)]},
                        {"n_in": n_in, "n_out": n_out})
        self.n_in, self.n_out = int(n_in), int(n_out)
        dtype = np.dtype(dtype)
        init_fn = get_initializer(init)
        if rng is None:
            if init_fn is not get_initializer("zeros"):
                raise InputError(
                    "Linear: pass rng=numpy.random.default_rng(seed) to initialise weights "
                    "(or init='zeros')."
                )
            rng = np.random.default_rng(0)
        self.params = {
            "W": np.ascontiguousarray(init_fn(self.n_in, self.n_out, rng, dtype), dtype=dtype),
            "b": np.zeros(self.n_out, dtype=dtype),
        }
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self._X = None

    @classmethod
    def from_weights(cls, W, b=None, dtype=None) -> Linear:
        """Build a Linear layer from given weights.

        Parameters
        ----------
        W : array-like of shape (n_in, n_out)
            Note the layout: a formula written ``W @ x`` with W of shape
            (n_out, n_in) needs its ``W.T`` here.
        b : array-like of shape (n_out,), optional (zeros)
        dtype : numpy dtype, optional (W's float dtype, else float32)
        """
        W = np.asarray(W)
        if W.ndim != 2:
            raise InputError(f"Linear.from_weights: W must be 2-D (n_in, n_out), got shape {W.shape}.")
        if dtype is None:
            dtype = W.dtype if W.dtype.kind == "f" else np.float32
        layer = cls(W.shape[0], W.shape[1], init="zeros", dtype=dtype)
        layer.params["W"][...] = W
        if b is not None:
            b = np.asarray(b)
            if b.shape != (W.shape[1],):
                raise InputError(
                    f"Linear.from_weights: b must have shape ({W.shape[1]},) to match W {W.shape}, "
                    f"got {b.shape}."
                )
            layer.params["b"][...] = b
        return layer

    def forward(self, X, training=False):
        self._X = X                           # backward needs the input for dL/dW
        return self.apply(X)

    def apply(self, X):
        return X @ self.params["W"] + self.params["b"]

    def backward(self, dout):
        xp = array_namespace(dout)
        self.grads["W"][...] = self._X.T @ dout          # dL/dW = X^T G
        self.grads["b"][...] = xp.sum(dout, axis=0)      # dL/db = column sums of G
        return dout @ self.params["W"].T                 # dL/dX = G W^T

    def config(self):
        return {"type": "Linear", "n_in": self.n_in, "n_out": self.n_out}


#: Every built-in layer is rebuilt by name from its ``config()``.
LAYER_TYPES.update(
    {c.__name__: c for c in (Linear, ReLU, LeakyReLU, Sigmoid, Tanh, Identity, Dropout)}
)
