"""Stochastic gradient descent with optional (Nesterov) momentum: the reference maths."""
from __future__ import annotations

from array_api_compat import array_namespace

from softmaxlab._validation import Interval, Options, validate_params
from softmaxlab.errors import ParameterError
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

    _constraints = {"momentum": [Interval(float, 0, 1)], "nesterov": [Options(True, False)]}

    def __init__(self, params, lr=0.1, momentum=0.0, nesterov=False, weight_decay=0.0):
        super().__init__(params, lr, weight_decay)
        validate_params("SGD", self._constraints, {"momentum": momentum, "nesterov": nesterov},
                        hints={"momentum": "0.9 is typical."})
        if nesterov and momentum == 0:
            raise ParameterError("SGD: nesterov=True needs momentum > 0, got momentum=0; "
                                 "set momentum (e.g. 0.9) or nesterov=False.",
                                 owner="SGD", name="nesterov", value=nesterov)
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
