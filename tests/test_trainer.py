"""Trainer: batching modes, history, determinism, early stopping, divergence,
interrupts, callbacks, resume."""
import math

import numpy as np
import pytest

from softmaxlab.nn import SoftmaxCrossEntropy, mlp, softmax_regression
from softmaxlab.optim import SGD, Adam, make_schedule
from softmaxlab.train import Callback, Trainer, TrainingDivergedError


def _blobs(rng, n=300, d=5, c=3):
    centers = rng.standard_normal((c, d)) * 3
    y = rng.integers(0, c, n)
    return (centers[y] + rng.standard_normal((n, d))).astype(np.float32), y


#: Rollback, interrupts, early stopping and resume are the Trainer's, the same
#: on both engines: their tests run on each.
BOTH_ENGINES = pytest.mark.parametrize("engine", ["reference", "fast"])


def _mlp_trainer(seed, **kw):
    rng = np.random.default_rng(seed)
    model = mlp(5, [16, 8], 3, dropout=0.2, rng=rng)
    return Trainer(model, SGD(model.parameters(), lr=0.05, momentum=0.9), rng=rng, batch_size=32, **kw)


@pytest.mark.parametrize("batch_size,steps", [("full", 1), (1, 300), (64, 5)])
def test_batching_modes(batch_size, steps, rng):
    X, y = _blobs(rng)
    model = softmax_regression(5, 3, rng=rng)
    t = Trainer(model, SGD(model.parameters(), lr=0.05), rng=rng, batch_size=batch_size)
    seen = []

    class Count(Callback):
        def on_batch_end(self, trainer, batch, logs):
            seen.append(logs["size"])

    t.callbacks.append(Count())
    h = t.fit(X, y, epochs=2)
    assert len(seen) == 2 * steps and sum(seen) == 2 * len(X)
    assert h.train_loss[1] < h.train_loss[0] < math.log(3) + 0.5
    assert t.samples_seen == 600 and t.epoch == 2


def test_each_epoch_is_a_permutation(rng):
    X = np.arange(10, dtype=np.float32)[:, None]
    y = np.zeros(10, dtype=int)
    model = softmax_regression(1, 2, rng=rng)
    # The reference engine, whose Linear layer caches its input batch; the
    # fast path draws the same permutations (tests/test_engines.py).
    t = Trainer(model, SGD(model.parameters(), lr=0.01), rng=rng, batch_size=3, engine="reference")
    rows = []

    class Spy(Callback):
        def on_batch_end(self, trainer, batch, logs):
            rows.extend(model.layers[0]._X[:, 0].tolist())

    t.callbacks.append(Spy())
    t.fit(X, y, epochs=3)
    for e in range(3):
        assert sorted(rows[10 * e:10 * (e + 1)]) == list(range(10))  # no replacement
    assert rows[:10] != rows[10:20]  # a fresh permutation each epoch


def test_history_contents(rng):
    X, y = _blobs(rng)
    t = _mlp_trainer(1, schedule=None)
    h = t.fit(X[:200], y[:200], epochs=3, X_val=X[200:], y_val=y[200:])
    assert h.epoch == [1, 2, 3] and h.stopped == "completed"
    assert all(0 <= a <= 1 for a in h.train_acc + h.val_acc)
    assert all(s > 0 for s in h.seconds) and h.lr == [0.05] * 3
    assert h.has_validation
    loss, acc = t.evaluate(X[200:], y[200:])
    assert (loss, acc) == (h.val_loss[-1], h.val_acc[-1])
    h2 = t.fit(X[:200], y[:200], epochs=2)  # continues: epochs are added
    assert h2.epoch == [1, 2, 3, 4, 5] and math.isnan(h2.val_loss[-1])


def test_schedule_changes_recorded_lr(rng):
    X, y = _blobs(rng)
    model = softmax_regression(5, 3, rng=rng)
    opt = SGD(model.parameters(), lr=0.1)
    t = Trainer(model, opt, rng=rng, schedule=make_schedule("step", opt, step_size=1, gamma=0.5))
    assert t.fit(X, y, epochs=3).lr == [0.1, 0.05, 0.025]


def test_same_seed_same_bits_different_seed_differs(rng):
    X, y = _blobs(rng)

    def weights(seed):
        t = _mlp_trainer(seed)
        t.fit(X, y, epochs=3)
        return t.model.get_weights()

    a, b, c = weights(7), weights(7), weights(8)
    assert all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))
    assert not all(np.array_equal(u, v) for u, v in zip(a, c, strict=True))


def test_float32_in_float32_params_out_and_float64_on_request(rng):
    X, y = _blobs(rng)
    t = _mlp_trainer(0)
    t.fit(X.astype(np.float64), y, epochs=1)
    assert all(w.dtype == np.float32 for w in t.model.get_weights())
    m64 = mlp(5, [4], 3, rng=rng, dtype=np.float64)
    Trainer(m64, Adam(m64.parameters()), rng=rng).fit(X, y, epochs=1)
    assert all(w.dtype == np.float64 for w in m64.get_weights())


@BOTH_ENGINES
def test_early_stopping_restores_best_weights(rng, engine):
    X, y = _blobs(rng, n=200)
    Xv, yv = X[:40], (y[:40] + 1) % 3  # validation labels disagree: val loss rises
    snapshots = {}

    class Snap(Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            snapshots[epoch] = trainer.model.get_weights()

    t = _mlp_trainer(0, early_stopping=True, patience=3, callbacks=[Snap()], engine=engine)
    h = t.fit(X, y, epochs=50, X_val=Xv, y_val=yv)
    assert h.stopped == "early_stopping"
    assert len(h) == h.best_epoch + 3
    assert h.best_epoch == int(np.argmin(h.val_loss)) + 1
    for u, v in zip(t.model.get_weights(), snapshots[h.best_epoch], strict=True):
        np.testing.assert_array_equal(u, v)
    assert t.engine_used == engine


@BOTH_ENGINES
def test_divergence_stops_with_clear_error_and_keeps_finite_weights(rng, engine):
    X, y = _blobs(rng)
    X = X * 1000  # unscaled inputs
    model = mlp(5, [16], 3, rng=rng)
    t = Trainer(model, SGD(model.parameters(), lr=1e4), rng=rng, batch_size=32, engine=engine)
    with pytest.raises(TrainingDivergedError) as info:
        t.fit(X, y, epochs=5)
    err = info.value
    msg = str(err)
    assert f"epoch {err.epoch}" in msg and "learning rate" in msg and "scale" in msg
    assert t.history.stopped == "diverged" and len(t.history) == err.epoch - 1
    assert all(np.all(np.isfinite(w)) for w in model.get_weights())
    assert np.all(np.isfinite(model.predict_proba(X[:5] / 1000)))


@BOTH_ENGINES
def test_keyboard_interrupt_restores_last_finished_epoch(rng, engine):
    X, y = _blobs(rng)
    t = _mlp_trainer(0, engine=engine)
    after = {}

    class Interrupt(Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            after[epoch] = trainer.model.get_weights()

        def on_batch_end(self, trainer, batch, logs):
            if logs["epoch"] == 2 and batch == 3:
                raise KeyboardInterrupt

    t.callbacks.append(Interrupt())
    with pytest.raises(KeyboardInterrupt):
        t.fit(X, y, epochs=5)
    assert t.history.stopped == "interrupted" and len(t.history) == 1
    assert t.samples_seen == len(X)  # the interrupted epoch's rows are not counted
    for u, v in zip(t.model.get_weights(), after[1], strict=True):
        np.testing.assert_array_equal(u, v)


@BOTH_ENGINES
def test_state_dict_resume_is_bit_identical(rng, engine):
    X, y = _blobs(rng)
    Xv, yv = X[:50], y[:50]

    def make(seed=3):
        r = np.random.default_rng(seed)
        model = mlp(5, [16], 3, dropout=0.3, rng=r)
        opt = Adam(model.parameters(), lr=0.01)
        return Trainer(model, opt, rng=r, batch_size=32, early_stopping=True, patience=50,
                       schedule=make_schedule("plateau", opt, patience=1), engine=engine)

    full = make()
    full.fit(X, y, epochs=6, X_val=Xv, y_val=yv)
    first = make()
    first.fit(X, y, epochs=2, X_val=Xv, y_val=yv)
    state = first.state_dict()
    resumed = make(seed=999)  # a different seed: everything must come from the state
    resumed.load_state_dict(state)
    resumed.fit(X, y, epochs=4, X_val=Xv, y_val=yv)
    for u, v in zip(full.model.get_weights(), resumed.model.get_weights(), strict=True):
        np.testing.assert_array_equal(u, v)
    assert full.history.train_loss == resumed.history.train_loss


def test_sample_weights_change_the_fit(rng):
    X, y = _blobs(rng)
    sw = np.where(y == 0, 5.0, 1.0)

    def fit(weights):
        r = np.random.default_rng(0)
        m = softmax_regression(5, 3, rng=r)
        Trainer(m, SGD(m.parameters(), lr=0.1), SoftmaxCrossEntropy(), rng=r).fit(
            X, y, epochs=2, sample_weight=weights)
        return m.get_weights()[0]

    assert not np.array_equal(fit(None), fit(sw))
    np.testing.assert_array_equal(fit(None), fit(np.ones(len(y))))


def test_input_validation(rng):
    X, y = _blobs(rng)
    t = _mlp_trainer(0)
    with pytest.raises(ValueError, match="3 rows"):
        t.fit(X[:3], y[:4], epochs=1)
    with pytest.raises(ValueError, match="features"):
        t.fit(X[:, :4], y, epochs=1)
    Xn = X.copy()
    Xn[[1, 5], 0] = np.nan
    with pytest.raises(ValueError, match="2 of 300 rows"):
        t.fit(Xn, y, epochs=1)
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        t.fit(X, y + 1, epochs=1)
    with pytest.raises(ValueError, match="epochs"):
        t.fit(X, y, epochs=0)
    with pytest.raises(ValueError, match="batch_size"):
        Trainer(t.model, t.optimizer, batch_size=0)


@BOTH_ENGINES
@pytest.mark.parametrize("where", ["evaluate", "callback"])
def test_interrupt_during_validation_or_callback_keeps_model_and_history_in_step(where, rng,
                                                                                monkeypatch,
                                                                                engine):
    X, y = _blobs(rng)
    t = _mlp_trainer(0, engine=engine)
    ends = {}

    class Spy(Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            ends[epoch] = trainer.model.get_weights()
            if where == "callback" and epoch == 2:
                raise KeyboardInterrupt

    t.callbacks.append(Spy())
    if where == "evaluate":
        import softmaxlab.train.trainer as trainer_module

        real = trainer_module.evaluate_in_chunks

        def interrupted(*a):
            if t.epoch == 1:  # during epoch 2's validation
                raise KeyboardInterrupt
            return real(*a)

        monkeypatch.setattr(trainer_module, "evaluate_in_chunks", interrupted)
    with pytest.raises(KeyboardInterrupt):
        t.fit(X, y, epochs=5, X_val=X[:50], y_val=y[:50])
    assert t.history.stopped == "interrupted"
    assert len(t.history) == t.epoch
    for u, v in zip(t.model.get_weights(), ends[t.epoch], strict=True):
        np.testing.assert_array_equal(u, v)


@BOTH_ENGINES
def test_validation_overflow_is_divergence_and_the_trainer_rolls_back(rng, engine):
    """A finite training loss but weights so large that the validation
    logits overflow: the trainer goes back to the start of that epoch and
    raises, and history and weights still agree."""
    X, y = _blobs(rng)
    model = mlp(X.shape[1], [8], 3, rng=rng)
    epoch_starts = []

    class Blowup(Callback):
        def on_epoch_begin(self, trainer, epoch):
            epoch_starts.append(trainer.model.get_weights())

        def on_batch_end(self, trainer, batch, logs):
            if logs["epoch"] == 2 and batch == 3:  # after epoch 2's last update: huge weights
                for p in trainer.model.parameters():
                    p.value[...] = 1e37

    t = Trainer(model, SGD(model.parameters(), lr=0.01), rng=0, batch_size=64,
                callbacks=[Blowup()], engine=engine)
    with pytest.raises(TrainingDivergedError, match="epoch 2: the validation loss became nan"):
        t.fit(X[:200], y[:200], epochs=3, X_val=X[200:], y_val=y[200:])
    assert len(t.history) == 1 and t.history.stopped == "diverged"
    for a, b in zip(model.get_weights(), epoch_starts[1], strict=True):
        np.testing.assert_array_equal(a, b)
