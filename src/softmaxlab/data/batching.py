"""Minibatch indices: one epoch is one permutation, sampled without replacement."""

from __future__ import annotations

import numbers
from collections.abc import Iterator

import numpy as np
from softmaxlab.errors import InputError

__all__ = ["iterate_minibatches"]


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
        Every row appears in exactly one batch of the epoch.
    """
    if not isinstance(n, numbers.Integral) or n < 0:
        raise InputError(f"n must be a non-negative integer, got {n!r}")
    if not isinstance(batch_size, numbers.Integral) or batch_size < 1:
        raise InputError(f"batch_size must be a positive integer, got {batch_size!r}")
    if shuffle:
        if rng is None:
            raise InputError("shuffle=True needs rng=np.random.default_rng(seed)")
        order = rng.permutation(n)
    else:
        order = np.arange(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]
