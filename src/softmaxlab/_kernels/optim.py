"""SGD and Adam steps tuned for NumPy, on the reference optimizers' own state.

Same updates as ``softmaxlab.optim.SGD`` / ``Adam`` (the reference), computed
in place with scratch buffers kept between steps, and:

* SGD can hand the first part of its update to the weight-gradient GEMM
  (``gemm_update``): plain SGD is ``p = -lr g + p`` and classical momentum's
  ``v = mu v + g`` is one GEMM with ``beta = mu``;
* Adam keeps its moments rescaled, ``m' = m / (1 - b1)`` and
  ``v' = v / (1 - b2)``, while the fast path runs: then ``m' = b1 m' + g``
  and ``v' = b2 v' + g^2`` need no multiplication of ``g`` by ``1 - b1``
  (or of ``g^2`` by ``1 - b2``) and the two constants join the per-step
  scalars. That is 10 element-wise passes per parameter instead of 12
  (242 vs 267 us per 784-256-10 step). ``bind`` rescales the optimizer's
  buffers in place before an epoch and ``unbind`` undoes it after, so
  between epochs (checkpoints, ``state_dict``) they hold the paper's m and v.
"""
from __future__ import annotations

import math

import numpy as np

from softmaxlab.optim import SGD, Adam

__all__ = ["FastAdam", "FastSGD", "fast_optimizer"]


def _grad(opt, p):
    """The gradient with coupled weight decay (a new array only when it applies)."""
    if opt.weight_decay and p.decay:
        return p.grad + p.value.dtype.type(opt.weight_decay) * p.value
    return p.grad


class FastSGD:
    """In-place SGD step of a reference ``SGD`` (reads its lr, momentum,
    weight decay at every step; updates its velocity buffers)."""

    def __init__(self, opt: SGD):
        self.opt = opt
        self._tmp = [np.empty_like(p.value) for p in opt.params]

    def bind(self):
        """Nothing to convert: the velocity is kept as the reference keeps it."""

    unbind = bind

    def gemm_update(self, i):
        """``(target, alpha, beta)`` such that ``target = alpha g + beta target``
        done by the GEMM producing parameter i's gradient is the first part of
        this step, or None. Nesterov needs ``g`` itself after ``v`` is
        updated, and weight decay adds a term, so those are not fused."""
        opt = self.opt
        p = opt.params[i]
        if opt.nesterov or (opt.weight_decay and p.decay):
            return None
        if not opt.momentum:
            return p.value, -opt.lr, 1.0
        return opt.velocity[i], 1.0, opt.momentum

    def step(self, fused=()):
        """One update; ``fused`` holds the parameter indices whose
        ``gemm_update`` the GEMM already applied."""
        opt = self.opt
        opt.t += 1
        lr, mu = opt.lr, opt.momentum
        for i, p in enumerate(opt.params):
            f = p.value.dtype.type
            tmp = self._tmp[i]
            if i in fused:
                if mu:  # the GEMM did v = mu * v + g
                    np.multiply(opt.velocity[i], f(lr), out=tmp)
                    p.value -= tmp
                continue
            g = _grad(opt, p)
            if not mu:
                np.multiply(g, f(lr), out=tmp)
                p.value -= tmp
                continue
            v = opt.velocity[i]
            v *= f(mu)
            v += g
            if opt.nesterov:
                np.multiply(v, f(mu), out=tmp)
                tmp += g
                tmp *= f(lr)
            else:
                np.multiply(v, f(lr), out=tmp)
            p.value -= tmp


class FastAdam:
    """In-place Adam step of a reference ``Adam`` on rescaled moments."""

    def __init__(self, opt: Adam):
        self.opt = opt
        self._tmp = [np.empty_like(p.value) for p in opt.params]

    def bind(self):
        """Rescale the optimizer's moments: m /= 1 - b1, v /= 1 - b2."""
        b1, b2 = self.opt.betas
        for m, v in zip(self.opt.m, self.opt.v, strict=True):
            m /= m.dtype.type(1.0 - b1)
            v /= v.dtype.type(1.0 - b2)

    def unbind(self):
        """Back to the paper's moments: m *= 1 - b1, v *= 1 - b2."""
        b1, b2 = self.opt.betas
        for m, v in zip(self.opt.m, self.opt.v, strict=True):
            m *= m.dtype.type(1.0 - b1)
            v *= v.dtype.type(1.0 - b2)

    def gemm_update(self, i):
        return None

    def step(self, fused=()):
        opt = self.opt
        opt.t += 1
        b1, b2 = opt.betas
        bc1 = 1.0 - b1 ** opt.t
        bc2 = 1.0 - b2 ** opt.t
        # With m' = m / (1 - b1), v' = v / (1 - b2), the update
        # lr / bc1 * m / (sqrt(v) / sqrt(bc2) + eps) is
        # m' / (sqrt(v') * scale + shift) for the two scalars below (eps is
        # still added after the bias correction, as in the reference).
        step_size = opt.lr * (1.0 - b1) / bc1
        scale = math.sqrt((1.0 - b2) / bc2) / step_size
        shift = opt.eps / step_size
        for p, m, v, tmp in zip(opt.params, opt.m, opt.v, self._tmp, strict=True):
            g = _grad(opt, p)
            f = p.value.dtype.type
            m *= f(b1)
            m += g
            v *= f(b2)
            np.multiply(g, g, out=tmp)
            v += tmp
            np.sqrt(v, out=tmp)
            tmp *= f(scale)
            tmp += f(shift)              # tmp = denominator / step_size
            np.divide(m, tmp, out=tmp)   # tmp = the step
            p.value -= tmp


def fast_optimizer(opt):
    """The fast step for a reference optimizer of exactly type SGD or Adam, else None."""
    if type(opt) is SGD:
        return FastSGD(opt)
    if type(opt) is Adam:
        return FastAdam(opt)
    return None
