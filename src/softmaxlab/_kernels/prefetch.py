"""The rows of the next batches gathered on a second thread (small models).

Softmax regression on images (784 x 10 weights) spends about 40 % of an
epoch copying the shuffled rows of each batch out of the training set, and
its GEMMs are too small to keep two BLAS threads busy. For such a model a
better use of two cores is one BLAS thread for the maths and one helper
thread that copies the rows of the next few batches into the other half of a
two-slot buffer, so the copy overlaps the maths instead of preceding it.
The batches and their order are the same as without the helper (the gather
is a copy); values can differ in the last bits, because OpenBLAS may order a
GEMM's sums differently with one thread than with two (as it does whenever
the thread count changes).

For any model with a hidden layer the GEMMs need both cores and this loses
(784-32-10 on Fashion-MNIST: 0.089 vs 0.084 s/epoch), hence ``worthwhile``.
"""
from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from softmaxlab._kernels.threads import BLAS_THREADS, blas_controller, available_cpus
from softmaxlab.train.batching import batch_starts
from softmaxlab.nn.layers import Linear

__all__ = ["PrefetchedBatches", "worthwhile"]

#: Bytes gathered per hand-off: several batches at once, since a hand-off
#: between threads costs 20-50 us on a small VM; 2 MiB stays in L2/L3 cache.
CHUNK_BYTES = 2 << 20
#: Most Linear weights (all layers together) for which the helper pays off.
MAX_WEIGHTS = 1 << 14
#: Fewest bytes per batch worth copying on another thread.
MIN_BATCH_BYTES = 1 << 16
#: Fewest bytes per epoch: starting the helper and the first, unoverlapped
#: chunk cost about a millisecond per epoch, which short epochs do not repay
#: (784-wide rows: 6000 rows measured 5.6 -> 8.5 ms/epoch, 10000 rows
#: 19.6 -> 16-18, 60000 rows 59 -> 50).
MIN_EPOCH_BYTES = 32 << 20


class _OneBlasThread:
    """BLAS limited to one thread while at least one gathering epoch runs:
    a wish of 1 held in the process-wide count (``threads.BLAS_THREADS``),
    so overlapping epochs of several trainers never restore each other's
    limits."""

    def __enter__(self):
        BLAS_THREADS.hold(id(self), 1)

    def __exit__(self, *exc):
        BLAS_THREADS.release(id(self))
        return False


def _cpus() -> int:
    return available_cpus()


def worthwhile(model, batch_size: int, X: np.ndarray) -> bool:
    """Whether gathering on a helper thread should speed up this epoch.

    Parameters
    ----------
    model : Sequential
    batch_size : int
    X : ndarray of shape (n_rows, n_features)
        The epoch's training rows.

    Yes when the model is small (at most ``MAX_WEIGHTS`` Linear weights),
    a batch holds at least ``MIN_BATCH_BYTES`` and the epoch at least
    ``MIN_EPOCH_BYTES``, this process may use two CPUs, and the BLAS runs at
    least two threads (one of which the helper then takes over, so no more
    threads run than the user allowed).
    """
    weights = sum(layer.params["W"].size for layer in model.layers if isinstance(layer, Linear))
    row_bytes = X.shape[1] * X.itemsize
    if (weights > MAX_WEIGHTS or batch_size * row_bytes < MIN_BATCH_BYTES
            or X.shape[0] * row_bytes < MIN_EPOCH_BYTES or _cpus() < 2):
        return False
    blas = blas_controller().lib_controllers
    return bool(blas) and all(lib.num_threads >= 2 for lib in blas)


class PrefetchedBatches:
    """Context manager yielding the row blocks ``X[order[s:s + batch_size]]``
    in order, each gathered ahead on a helper thread.

    Parameters
    ----------
    X : ndarray of shape (n, n_features)
    order : ndarray of shape (n,), int
        This epoch's permutation.
    batch_size : int
    cache : dict, optional
        Where to keep the two-slot ring between epochs (the caller's work
        buffer dict), so each epoch does not allocate and fault in 4 MB anew.

    Usage::

        with PrefetchedBatches(X, order, bs) as batches:
            for xb in batches:      # (bs, n_features) views, the last one shorter
                ...

    Inside the block BLAS runs one thread. A yielded view is valid until the
    next one is requested: the helper fills one slot of a two-slot ring while
    the caller reads the other, and refills a slot as soon as the first batch
    of the following slot has been handed out.
    """

    def __init__(self, X, order, batch_size, cache=None):
        self.X, self.order, self.batch_size = X, order, int(batch_size)
        per_batch = self.batch_size * X.shape[1] * X.itemsize
        self.chunk_rows = self.batch_size * max(1, math.ceil(CHUNK_BYTES / per_batch))
        key = (min(self.chunk_rows, len(order)), X.shape[1], X.dtype)
        ring = None if cache is None else cache.get(key)
        if ring is None:
            ring = [np.empty(key[:2], dtype=X.dtype) for _ in range(2)]
            if cache is not None:
                cache.clear()  # one ring at a time: the data's width or dtype changed
                cache[key] = ring
        self._ring = ring
        self._pool = None

    def _gather(self, c):
        idx = self.order[c * self.chunk_rows:(c + 1) * self.chunk_rows]
        # mode="clip": indices from a permutation are in range, and the
        # default mode="raise" would buffer `out` (a second copy).
        return np.take(self.X, idx, axis=0, out=self._ring[c % 2][:len(idx)], mode="clip")

    def _wait(self, pending):
        """The gathered chunk (a method of its own so a profiler can time
        how long the caller waits for the helper)."""
        return pending.result()

    def __enter__(self):
        self._one_thread = _OneBlasThread()
        self._one_thread.__enter__()
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="softmaxlab-gather")
        return self

    def __exit__(self, *exc):
        # Waits for a gather still running (at most one chunk, milliseconds),
        # so the helper never writes into the ring after the epoch ends.
        try:
            self._pool.shutdown(wait=True)
        finally:
            self._one_thread.__exit__()
        return False

    def __iter__(self):
        n_chunks = -(-len(self.order) // self.chunk_rows)
        pending = self._pool.submit(self._gather, 0)
        for c in range(n_chunks):
            chunk = self._wait(pending)
            if c + 1 < n_chunks:
                pending = self._pool.submit(self._gather, c + 1)
            for s in batch_starts(chunk.shape[0], self.batch_size):
                yield chunk[s:s + self.batch_size]
