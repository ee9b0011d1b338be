"""``Sequential`` and the two model builders: softmax regression and MLP."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from array_api_compat import array_namespace, device, is_numpy_array

from softmaxlab._validation import (
    Interval,
    ListOf,
    Options,
    Types,
    check_logits,
    validate_params,
)
from softmaxlab.backend import from_numpy, numpy_dtype, to_numpy
from softmaxlab.nn.functional import log_sigmoid, log_softmax, sigmoid, softmax
from softmaxlab.nn.layers import (
    ACTIVATIONS,
    Dropout,
    Layer,
    Linear,
    Parameter,
    layer_from_config,
    make_activation,
)

__all__ = ["OUTPUTS", "Sequential", "from_weights", "mlp", "softmax_regression"]


OUTPUTS = ("softmax", "sigmoid")


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
            raise ValueError("Sequential needs at least one layer.")
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
            raise ValueError(f"set_weights: expected {len(params)} arrays, got {len(weights)}.")
        for p, w in zip(params, weights, strict=True):
            if tuple(w.shape) != tuple(p.value.shape):
                raise ValueError(f"set_weights: {p.name} has shape {tuple(p.value.shape)}, "
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
            raise ValueError(f"Model architecture must be a list of layer descriptions, got {config!r}.")
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


# What the model builders accept (one table; see softmaxlab._validation.params).
_CONSTRAINTS = {
    "n_features": [Interval(int, 1)],
    "n_classes": [Interval(int, 1)],
    "hidden": [ListOf(Interval(int, 1))],
    "activation": [Options(*ACTIVATIONS)],
    "dropout": [Interval(float, 0, 1, closed="left")],
    "rng": [Options(None), Types(np.random.Generator, what="a numpy.random.Generator")],
    "output": [Options(*OUTPUTS)],
}


def _check_outputs(n_outputs, output: str) -> None:
    # One class makes the softmax identically 1 and the loss identically 0:
    # nothing could ever be learned, so it is a mistake in the labels. (One
    # sigmoid unit is binary classification.)
    if output == "softmax" and isinstance(n_outputs, (int, np.integer)) and n_outputs == 1:
        raise ValueError("n_classes must be at least two (a 1-class model always predicts that class "
                         "with loss 0); check that the labels hold more than one class, or use "
                         "output='sigmoid' for one logistic unit.")


def _default_init(activation: str) -> str:
    return "he" if activation in ("relu", "leaky_relu") else "glorot"


def softmax_regression(n_features: int, n_classes: int, *, init="normal", rng=None,
                       dtype=np.float32, output: str = "softmax") -> Sequential:
    """Multinomial logistic regression: one ``Linear(n_features, n_classes)``.

    Parameters
    ----------
    n_features, n_classes : int
        With ``output="sigmoid"``, ``n_classes`` is the number of logistic
        units (1 for binary logistic regression).
    init : str or callable, default="normal" (std 0.01)
    rng : numpy.random.Generator
    dtype : numpy dtype, default=float32
    output : {"softmax", "sigmoid"}, default="softmax"

    Returns
    -------
    Sequential mapping (n_samples, n_features) to logits (n_samples, n_classes).
    """
    validate_params("softmax_regression", _CONSTRAINTS, {
        "n_features": n_features, "n_classes": n_classes, "rng": rng, "output": output})
    _check_outputs(n_classes, output)
    return Sequential([Linear(n_features, n_classes, init=init, rng=rng, dtype=dtype)], output=output)


def mlp(n_features: int, hidden: Sequence[int], n_classes: int, *, activation: str = "relu",
        dropout: float = 0.0, init: str | None = None, rng=None, dtype=np.float32,
        output: str = "softmax") -> Sequential:
    """Multilayer perceptron ``Linear -> act [-> Dropout] -> ... -> Linear``.

    Parameters
    ----------
    n_features : int
    hidden : sequence of int
        Hidden-layer widths, e.g. ``(256, 128)``; empty gives softmax regression.
    n_classes : int
        Output width: classes for ``output="softmax"``, logistic units for
        ``output="sigmoid"``.
    activation : {"relu", "leaky_relu", "tanh", "sigmoid", "logistic", "identity"}
    dropout : float in [0, 1), default=0
        Inverted dropout after every hidden activation.
    init : str or callable, optional
        Applied to every layer when given. Default: He for hidden layers with
        ReLU-like activations, Glorot for other activations, and N(0, 0.01^2)
        for the output layer, so an untrained model predicts nearly uniform
        probabilities and its loss starts at log C (a large output layer
        starts from confident random guesses, a loss well above log C, and on
        digits trains measurably worse).
    rng : numpy.random.Generator
        Used for initialisation and, later, dropout masks.
    dtype : numpy dtype, default=float32
    output : {"softmax", "sigmoid"}, default="softmax"

    Returns
    -------
    Sequential mapping (n_samples, n_features) to logits (n_samples, n_classes).
    """
    hidden = list(hidden) if isinstance(hidden, (list, tuple, range)) else hidden
    validate_params("mlp", _CONSTRAINTS, {
        "n_features": n_features, "hidden": hidden, "n_classes": n_classes,
        "activation": activation, "dropout": dropout, "rng": rng, "output": output})
    _check_outputs(n_classes, output)
    hidden_init = init or _default_init(activation)
    out_init = init or "normal"
    widths = [n_features, *hidden, n_classes]
    layers: list[Layer] = []
    for i in range(len(widths) - 1):
        is_out = i == len(widths) - 2
        layers.append(Linear(widths[i], widths[i + 1], init=out_init if is_out else hidden_init,
                             rng=rng, dtype=dtype))
        if not is_out:
            layers.append(make_activation(activation))
            if dropout > 0:
                layers.append(Dropout(dropout, rng=rng))
    return Sequential(layers, output=output)


def from_weights(weights: Sequence[tuple], activation: str = "relu", dtype=None,
                 output: str = "softmax") -> Sequential:
    """Build a model from given weights, e.g. a hand-set classifier.

    Parameters
    ----------
    weights : sequence of (W, b) pairs
        ``W`` of shape (n_in, n_out), ``b`` of shape (n_out,) or None.
        One pair gives softmax regression.
    activation : str, default="relu"
        Put between consecutive Linear layers.
    dtype : numpy dtype, optional
    output : {"softmax", "sigmoid"}, default="softmax"

    Returns
    -------
    Sequential
    """
    if not weights:
        raise ValueError("from_weights needs at least one (W, b) pair.")
    layers: list[Layer] = []
    for i, (W, b) in enumerate(weights):
        layer = Linear.from_weights(W, b, dtype=dtype)
        if i > 0:
            prev = [x for x in layers if isinstance(x, Linear)][-1]
            if prev.n_out != layer.n_in:
                raise ValueError(
                    f"from_weights: layer {i} expects {layer.n_in} inputs but layer {i - 1} "
                    f"produces {prev.n_out}."
                )
            layers.append(make_activation(activation))
        layers.append(layer)
    return Sequential(layers, output=output)
