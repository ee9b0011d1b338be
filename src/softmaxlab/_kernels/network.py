"""Forward and backward of a ``Sequential`` of built-in layers, tuned for NumPy.

The same formulas as the layers in ``softmaxlab.nn.layers`` (the reference),
computed with the tricks that make a CPU epoch fast:

* a Linear layer's weight-gradient GEMM can also apply the optimizer's
  update in place (``C = alpha X^T G + beta C``, ``blas.xtg_accumulate``),
  so plain SGD never writes the gradient and momentum SGD updates its
  velocity inside the GEMM;
* the first Linear layer skips ``dL/dX`` (nobody consumes it; it is a full
  GEMM);
* the bias gradient is ``ones @ G`` (one BLAS matrix-vector product: 3.8 us
  for 256 x 256 float32) instead of a reduction over the leading axis
  (11.4 us);
* ReLU is ``maximum(X, zeros)`` against a read-only block of zeros: NumPy
  vectorises the maximum of two arrays but not of an array and a scalar
  (9.5 vs 25.7 us for 256 x 256 float32).

Activations are cached here, not in the layers; the layers' ``grads`` are
written in place (except a weight whose update was fused into its GEMM).
"""
from __future__ import annotations

import math

import numpy as np

from softmaxlab._kernels.blas import xtg_accumulate
from softmaxlab.nn.functional import sigmoid
from softmaxlab.nn.layers import Dropout, Identity, LeakyReLU, Linear, ReLU, Sigmoid, Tanh

__all__ = ["SUPPORTED_LAYERS", "FastNetwork"]

#: Layer classes the fast path knows (exact types: a subclass may change the maths).
SUPPORTED_LAYERS = (Linear, ReLU, LeakyReLU, Sigmoid, Tanh, Identity, Dropout)

#: Largest constant block kept between batches (4 MiB of float32).
_CONST_MAX_ELEMENTS = 1 << 20


class _Constants:
    """Read-only constant blocks (zeros for ReLU, ones for bias sums), one
    per (value, tail, dtype), grown to the largest batch asked for."""

    def __init__(self):
        self.blocks: dict[tuple, np.ndarray] = {}

    def get(self, value, n, tail, dtype):
        """A read-only array of ``value`` of shape (n, *tail); requests above
        ``_CONST_MAX_ELEMENTS`` get a fresh array and are not kept."""
        if n * math.prod(tail) > _CONST_MAX_ELEMENTS:
            return np.full((n, *tail), value, dtype=dtype)
        key = (value, tail, dtype)
        block = self.blocks.get(key)
        if block is None or block.shape[0] < n:
            block = np.full((n, *tail), value, dtype=dtype)
            block.flags.writeable = False
            self.blocks[key] = block
        return block[:n]


class _LinearOp:
    def __init__(self, layer, consts, first):
        self.params, self.grads, self.consts = layer.params, layer.grads, consts
        self.first = first  # the first Linear layer: nobody consumes its dL/dX
        self.fused = False

    def forward(self, X):
        self.X = X
        out = X @ self.params["W"]
        out += self.params["b"]
        return out

    def backward(self, d, accumulate=None):
        """dL/dX (None for the first layer); with ``accumulate = (target,
        alpha, beta)`` the weight-gradient GEMM does ``target = alpha X^T d +
        beta target`` instead of writing ``grads["W"]`` (``self.fused``)."""
        dx = None if self.first else d @ self.params["W"].T  # before any fused update
        self.fused = accumulate is not None and xtg_accumulate(self.X, d, *accumulate)
        if not self.fused:
            np.matmul(self.X.T, d, out=self.grads["W"])
        np.matmul(self.consts.get(1, d.shape[0], (), d.dtype), d, out=self.grads["b"])
        return dx


class _ReLUOp:
    def __init__(self, layer, consts):
        self.consts = consts

    def forward(self, X):
        self.out = np.maximum(X, self.consts.get(0, X.shape[0], X.shape[1:], X.dtype))
        return self.out

    def backward(self, d):
        return d * (self.out > 0)


class _TanhOp:
    def __init__(self, layer, consts):
        pass

    def forward(self, X):
        self.out = np.tanh(X)
        return self.out

    def backward(self, d):
        return d * (1 - self.out * self.out)


class _SigmoidOp(_TanhOp):
    def forward(self, X):
        self.out = sigmoid(X)
        return self.out

    def backward(self, d):
        return d * self.out * (1 - self.out)


class _LeakyReLUOp:
    def __init__(self, layer, consts):
        self.slope = layer.negative_slope

    def forward(self, X):
        self.pos = X > 0
        return np.where(self.pos, X, X * X.dtype.type(self.slope))

    def backward(self, d):
        return np.where(self.pos, d, d * d.dtype.type(self.slope))


class _LayerOp:
    """Dropout (its mask comes from the run's Generator) and Identity run
    the layer's own code, which is NumPy-ready."""

    def __init__(self, layer, consts):
        self.layer = layer

    def forward(self, X):
        return self.layer.forward(X, True)

    def backward(self, d):
        return self.layer.backward(d)


_OPS = {ReLU: _ReLUOp, Tanh: _TanhOp, Sigmoid: _SigmoidOp, LeakyReLU: _LeakyReLUOp,
        Dropout: _LayerOp, Identity: _LayerOp}


class FastNetwork:
    """The training forward/backward of one model on NumPy arrays.

    Parameters
    ----------
    model : Sequential
        Every layer's type is in ``SUPPORTED_LAYERS``; parameters are NumPy.

    Attributes
    ----------
    ops : list
        One op per layer, each with ``forward(X)`` and ``backward(d)``
        (Linear ops: ``backward(d, accumulate=None)``).
    constants : dict
        The cached read-only blocks, by (value, tail, dtype).
    """

    def __init__(self, model):
        self.model = model
        self.layers = list(model.layers)
        self._consts = _Constants()
        self.constants = self._consts.blocks
        first = next(i for i, layer in enumerate(self.layers) if isinstance(layer, Linear))
        self.first_linear = first
        self.ops = [_LinearOp(layer, self._consts, i == first) if type(layer) is Linear
                    else _OPS[type(layer)](layer, self._consts)
                    for i, layer in enumerate(self.layers)]

    def largest_linear_op(self):
        """The op of the Linear layer with the most weights (its forward is
        the step's largest GEMM)."""
        return max((op for op in self.ops if type(op) is _LinearOp),
                   key=lambda op: op.params["W"].size)

    @property
    def fused(self) -> set[int]:
        """Indices of the Linear layers whose last backward fused the update."""
        return {i for i, op in enumerate(self.ops) if getattr(op, "fused", False)}

    def forward(self, X, training=True):
        """Logits (n, n_outputs) for X (n, n_features), saving what backward needs."""
        for op in self.ops:
            X = op.forward(X)
        return X

    def backward(self, dlogits, accumulate=None):
        """Back-propagate; fill the layers' grads (in place), down to the
        first Linear layer (nothing below it has parameters).

        ``accumulate``, optional ``{layer index: (target, alpha, beta)}``:
        those Linear layers fold the optimizer's update into their
        weight-gradient GEMM (see ``_LinearOp.backward``).
        """
        acc = accumulate or {}
        d = dlogits
        ops = self.ops
        for i in range(len(ops) - 1, self.first_linear - 1, -1):
            op = ops[i]
            d = op.backward(d, acc.get(i)) if type(op) is _LinearOp else op.backward(d)
