"""The fast path's helper-thread gather (_kernels/prefetch.py): same batches, same order,
same training (to float32 rounding), BLAS limits and threads always restored."""
import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from softmaxlab.nn import mlp, softmax_regression
from softmaxlab.optim import SGD, Adam
from softmaxlab.train import Callback, Trainer, TrainingDivergedError
from softmaxlab._kernels import prefetch as _prefetch
from softmaxlab._kernels.options import fast_path_options
from softmaxlab._kernels.prefetch import PrefetchedBatches, worthwhile


def _blas_threads():
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


def _helpers():
    return [t for t in threading.enumerate() if t.name.startswith("softmaxlab-gather")]


@pytest.mark.parametrize("n, bs, chunk_bytes", [
    (1000, 64, 2 << 20),      # one chunk holds the whole epoch
    (1000, 64, 64 * 8 * 4),   # one batch per chunk
    (1003, 64, 3 * 64 * 32),  # chunks of 3 batches (rounded up), partial last batch and chunk
    (5, 64, 1 << 10),         # fewer rows than one batch
])
def test_yields_exactly_the_rows_of_each_batch_in_order(monkeypatch, n, bs, chunk_bytes):
    monkeypatch.setattr(_prefetch, "CHUNK_BYTES", chunk_bytes)
    rng = np.random.default_rng(0)
    X = rng.random((n, 8), dtype=np.float32)
    order = rng.permutation(n)
    seen = []
    with PrefetchedBatches(X, order, bs) as batches:
        for xb in batches:
            seen.append(xb.copy())
    expected = [X[order[s:s + bs]] for s in range(0, n, bs)]
    assert len(seen) == len(expected)
    for got, want in zip(seen, expected, strict=True):
        np.testing.assert_array_equal(got, want)


def test_limits_blas_to_one_thread_inside_and_restores_after_an_error():
    X = np.ones((600, 4), dtype=np.float32)
    with threadpool_limits(2, user_api="blas"):
        before = _blas_threads()
        with pytest.raises(RuntimeError, match="boom"):
            with PrefetchedBatches(X, np.arange(600), 64) as batches:
                for _ in batches:
                    assert set(_blas_threads()) == {1}
                    raise RuntimeError("boom")
        assert _blas_threads() == before
    assert not _helpers()


def test_overlapping_epochs_share_the_blas_limit_and_restore_the_original():
    # Two trainers prefetching at once (threads of one Dask worker): the
    # second must not save the first's limit of 1 and restore it at the end,
    # and the first must not lift the limit while the second still runs.
    X = np.ones((600, 4), dtype=np.float32)
    with threadpool_limits(2, user_api="blas"):
        before = _blas_threads()
        first = PrefetchedBatches(X, np.arange(600), 64).__enter__()
        second = PrefetchedBatches(X, np.arange(600), 64).__enter__()
        assert set(_blas_threads()) == {1}
        first.__exit__(None, None, None)
        assert set(_blas_threads()) == {1}
        second.__exit__(None, None, None)
        assert _blas_threads() == before
    assert not _helpers()


def test_ring_buffers_are_reused_across_epochs():
    X = np.ones((600, 4), dtype=np.float32)
    cache = {}
    with PrefetchedBatches(X, np.arange(600), 64, cache=cache) as batches:
        ring = batches._ring
        list(batches)
    with PrefetchedBatches(X, np.arange(600), 64, cache=cache) as batches:
        assert all(a is b for a, b in zip(batches._ring, ring, strict=True))


def _fashion_like(n=3000, d=784, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, d), dtype=np.float32)
    y = rng.integers(0, 10, n)
    return X, y


@pytest.mark.parametrize("make_opt", [lambda p: SGD(p, lr=0.1), lambda p: Adam(p, lr=1e-3)])
def test_training_matches_the_serial_gather(make_opt):
    X, y = _fashion_like()
    weights = {}
    for prefetch in (False, True, True):
        model = softmax_regression(784, 10, init="normal", rng=np.random.default_rng(1))
        trainer = Trainer(model, make_opt(model.parameters()), batch_size=64, rng=2)
        with fast_path_options(prefetch=prefetch):
            trainer.fit(X, y, epochs=3)
        weights.setdefault(prefetch, []).append(model.get_weights())
        assert not _helpers()
    # Same batches: equal up to BLAS summing in another order with one thread.
    for a, b in zip(weights[False][0], weights[True][0], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    # Same setting, same bits.
    for a, b in zip(weights[True][0], weights[True][1], strict=True):
        np.testing.assert_array_equal(a, b)


def test_interrupt_mid_epoch_restores_weights_and_blas_threads():
    X, y = _fashion_like()

    class Interrupt(Callback):
        def on_batch_end(self, trainer, batch, logs):
            if batch == 5:
                raise KeyboardInterrupt

    model = softmax_regression(784, 10, init="normal", rng=np.random.default_rng(1))
    start = model.get_weights()
    trainer = Trainer(model, SGD(model.parameters(), lr=0.1), batch_size=64, rng=2,
                      callbacks=[Interrupt()])
    with threadpool_limits(2, user_api="blas"), fast_path_options(prefetch=True):
        with pytest.raises(KeyboardInterrupt):
            trainer.fit(X, y, epochs=2)
        assert set(_blas_threads()) == {2}
    for a, b in zip(model.get_weights(), start, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not _helpers()


def test_divergence_mid_epoch_is_reported_and_cleaned_up():
    X, y = _fashion_like()
    X *= 1000  # unscaled inputs and a huge learning rate: the loss overflows within batches
    model = softmax_regression(784, 10, init="normal", rng=np.random.default_rng(1))
    trainer = Trainer(model, SGD(model.parameters(), lr=1e36), batch_size=64, rng=2)
    with threadpool_limits(2, user_api="blas"), fast_path_options(prefetch=True):
        with pytest.raises(TrainingDivergedError) as info:
            trainer.fit(X, y, epochs=1)
        assert info.value.batch > 1  # mid-epoch, with the helper running
        assert set(_blas_threads()) == {2}
    assert all(np.isfinite(w).all() for w in model.get_weights())
    assert not _helpers()


def test_auto_picks_small_models_on_wide_rows_only(monkeypatch):
    monkeypatch.setattr(_prefetch, "_cpus", lambda: 2)
    wide = np.empty((12000, 784), dtype=np.float32)     # 36 MiB, 196 KiB per 64-row batch
    small = softmax_regression(784, 10, rng=np.random.default_rng(0))
    hidden = mlp(784, [32], 10, rng=np.random.default_rng(0))
    with threadpool_limits(2, user_api="blas"):
        assert worthwhile(small, 64, wide)
        assert not worthwhile(hidden, 64, wide)        # its GEMMs need both cores
        assert not worthwhile(small, 64, wide[:4000])   # too short an epoch
        assert not worthwhile(small, 16, wide)         # batches too small to matter
    with threadpool_limits(1, user_api="blas"):
        assert not worthwhile(small, 64, wide)         # the user asked for one thread
    monkeypatch.setattr(_prefetch, "_cpus", lambda: 1)
    with threadpool_limits(2, user_api="blas"):
        assert not worthwhile(small, 64, wide)         # one CPU: nothing to overlap


def test_prefetch_option_is_validated():
    with pytest.raises(ValueError, match="prefetch must be one of 'auto', True, False, got 'yes'"):
        with fast_path_options(prefetch="yes"):
            pass
