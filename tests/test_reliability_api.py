"""Reliability of the engine API: bad input gets a clear, specific
error; training never silently corrupts the model.

Every table row reads: input -> expected exception type -> substrings that
prove the message names the bad value and says what to do about it.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from softmaxlab._validation import NumericalOverflowError, check_features, check_labels
from softmaxlab.nn import SoftmaxCrossEntropy, from_weights, mlp, softmax_regression
from softmaxlab.optim import SGD, Adam, make_optimizer, make_schedule
from softmaxlab.train import (
    Callback,
    EarlyStopping,
    NotLearningWarning,
    Trainer,
    TrainingDivergedError,
)

N, D, C = 20, 4, 3


def _data(seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((N, D)), np.arange(N) % C


def _trainer(dtype=np.float32, lr=0.1, batch_size=8, **kw):
    rng = np.random.default_rng(0)
    model = softmax_regression(D, C, rng=rng, dtype=dtype)
    return Trainer(model, SGD(model.parameters(), lr=lr), batch_size=batch_size, rng=rng, **kw)


def _with(X=None, y=None, **fit_kw):
    """A fit call on the default data with X and/or y replaced."""
    X0, y0 = _data()
    return lambda: _trainer().fit(X0 if X is None else X, y0 if y is None else y,
                                  epochs=fit_kw.pop("epochs", 1), **fit_kw)


def _nan_x():
    X, _ = _data()
    X[[1, 3], 0] = np.nan
    X[5, 2] = np.inf
    return X


def _strings():
    X = _data()[0].astype(object)
    X[4, 1] = "abc"
    return X


X0, Y0 = _data()

FIT_CASES = [
    # id, call, exception, substrings in the message
    ("x-nan-inf", _with(X=_nan_x()), ValueError, ["NaN or infinity", "3 of 20 rows", "impute"]),
    ("x-neg-inf", _with(X=np.where(np.eye(N, D) > 0, -np.inf, X0)), ValueError, ["4 of 20 rows"]),
    ("x-1d", _with(X=X0[:, 0]), ValueError, ["2-D", "(20,)", "reshape(-1, 1)"]),
    ("x-3d", _with(X=X0.reshape(2, 10, D)), ValueError, ["2-D", "(2, 10, 4)"]),
    ("x-empty-rows", _with(X=np.zeros((0, D)), y=np.zeros(0, int)), ValueError, ["empty", "(0, 4)"]),
    ("x-empty-cols", _with(X=np.zeros((N, 0))), ValueError, ["empty", "(20, 0)"]),
    ("x-strings", _with(X=_strings()), TypeError, ["non-numeric", "'abc'", "encode"]),
    ("x-complex", _with(X=X0.astype(complex)), TypeError, ["numeric", "complex128"]),
    ("x-wrong-width", _with(X=X0[:, :3]), ValueError, ["3 features", "built for 4"]),
    ("x-val-wrong-width", _with(X_val=X0[:, :3], y_val=Y0), ValueError, ["X_val has 3 features"]),
    ("x-1e30-float32", _with(X=np.sign(X0) * 1e30), NumericalOverflowError,
     ["1e+30", "20 of 20 rows", "float32", "StandardScaler"]),
    ("x-1e39-overflows-cast", _with(X=np.sign(X0) * 1e39), NumericalOverflowError, ["1e+39", "Scale"]),
    ("x-val-1e30", _with(X_val=np.sign(X0) * 1e30, y_val=Y0), NumericalOverflowError, ["X_val", "1e+30"]),
    ("y-short", _with(y=Y0[:-1]), ValueError, ["19 labels", "X has 20 rows"]),
    ("y-nan", _with(y=np.where(np.arange(N) == 3, np.nan, Y0)), ValueError,
     ["NaN", "1 of 20 rows"]),
    ("y-continuous", _with(y=Y0 + 0.5), ValueError, ["non-integer", "0.5", "continuous"]),
    ("y-strings", _with(y=np.array(["a", "b"] * (N // 2))), ValueError, ["LabelEncoder"]),
    ("y-out-of-range", _with(y=Y0 + 1), ValueError, ["[0, 3)", "1 to 3"]),
    ("y-negative", _with(y=Y0 - 1), ValueError, ["[0, 3)", "-1"]),
    ("y-2d", _with(y=np.stack([Y0, Y0], 1)), ValueError, ["1-D", "(20, 2)"]),
    ("weight-negative", _with(sample_weight=-np.ones(N)), ValueError, ["non-negative"]),
    ("weight-shape", _with(sample_weight=np.ones(N + 1)), ValueError, ["(20,)", "(21,)"]),
    ("epochs-0", _with(epochs=0), ValueError, ["epochs", "positive integer", "0"]),
    ("epochs-negative", _with(epochs=-2), ValueError, ["epochs", "-2"]),
    ("epochs-float", _with(epochs=2.5), ValueError, ["epochs", "2.5"]),
]


@pytest.mark.parametrize("call, exc, parts", [c[1:] for c in FIT_CASES],
                         ids=[c[0] for c in FIT_CASES])
def test_fit_rejects_bad_input(call, exc, parts):
    with pytest.raises(exc) as info:
        call()
    for part in parts:
        assert part in str(info.value), f"{part!r} missing from: {info.value}"


def _params():
    return softmax_regression(D, C, rng=np.random.default_rng(0)).parameters()


def _model():
    return softmax_regression(D, C, rng=np.random.default_rng(0))


def _opt():
    return SGD(_params(), lr=0.1)


HYPER_CASES = [
    ("lr-0", lambda: SGD(_params(), lr=0), ValueError, ["learning rate", "got 0", "try 0.1"]),
    ("lr-negative", lambda: SGD(_params(), lr=-0.5), ValueError, ["got -0.5"]),
    ("lr-nan", lambda: SGD(_params(), lr=math.nan), ValueError, ["finite", "got nan"]),
    ("lr-inf", lambda: Adam(_params(), lr=math.inf), ValueError, ["finite", "got inf", "0.001"]),
    ("lr-string", lambda: SGD(_params(), lr="0.1"), ValueError, ["got '0.1'"]),
    ("lr-adam-0", lambda: Adam(_params(), lr=0.0), ValueError, ["learning rate", "got 0.0"]),
    ("batch-0", lambda: Trainer(_model(), _opt(), batch_size=0), ValueError, ["batch_size", "got 0"]),
    ("batch-negative", lambda: Trainer(_model(), _opt(), batch_size=-8), ValueError, ["got -8"]),
    ("batch-float", lambda: Trainer(_model(), _opt(), batch_size=2.5), ValueError, ["got 2.5"]),
    ("batch-name", lambda: Trainer(_model(), _opt(), batch_size="all"), ValueError, ["got 'all'"]),
    ("rng-type", lambda: Trainer(_model(), _opt(), rng="seed"), TypeError, ["Generator", "str"]),
    ("hidden-0", lambda: mlp(D, [0], C, rng=np.random.default_rng(0)), ValueError,
     ["hidden", "positive", "[0]"]),
    ("hidden-negative", lambda: mlp(D, [8, -3], C, rng=np.random.default_rng(0)), ValueError,
     ["[8, -3]"]),
    ("features-0", lambda: softmax_regression(0, C, rng=np.random.default_rng(0)), ValueError,
     ["n_features", "positive integer", "got 0"]),
    ("activation", lambda: mlp(D, [8], C, activation="relu6", rng=np.random.default_rng(0)),
     ValueError, ["'relu6'", "'relu'", "'tanh'", "'sigmoid'", "'leaky_relu'", "'identity'"]),
    ("optimizer", lambda: make_optimizer("rmsprop", _params()), ValueError,
     ["'rmsprop'", "'adam'", "'sgd'"]),
    ("schedule", lambda: make_schedule("linear", _opt()), ValueError,
     ["'linear'", "'constant'", "'cosine'", "'invscaling'", "'plateau'", "'step'"]),
    ("dropout-1", lambda: mlp(D, [8], C, dropout=1.0, rng=np.random.default_rng(0)), ValueError,
     ["dropout", "[0, 1)", "1.0"]),
    ("dropout-negative", lambda: mlp(D, [8], C, dropout=-0.1, rng=np.random.default_rng(0)),
     ValueError, ["dropout", "-0.1"]),
    ("dropout-nan", lambda: mlp(D, [8], C, dropout=math.nan, rng=np.random.default_rng(0)),
     ValueError, ["dropout", "nan"]),
    ("momentum-above-1", lambda: SGD(_params(), momentum=1.5), ValueError,
     ["momentum", "[0, 1]", "1.5"]),
    ("momentum-negative", lambda: SGD(_params(), momentum=-0.1), ValueError, ["momentum", "-0.1"]),
    ("momentum-nan", lambda: SGD(_params(), momentum=math.nan), ValueError, ["momentum", "nan"]),
    ("nesterov-no-momentum", lambda: SGD(_params(), nesterov=True), ValueError, ["momentum > 0"]),
    ("weight-decay-negative", lambda: SGD(_params(), weight_decay=-1e-4), ValueError,
     ["weight_decay", ">= 0", "-0.0001"]),
    ("weight-decay-inf", lambda: Adam(_params(), weight_decay=math.inf), ValueError,
     ["weight_decay", "inf"]),
    ("adam-beta", lambda: Adam(_params(), betas=(0.9, 1.0)), ValueError, ["beta_2", "[0, 1)"]),
    ("adam-eps", lambda: Adam(_params(), eps=0.0), ValueError, ["eps", "> 0"]),
    ("cosine-epochs-0", lambda: make_schedule("cosine", _opt(), total_epochs=0), ValueError,
     ["total_epochs", "got 0"]),
    ("step-gamma", lambda: make_schedule("step", _opt(), gamma=1.5), ValueError, ["gamma", "1.5"]),
    ("plateau-factor", lambda: make_schedule("plateau", _opt(), factor=0.0), ValueError,
     ["factor", "(0, 1)"]),
    ("early-stopping-patience", lambda: EarlyStopping(patience=0), ValueError, ["patience", "0"]),
    ("class-weight-negative", lambda: SoftmaxCrossEntropy(class_weight=[1, -1, 1]), ValueError,
     ["class_weight", "non-negative"]),
]


@pytest.mark.parametrize("call, exc, parts", [c[1:] for c in HYPER_CASES],
                         ids=[c[0] for c in HYPER_CASES])
def test_hyperparameter_out_of_range(call, exc, parts):
    with pytest.raises(exc) as info:
        call()
    for part in parts:
        assert part in str(info.value), f"{part!r} missing from: {info.value}"


@pytest.mark.parametrize("kwargs", [{"momentum": 0.0}, {"momentum": 1.0}, {"weight_decay": 0.0}])
def test_hyperparameter_bounds_are_inclusive(kwargs):
    assert SGD(_params(), **kwargs).lr == 0.1


@pytest.mark.parametrize("value", ["1e-4", None])
def test_weight_decay_wrong_type_names_the_parameter(value):
    with pytest.raises((TypeError, ValueError)) as info:
        SGD(_params(), weight_decay=value)
    assert "weight_decay" in str(info.value)


@pytest.mark.parametrize("build", [
    lambda: softmax_regression(D, 1, rng=np.random.default_rng(0)),
    lambda: mlp(D, [8], 1, rng=np.random.default_rng(0)),
])
def test_single_class_model_is_refused(build):
    with pytest.raises(ValueError, match="n_classes"):
        build()


def test_evaluate_wrong_width_names_the_features():
    with pytest.raises(ValueError) as info:
        _trainer().evaluate(X0[:, :3], Y0)
    assert "3 features" in str(info.value)


# ---- the boundary checks themselves -------------------------------------------

def test_check_features_accepts_numeric_strings_and_ints():
    X = check_features(np.array([["1", "2.5"], ["3", "4"]]))
    assert X.dtype == np.float64 and X[0, 1] == 2.5
    assert check_features(np.ones((2, 2), dtype=np.uint8), dtype=np.float32).dtype == np.float32


def test_check_features_limit_depends_on_dtype():
    X = np.full((2, 2), 1e30)
    assert check_features(X, dtype=np.float64) is not None  # far below sqrt(float64 max)
    with pytest.raises(NumericalOverflowError, match="float32"):
        check_features(X, dtype=np.float32)
    with pytest.raises(NumericalOverflowError, match="float64"):
        check_features(np.full((2, 2), 1e200))


def test_overflow_error_is_both_value_and_floating_point_error():
    assert issubclass(NumericalOverflowError, ValueError)
    assert issubclass(NumericalOverflowError, FloatingPointError)


def test_check_labels_accepts_whole_floats_and_column_vectors():
    np.testing.assert_array_equal(check_labels(np.array([0.0, 2.0]), 2, 3), [0, 2])
    np.testing.assert_array_equal(check_labels(np.array([[1], [0]]), 2, 3), [1, 0])


# ---- numbers at the edge ---------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("scale", [1e4, -1e4])
def test_logits_1e4_give_finite_loss_and_gradient(dtype, scale):
    z = np.array([[scale, -scale, 0.0], [0.0, scale, -scale]], dtype=dtype)
    y = z.argmin(axis=1)
    loss, grad = SoftmaxCrossEntropy()(z, y)
    # Both samples put their label 2e4 below the top logit, and exp(-1e4)
    # vanishes, so the loss is exactly 2e4 nats: finite, and the right value.
    expected = 2e4
    assert math.isfinite(loss) and loss == pytest.approx(expected, rel=1e-6)
    assert np.all(np.isfinite(grad))
    assert SoftmaxCrossEntropy().value(z, y) == pytest.approx(expected, rel=1e-6)


def _big_model(dtype=np.float32):
    W = np.full((D, C), 1e10) * np.array([1.0, -1.0, 0.5])
    return from_weights([(W, np.zeros(C))], dtype=dtype)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@pytest.mark.parametrize("method", ["predict_proba", "predict_log_proba", "predict"])
def test_overflowing_logits_raise_instead_of_nan(method):
    X = np.full((5, D), 1e30, dtype=np.float32)  # logits ~ 4e40: inf in float32
    with pytest.raises(NumericalOverflowError) as info:
        getattr(_big_model(), method)(X)
    assert "5 of 5 rows" in str(info.value) and "scale" in str(info.value)


@pytest.mark.parametrize("method", ["predict_proba", "predict_log_proba", "predict"])
def test_nan_weights_raise_instead_of_nan(method):
    model = _model()
    model.parameters()[0].value[0, 0] = np.nan
    with pytest.raises(NumericalOverflowError, match="NaN"):
        getattr(model, method)(X0.astype(np.float32))


def test_large_but_safe_logits_give_valid_probabilities():
    X = np.array([[1e25, -1e25, 3.0, 0.0]], dtype=np.float32)  # logits ~ 1e35 < max/2
    model = _big_model()
    P, L = model.predict_proba(X), model.predict_log_proba(X)
    assert np.all(np.isfinite(P)) and P.sum() == pytest.approx(1.0)
    assert np.all(np.isfinite(L))


# ---- training that goes wrong -----------------------------------------------------

class _Recorder(Callback):
    def __init__(self):
        self.weights = []

    def on_epoch_end(self, trainer, epoch, logs):
        self.weights.append(trainer.model.get_weights())


def _diverge(lr, batch_size, epochs=20):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((64, 5)) * 1e3  # unscaled
    y = rng.integers(0, 3, 64)
    model = mlp(5, [8], 3, rng=rng)
    rec = _Recorder()
    trainer = Trainer(model, SGD(model.parameters(), lr=lr), batch_size=batch_size,
                      rng=rng, callbacks=[rec])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy's overflow chatter
        with pytest.raises(TrainingDivergedError) as info:
            trainer.fit(X, y, epochs=epochs)
    return trainer, rec, info.value, X


@pytest.mark.parametrize("lr, batch_size", [(1e4, "full"), (1e4, 16), (1e8, "full"),
                                            (1e37, "full"), (1e37, 16)])
def test_divergence_stops_with_epoch_and_keeps_last_finite_model(lr, batch_size):
    trainer, rec, err, X = _diverge(lr, batch_size)
    msg = str(err)
    assert f"epoch {err.epoch}" in msg and "learning rate" in msg and "scale" in msg
    # The kept model is the end of the last epoch in the history: the epoch
    # before the failing one, or (failure in batch 1, where the previous
    # epoch's last update made the bad weights) the one before that.
    assert err.lr == lr and err.epoch - len(trainer.history) in (1, 2)
    assert len(trainer.history) == trainer.epoch
    assert (err.epoch - len(trainer.history) == 2) == (err.batch == 1 and err.epoch > 1)
    assert trainer.history.stopped == "diverged" and err.history is trainer.history
    assert all(math.isfinite(v) for v in trainer.history.train_loss)
    weights = trainer.model.get_weights()
    assert all(np.all(np.isfinite(w)) for w in weights)
    if len(trainer.history):  # the parameters at the end of that epoch, exactly
        for w, w_last in zip(weights, rec.weights[len(trainer.history) - 1], strict=True):
            np.testing.assert_array_equal(w, w_last)
    P = trainer.model.predict_proba(X / 1e3)  # still usable
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-5)


def test_diverged_error_is_a_floating_point_error():
    assert issubclass(TrainingDivergedError, FloatingPointError)


def _stuck_run(lr, epochs, calls=1, n_classes=10, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((200, 5))
    y = np.arange(200) % n_classes
    model = softmax_regression(5, n_classes, rng=rng)
    trainer = Trainer(model, SGD(model.parameters(), lr=lr), batch_size=50, rng=rng)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(calls):
            trainer.fit(X, y, epochs=epochs)
    return [w for w in caught if issubclass(w.category, NotLearningWarning)]


def test_stuck_at_log_c_warns_once():
    found = _stuck_run(lr=1e-7, epochs=6)
    assert len(found) == 1
    msg = str(found[0].message)
    assert "log(10)" in msg and "2.30" in msg and "not learning" in msg
    assert "learning rate" in msg and "scaled" in msg
    assert found[0].filename == __file__  # points at the caller's fit(), not the library


def test_stuck_hint_counts_epochs_across_fit_calls():
    assert len(_stuck_run(lr=1e-7, epochs=1, calls=5)) == 1


def test_stuck_hint_needs_three_epochs():
    assert _stuck_run(lr=1e-7, epochs=2) == []


def test_learning_model_gets_no_hint():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 5))
    y = (X[:, 0] > 0).astype(int) + 2 * (X[:, 1] > 0)  # 4 separable-ish classes
    model = softmax_regression(5, 4, rng=rng)
    trainer = Trainer(model, SGD(model.parameters(), lr=0.5), batch_size=20, rng=rng)
    with warnings.catch_warnings():
        warnings.simplefilter("error", NotLearningWarning)
        trainer.fit(X, y, epochs=5)
    assert trainer.history.train_loss[-1] < 0.8 * math.log(4)


def test_divergence_in_first_batch_keeps_weights_with_finite_loss():
    trainer, _, err, X = _diverge(1e4, "full")
    assert err.batch == 1 and "the loss became" in str(err)
    P = trainer.model.predict_proba(X.astype(np.float32))  # what training saw
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-5)
