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
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from array_api_compat import array_namespace, device

from softmaxlab._validation import Interval, Options, Types, validate_params
from softmaxlab.backend import from_numpy, to_numpy
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
    """One trainable array and its gradient (same shape, dtype and device).

    ``value`` and ``grad`` are the very arrays held by the layer, so an
    optimizer that updates ``value`` in place updates the model, and a
    backward pass that writes ``grad`` in place is seen by the optimizer.
    ``decay`` says whether L2 weight decay applies (weights yes, biases no).
    """

    name: str
    value: object
    grad: object
    decay: bool


class Layer:
    """Base class: a parameter-free identity-shaped layer."""

    def __init__(self) -> None:
        self.params: dict = {}
        self.grads: dict = {}

    def forward(self, X, training: bool = False):
        """Compute the output of shape (n_samples, n_out) and cache what backward needs."""
        raise NotImplementedError

    def backward(self, dout):
        """Given dL/d(output) of shape (n_samples, n_out), fill ``grads`` and
        return dL/d(input) of shape (n_samples, n_in)."""
        raise NotImplementedError

    def apply(self, X):
        """Cache-free inference forward (dropout inactive)."""
        raise NotImplementedError

    def parameters(self) -> list[Parameter]:
        """The layer's trainable arrays with their gradients."""
        return [Parameter(k, self.params[k], self.grads[k], k == "W") for k in self.params]

    def zero_grad(self) -> None:
        """Set every gradient to zero, in place."""
        for g in self.grads.values():
            g[...] = 0

    def config(self) -> dict:
        """JSON-able description from which ``layer_from_config`` rebuilds the layer
        (parameters excluded)."""
        return {"type": type(self).__name__}

    def astype(self, dtype) -> Layer:
        """A deep NumPy copy of the layer with parameters cast to ``dtype``
        (float64 for gradient checks)."""
        new = layer_from_config(self.config(), dtype=dtype)
        for k, v in self.params.items():
            new.params[k][...] = to_numpy(v)
        return new

    def to(self, xp, device_=None) -> Layer:
        """Move the parameters (and gradient buffers) to namespace ``xp`` on
        ``device_``, in place; returns self. Drops any cached activations."""
        self.params = {k: from_numpy(to_numpy(v), xp, device_) for k, v in self.params.items()}
        self.grads = {k: from_numpy(to_numpy(v), xp, device_) for k, v in self.grads.items()}
        return self

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


class ReLU(Layer):
    """``max(x, 0)``; its derivative is the indicator ``x > 0`` (0 at the kink)."""

    def forward(self, X, training=False):
        self._out = self.apply(X)
        return self._out

    def apply(self, X):
        return array_namespace(X).maximum(X, 0.0)

    def backward(self, dout):
        # dL/dX = dout where the unit was active, 0 where it was clipped.
        return array_namespace(dout).where(self._out > 0, dout, 0.0)


class LeakyReLU(Layer):
    """``x`` for ``x > 0``, ``negative_slope * x`` otherwise; keeps a small
    gradient for negative inputs so units cannot die."""

    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        validate_params("LeakyReLU", {"negative_slope": [Interval(float, 0, 1, closed="left")]},
                        {"negative_slope": negative_slope})
        self.negative_slope = float(negative_slope)

    def forward(self, X, training=False):
        self._pos = X > 0
        return self.apply(X)

    def apply(self, X):
        return array_namespace(X).where(X > 0, X, self.negative_slope * X)

    def backward(self, dout):
        return array_namespace(dout).where(self._pos, dout, self.negative_slope * dout)

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
        self._out = self.apply(X)
        return self._out

    def apply(self, X):
        return array_namespace(X).tanh(X)

    def backward(self, dout):
        return dout * (1 - self._out * self._out)


class Identity(Layer):
    """``f(x) = x``: a no-op activation (two Linear layers with it between
    them are still one linear model)."""

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
    ``self.rng`` (a NumPy Generator, which the model sets to the run's own)
    and copied to the input's device: the same seed gives the same masks
    whatever the array library.
    """

    def __init__(self, p: float = 0.5, rng: np.random.Generator | None = None):
        super().__init__()
        validate_params("Dropout", {"p": [Interval(float, 0, 1, closed="left")],
                                    "rng": [Options(None), Types(np.random.Generator)]},
                        {"p": p, "rng": rng})
        self.p = float(p)
        self.rng = rng
        self._mask = None

    def forward(self, X, training=False):
        if not training or self.p == 0:
            self._mask = None
            return X
        if self.rng is None:
            raise ValueError("Dropout needs a Generator: call model.set_rng(rng) before training.")
        xp = array_namespace(X)
        keep = self.rng.random(tuple(X.shape), dtype=np.float32) >= self.p
        keep = keep if xp is np else xp.asarray(keep, device=device(X))
        self._mask = xp.astype(keep, X.dtype) * (1.0 / (1.0 - self.p))
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

#: The built-in layer classes, by name (what model files and ``config()`` use).
LAYER_TYPES = {c.__name__: c for c in (Linear, ReLU, LeakyReLU, Sigmoid, Tanh, Identity, Dropout)}


def make_activation(name: str) -> Layer:
    """Activation layer by name: relu, leaky_relu, sigmoid (alias logistic), tanh, identity."""
    try:
        return ACTIVATIONS[name]()
    except (KeyError, TypeError):
        raise ValueError(
            f"Unknown activation {name!r}; valid names are {sorted(ACTIVATIONS)}."
        ) from None


def layer_from_config(cfg: dict, dtype=np.float32) -> Layer:
    """Rebuild a layer (with zero parameters, as NumPy arrays) from ``Layer.config()``."""
    if not isinstance(cfg, dict) or cfg.get("type") not in LAYER_TYPES:
        raise ValueError(
            f"Unknown layer description {cfg!r}; expected a dict with 'type' in {sorted(LAYER_TYPES)}."
        )
    kind = cfg["type"]
    kwargs = {k: v for k, v in cfg.items() if k != "type"}
    if kind == "Linear":
        return Linear(kwargs["n_in"], kwargs["n_out"], init="zeros", dtype=dtype)
    return LAYER_TYPES[kind](**kwargs)
