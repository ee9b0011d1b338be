"""Minibatches: the one definition of an epoch's row order and of where its
batches start, used by the Trainer, both engines and
:func:`iterate_minibatches`. One epoch is one permutation, sampled without
replacement, cut into consecutive batches."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from softmaxlab._validation.params import Interval, Options, validate_params
from softmaxlab.errors import InputError

__all__ = ["batch_starts", "epoch_order", "iterate_minibatches"]


def epoch_order(n: int, rng: np.random.Generator | None, shuffle: bool = True):
    """This epoch's row order.

    Parameters
    ----------
    n : int
        Number of samples.
    rng : numpy.random.Generator or None
        Source of the permutation; required when ``shuffle`` is True.
    shuffle : bool, default True

    Returns
    -------
    ndarray of shape (n,), int64, or None
        A fresh permutation of ``0..n-1`` drawn from ``rng``, or None (the
        data's own order) when ``shuffle`` is False.
    """
    if not shuffle:
        return None
    if rng is None:
        raise InputError("shuffle=True needs rng=np.random.default_rng(seed)")
    return rng.permutation(n)


def batch_starts(n: int, batch_size: int) -> range:
    """Where each minibatch of an epoch of ``n`` rows starts.

    Batch ``i`` holds the rows ``order[start_i : start_i + batch_size]``; the
    last one holds the remaining ``n % batch_size`` rows when that is not 0.
    """
    return range(0, n, batch_size)


def iterate_minibatches(
    n: int, batch_size: int, rng: np.random.Generator | None = None, shuffle: bool = True
) -> Iterator[np.ndarray]:
    """Yield the row indices of each minibatch of one epoch.

    Parameters
    ----------
    n : int
        Number of samples.
    batch_size : int
        Rows per batch; the last batch holds the remaining ``n % batch_size``
        rows when that is not 0.
    rng : numpy.random.Generator, optional
        Source of the permutation; required when ``shuffle`` is True.
    shuffle : bool, default True
        Visit the rows in a random order (each exactly once) instead of 0..n-1.

    Yields
    ------
    indices : ndarray of shape (batch,), int64
        Every row appears in exactly one batch of the epoch, in the order the
        Trainer visits them with the same Generator.
    """
    validate_params("iterate_minibatches", {"n": [Interval(int, 0)],
                                            "batch_size": [Interval(int, 1)],
                                            "shuffle": [Options(True, False)]},
                    {"n": n, "batch_size": batch_size, "shuffle": shuffle})
    order = epoch_order(n, rng, shuffle)
    if order is None:
        order = np.arange(n)
    for start in batch_starts(n, batch_size):
        yield order[start:start + batch_size]
