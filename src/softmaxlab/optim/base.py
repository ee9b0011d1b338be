"""Optimizer base: holds the parameters and a learning rate, updates in place.

Optimizers are the reference maths: each ``step`` is written as the paper
writes it, against the array namespace of the parameters, so it runs on any
array library. Buffers (momentum, Adam's moments) are created with
``zeros_like`` of each parameter: same namespace, dtype and device.
"""
from __future__ import annotations

import numpy as np
from array_api_compat import array_namespace, device, is_numpy_array

from softmaxlab._validation import Interval, validate_params
from softmaxlab.backend import from_numpy, to_numpy
from softmaxlab.nn.layers import Parameter
from softmaxlab.errors import InputError

POSITIVE = Interval(float, 0, None, closed="neither")
NON_NEGATIVE = Interval(float, 0, None)
UNIT = Interval(float, 0, 1, closed="left")  # [0, 1)
LR_HINT = "lr is the learning rate; try 0.1 for SGD or 0.001 for Adam."


class Optimizer:
    """Base class.

    Parameters
    ----------
    params : list of Parameter
        From ``model.parameters()``; updated in place.
    lr : float
    weight_decay : float, default=0
        Coupled L2: ``grad + weight_decay * W`` for weights (not biases). This
        is the single place in softmaxlab where L2 regularisation happens.
    """

    _constraints = {"lr": [POSITIVE], "weight_decay": [NON_NEGATIVE]}

    def __init__(self, params: list[Parameter], lr: float, weight_decay: float = 0.0):
        validate_params(type(self).__name__, Optimizer._constraints,
                        {"lr": lr, "weight_decay": weight_decay}, hints={"lr": LR_HINT})
        self.params = list(params)
        self.lr = float(lr)
        self.weight_decay = float(weight_decay)
        self.t = 0  # number of steps taken

    def _grad(self, p: Parameter):
        """The gradient including weight decay: ``g + weight_decay * W`` for
        weights (a new array only when decay applies), ``g`` otherwise."""
        if self.weight_decay and p.decay:
            return p.grad + self.weight_decay * p.value
        return p.grad

    def step(self) -> None:
        """Update every parameter from its gradient, in place."""
        raise NotImplementedError

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad[...] = 0

    def _buffers(self) -> dict[str, list]:
        return {}

    def state_dict(self) -> dict:
        """Everything needed to continue bit-identically: scalars (JSON-able)
        and per-parameter buffers as NumPy copies, as
        ``{"scalars": {...}, "arrays": {name: ndarray}}``."""
        arrays = {f"{k}.{i}": np.array(to_numpy(b), copy=True)
                  for k, bufs in self._buffers().items() for i, b in enumerate(bufs)}
        return {"scalars": {"type": type(self).__name__, "lr": self.lr, "t": self.t},
                "arrays": arrays}

    def load_state_dict(self, state: dict) -> None:
        """Restore from ``state_dict()`` output (arrays copied in place, to
        the buffers' namespace and device)."""
        sc = state["scalars"]
        if sc.get("type") != type(self).__name__:
            raise InputError(f"Optimizer state is for {sc.get('type')!r}, not {type(self).__name__}.")
        self.lr = float(sc["lr"])
        self.t = int(sc["t"])
        for k, bufs in self._buffers().items():
            for i, b in enumerate(bufs):
                src = state["arrays"][f"{k}.{i}"]
                if is_numpy_array(b):
                    b[...] = to_numpy(src)
                else:
                    if is_numpy_array(src):
                        src = from_numpy(src, array_namespace(b), device(b))
                    b[...] = src
