"""Minibatches: one definition of an epoch's order and batch boundaries,
shared by the Trainer, both engines and iterate_minibatches."""
from __future__ import annotations

import numpy as np
import pytest

from softmaxlab.train import iterate_minibatches
from softmaxlab.train.batching import batch_starts, epoch_order


def test_minibatches_cover_each_row_once():
    rng = np.random.default_rng(0)
    batches = list(iterate_minibatches(10, 4, rng))
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(np.concatenate(batches).tolist()) == list(range(10))
    ordered = list(iterate_minibatches(5, 2, shuffle=False))
    assert [b.tolist() for b in ordered] == [[0, 1], [2, 3], [4]]
    with pytest.raises(ValueError, match="batch_size"):
        list(iterate_minibatches(5, 0, rng))
    with pytest.raises(ValueError, match="rng"):
        list(iterate_minibatches(5, 2))


def test_the_order_is_one_permutation_from_the_generator():
    assert np.array_equal(epoch_order(7, np.random.default_rng(3)),
                          np.random.default_rng(3).permutation(7))
    assert epoch_order(7, None, shuffle=False) is None
    assert list(batch_starts(10, 4)) == [0, 4, 8]
    rows = np.concatenate(list(iterate_minibatches(10, 4, np.random.default_rng(3))))
    assert np.array_equal(rows, np.random.default_rng(3).permutation(10))
