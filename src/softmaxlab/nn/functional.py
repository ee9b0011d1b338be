"""Numerically stable building blocks: log-sum-exp, (log-)softmax, sigmoid, one-hot.

Every function here is a pure function of its arguments: nothing is cached and
no argument is modified.
"""
from __future__ import annotations

import numpy as np

__all__ = ["log_softmax", "logsumexp", "one_hot", "sigmoid", "softmax"]


def logsumexp(z: np.ndarray, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    """Row-wise ``log(sum(exp(z)))`` without overflow.

    Parameters
    ----------
    z : ndarray of shape (n_samples, n_classes)
        Logits (any float dtype; the result has the same dtype).
    axis : int, default=-1
        Axis to reduce.
    keepdims : bool, default=False
        Keep the reduced axis with length 1.

    Returns
    -------
    ndarray of shape (n_samples,) or (n_samples, 1)

    Notes
    -----
    ``logsumexp(z) = m + log(sum(exp(z - m)))`` with ``m = max(z)``. After the
    shift the largest exponent is ``exp(0) = 1``, so the sum lies in
    ``[1, n_classes]``: it can neither overflow nor underflow to zero, which is
    what makes logits of +-1e4 safe (the naive ``exp`` overflows past ~88 in
    float32 and ~709 in float64).
    """
    m = np.max(z, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """Row-wise ``log(softmax(z))``, computed as ``z - logsumexp(z)``.

    Parameters
    ----------
    z : ndarray of shape (n_samples, n_classes)

    Returns
    -------
    ndarray of shape (n_samples, n_classes)
        Always finite for finite ``z``: the true class with probability that
        underflows to 0 still gets a large negative number, not ``-inf``.
    """
    return z - logsumexp(z, axis=axis, keepdims=True)


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """Row-wise softmax ``exp(z_j) / sum_k exp(z_k)``.

    Parameters
    ----------
    z : ndarray of shape (n_samples, n_classes)

    Returns
    -------
    ndarray of shape (n_samples, n_classes)
        Rows sum to 1 (to rounding) and are unchanged by adding a constant to a
        row of ``z``; that invariance is why subtracting the row maximum first
        is exact and not an approximation.
    """
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    e /= np.sum(e, axis=axis, keepdims=True)
    return e


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function ``1 / (1 + exp(-x))``, stable for both signs.

    Parameters
    ----------
    x : ndarray of any shape

    Returns
    -------
    ndarray of the same shape and dtype, values in [0, 1].

    Notes
    -----
    With ``z = exp(-|x|)`` (always in (0, 1], never overflows):
    ``sigmoid(x) = 1 / (1 + z)`` for ``x >= 0`` and ``z / (1 + z)`` for
    ``x < 0``. The naive form overflows ``exp(-x)`` for large negative ``x``.
    """
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z)).astype(x.dtype, copy=False)


def one_hot(y: np.ndarray, n_classes: int, dtype=np.float32) -> np.ndarray:
    """Encode integer labels as one-hot rows.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Integer class indices in ``[0, n_classes)``.
    n_classes : int
    dtype : numpy dtype, default=float32

    Returns
    -------
    ndarray of shape (n_samples, n_classes)
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"one_hot expects a 1-D array of labels, got shape {y.shape}.")
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(
            f"one_hot: labels must lie in [0, {n_classes}), got min {y.min()} and max {y.max()}."
        )
    out = np.zeros((y.shape[0], n_classes), dtype=dtype)
    out[np.arange(y.shape[0]), y] = 1
    return out
