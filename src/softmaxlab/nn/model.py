"""``Sequential``: a stack of layers, its training and prediction paths, where
its parameters live, and its architecture and weights as data."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from array_api_compat import array_namespace, device, is_numpy_array

from softmaxlab._validation import Options, check_logits, validate_params
from softmaxlab.backend import from_numpy, numpy_dtype, to_numpy
from softmaxlab.nn.dropout import Dropout
from softmaxlab.nn.functional import log_sigmoid, log_softmax, sigmoid, softmax
from softmaxlab.nn.layers import Layer, Linear, Parameter, layer_from_config
from softmaxlab.errors import InputError

__all__ = ["OUTPUTS", "Sequential"]


OUTPUTS = ("softmax", "sigmoid")

# What Sequential accepts (one table; see softmaxlab._validation.params).
_CONSTRAINTS = {"output": [Options(*OUTPUTS)]}


class Sequential:
    """A stack of layers applied in order; the last one produces logits.

    Parameters
    ----------
    layers : sequence of Layer
    output : {"softmax", "sigmoid"}, default="softmax"
        How logits become probabilities. ``"softmax"``: one distribution
        over C classes per row (logits (n, C), integer labels).
        ``"sigmoid"``: an independent logistic unit per output column
        (logits (n, L), 0/1 targets): binary classification with one unit,
        or multilabel classification with L units.

    Notes
    -----
    ``forward`` caches for ``backward``; ``predict_logits`` and the
    ``predict*`` methods use each layer's cache-free ``apply``, so predicting
    never disturbs a training step and never keeps activations alive.
    The parameters live in one array library on one device (NumPy on the
    CPU when built; see ``to``), and so must the inputs.
    """

    def __init__(self, layers: Sequence[Layer], output: str = "softmax"):
        self.layers = list(layers)
        if not self.layers:
            raise InputError("Sequential needs at least one layer.")
        validate_params("Sequential", _CONSTRAINTS, {"output": output})
        self.output = output

    # ---- training path -------------------------------------------------
    def forward(self, X, training: bool = False):
        """Logits of shape (n_samples, n_outputs) for X of shape (n_samples, n_features),
        caching what ``backward`` needs. ``training`` turns dropout on."""
        for layer in self.layers:
            X = layer.forward(X, training)
        return X

    def backward(self, dlogits):
        """Back-propagate dL/dlogits (n_samples, n_outputs) through every layer,
        last to first, filling each layer's grads.

        Returns
        -------
        dL/dX of shape (n_samples, n_features)
        """
        d = dlogits
        for layer in reversed(self.layers):
            d = layer.backward(d)
        return d

    def parameters(self) -> list[Parameter]:
        """Every trainable array with its gradient, in layer order."""
        return [
            Parameter(f"{i}.{p.name}", p.value, p.grad, p.decay)
            for i, layer in enumerate(self.layers) for p in layer.parameters()
        ]

    def zero_grad(self) -> None:
        """Set all gradients to zero."""
        for layer in self.layers:
            layer.zero_grad()

    def set_rng(self, rng: np.random.Generator | None) -> None:
        """Give every dropout layer the run's Generator."""
        for layer in self.layers:
            if isinstance(layer, Dropout):
                layer.rng = rng

    # ---- prediction path ------------------------------------------------
    def predict_logits(self, X):
        """Cache-free logits of shape (n_samples, n_outputs)."""
        for layer in self.layers:
            X = layer.apply(X)
        return X

    def predict_proba(self, X):
        """Probabilities of shape (n_samples, n_outputs): softmax rows that sum
        to 1 (``output="softmax"``), or each unit's sigmoid (``"sigmoid"``).
        Raises NumericalOverflowError rather than return NaN for overflowing logits."""
        z = check_logits(self.predict_logits(X))
        return softmax(z) if self.output == "softmax" else sigmoid(z)

    def predict_log_proba(self, X):
        """Log-probabilities of shape (n_samples, n_outputs), always finite
        (NumericalOverflowError for overflowing logits)."""
        z = check_logits(self.predict_logits(X))
        return log_softmax(z) if self.output == "softmax" else log_sigmoid(z)

    def predict(self, X):
        """Class indices of shape (n_samples,) (first index wins a tie) for
        ``"softmax"``; the 0/1 matrix ``logits > 0`` of shape (n_samples,
        n_outputs), i.e. probability above 1/2, for ``"sigmoid"``."""
        z = check_logits(self.predict_logits(X))
        xp = array_namespace(z)
        if self.output == "softmax":
            return xp.argmax(z, axis=1)
        return xp.astype(z > 0, xp.int64)

    # ---- where the parameters live ----------------------------------------
    def to(self, xp, device_=None) -> Sequential:
        """Move every parameter to namespace ``xp`` (``array_api_compat.
        array_namespace`` of an array) on ``device_``, in place; returns self.
        Optimizers must be built after the move."""
        for layer in self.layers:
            layer.to(xp, device_)
        return self

    @property
    def namespace(self):
        """The array namespace of the parameters."""
        return array_namespace(self.linear_layers[0].params["W"])

    @property
    def device(self):
        """The device of the parameters (``"cpu"`` for NumPy)."""
        return device(self.linear_layers[0].params["W"])

    # ---- introspection and copies -----------------------------------------
    @property
    def linear_layers(self) -> list[Linear]:
        return [layer for layer in self.layers if isinstance(layer, Linear)]

    @property
    def n_features(self) -> int:
        return self.linear_layers[0].n_in

    @property
    def n_outputs(self) -> int:
        """Width of the logits: classes for softmax, units for sigmoid."""
        return self.linear_layers[-1].n_out

    @property
    def n_classes(self) -> int:
        """Width of the logits (kept under this name for softmax models)."""
        return self.n_outputs

    @property
    def dtype(self):
        """The parameters' dtype, as an object of their namespace."""
        return self.linear_layers[0].params["W"].dtype

    def get_weights(self) -> list:
        """Copies of every parameter array, in ``parameters()`` order, in the
        parameters' namespace and on their device."""
        return [_copy(p.value) for p in self.parameters()]

    def set_weights(self, weights: Sequence) -> None:
        """Copy arrays (in ``parameters()`` order) into the parameters, in place.
        NumPy arrays are moved to the parameters' namespace and device."""
        params = self.parameters()
        if len(weights) != len(params):
            raise InputError(f"set_weights: expected {len(params)} arrays, got {len(weights)}.")
        for p, w in zip(params, weights, strict=True):
            if tuple(w.shape) != tuple(p.value.shape):
                raise InputError(f"set_weights: {p.name} has shape {tuple(p.value.shape)}, "
                                 f"got {tuple(w.shape)}.")
            if is_numpy_array(p.value):
                p.value[...] = to_numpy(w)
            else:
                if is_numpy_array(w):
                    # Cast on the host: the device may lack w's dtype (float64).
                    w = from_numpy(w.astype(numpy_dtype(p.value.dtype), copy=False),
                                   array_namespace(p.value), device(p.value))
                p.value[...] = w

    def config(self) -> list[dict]:
        """JSON-able architecture (no parameters)."""
        return [layer.config() for layer in self.layers]

    @classmethod
    def from_config(cls, config: list[dict], dtype=np.float32, output: str = "softmax") -> Sequential:
        """Rebuild an architecture with zero parameters from ``config()``."""
        if not isinstance(config, list):
            raise InputError(f"Model architecture must be a list of layer descriptions, got {config!r}.")
        return cls([layer_from_config(c, dtype=dtype) for c in config], output=output)

    def astype(self, dtype) -> Sequential:
        """A deep NumPy copy with parameters cast to ``dtype`` (float64 for gradient checks)."""
        return Sequential([layer.astype(dtype) for layer in self.layers], output=self.output)

    def copy(self) -> Sequential:
        """A deep copy with the same dtype, namespace and device."""
        new = self.astype(numpy_dtype(self.dtype))
        if not is_numpy_array(self.linear_layers[0].params["W"]):
            new.to(self.namespace, self.device)
        return new

    def __repr__(self) -> str:
        inner = ",\n  ".join(repr(layer) for layer in self.layers)
        extra = "" if self.output == "softmax" else f", output={self.output!r}"
        return f"Sequential(\n  {inner}\n{extra})"


def _copy(a):
    xp = array_namespace(a)
    return xp.asarray(a, copy=True)
