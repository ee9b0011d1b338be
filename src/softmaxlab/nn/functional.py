"""Numerically stable building blocks: log-sum-exp, (log-)softmax, sigmoid,
log-sigmoid, one-hot.

Every function is a pure function of its arguments (nothing is cached, no
argument is modified) and is written against the array namespace of its input
(``array_api_compat.array_namespace``), so the same lines run on NumPy,
PyTorch, CuPy or array-api-strict arrays, on whatever device they live on.
"""
from __future__ import annotations

import numpy as np
from array_api_compat import array_namespace, device
from softmaxlab.errors import InputError

__all__ = ["log_sigmoid", "log_softmax", "logsumexp", "one_hot", "sigmoid", "softmax", "softplus"]


def logsumexp(z, axis: int = -1, keepdims: bool = False):
    """Row-wise ``log(sum(exp(z)))`` without overflow.

    Parameters
    ----------
    z : array of shape (n_samples, n_classes)
        Logits (any real floating dtype; the result has the same dtype).
    axis : int, default=-1
        Axis to reduce.
    keepdims : bool, default=False
        Keep the reduced axis with length 1.

    Returns
    -------
    array of shape (n_samples,) or (n_samples, 1)

    Notes
    -----
    ``logsumexp(z) = m + log(sum(exp(z - m)))`` with ``m = max(z)``. After the
    shift the largest exponent is ``exp(0) = 1``, so the sum lies in
    ``[1, n_classes]``: it can neither overflow nor underflow to zero, which is
    what makes logits of +-1e4 safe (the naive ``exp`` overflows past ~88 in
    float32 and ~709 in float64).
    """
    xp = array_namespace(z)
    m = xp.max(z, axis=axis, keepdims=True)
    out = xp.log(xp.sum(xp.exp(z - m), axis=axis, keepdims=True)) + m
    return out if keepdims else xp.squeeze(out, axis=axis)


def log_softmax(z, axis: int = -1):
    """Row-wise ``log(softmax(z))``, computed as ``(z - m) - log(sum(exp(z - m)))``.

    Parameters
    ----------
    z : array of shape (n_samples, n_classes)

    Returns
    -------
    array of shape (n_samples, n_classes)
        Always finite for finite ``z``: a class whose probability underflows
        to 0 still gets a large negative number, not ``-inf``.

    Notes
    -----
    This is ``z - logsumexp(z)`` with the row maximum ``m`` taken out first:
    ``z - m`` is exact, and the remaining ``log(sum(...))`` lies in
    ``[0, log C]``, so no digits are lost when ``|z|`` is large (``z -
    logsumexp(z)`` subtracts two numbers near 1e4 and keeps float32's
    absolute error of about 1e-3).
    """
    xp = array_namespace(z)
    shifted = z - xp.max(z, axis=axis, keepdims=True)
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=axis, keepdims=True))


def softmax(z, axis: int = -1):
    """Row-wise softmax ``exp(z_j) / sum_k exp(z_k)``.

    Parameters
    ----------
    z : array of shape (n_samples, n_classes)

    Returns
    -------
    array of shape (n_samples, n_classes)
        Rows sum to 1 (to rounding) and are unchanged by adding a constant to
        a row of ``z``; that invariance is why subtracting the row maximum
        first is exact and not an approximation.
    """
    xp = array_namespace(z)
    e = xp.exp(z - xp.max(z, axis=axis, keepdims=True))
    return e / xp.sum(e, axis=axis, keepdims=True)


def sigmoid(x):
    """Logistic function ``1 / (1 + exp(-x))``, stable for both signs.

    Parameters
    ----------
    x : array of any shape

    Returns
    -------
    array of the same shape and dtype, values in [0, 1].

    Notes
    -----
    With ``e = exp(-|x|)`` (always in (0, 1], never overflows):
    ``sigmoid(x) = 1 / (1 + e)`` for ``x >= 0`` and ``e / (1 + e)`` for
    ``x < 0``. The naive form overflows ``exp(-x)`` for large negative ``x``.
    """
    xp = array_namespace(x)
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


def softplus(z):
    """``log(1 + exp(z))`` without overflow, elementwise.

    Parameters
    ----------
    z : array of any shape (a real floating dtype)

    Returns
    -------
    array of the same shape, namespace and dtype; always >= 0.

    Notes
    -----
    ``log(1 + exp(z)) = max(z, 0) + log(1 + exp(-|z|))``: the exponent is
    never positive, so nothing overflows (the naive form overflows past
    z ~ 88 in float32), and ``log1p`` keeps the small term accurate.
    """
    xp = array_namespace(z)
    return xp.maximum(z, 0.0) + xp.log1p(xp.exp(-xp.abs(z)))


def log_sigmoid(x):
    """``log(sigmoid(x)) = -softplus(-x)``, without overflow or ``log(0)``.

    Parameters
    ----------
    x : array of any shape

    Returns
    -------
    array of the same shape and dtype, values <= 0, finite for finite ``x``.

    Notes
    -----
    ``log sigmoid(x) = -log(1 + exp(-x)) = min(x, 0) - log(1 + exp(-|x|))``:
    the exponent is never positive, and ``log1p`` keeps the small term exact
    when ``exp(-|x|)`` is tiny. ``log(1 - sigmoid(x))`` is ``log_sigmoid(-x)``.
    """
    return -softplus(-x)


def one_hot(y, n_classes: int, dtype=None):
    """Encode integer labels as one-hot rows.

    Parameters
    ----------
    y : integer array of shape (n_samples,)
        Class indices in ``[0, n_classes)``.
    n_classes : int
    dtype : floating dtype of ``y``'s namespace, default float32

    Returns
    -------
    array of shape (n_samples, n_classes), on ``y``'s device

    Notes
    -----
    Row ``i`` is ``y[i] == [0, 1, ..., n_classes - 1]``: a comparison against
    the class indices, with no scatter and no Python loop.
    """
    if not hasattr(y, "shape"):  # a list of labels
        y = np.asarray(y)
    xp = array_namespace(y)
    if y.ndim != 1:
        raise InputError(f"one_hot expects a 1-D array of labels, got shape {tuple(y.shape)}.")
    if y.shape[0] and (int(xp.min(y)) < 0 or int(xp.max(y)) >= n_classes):
        raise InputError(f"one_hot: labels must lie in [0, {n_classes}), got min {int(xp.min(y))} "
                         f"and max {int(xp.max(y))}.")
    classes = xp.arange(n_classes, device=device(y))
    hits = xp.reshape(y, (-1, 1)) == xp.reshape(classes, (1, -1))
    return xp.astype(hits, xp.float32 if dtype is None else dtype)
