"""The model builders: softmax regression, the MLP, and a model from given weights."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from softmaxlab._validation import Interval, ListOf, Options, Types, validate_params
from softmaxlab.nn.activations import ACTIVATIONS, make_activation
from softmaxlab.nn.dropout import Dropout
from softmaxlab.nn.layers import Layer, Linear
from softmaxlab.nn.model import OUTPUTS, Sequential
from softmaxlab.errors import InputError

__all__ = ["from_weights", "mlp", "softmax_regression"]


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
        raise InputError("n_classes must be at least two (a 1-class model always predicts that class "
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
        raise InputError("from_weights needs at least one (W, b) pair.")
    layers: list[Layer] = []
    for i, (W, b) in enumerate(weights):
        layer = Linear.from_weights(W, b, dtype=dtype)
        if i > 0:
            prev = [x for x in layers if isinstance(x, Linear)][-1]
            if prev.n_out != layer.n_in:
                raise InputError(
                    f"from_weights: layer {i} expects {layer.n_in} inputs but layer {i - 1} "
                    f"produces {prev.n_out}."
                )
            layers.append(make_activation(activation))
        layers.append(layer)
    return Sequential(layers, output=output)
