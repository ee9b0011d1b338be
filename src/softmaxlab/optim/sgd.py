"""Stochastic gradient descent with optional (Nesterov) momentum: the reference maths."""
from __future__ import annotations

import math

import numpy as np
from array_api_compat import array_namespace

from softmaxlab.optim.base import Optimizer


class SGD(Optimizer):
    """SGD: ``p -= lr * g``, or with momentum ``mu``::

        v = mu * v + g
        p -= lr * v                 (classical)
        p -= lr * (g + mu * v)      (Nesterov)

    Parameters
    ----------
    params : list of Parameter
    lr : float, default=0.1
    momentum : float in [0, 1], default=0
    nesterov : bool, default=False
    weight_decay : float >= 0, default=0
        Coupled L2: ``g`` above is ``grad + weight_decay * W`` for weights.

    Notes
    -----
    The velocity accumulates raw gradients and the learning rate multiplies at
    the update (PyTorch's convention), so changing ``lr`` mid-run rescales the
    whole step at once. With a constant rate this is the same trajectory as
    the form ``v = mu * v - lr * g; p += v``.
    """

    def __init__(self, params, lr=0.1, momentum=0.0, nesterov=False, weight_decay=0.0):
        super().__init__(params, lr, weight_decay)
        if isinstance(momentum, bool) or not (isinstance(momentum, (int, float, np.floating))
                                              and math.isfinite(momentum) and 0 <= momentum <= 1):
            raise ValueError(f"momentum must be in [0, 1], got {momentum!r}; 0.9 is typical.")
        if nesterov and momentum == 0:
            raise ValueError("nesterov=True needs momentum > 0 (e.g. momentum=0.9).")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)
        self.velocity = ([array_namespace(p.value).zeros_like(p.value) for p in self.params]
                         if momentum else [])

    def step(self):
        self.t += 1
        for i, p in enumerate(self.params):
            g = self._grad(p)
            if self.momentum:
                v = self.velocity[i]
                v[...] = self.momentum * v + g                   # v = mu v + g
                g = g + self.momentum * v if self.nesterov else v
            p.value -= self.lr * g                               # p = p - lr g

    def _buffers(self):
        return {"velocity": self.velocity}
