"""The layer contract: ``Parameter``, the ``Layer`` base class, and the table of
built-in layer classes by name from which ``layer_from_config`` rebuilds a layer.

The table is filled by ``softmaxlab.nn.layers``, the module that gathers the
built-in layers (importing ``softmaxlab.nn`` imports it): the base class
cannot import its own subclasses without an import cycle.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from softmaxlab.backend import from_numpy, to_numpy
from softmaxlab.errors import InputError

__all__ = ["LAYER_TYPES", "Layer", "Parameter", "layer_from_config"]


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


#: The built-in layer classes, by name (what model files and ``config()`` use).
LAYER_TYPES: dict[str, type[Layer]] = {}


def layer_from_config(cfg: dict, dtype=np.float32) -> Layer:
    """Rebuild a layer (with zero parameters, as NumPy arrays) from ``Layer.config()``."""
    if not isinstance(cfg, dict) or cfg.get("type") not in LAYER_TYPES:
        raise InputError(
            f"Unknown layer description {cfg!r}; expected a dict with 'type' in {sorted(LAYER_TYPES)}."
        )
    kind = cfg["type"]
    kwargs = {k: v for k, v in cfg.items() if k != "type"}
    if kind == "Linear":
        return LAYER_TYPES["Linear"](kwargs["n_in"], kwargs["n_out"], init="zeros", dtype=dtype)
    return LAYER_TYPES[kind](**kwargs)
