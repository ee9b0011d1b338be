"""Layers as forward/backward pairs.

Contract (DESIGN.md): a layer has ``params`` and ``grads`` (dicts of arrays
with the same keys), ``forward(X, training)`` that overwrites one cache with
exactly what ``backward`` needs, ``backward(dout)`` that fills ``grads`` and
returns ``dX``, and a cache-free ``apply(X)`` used for prediction. No method
writes into its arguments, with one opt-in exception: ``Linear.backward``'s
``accumulate`` target (an optimizer's buffer or the weight itself), which is
how the Trainer fuses an SGD update into the gradient GEMM.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from softmaxlab.nn._blas import xtg_accumulate
from softmaxlab.nn.functional import sigmoid
from softmaxlab.nn.init import get_initializer

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


@dataclass
class Parameter:
    """One trainable array and its gradient (same shape, same dtype).

    ``value`` and ``grad`` are the very arrays held by the layer, so an
    optimizer that updates ``value`` in place updates the model. ``decay``
    says whether L2 weight decay applies (weights yes, biases no).
    """

    name: str
    value: np.ndarray
    grad: np.ndarray
    decay: bool


_CONST: dict[tuple, np.ndarray] = {}
_CONST_MAX_ELEMENTS = 1 << 20  # 4 MiB of float32 per cached block at most


def _const(value, n, tail, dtype):
    """A read-only array of ``value`` of shape (n, *tail), cut from one cached
    block per (value, tail, dtype) that grows to the largest n asked for.
    The hot loop asks for the same few shapes on every batch; large requests
    (prediction on a whole data set) get a fresh array and are not kept."""
    dtype = np.dtype(dtype)
    if n * math.prod(tail) > _CONST_MAX_ELEMENTS:
        return np.full((n, *tail), value, dtype=dtype)
    key = (value, tail, dtype)
    block = _CONST.get(key)
    if block is None or block.shape[0] < n:
        block = np.full((n, *tail), value, dtype=dtype)
        block.flags.writeable = False
        _CONST[key] = block
    return block[:n]


def _ones(n, dtype):
    """Read-only ones of shape (n,)."""
    return _const(1, n, (), dtype)


def _zeros(shape, dtype):
    """Read-only zeros of ``shape`` (2-D): ``zeros[:n]`` of a cached block."""
    if len(shape) != 2:
        return np.zeros(shape, dtype=dtype)
    return _const(0, shape[0], (shape[1],), dtype)


class Layer:
    """Base class: a parameter-free identity-shaped layer."""

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}

    def forward(self, X: np.ndarray, training: bool = False) -> np.ndarray:
        """Compute the output of shape (n_samples, n_out) and cache what backward needs."""
        raise NotImplementedError

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Given dL/d(output) of shape (n_samples, n_out), fill ``grads`` and
        return dL/d(input) of shape (n_samples, n_in)."""
        raise NotImplementedError

    def apply(self, X: np.ndarray) -> np.ndarray:
        """Cache-free inference forward (dropout inactive)."""
        raise NotImplementedError

    def parameters(self) -> list[Parameter]:
        """The layer's trainable arrays with their gradients."""
        return [Parameter(k, self.params[k], self.grads[k], k == "W") for k in self.params]

    def zero_grad(self) -> None:
        """Set every gradient to zero, in place."""
        for g in self.grads.values():
            g.fill(0)

    def config(self) -> dict:
        """JSON-able description from which ``layer_from_config`` rebuilds the layer
        (parameters excluded)."""
        return {"type": type(self).__name__}

    def astype(self, dtype) -> Layer:
        """A deep copy of the layer with parameters cast to ``dtype``."""
        new = layer_from_config(self.config(), dtype=dtype)
        for k, v in self.params.items():
            new.params[k][...] = v
        return new

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self.config().items() if k != "type")
        return f"{type(self).__name__}({args})"


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
    params : {"W": ndarray (n_in, n_out), "b": ndarray (n_out,)}
    grads : same keys and shapes.

    Notes
    -----
    With upstream gradient ``G = dL/dY`` of shape (n, n_out):
    ``dL/dW = X^T G``, ``dL/db = sum_rows(G)``, ``dL/dX = G W^T``.
    For one sample this is seed 000's ``grad_b = q - onehot(y)``,
    ``grad_W = grad_b x^T`` (transposed, since we store W as (n_in, n_out) so
    that a batch is one row-major GEMM).
    """

    def __init__(self, n_in: int, n_out: int, init="glorot", rng=None, dtype=np.float32):
        super().__init__()
        for name, v in (("n_in", n_in), ("n_out", n_out)):
            if not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"Linear: {name} must be a positive integer, got {v!r}.")
        self.n_in, self.n_out = int(n_in), int(n_out)
        dtype = np.dtype(dtype)
        init_fn = get_initializer(init)
        if rng is None:
            if init_fn is not get_initializer("zeros"):
                raise ValueError(
                    "Linear: pass rng=numpy.random.default_rng(seed) to initialise weights "
                    "(or init='zeros')."
                )
            rng = np.random.default_rng(0)
        self.params = {
            "W": np.ascontiguousarray(init_fn(self.n_in, self.n_out, rng, dtype), dtype=dtype),
            "b": np.zeros(self.n_out, dtype=dtype),
        }
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self._X: np.ndarray | None = None
        self.fused = False  # whether the last backward fused an update into its GEMM

    @classmethod
    def from_weights(cls, W, b=None, dtype=None) -> Linear:
        """Build a Linear layer from given weights.

        Parameters
        ----------
        W : array-like of shape (n_in, n_out)
            Note the layout: seed 000 writes ``W @ x`` with W of shape
            (n_out, n_in); pass its ``W.T``.
        b : array-like of shape (n_out,), optional (zeros)
        dtype : numpy dtype, optional (W's float dtype, else float32)
        """
        W = np.asarray(W)
        if W.ndim != 2:
            raise ValueError(f"Linear.from_weights: W must be 2-D (n_in, n_out), got shape {W.shape}.")
        if dtype is None:
            dtype = W.dtype if W.dtype.kind == "f" else np.float32
        layer = cls(W.shape[0], W.shape[1], init="zeros", dtype=dtype)
        layer.params["W"][...] = W
        if b is not None:
            b = np.asarray(b)
            if b.shape != (W.shape[1],):
                raise ValueError(
                    f"Linear.from_weights: b must have shape ({W.shape[1]},) to match W {W.shape}, "
                    f"got {b.shape}."
                )
            layer.params["b"][...] = b
        return layer

    def forward(self, X, training=False):
        self._X = X
        return self.apply(X)

    def apply(self, X):
        out = X @ self.params["W"]
        out += self.params["b"]
        return out

    def backward(self, dout, need_dx: bool = True, accumulate=None):
        """Fill grads; return dX, or None when ``need_dx`` is False (the first
        layer of a model: nobody consumes dL/dX, and it costs a full GEMM).

        ``accumulate``, optional ``(target, alpha, beta)``: instead of writing
        ``grads["W"]``, compute ``target = alpha * X^T @ dout + beta * target``
        in place in one GEMM (an optimizer's update fused into the gradient
        product, see ``Optimizer.gemm_update``). ``grads["W"]`` is then left
        as it was; dX is computed first, from the weights before the update.
        """
        X = self._X
        dx = dout @ self.params["W"].T if need_dx else None
        if accumulate is None or not xtg_accumulate(X, dout, *accumulate):
            np.matmul(X.T, dout, out=self.grads["W"])
            accumulate = None
        # The bias gradient is the column sum of dout, done as ones @ dout:
        # one BLAS matrix-vector product (3.8 us for 256 x 256 float32)
        # instead of NumPy's reduction over the leading axis (11.4 us).
        np.matmul(_ones(dout.shape[0], dout.dtype), dout, out=self.grads["b"])
        self.fused = accumulate is not None
        return dx

    def config(self):
        return {"type": "Linear", "n_in": self.n_in, "n_out": self.n_out}


class ReLU(Layer):
    """``max(x, 0)``; its derivative is the indicator ``x > 0`` (0 at the kink)."""

    def forward(self, X, training=False):
        self._out = self.apply(X)
        return self._out

    def apply(self, X):
        # max(X, zeros) rather than max(X, 0): NumPy vectorises maximum of two
        # arrays but not of an array and a broadcast scalar (9.5 vs 25.7 us
        # for 256 x 256 float32). Same values, NaN still propagates.
        return np.maximum(X, _zeros(X.shape, X.dtype))

    def backward(self, dout):
        return dout * (self._out > 0)


class LeakyReLU(Layer):
    """``x`` for ``x > 0``, ``negative_slope * x`` otherwise; keeps a small
    gradient for negative inputs so units cannot die."""

    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        if not (np.isfinite(negative_slope) and 0 <= negative_slope < 1):
            raise ValueError(
                f"LeakyReLU: negative_slope must be in [0, 1), got {negative_slope!r}."
            )
        self.negative_slope = float(negative_slope)

    def forward(self, X, training=False):
        self._pos = X > 0
        return np.where(self._pos, X, X * X.dtype.type(self.negative_slope))

    def apply(self, X):
        return np.where(X > 0, X, X * X.dtype.type(self.negative_slope))

    def backward(self, dout):
        return np.where(self._pos, dout, dout * dout.dtype.type(self.negative_slope))

    def config(self):
        return {"type": "LeakyReLU", "negative_slope": self.negative_slope}


class Sigmoid(Layer):
    """Logistic ``s(x)``; ``ds/dx = s (1 - s)``, computed from the cached output."""

    def forward(self, X, training=False):
        self._out = sigmoid(X)
        return self._out

    def apply(self, X):
        return sigmoid(X)

    def backward(self, dout):
        s = self._out
        return dout * s * (1 - s)


class Tanh(Layer):
    """``tanh(x)``; ``d tanh/dx = 1 - tanh^2``, computed from the cached output."""

    def forward(self, X, training=False):
        self._out = np.tanh(X)
        return self._out

    def apply(self, X):
        return np.tanh(X)

    def backward(self, dout):
        return dout * (1 - self._out * self._out)


class Identity(Layer):
    """``f(x) = x``: no-op activation (seed 001's 'linear model' of two Linear layers)."""

    def forward(self, X, training=False):
        return X

    def apply(self, X):
        return X

    def backward(self, dout):
        return dout


class Dropout(Layer):
    """Inverted dropout with drop probability ``p``.

    In training each unit is zeroed with probability ``p`` and survivors are
    scaled by ``1/(1-p)``, so the expected activation equals the inference-time
    activation and prediction needs no rescaling. The mask is drawn from
    ``self.rng``, which the model sets to the run's Generator.
    """

    def __init__(self, p: float = 0.5, rng: np.random.Generator | None = None):
        super().__init__()
        if not (isinstance(p, (int, float, np.floating)) and 0 <= p < 1):
            raise ValueError(f"Dropout: p must be in [0, 1), got {p!r}.")
        self.p = float(p)
        self.rng = rng
        self._mask = None

    def forward(self, X, training=False):
        if not training or self.p == 0:
            self._mask = None
            return X
        if self.rng is None:
            raise ValueError("Dropout needs a Generator: call model.set_rng(rng) before training.")
        keep = self.rng.random(X.shape, dtype=np.float32) >= self.p
        self._mask = keep.astype(X.dtype) * X.dtype.type(1.0 / (1.0 - self.p))
        return X * self._mask

    def apply(self, X):
        return X

    def backward(self, dout):
        return dout if self._mask is None else dout * self._mask

    def config(self):
        return {"type": "Dropout", "p": self.p}


ACTIVATIONS = {
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "sigmoid": Sigmoid,
    "logistic": Sigmoid,
    "tanh": Tanh,
    "identity": Identity,
}

_LAYER_TYPES = {c.__name__: c for c in (Linear, ReLU, LeakyReLU, Sigmoid, Tanh, Identity, Dropout)}


def make_activation(name: str) -> Layer:
    """Activation layer by name: relu, leaky_relu, sigmoid (alias logistic), tanh, identity."""
    try:
        return ACTIVATIONS[name]()
    except (KeyError, TypeError):
        raise ValueError(
            f"Unknown activation {name!r}; valid names are {sorted(ACTIVATIONS)}."
        ) from None


def layer_from_config(cfg: dict, dtype=np.float32) -> Layer:
    """Rebuild a layer (with zero parameters) from ``Layer.config()``."""
    if not isinstance(cfg, dict) or cfg.get("type") not in _LAYER_TYPES:
        raise ValueError(
            f"Unknown layer description {cfg!r}; expected a dict with 'type' in {sorted(_LAYER_TYPES)}."
        )
    kind = cfg["type"]
    kwargs = {k: v for k, v in cfg.items() if k != "type"}
    if kind == "Linear":
        return Linear(kwargs["n_in"], kwargs["n_out"], init="zeros", dtype=dtype)
    return _LAYER_TYPES[kind](**kwargs)
