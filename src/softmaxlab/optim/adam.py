"""Adam with bias correction."""
from __future__ import annotations

import math

import numpy as np

from softmaxlab.optim.base import Optimizer


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015).

    Parameters
    ----------
    params : list of Parameter
    lr : float, default=0.001
    betas : (float, float), default=(0.9, 0.999)
    eps : float, default=1e-8
    weight_decay : float >= 0, default=0 (coupled L2, as PyTorch's ``Adam``)

    Notes
    -----
    With step count ``t``::

        m = b1 m + (1 - b1) g          v = b2 v + (1 - b2) g^2
        p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)

    The bias corrections undo the pull of the zero-initialised moments toward
    zero in the first steps; ``eps`` is added after the correction, as in
    PyTorch, which matters for parity when ``v`` is tiny.
    """

    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr, weight_decay)
        b1, b2 = betas
        for name, b in (("beta_1", b1), ("beta_2", b2)):
            if not (math.isfinite(b) and 0 <= b < 1):
                raise ValueError(f"Adam: {name} must be in [0, 1), got {b!r}.")
        if not (math.isfinite(eps) and eps > 0):
            raise ValueError(f"Adam: eps must be a finite number > 0, got {eps!r}.")
        self.betas = (float(b1), float(b2))
        self.eps = float(eps)
        self.m = [np.zeros_like(p.value) for p in self.params]
        self.v = [np.zeros_like(p.value) for p in self.params]

    def step(self):
        self.t += 1
        b1, b2 = self.betas
        bc1 = 1.0 - b1 ** self.t
        bc2 = 1.0 - b2 ** self.t
        step_size = self.lr / bc1
        for p, m, v in zip(self.params, self.m, self.v, strict=True):
            g = self._grad(p)
            f = p.value.dtype.type
            m *= f(b1)
            m += f(1 - b1) * g
            v *= f(b2)
            v += f(1 - b2) * (g * g)
            denom = np.sqrt(v)
            denom /= f(math.sqrt(bc2))
            denom += f(self.eps)
            p.value -= f(step_size) * (m / denom)

    def _buffers(self):
        return {"m": self.m, "v": self.v}
