"""Performance invariants asserted by allocation counts, never by timing.

An epoch must not copy the training set: batches are gathered into a reused
work buffer, so the memory traced during an epoch stays far below the size of
X (the permutation, the permuted labels and O(batch) buffers only).
"""
import tracemalloc

import numpy as np

from softmaxlab._kernels.options import fast_path_options
from softmaxlab.nn import mlp, softmax_regression
from softmaxlab.optim import SGD, Adam
from softmaxlab.train import Trainer


def _data(n=20000, d=200, c=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, d), dtype=np.float32)
    y = rng.integers(0, c, n)
    return X, y


def _peak_during_epoch(trainer, X, y):
    trainer.train_epoch(X, y)  # first epoch allocates the reused buffers
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        trainer.train_epoch(X, y)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


def test_epoch_makes_no_copy_of_the_training_set():
    X, y = _data()
    rng = np.random.default_rng(0)
    model = mlp(X.shape[1], [32], 5, rng=rng)
    trainer = Trainer(model, SGD(model.parameters(), lr=0.1), batch_size=64, rng=rng)
    peak = _peak_during_epoch(trainer, X, y)
    # X is 16 MB. Permutation + permuted labels are 0.3 MB and a batch is
    # tiny; input validation's finiteness mask is one byte per value
    # (X.nbytes / 4). A per-epoch shuffled copy of X would add X.nbytes.
    assert peak < X.nbytes / 2, f"epoch peak {peak} bytes vs X {X.nbytes} bytes"


def test_epoch_with_the_helper_thread_gather_makes_no_copy_either():
    X, y = _data()
    rng = np.random.default_rng(0)
    model = softmax_regression(X.shape[1], 5, rng=rng)
    trainer = Trainer(model, SGD(model.parameters(), lr=0.1), batch_size=64, rng=rng)
    with fast_path_options(prefetch=True):
        peak = _peak_during_epoch(trainer, X, y)
    # The two-slot ring (2 x ~2 MiB) is allocated in the first epoch and reused.
    assert peak < X.nbytes / 2, f"epoch peak {peak} bytes vs X {X.nbytes} bytes"
    assert len(trainer.fast_path.ring) == 1


def test_work_buffers_are_reused_across_epochs():
    X, y = _data(n=1000, d=20)
    rng = np.random.default_rng(0)
    model = softmax_regression(20, 5, rng=rng)
    trainer = Trainer(model, Adam(model.parameters()), batch_size=64, rng=rng)
    trainer.train_epoch(X, y)
    buffers = trainer.fast_path.buffers
    first = {k: id(v) for k, v in buffers.items()}
    trainer.train_epoch(X, y)
    assert {k: id(v) for k, v in buffers.items()} == first
    # one buffer for full batches, one for the last partial batch (1000 % 64 = 40)
    assert sorted(k[0] for k in buffers) == [40, 64]


def test_fast_optimizer_step_allocates_no_parameter_sized_temporaries():
    from softmaxlab._kernels.optim import fast_optimizer

    rng = np.random.default_rng(0)
    model = mlp(400, [300], 10, rng=rng)
    for ref in (SGD(model.parameters(), lr=0.1), SGD(model.parameters(), lr=0.1, momentum=0.9),
                Adam(model.parameters())):
        opt = fast_optimizer(ref)
        for p in model.parameters():
            p.grad[...] = 0.01
        opt.step()
        tracemalloc.start()
        try:
            tracemalloc.reset_peak()
            opt.step()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        w1 = model.parameters()[0].value.nbytes
        assert peak < w1 / 4, f"{type(opt).__name__} step peak {peak} bytes vs W {w1} bytes"


def test_cached_constants_stay_small_and_read_only():
    # On the fast path ReLU compares against cached zeros and Linear sums the
    # bias gradient with cached ones. A large batch must not leave a
    # data-set-sized block behind, and nobody may write into the cache.
    from softmaxlab._kernels import network
    from softmaxlab._kernels.network import FastNetwork

    rng = np.random.default_rng(0)
    model = mlp(20, [300], 3, rng=rng)
    net = FastNetwork(model)
    X = rng.random((64, 20), dtype=np.float32)
    net.forward(X)
    net.backward(np.full((64, 3), 1 / 64, dtype=np.float32))
    net.forward(rng.random((20000, 20), dtype=np.float32))  # 20000 x 300 > the cap
    blocks = list(net.constants.values())
    assert blocks and all(b.size <= network._CONST_MAX_ELEMENTS for b in blocks)
    assert not any(b.flags.writeable for b in blocks)
