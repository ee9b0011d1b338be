"""Activation layers (ReLU, leaky ReLU, sigmoid, tanh, identity) and the table
of activations by name. Each derivative is computed from what its forward cached."""
from __future__ import annotations

from array_api_compat import array_namespace

from softmaxlab._validation import Interval, Options, validate_params
from softmaxlab.nn.base import Layer
from softmaxlab.nn.functional import sigmoid

__all__ = ["ACTIVATIONS", "Identity", "LeakyReLU", "ReLU", "Sigmoid", "Tanh", "make_activation"]


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


ACTIVATIONS = {
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "sigmoid": Sigmoid,
    "logistic": Sigmoid,
    "tanh": Tanh,
    "identity": Identity,
}


def make_activation(name: str) -> Layer:
    """Activation layer by name: relu, leaky_relu, sigmoid (alias logistic), tanh, identity."""
    validate_params("make_activation", {"name": [Options(*ACTIVATIONS)]}, {"name": name})
    return ACTIVATIONS[name]()

