"""The NumPy fast path computes what the reference engine computes.

Both engines train the same model from the same weights on the same batches
(the same seed draws the same permutations and dropout masks); after every
batch the losses and every parameter must agree: to 1e-12 relative in
float64 (the engines sum in different orders, and the fast Adam keeps its
moments rescaled), to 1e-5 in float32. Also: "auto" takes the fast path
exactly where it applies, and the reference engine everywhere else.
"""
from __future__ import annotations

import numpy as np
import pytest

from softmaxlab.nn import (
    Linear,
    ReLU,
    Sequential,
    SoftmaxCrossEntropy,
    mlp,
    softmax_regression,
)
from softmaxlab._kernels.epoch import FastPath
from softmaxlab._kernels.options import fast_path_options
from softmaxlab.optim import SGD, Adam, make_schedule
from softmaxlab.train import Callback, Trainer
from softmaxlab.train._reference import ReferenceStep

TOL = {np.float64: 1e-12, np.float32: 1e-5}

OPTIMIZERS = {
    "sgd": lambda p: SGD(p, lr=0.05),
    "momentum": lambda p: SGD(p, lr=0.02, momentum=0.9),
    "nesterov": lambda p: SGD(p, lr=0.02, momentum=0.9, nesterov=True),
    "sgd_decay": lambda p: SGD(p, lr=0.05, weight_decay=1e-3),
    "momentum_decay": lambda p: SGD(p, lr=0.02, momentum=0.5, weight_decay=1e-2),
    "adam": lambda p: Adam(p, lr=1e-2),
    "adam_decay": lambda p: Adam(p, lr=1e-2, weight_decay=1e-2, betas=(0.8, 0.99)),
}


class Recorder(Callback):
    """Every batch's loss and the weights right after its update."""

    def __init__(self):
        self.losses, self.weights = [], []

    def on_batch_end(self, trainer, batch, logs):
        self.losses.append(logs["loss"])
        self.weights.append(trainer.model.get_weights())


def _data(n=150, d=12, c=4, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = (X[:, :c] ** 2 + 0.3 * rng.standard_normal((n, c))).argmax(axis=1)
    return X.astype(dtype), y


def _run(engine, build, make_opt, dtype, *, data=None, loss=None, sample_weight=None,
         epochs=2, batch_size=32, **trainer_kwargs):
    X, y = data if data is not None else _data(dtype=dtype)
    model = build(X.shape[1], np.random.default_rng(1), dtype)
    rec = Recorder()
    opt = make_opt(model.parameters())
    trainer = Trainer(model, opt, loss=loss, batch_size=batch_size, rng=2, callbacks=[rec],
                      engine=engine, schedule=make_schedule("step", opt, step_size=1, gamma=0.5),
                      **trainer_kwargs)
    trainer.fit(X, y, epochs=epochs, sample_weight=sample_weight)
    assert trainer.engine_used == engine
    return rec, trainer


def _rel(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300))


def _assert_same_steps(ref: Recorder, fast: Recorder, tol):
    assert len(ref.losses) == len(fast.losses) > 0
    for step, (lr_, lf) in enumerate(zip(ref.losses, fast.losses, strict=True)):
        assert abs(lr_ - lf) <= tol * abs(lr_), f"step {step}: loss {lf} vs reference {lr_}"
    for step, (wr, wf) in enumerate(zip(ref.weights, fast.weights, strict=True)):
        for i, (a, b) in enumerate(zip(wf, wr, strict=True)):
            assert _rel(a, b) <= tol, f"step {step}, parameter {i}: relative error {_rel(a, b):.2e}"


def _assert_same_epochs(ref: Trainer, fast: Trainer, tol):
    """What each engine reported per epoch: the training loss and accuracy."""
    for column in ("train_loss", "train_acc"):
        a, b = getattr(ref.history, column), getattr(fast.history, column)
        assert len(a) == len(b) > 0
        np.testing.assert_allclose(b, a, rtol=tol, atol=0, err_msg=column)


def _assert_engines_agree(build, make_opt, dtype, **kw):
    """Both engines from the same start on the same batches: the same losses
    and weights after every step, the same loss and accuracy per epoch."""
    (ref, ref_trainer), (fast, fast_trainer) = (_run(engine, build, make_opt, dtype, **kw)
                                                for engine in ("reference", "fast"))
    _assert_same_steps(ref, fast, TOL[dtype])
    _assert_same_epochs(ref_trainer, fast_trainer, TOL[dtype])


def _mlp(activation="relu", hidden=(16,), dropout=0.0):
    return lambda d, rng, dtype: mlp(d, list(hidden), 4, activation=activation, dropout=dropout,
                                     rng=rng, dtype=dtype)


def _softmax(d, rng, dtype):
    return softmax_regression(d, 4, init="glorot", rng=rng, dtype=dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("opt", list(OPTIMIZERS))
def test_every_optimizer_same_steps(opt, dtype):
    _assert_engines_agree(_mlp(hidden=(16, 8)), OPTIMIZERS[opt], dtype)


@pytest.mark.parametrize("engine", ["reference", "fast"])
@pytest.mark.parametrize("fault", ["loss 1% high", "a hit dropped per batch"])
def test_the_comparison_catches_an_engine_that_reports_wrong(engine, fault, monkeypatch):
    """A check that cannot fail checks nothing: make one engine's step report
    a loss 1 % too high, or one correct prediction too few per batch, and
    the comparison of the engines must fail."""
    step = ReferenceStep if engine == "reference" else FastPath
    if fault == "loss 1% high":
        real = step.loss_and_gradient

        def wrong(self, *batch):
            loss, logits, dlogits = real(self, *batch)
            return loss * 1.01, logits, dlogits

        monkeypatch.setattr(step, "loss_and_gradient", wrong)
    else:
        real_count = step.count_correct
        monkeypatch.setattr(step, "count_correct",
                            lambda self, logits, y: max(real_count(self, logits, y) - 1, 0))
    with pytest.raises(AssertionError):
        _assert_engines_agree(_mlp(), OPTIMIZERS["sgd"], np.float64)


@pytest.mark.parametrize("engine", ["reference", "fast"])
def test_a_hyperparameter_changed_between_batches_takes_effect_at_the_next_step(engine):
    """A callback sets the optimizer's lr and weight_decay after every batch;
    each step must use the values set just before it. Checked against plain
    SGD worked out here: W <- W - lr_k (g_k + wd_k W)."""
    X, y = _data(n=64, d=12)
    model = _softmax(12, np.random.default_rng(1), np.float64)
    opt = SGD(model.parameters(), lr=0.1)
    rates = [(0.1, 0.0), (0.5, 0.0), (0.02, 0.3), (0.2, 0.05)]
    seen = []

    class Change(Callback):
        def on_batch_end(self, trainer, batch, logs):
            seen.append(trainer.model.get_weights())
            lr, wd = rates[batch + 1] if batch + 1 < len(rates) else rates[-1]
            trainer.optimizer.lr, trainer.optimizer.weight_decay = lr, wd

    trainer = Trainer(model, opt, batch_size=16, shuffle=False, rng=0, callbacks=[Change()],
                      engine=engine)
    loss = trainer.loss
    W, b = (w.copy() for w in model.get_weights())
    trainer.fit(X, y, epochs=1)
    for k, (lr, wd) in enumerate(rates):
        rows = slice(16 * k, 16 * (k + 1))
        _, dlogits = loss(X[rows] @ W + b, y[rows])
        W = W - lr * (X[rows].T @ dlogits + wd * W)
        b = b - lr * dlogits.sum(axis=0)
        np.testing.assert_allclose(seen[k][0], W, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(seen[k][1], b, rtol=1e-12, atol=1e-15)
    assert trainer.engine_used == engine


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("build", [
    pytest.param(_softmax, id="softmax-regression"),
    pytest.param(_mlp("relu"), id="relu"),
    pytest.param(_mlp("leaky_relu"), id="leaky_relu"),
    pytest.param(_mlp("tanh"), id="tanh"),
    pytest.param(_mlp("sigmoid"), id="sigmoid"),
    pytest.param(_mlp("identity"), id="identity"),
    pytest.param(_mlp("relu", dropout=0.3), id="dropout"),
    pytest.param(_mlp("tanh", hidden=(8, 8, 8)), id="three-hidden"),
])
def test_every_layer_same_steps(build, dtype):
    for opt in ("momentum", "adam"):
        _assert_engines_agree(build, OPTIMIZERS[opt], dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighting", ["class", "sample", "both", "zero-weight-batches"])
def test_every_loss_weighting_same_steps(weighting, dtype):
    X, y = _data(dtype=dtype)
    rng = np.random.default_rng(5)
    class_weight = np.array([0.5, 2.0, 1.0, 3.0]) if weighting in ("class", "both") else None
    sw = rng.uniform(0.1, 3.0, len(y)) if weighting in ("sample", "both") else None
    if weighting == "zero-weight-batches":
        sw = np.zeros(len(y))
        sw[::7] = 1.0           # most batches carry little weight; batch-sized runs of zeros too
        sw[:40] = 0.0
    for opt in ("sgd", "adam"):
        runs = [_run(engine, _mlp(), OPTIMIZERS[opt], dtype, data=(X, y),
                     loss=SoftmaxCrossEntropy(class_weight), sample_weight=sw)[0]
                for engine in ("reference", "fast")]
        _assert_same_steps(*runs, TOL[dtype])


class EpochRecorder(Callback):
    """Each epoch's loss and the weights at its end: with one batch per
    epoch, every step, recorded without a batch hook (a batch hook makes the
    trainer keep every gradient, which turns the fused update off)."""

    def __init__(self):
        self.losses, self.weights = [], []

    def on_epoch_end(self, trainer, epoch, row):
        self.losses.append(row["train_loss"])
        self.weights.append(trainer.model.get_weights())


@pytest.mark.parametrize("opt", ["sgd", "momentum"])
def test_fused_gemm_update_same_steps(opt):
    """A first layer large enough for the fast path to fold the SGD update
    into its gradient GEMM (300 x 256 weights); the rate halves after every
    step (the schedule), and the fused update reads it each time."""
    X, y = _data(n=96, d=300)
    runs = []
    for engine in ("reference", "fast"):
        model = _mlp(hidden=(256,))(X.shape[1], np.random.default_rng(1), np.float64)
        rec, optimizer = EpochRecorder(), OPTIMIZERS[opt](model.parameters())
        trainer = Trainer(model, optimizer, batch_size="full", rng=2, callbacks=[rec],
                          engine=engine,
                          schedule=make_schedule("step", optimizer, step_size=1, gamma=0.5))
        trainer.fit(X, y, epochs=4)
        runs.append(rec)
    assert 0 in trainer.fast_path.network.fused or not trainer.fast_path.fusable()
    _assert_same_steps(*runs, 1e-12)


def test_prefetch_same_steps():
    """The helper-thread gather on softmax regression: same batches; BLAS at
    one thread may sum in another order, hence float64 rounding only."""
    data = _data(n=300, d=64)
    ref, _ = _run("reference", _softmax, OPTIMIZERS["sgd"], np.float64, data=data)
    with fast_path_options(prefetch=True):
        fast, _ = _run("fast", _softmax, OPTIMIZERS["sgd"], np.float64, data=data)
    _assert_same_steps(ref, fast, 1e-12)


def test_full_batch_and_unshuffled_same_steps():
    for kwargs in ({"batch_size": "full"}, {"shuffle": False, "batch_size": 7}):
        runs = [_run(engine, _mlp(), OPTIMIZERS["adam"], np.float64, **kwargs)[0]
                for engine in ("reference", "fast")]
        _assert_same_steps(*runs, 1e-12)


def test_adam_state_between_epochs_is_the_papers():
    """The fast Adam rescales its moments during an epoch and undoes it
    after, so a checkpoint holds the reference's m and v."""
    _, ref = _run("reference", _mlp(), OPTIMIZERS["adam"], np.float64)
    _, fast = _run("fast", _mlp(), OPTIMIZERS["adam"], np.float64)
    a, b = ref.optimizer.state_dict(), fast.optimizer.state_dict()
    assert a["scalars"] == b["scalars"]
    for k in a["arrays"]:
        assert _rel(b["arrays"][k], a["arrays"][k]) <= 1e-12


# ---- which engine "auto" picks ------------------------------------------------

class _MyReLU(ReLU):
    """A user's layer (here the same maths): the fast path cannot know that."""


class _MyLoss(SoftmaxCrossEntropy):
    pass


class _GradientSpy(Callback):
    """Reads a gradient after every batch: the trainer keeps them all written."""

    def __init__(self):
        self.norms = []

    def on_batch_end(self, trainer, batch, logs):
        self.norms.append(float(np.linalg.norm(trainer.model.layers[0].grads["W"])))


def _auto(model, loss=None, callbacks=(), X=None, opt=None):
    X = _data()[0] if X is None else X
    y = _data()[1]
    trainer = Trainer(model, opt or SGD(model.parameters(), lr=0.05), loss=loss, rng=0,
                      batch_size=32, callbacks=callbacks)
    trainer.fit(X, y, epochs=1)
    return trainer.engine_used


def test_auto_uses_the_fast_path_for_built_in_pieces():
    assert _auto(mlp(12, [8], 4, rng=np.random.default_rng(0), dtype=np.float64)) == "fast"


def test_auto_falls_back_to_the_reference_engine():
    rng = np.random.default_rng(0)
    custom = Sequential([Linear(12, 8, rng=rng, dtype=np.float64), _MyReLU(),
                         Linear(8, 4, rng=rng, dtype=np.float64)])
    assert _auto(custom) == "reference"
    assert _auto(mlp(12, [8], 4, rng=rng, dtype=np.float64), loss=_MyLoss()) == "reference"


def test_a_batch_callback_sees_every_gradient_on_both_engines():
    """A first layer big enough to fuse its SGD update: with a batch hook the
    fast path writes that gradient anyway, and it equals the reference's."""
    X, y = _data(n=64, d=300)
    norms = {}
    for engine in ("reference", "fast"):
        model = _mlp(hidden=(256,))(X.shape[1], np.random.default_rng(1), np.float64)
        spy = _GradientSpy()
        trainer = Trainer(model, SGD(model.parameters(), lr=0.05), rng=0, batch_size=16,
                          callbacks=[spy], engine=engine)
        trainer.fit(X, y, epochs=1)
        norms[engine] = spy.norms
    assert trainer.fast_path.network.fused == set()
    assert len(norms["fast"]) == 4 and all(n > 0 for n in norms["fast"])
    np.testing.assert_allclose(norms["fast"], norms["reference"], rtol=1e-12)


def test_reference_engine_on_purpose_and_fast_refuses_with_the_reason():
    rng = np.random.default_rng(0)
    model = mlp(12, [8], 4, rng=rng, dtype=np.float64)
    X, y = _data()
    t = Trainer(model, SGD(model.parameters()), engine="reference", rng=0)
    t.fit(X, y, epochs=1)
    assert t.engine_used == "reference"
    custom = Sequential([Linear(12, 4, rng=rng, dtype=np.float64), _MyReLU()])
    t = Trainer(custom, SGD(custom.parameters()), engine="fast", rng=0)
    with pytest.raises(ValueError, match=r"custom layer \(_MyReLU\).*engine='auto'"):
        t.fit(X, y, epochs=1)
    with pytest.raises(ValueError, match="engine must be one of"):
        Trainer(model, SGD(model.parameters()), engine="turbo")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("units", [1, 3])
def test_sigmoid_outputs_same_steps(units, dtype):
    """Binary (one logistic unit) and multilabel models on the fast path."""
    from softmaxlab.nn import SigmoidBinaryCrossEntropy

    X, y = _data(dtype=dtype)
    Y = (np.stack([y == 0, y % 2 == 1, y >= 2], axis=1)[:, :units]).astype(dtype)
    build = lambda d, rng, dt: mlp(d, [16], units, rng=rng, dtype=dt, output="sigmoid")  # noqa: E731
    cw = np.array([[1.0, 2.0]] * units)
    for opt in ("momentum", "adam"):
        runs = [_run(engine, build, OPTIMIZERS[opt], dtype, data=(X, Y),
                     loss=SigmoidBinaryCrossEntropy(cw))[0] for engine in ("reference", "fast")]
        _assert_same_steps(*runs, TOL[dtype])
