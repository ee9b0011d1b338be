"""The classic teaching figures (softmax regression by hand on 4-bit numbers,
the spiral, digits with per-sample SGD), reproduced with the engine."""
import numpy as np
import pytest
from scipy.optimize import linprog

import softmaxlab as sl
from softmaxlab.data import Preprocessor, load_dataset, make_binary_mod, split_dataset


def _bits(k):
    s = make_binary_mod(4, k)
    return s.X.astype(np.float64), np.asarray(s.y)


def test_by_hand_mod4_hand_set_weights_score_16_of_16():
    X, y = _bits(4)
    W = np.array([[-1, -1, 0, 0], [1, -1, 0, 0], [-1, 1, 0, 0], [1, 1, 0, 0]], dtype=float)
    model = sl.from_weights([(W.T, np.zeros(4))])  # W written as (classes, bits)
    assert int(np.sum(model.predict(X) == y)) == 16


def test_by_hand_mod3_guess_beats_chance():
    X, y = _bits(3)
    W = np.array([[0, 0, 0, 0], [1, -1, 1, -1], [-1, 1, -1, 1]], dtype=float)
    model = sl.from_weights([(W.T, np.array([0.1, 0, 0]))])
    assert int(np.sum(model.predict(X) == y)) > 16 / 3


def _linearly_separable(X, y, n_classes):
    """LP feasibility: is there (W, b) with (w_y - w_k).x + (b_y - b_k) >= 1
    for every point and every other class k? (Margin 1 is no loss of
    generality: any strict separator can be scaled up to it.)"""
    d = X.shape[1] + 1
    Xb = np.hstack([X, np.ones((len(X), 1))])
    rows = []
    for x, c in zip(Xb, y, strict=True):
        for k in range(n_classes):
            if k != c:
                r = np.zeros(n_classes * d)
                r[c * d:(c + 1) * d] = -x
                r[k * d:(k + 1) * d] = x
                rows.append(r)
    res = linprog(np.zeros(n_classes * d), A_ub=np.array(rows), b_ub=-np.ones(len(rows)),
                  bounds=(None, None), method="highs")
    return res.status == 0


def test_by_hand_mod3_full_batch_gd_reaches_14_of_16_the_linear_optimum():
    X, y = _bits(3)
    # Trained to convergence from a random start (lr 0.5, full batch).
    rng = np.random.default_rng(0)
    model = sl.softmax_regression(4, 3, init=sl.nn.normal(1.0), rng=rng, dtype=np.float64)
    trainer = sl.Trainer(model, sl.SGD(model.parameters(), lr=0.5), rng=rng, batch_size="full")
    trainer.fit(X, y, epochs=3000)
    assert int(np.sum(model.predict(X) == y)) == 14
    # ...and 14 is the best any linear model can do: all 16 are not linearly
    # separable, nor is any subset of 15.
    assert not _linearly_separable(X, y, 3)
    for drop in range(16):
        keep = np.arange(16) != drop
        assert not _linearly_separable(X[keep], y[keep], 3)
    assert _linearly_separable(X[[0, 1, 2, 3]], y[[0, 1, 2, 3]], 3)  # the check can say yes


@pytest.fixture(scope="module")
def spiral():
    ds = load_dataset("spiral", seed=0)
    sp = split_dataset(ds, 0.15, 0.15, seed=0)
    pre = Preprocessor("standard").fit(sp.X_train)
    return pre.transform(sp.X_train), sp.y_train, pre.transform(sp.X_test), sp.y_test


@pytest.mark.parametrize("hidden,low,high", [([], 0.0, 0.65), ([100], 0.97, 1.0)])
def test_spiral_linear_fails_mlp_succeeds(spiral, hidden, low, high):
    Xtr, ytr, Xte, yte = spiral
    rng = np.random.default_rng(0)
    model = sl.mlp(2, hidden, 3, activation="relu", rng=rng)
    # The classic NumPy MLP's settings: lr 1.0, 1000 full-batch epochs.
    sl.Trainer(model, sl.SGD(model.parameters(), lr=1.0), rng=rng, batch_size="full").fit(
        Xtr, ytr, epochs=1000)
    acc = float(np.mean(model.predict(Xte) == yte))
    assert low <= acc <= high, acc


@pytest.mark.parametrize("kind,threshold", [("softmax", 0.95), ("mlp", 0.97)])
def test_digits(digits_split, kind, threshold):
    Xtr, Xte, ytr, yte = digits_split
    rng = np.random.default_rng(0)
    if kind == "softmax":
        model = sl.softmax_regression(64, 10, rng=rng)
        opt = sl.SGD(model.parameters(), lr=0.1, momentum=0.9)
    else:
        model = sl.mlp(64, [100], 10, rng=rng)
        opt = sl.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    sl.Trainer(model, opt, rng=rng, batch_size=32).fit(Xtr, ytr, epochs=30)
    assert float(np.mean(model.predict(Xte.astype(np.float32)) == yte)) >= threshold


def test_digits_per_sample_sgd_one_epoch(digits_split):
    # Logistic regression by per-sample SGD, lr 0.01, one epoch.
    Xtr, Xte, ytr, yte = digits_split
    rng = np.random.default_rng(0)
    model = sl.softmax_regression(64, 10, rng=rng)
    trainer = sl.Trainer(model, sl.SGD(model.parameters(), lr=0.01), rng=rng, batch_size=1)
    h = trainer.fit(Xtr, ytr, epochs=1)
    assert trainer.samples_seen == len(Xtr)
    assert h.train_loss[0] < np.log(10)
    assert float(np.mean(model.predict(Xte.astype(np.float32)) == yte)) > 0.9
