"""``Sequential`` and the two model builders: softmax regression and MLP."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from softmaxlab._validation import check_logits
from softmaxlab.nn.layers import (
    ACTIVATIONS,
    Dropout,
    Layer,
    Linear,
    Parameter,
    layer_from_config,
    make_activation,
)
from softmaxlab.nn.outputs import check_output, output_log_proba, output_predict, output_proba

__all__ = ["Sequential", "from_weights", "mlp", "softmax_regression"]


class Sequential:
    """A stack of layers applied in order; the last one produces logits.

    Parameters
    ----------
    layers : sequence of Layer
    output : {"softmax", "sigmoid"}, default="softmax"
        What the last layer's values mean. ``"softmax"``: logits of one
        distribution over C classes (integer labels, ``SoftmaxCrossEntropy``).
        ``"sigmoid"``: L independent logistic outputs (0/1 targets of shape
        (n, L), ``SigmoidBinaryCrossEntropy``): a binary classifier with one
        unit, or a multilabel one. Stored as ``model.output``.

    Notes
    -----
    ``forward`` caches for ``backward``; ``predict_logits`` and the
    ``predict*`` methods use each layer's cache-free ``apply``, so predicting
    never disturbs a training step and never keeps activations alive.
    """

    def __init__(self, layers: Sequence[Layer], output: str = "softmax"):
        self.layers = list(layers)
        if not self.layers:
            raise ValueError("Sequential needs at least one layer.")
        self.output = check_output(output)
        self._first_linear = next(
            (i for i, layer in enumerate(self.layers) if isinstance(layer, Linear)), None
        )

    # ---- training path -------------------------------------------------
    def forward(self, X: np.ndarray, training: bool = False) -> np.ndarray:
        """Logits of shape (n_samples, n_classes) for X of shape (n_samples, n_features),
        caching what ``backward`` needs. ``training`` turns dropout on."""
        for layer in self.layers:
            X = layer.forward(X, training)
        return X

    def backward(self, dlogits: np.ndarray, input_grad: bool = False, accumulate=None):
        """Back-propagate dL/dlogits (n_samples, n_classes), filling every layer's grads.

        Returns dL/dX of shape (n_samples, n_features) if ``input_grad`` else None;
        the first Linear layer then skips its input-gradient GEMM entirely.

        ``accumulate``, optional ``{layer index: (target, alpha, beta)}``: those
        Linear layers fuse an optimizer update into their weight-gradient GEMM
        (see ``Linear.backward``; each sets ``layer.fused``). Used by Trainer.
        """
        d = dlogits
        acc = accumulate or {}
        for i in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[i]
            fuse = {"accumulate": acc[i]} if i in acc else {}
            if i == self._first_linear and not input_grad:
                layer.backward(d, need_dx=False, **fuse)
                return None
            d = layer.backward(d, **fuse)
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
    def predict_logits(self, X: np.ndarray) -> np.ndarray:
        """Cache-free logits of shape (n_samples, n_classes)."""
        for layer in self.layers:
            X = layer.apply(X)
        return X

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Probabilities of shape (n_samples, n_units): softmax rows summing to 1,
        or for ``output="sigmoid"`` one independent sigmoid per unit.
        Raises NumericalOverflowError rather than return NaN for overflowing logits."""
        return output_proba(check_logits(self.predict_logits(X)), self.output)

    def predict_log_proba(self, X: np.ndarray) -> np.ndarray:
        """Log-probabilities of shape (n_samples, n_units), always finite
        (log-softmax or log-sigmoid; NumericalOverflowError for overflowing logits)."""
        return output_log_proba(check_logits(self.predict_logits(X)), self.output)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Class indices of shape (n_samples,) (first index wins a tie); for
        ``output="sigmoid"`` the 0/1 int matrix ``logits > 0`` of shape (n_samples, n_units)."""
        return output_predict(check_logits(self.predict_logits(X)), self.output)

    # ---- introspection and copies -----------------------------------------
    @property
    def linear_layers(self) -> list[Linear]:
        return [layer for layer in self.layers if isinstance(layer, Linear)]

    @property
    def n_features(self) -> int:
        return self.linear_layers[0].n_in

    @property
    def n_classes(self) -> int:
        return self.linear_layers[-1].n_out

    @property
    def dtype(self) -> np.dtype:
        return self.linear_layers[0].params["W"].dtype

    def get_weights(self) -> list[np.ndarray]:
        """Copies of every parameter array, in ``parameters()`` order."""
        return [p.value.copy() for p in self.parameters()]

    def set_weights(self, weights: Sequence[np.ndarray]) -> None:
        """Copy arrays (in ``parameters()`` order) into the parameters, in place."""
        params = self.parameters()
        if len(weights) != len(params):
            raise ValueError(f"set_weights: expected {len(params)} arrays, got {len(weights)}.")
        for p, w in zip(params, weights, strict=True):
            w = np.asarray(w)
            if w.shape != p.value.shape:
                raise ValueError(f"set_weights: {p.name} has shape {p.value.shape}, got {w.shape}.")
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
        """A deep copy with parameters cast to ``dtype`` (float64 for gradient checks)."""
        return Sequential([layer.astype(dtype) for layer in self.layers], output=self.output)

    def copy(self) -> Sequential:
        """A deep copy with the same dtype."""
        return self.astype(self.dtype)

    def __repr__(self) -> str:
        inner = ",\n  ".join(repr(layer) for layer in self.layers)
        tail = "" if self.output == "softmax" else f",\n  output={self.output!r}"
        return f"Sequential(\n  {inner}{tail}\n)"


def _check_n_classes(n_classes, output="softmax") -> None:
    # One class makes the softmax identically 1 and the loss identically 0:
    # nothing could ever be learned, so it is a mistake in the labels. One
    # sigmoid unit is a binary classifier (logistic regression).
    if check_output(output) == "softmax" and isinstance(n_classes, (int, np.integer)) \
            and n_classes == 1:
        raise ValueError("n_classes must be at least two (a 1-class model always predicts that class "
                         "with loss 0); check that the labels hold more than one class.")


def _default_init(activation: str) -> str:
    return "he" if activation in ("relu", "leaky_relu") else "glorot"


def softmax_regression(n_features: int, n_classes: int, *, init="normal", rng=None,
                       dtype=np.float32, output: str = "softmax") -> Sequential:
    """Multinomial logistic regression: one ``Linear(n_features, n_classes)``.

    Parameters
    ----------
    n_features, n_classes : int
        With ``output="sigmoid"``, ``n_classes`` is the number of independent
        logistic units (1: binary logistic regression).
    init : str or callable, default="normal" (std 0.01, as d2l and the seeds)
    rng : numpy.random.Generator
    dtype : numpy dtype, default=float32
    output : {"softmax", "sigmoid"}, default="softmax"

    Returns
    -------
    Sequential mapping (n_samples, n_features) to logits (n_samples, n_classes).
    """
    _check_n_classes(n_classes, output)
    return Sequential([Linear(n_features, n_classes, init=init, rng=rng, dtype=dtype)],
                      output=output)


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
        ``"sigmoid"``: ``n_classes`` independent logistic output units (one
        for a binary classifier, one per label for multilabel).

    Returns
    -------
    Sequential mapping (n_samples, n_features) to logits (n_samples, n_classes).
    """
    _check_n_classes(n_classes, output)
    if activation not in ACTIVATIONS:
        raise ValueError(f"Unknown activation {activation!r}; valid names are {sorted(ACTIVATIONS)}.")
    hidden = list(hidden)
    for h in hidden:
        if not isinstance(h, (int, np.integer)) or h < 1:
            raise ValueError(f"Hidden layer sizes must be positive integers, got {hidden!r}.")
    if not (0 <= dropout < 1):
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}.")
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


def from_weights(weights: Sequence[tuple], activation: str = "relu", dtype=None) -> Sequential:
    """Build a model from given weights, e.g. seed 000's hand-set classifier.

    Parameters
    ----------
    weights : sequence of (W, b) pairs
        ``W`` of shape (n_in, n_out), ``b`` of shape (n_out,) or None.
        One pair gives softmax regression.
    activation : str, default="relu"
        Put between consecutive Linear layers.
    dtype : numpy dtype, optional

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
    return Sequential(layers)
