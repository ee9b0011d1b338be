"""Central finite-difference gradient checks, in float64.

float64 matters: a central difference has truncation error O(eps^2) and
rounding error O(machine_eps / eps). With eps = 1e-6 in float64 both are
around 1e-10 relative, so a correct backward scores ~1e-9 and a wrong one
scores ~1. In float32 the rounding term alone is ~1e-1 and the check could
not tell right from wrong.
"""
from __future__ import annotations

import numpy as np

from softmaxlab.nn.layers import Layer
from softmaxlab.nn.model import Sequential
from softmaxlab.nn.outputs import make_loss

__all__ = [
    "DEFAULT_TOLERANCE",
    "check_layer",
    "check_loss",
    "check_model",
    "numerical_gradient",
    "relative_error",
]

DEFAULT_TOLERANCE = 1e-7


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """``||a - n|| / max(||a|| + ||n||, tiny)``: 0 for equal arrays, ~1 for
    unrelated ones; scale-free, and safe when both are zero."""
    num = np.linalg.norm(np.ravel(analytic) - np.ravel(numeric))
    den = np.linalg.norm(np.ravel(analytic)) + np.linalg.norm(np.ravel(numeric))
    return float(num / max(den, 1e-300))


def numerical_gradient(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of the scalar function ``f()`` with respect
    to the array ``x``, which ``f`` reads and which is perturbed in place (and
    restored). Returns an array of x's shape."""
    grad = np.zeros_like(x, dtype=np.float64)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        fp = f()
        flat[i] = old - eps
        fm = f()
        flat[i] = old
        gflat[i] = (fp - fm) / (2 * eps)
    return grad


def check_layer(layer: Layer, X: np.ndarray, rng: np.random.Generator, eps: float = 1e-6,
                training: bool = False) -> dict[str, float]:
    """Check one layer's backward against finite differences.

    Uses the scalar ``L = sum(forward(X) * G)`` for a fixed random upstream
    gradient ``G``, whose exact derivatives are ``backward(G)``.

    Parameters
    ----------
    layer : Layer
        Checked on a float64 copy; the original is untouched.
    X : ndarray of shape (n_samples, n_in)
    rng : numpy.random.Generator
        Draws ``G`` (and dropout masks: the same mask is replayed for every
        perturbation, since the check is of the backward for a given mask).
    eps : float

    Returns
    -------
    dict mapping ``"input"`` and each parameter name to its relative error.
    """
    layer = layer.astype(np.float64)
    X = np.array(X, dtype=np.float64)
    if hasattr(layer, "rng"):
        layer.rng = rng
    out = layer.forward(X, training)
    G = rng.standard_normal(out.shape)
    mask = getattr(layer, "_mask", None)

    def f():
        if mask is not None:
            return float(np.sum(layer.apply(X) * mask * G))
        return float(np.sum(layer.apply(X) * G))

    dX = layer.backward(G)
    analytic = {"input": dX}
    analytic.update({k: v.copy() for k, v in layer.grads.items()})
    errors = {"input": relative_error(dX, numerical_gradient(f, X, eps))}
    for k, v in layer.params.items():
        errors[k] = relative_error(analytic[k], numerical_gradient(f, v, eps))
    return errors


def check_model(model: Sequential, X: np.ndarray, y: np.ndarray, loss=None, sample_weight=None,
                eps: float = 1e-6) -> dict[str, float]:
    """Check a whole model plus loss: every parameter's gradient of the mean
    loss against finite differences, in float64, dropout off.

    Parameters
    ----------
    model : Sequential
        Checked on a float64 copy; the original is untouched.
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,), integer class indices (or (n_samples,
        n_units) 0/1 targets for a sigmoid model)
    loss : optional, default: the unweighted loss of ``model.output``
    sample_weight : ndarray of shape (n_samples,), optional

    Returns
    -------
    dict mapping parameter names (``"0.W"``, ``"0.b"``, ...) to relative error.
    """
    model = model.astype(np.float64)
    loss = loss or make_loss(model.output)
    X = np.array(X, dtype=np.float64)
    y = np.asarray(y)
    logits = model.forward(X, training=False)
    _, dlogits = loss(logits, y, sample_weight)
    model.backward(dlogits)
    errors = {}
    for p in model.parameters():
        analytic = p.grad.copy()
        numeric = numerical_gradient(
            lambda: loss.value(model.predict_logits(X), y, sample_weight), p.value, eps)
        errors[p.name] = relative_error(analytic, numeric)
    return errors


def check_loss(loss, logits: np.ndarray, y: np.ndarray, sample_weight=None,
               eps: float = 1e-6) -> float:
    """Check ``loss``'s fused gradient ``dL/dlogits`` against finite differences.

    Parameters
    ----------
    loss : SoftmaxCrossEntropy
    logits : ndarray of shape (n_samples, n_classes), cast to float64
    y : ndarray of shape (n_samples,)
    sample_weight : ndarray of shape (n_samples,), optional

    Returns
    -------
    float : relative error
    """
    z = np.array(logits, dtype=np.float64)
    _, analytic = loss(z, y, sample_weight)
    numeric = numerical_gradient(lambda: loss.value(z, y, sample_weight), z, eps)
    return relative_error(analytic, numeric)
