"""Adam with bias correction: the reference maths."""
from __future__ import annotations

from array_api_compat import array_namespace

from softmaxlab._validation import validate_params
from softmaxlab.optim.base import POSITIVE, UNIT, Optimizer


class Pair:
    """Constraint: a tuple or list of two items (the table checks each item)."""

    def accepts(self, value) -> bool:
        return isinstance(value, (tuple, list)) and len(value) == 2

    def __str__(self) -> str:
        return "a pair (beta_1, beta_2) such as (0.9, 0.999)"


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015, Algorithm 1).

    Parameters
    ----------
    params : list of Parameter
    lr : float, default=0.001
    betas : (float, float), default=(0.9, 0.999)
    eps : float, default=1e-8
    weight_decay : float >= 0, default=0 (coupled L2, as PyTorch's ``Adam``)

    Notes
    -----
    With step count ``t`` and gradient ``g``::

        m = b1 m + (1 - b1) g              first moment (mean of g)
        v = b2 v + (1 - b2) g^2            second moment (mean of g^2)
        m_hat = m / (1 - b1^t)             bias corrections: m and v start
        v_hat = v / (1 - b2^t)             at 0 and would be too small early on
        p -= lr * m_hat / (sqrt(v_hat) + eps)

    ``eps`` is added after the bias correction, as in the paper and in
    PyTorch, which matters for parity when ``v`` is tiny.
    """

    _constraints = {"betas": [Pair()],
                    "beta_1": [UNIT], "beta_2": [UNIT], "eps": [POSITIVE]}

    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr, weight_decay)
        validate_params("Adam", self._constraints, {"betas": betas})
        b1, b2 = betas
        validate_params("Adam", self._constraints, {"beta_1": b1, "beta_2": b2, "eps": eps})
        self.betas = (float(b1), float(b2))
        self.eps = float(eps)
        self.m = [array_namespace(p.value).zeros_like(p.value) for p in self.params]
        self.v = [array_namespace(p.value).zeros_like(p.value) for p in self.params]

    def step(self):
        self.t += 1
        b1, b2 = self.betas
        for p, m, v in zip(self.params, self.m, self.v, strict=True):
            xp = array_namespace(p.value)
            g = self._grad(p)
            m[...] = b1 * m + (1 - b1) * g
            v[...] = b2 * v + (1 - b2) * (g * g)
            m_hat = m / (1 - b1 ** self.t)
            v_hat = v / (1 - b2 ** self.t)
            p.value -= self.lr * m_hat / (xp.sqrt(v_hat) + self.eps)

    def _buffers(self):
        return {"m": self.m, "v": self.v}
