"""Stochastic gradient descent with optional (Nesterov) momentum."""
from __future__ import annotations

import math

import numpy as np

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

    Notes
    -----
    The velocity accumulates raw gradients and the learning rate multiplies at
    the update (PyTorch's convention), so changing ``lr`` mid-run rescales the
    whole step at once. The buffers are allocated once and updated in place.
    """

    def __init__(self, params, lr=0.1, momentum=0.0, nesterov=False, weight_decay=0.0):
        super().__init__(params, lr, weight_decay)
        if not (isinstance(momentum, (int, float, np.floating)) and math.isfinite(momentum)
                and 0 <= momentum <= 1):
            raise ValueError(f"momentum must be in [0, 1], got {momentum!r}; 0.9 is typical.")
        if nesterov and momentum == 0:
            raise ValueError("nesterov=True needs momentum > 0 (e.g. momentum=0.9).")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)
        self.velocity = [np.zeros_like(p.value) for p in self.params] if momentum else []
        # Scratch for ``lr * g``: the update writes into it instead of
        # allocating a parameter-sized temporary every step (same arithmetic).
        self._tmp = [np.empty_like(p.value) for p in self.params]

    def gemm_update(self, i):
        # Plain SGD is all GEMM: p = -lr * g + p. Classical momentum's
        # v = mu * v + g is too; p -= lr * v is left to step(). Nesterov needs
        # g itself after v is updated, and weight decay adds a term, so those
        # are not fused.
        p = self.params[i]
        if self.nesterov or (self.weight_decay and p.decay):
            return None
        if not self.momentum:
            return p.value, -self.lr, 1.0
        return self.velocity[i], 1.0, self.momentum

    def step(self, fused=()):
        self.t += 1
        lr, mu = self.lr, self.momentum
        for i, p in enumerate(self.params):
            f = p.value.dtype.type
            tmp = self._tmp[i]
            if i in fused:
                if mu:  # the GEMM did v = mu * v + g
                    np.multiply(self.velocity[i], f(lr), out=tmp)
                    p.value -= tmp
                continue
            g = self._grad(p)
            if not mu:
                np.multiply(g, f(lr), out=tmp)
                p.value -= tmp
                continue
            v = self.velocity[i]
            v *= f(mu)
            v += g
            if self.nesterov:
                np.multiply(v, f(mu), out=tmp)
                tmp += g
                tmp *= f(lr)
            else:
                np.multiply(v, f(lr), out=tmp)
            p.value -= tmp

    def _buffers(self):
        return {"velocity": self.velocity}
