"""The optimizer's step for the output layer, as the "inside one step" view
shows it: from the gradient to the new weights, for the clicked point alone
and for the mean over the next minibatch.

The formulas are the optimizers' own (``softmaxlab.optim.SGD`` and
``Adam``), applied in float64 to the optimizer's current state without
changing it; ``tests/test_lab_update.py`` checks that Step's new weights are
the ones shown here.
"""
from __future__ import annotations

import numpy as np

from softmaxlab.optim import SGD, Adam
from softmaxlab.errors import InputError

__all__ = ["optimizer_step"]


def _rows(a) -> list:
    return np.asarray(a, dtype=np.float64).tolist()


def _state(optimizer, param):
    """Index of ``param`` (the layer's own array) among the optimizer's parameters."""
    for i, p in enumerate(optimizer.params):
        if p.value is param:
            return i, p
    raise InputError("the optimizer does not update this parameter")


def _step_one(optimizer, i, p, grad) -> dict:
    """One parameter's update for gradient ``grad`` (float64), as a dict of
    the quantities the page prints."""
    W = np.asarray(p.value, dtype=np.float64)
    g = grad + optimizer.weight_decay * W if (optimizer.weight_decay and p.decay) else grad
    out = {"grad": g}
    if isinstance(optimizer, Adam):
        b1, b2 = optimizer.betas
        t = optimizer.t + 1
        m = b1 * np.asarray(optimizer.m[i], np.float64) + (1 - b1) * g
        v = b2 * np.asarray(optimizer.v[i], np.float64) + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        out.update(m_hat=m_hat, v_hat=v_hat, step=optimizer.lr * m_hat / (np.sqrt(v_hat) + optimizer.eps))
    elif isinstance(optimizer, SGD) and optimizer.momentum:
        v = optimizer.momentum * np.asarray(optimizer.velocity[i], np.float64) + g
        out.update(velocity=v, step=optimizer.lr * (g + optimizer.momentum * v
                                                    if optimizer.nesterov else v))
    else:
        out["step"] = optimizer.lr * g
    out["new"] = W - out["step"]
    return out


def optimizer_step(optimizer, layer, point_grads: dict, batch_grads: dict) -> dict:
    """The update of ``layer``'s ``W`` and ``b`` by ``optimizer``'s next step.

    Parameters
    ----------
    optimizer : SGD or Adam
        Read only: its learning rate, weight decay, step count and buffers.
    layer : Linear
        The output layer, shapes W (n_in, C), b (C,).
    point_grads, batch_grads : dict
        ``{"W": (n_in, C), "b": (C,)}``: the loss's gradient for the clicked
        point alone, and its mean over the minibatch (float64; the L2 term
        is added here, as the optimizer adds it).

    Returns
    -------
    dict
        ``W``, ``b`` (now), and for ``point`` and ``batch_mean``: ``grad_W``,
        ``step_W``, ``W_new`` (and ``_b``), plus ``m_hat_*``/``v_hat_*``
        (Adam) or ``velocity_*`` (momentum). ``W_new = W - step_W``.
    """
    kind = "adam" if isinstance(optimizer, Adam) else (
        "momentum" if getattr(optimizer, "momentum", 0) else "sgd")
    views = {"point": {}, "batch_mean": {}}
    for name in ("W", "b"):
        i, p = _state(optimizer, layer.params[name])
        for view, grads in (("point", point_grads), ("batch_mean", batch_grads)):
            for key, value in _step_one(optimizer, i, p, np.asarray(grads[name], np.float64)).items():
                label = {"new": f"{name}_new"}.get(key, f"{key}_{name}")
                views[view][label] = _rows(value)
    return {"optimizer": kind, "lr": float(optimizer.lr),
            "weight_decay": float(optimizer.weight_decay), "t": int(optimizer.t) + 1,
            "W": _rows(layer.params["W"]), "b": _rows(layer.params["b"]), **views}
