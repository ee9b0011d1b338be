"""The declarative parameter constraints and their one message form,
and a sweep of bad parameters across the public classes: every message
names the owner, the parameter and the bad value."""
from __future__ import annotations

import math

import numpy as np
import pytest

from softmaxlab import MLPClassifier, SoftmaxRegression
from softmaxlab._validation import Interval, ListOf, Options, Types, describe, validate_params
from softmaxlab.class_weight import class_weight_vector, label_class_weight
from softmaxlab.errors import ParameterError, SoftmaxlabError
from softmaxlab.gradcheck import check_layer, compare_model_gradients, numerical_gradient
from softmaxlab.lab.params import LabParamError, LabSettings, validate
from softmaxlab.live import LivePlot
from softmaxlab.nn import Dropout, LeakyReLU, Linear, Sequential, mlp, softmax_regression
from softmaxlab._kernels.options import fast_path_options
from softmaxlab.optim import SGD, Adam, make_optimizer, make_schedule
from softmaxlab.optim.schedules import CosineLR, InverseScalingLR, ReduceLROnPlateau, StepLR
from softmaxlab.train import EarlyStopping, Trainer
from softmaxlab.train.guards import ExplosionGuard
from softmaxlab.train.penalty import L2Penalty
from softmaxlab.train.stopping import SklearnStopping


@pytest.mark.parametrize("constraint, good, bad, words", [
    (Interval(int, 1), [1, 7, np.int64(3), 10**400], [0, -1, 1.5, True, "2", None],
     "a positive integer"),
    (Interval(int, 0), [0, 5], [-1, 2.0], "an integer >= 0"),
    (Interval(float, 0, None, closed="neither"), [1e-9, 3, np.float32(0.5)],
     [0, -1, math.nan, math.inf, 10**400, "0.1", False], "a finite number > 0"),
    (Interval(float, 0, 1, closed="left"), [0, 0.999], [1, -0.1, math.nan], "in [0, 1)"),
    (Interval(float, 0, 1, closed="right"), [1, 0.5], [0, 1.01], "in (0, 1]"),
    (Options("sample", "epoch"), ["sample"], ["Sample", None, 1], "one of 'sample', 'epoch'"),
    (Options(None), [None], [0, False, ""], "None"),
    (Options(True, False), [True, False], [0, 1, "True"], "one of True, False"),
    (Types(np.random.Generator, what="a numpy.random.Generator"),
     [np.random.default_rng(0)], [0, np.random.RandomState(0)], "a numpy.random.Generator"),
    (ListOf(Interval(int, 1)), [[], [3, 4], (5,)], [[0], [2, -1], "12", 3],
     "a list of positive integers"),
])
def test_constraints_accept_refuse_and_describe(constraint, good, bad, words):
    assert all(constraint.accepts(v) for v in good)
    assert not any(constraint.accepts(v) for v in bad)
    assert str(constraint) == words


def test_one_message_form_with_hint():
    table = {"batch_size": [Interval(int, 1), Options("full")]}
    assert describe(table["batch_size"]) == "a positive integer or 'full'"
    validate_params("Thing", table, {"batch_size": "full", "other": object()})
    with pytest.raises(ParameterError) as info:
        validate_params("Thing", table, {"batch_size": 0}, hints={"batch_size": "try 32."})
    assert str(info.value) == ("Thing: batch_size must be a positive integer or 'full', "
                               "got 0. try 32.")
    err = info.value
    assert (err.owner, err.name, err.value) == ("Thing", "batch_size", 0)
    assert isinstance(err, ValueError) and isinstance(err, TypeError)
    assert isinstance(err, SoftmaxlabError)


def _params():
    return mlp(3, [4], 2, rng=np.random.default_rng(0)).parameters()


def _opt():
    return SGD(_params(), lr=0.1)


def _model():
    return mlp(3, [4], 2, rng=np.random.default_rng(0))


X4, Y4 = np.random.default_rng(0).standard_normal((8, 3)), np.arange(8) % 2


def _fit(make, **params):
    """An estimator with ``params`` set, fitted: scikit-learn checks at fit."""
    return lambda: make(**params).fit(X4, Y4)


def _lab(**changes):
    return validate(LabSettings(), changes)


RNG = np.random.default_rng(0)
BAD = [
    (lambda: Linear(0, 3, rng=RNG), "Linear", "n_in", "0"),
    (lambda: Linear(2, 2.5, rng=RNG), "Linear", "n_out", "2.5"),
    (lambda: Dropout(1.0), "Dropout", "p", "1.0"),
    (lambda: Dropout(0.5, rng=7), "Dropout", "rng", "7"),
    (lambda: LeakyReLU(-0.1), "LeakyReLU", "negative_slope", "-0.1"),
    (lambda: Sequential([Linear(2, 2, rng=RNG)], output="tanh"), "Sequential", "output", "'tanh'"),
    (lambda: mlp(3, [4], 2, activation="swish", rng=RNG), "mlp", "activation", "'swish'"),
    (lambda: mlp(3, [4], 2, dropout=1.5, rng=RNG), "mlp", "dropout", "1.5"),
    (lambda: mlp(3, [4], 2, rng="seed"), "mlp", "rng", "'seed'"),
    (lambda: softmax_regression(3, 2, rng=RNG, output="relu"), "softmax_regression", "output",
     "'relu'"),
    (lambda: SGD(_params(), lr=-1), "SGD", "lr", "-1"),
    (lambda: SGD(_params(), momentum=2), "SGD", "momentum", "2"),
    (lambda: SGD(_params(), nesterov="yes"), "SGD", "nesterov", "'yes'"),
    (lambda: SGD(_params(), weight_decay=math.nan), "SGD", "weight_decay", "nan"),
    (lambda: Adam(_params(), betas=(0.9,)), "Adam", "betas", "(0.9,)"),
    (lambda: Adam(_params(), betas=(0.9, 1.0)), "Adam", "beta_2", "1.0"),
    (lambda: Adam(_params(), eps=0), "Adam", "eps", "0"),
    (lambda: StepLR(_opt(), step_size=0), "StepLR", "step_size", "0"),
    (lambda: StepLR(_opt(), gamma=2.0), "StepLR", "gamma", "2.0"),
    (lambda: CosineLR(_opt(), total_epochs=2.5), "CosineLR", "total_epochs", "2.5"),
    (lambda: InverseScalingLR(_opt(), unit="batch"), "InverseScalingLR", "unit", "'batch'"),
    (lambda: ReduceLROnPlateau(_opt(), patience=-1), "ReduceLROnPlateau", "patience", "-1"),
    (lambda: make_optimizer("rmsprop", _params()), "make_optimizer", "name", "'rmsprop'"),
    (lambda: make_schedule(None, _opt()), "make_schedule", "name", "None"),
    (lambda: fast_path_options(prefetch="yes").__enter__(), "fast_path_options", "prefetch",
     "'yes'"),
    (lambda: Trainer(_model(), _opt(), batch_size=0), "Trainer", "batch_size", "0"),
    (lambda: Trainer(_model(), _opt(), batch_size="all"), "Trainer", "batch_size", "'all'"),
    (lambda: Trainer(_model(), _opt(), rng=-1), "Trainer", "rng", "-1"),
    (lambda: Trainer(_model(), _opt(), rng="seed"), "Trainer", "rng", "'seed'"),
    (lambda: Trainer(_model(), _opt(), engine="gpu"), "Trainer", "engine", "'gpu'"),
    (lambda: Trainer(_model(), _opt(), shuffle="yes"), "Trainer", "shuffle", "'yes'"),
    (lambda: Trainer(_model(), _opt(), early_stopping=True, patience=0), "Trainer", "patience",
     "0"),
    (lambda: Trainer(_model(), _opt(), min_delta=-1.0), "Trainer", "min_delta", "-1.0"),
    (lambda: Trainer(_model(), _opt(), samples_seen=-5), "Trainer", "samples_seen", "-5"),
    (lambda: Trainer(_model(), _opt()).fit(np.zeros((4, 3)), np.zeros(4, int), epochs=2.5),
     "Trainer.fit", "epochs", "2.5"),
    (lambda: EarlyStopping(monitor="val_acc"), "EarlyStopping", "monitor", "'val_acc'"),
    (lambda: EarlyStopping(patience=0), "EarlyStopping", "patience", "0"),
    (lambda: EarlyStopping(min_delta=math.inf), "EarlyStopping", "min_delta", "inf"),
    (lambda: EarlyStopping(restore_best=None), "EarlyStopping", "restore_best", "None"),
    (lambda: L2Penalty(0.0), "L2Penalty", "alpha", "0.0"),
    (lambda: L2Penalty(1e-4, denominator=0), "L2Penalty", "denominator", "0"),
    (lambda: SklearnStopping(None, tol=-1, n_iter_no_change=10), "SklearnStopping", "tol", "-1"),
    (lambda: SklearnStopping(None, tol=0, n_iter_no_change=0), "SklearnStopping",
     "n_iter_no_change", "0"),
    (lambda: ExplosionGuard(chance=1.5), "ExplosionGuard", "chance", "1.5"),
    (lambda: ExplosionGuard(factor=0), "ExplosionGuard", "factor", "0"),
    (lambda: LivePlot(every=0), "LivePlot", "every", "0"),
    (lambda: LivePlot(mode="gif"), "LivePlot", "mode", "'gif'"),
    (_fit(MLPClassifier, hidden_layer_sizes=(4, 0)), "MLPClassifier", "hidden_layer_sizes",
     "[4, 0]"),
    (_fit(MLPClassifier, activation="softmax"), "MLPClassifier", "activation", "'softmax'"),
    (_fit(MLPClassifier, dropout=1.0), "MLPClassifier", "dropout", "1.0"),
    (_fit(MLPClassifier, dropout=0.5, solver="lbfgs"), "MLPClassifier", "dropout", "0.5"),
    (_fit(MLPClassifier, solver="rmsprop"), "MLPClassifier", "solver", "'rmsprop'"),
    (_fit(MLPClassifier, batch_size=0), "MLPClassifier", "batch_size", "0"),
    (_fit(MLPClassifier, learning_rate_init=None), "MLPClassifier", "learning_rate_init", "None"),
    (_fit(MLPClassifier, shuffle="no"), "MLPClassifier", "shuffle", "'no'"),
    (_fit(MLPClassifier, random_state=-1), "MLPClassifier", "random_state", "-1"),
    (_fit(MLPClassifier, n_iter_no_change=0), "MLPClassifier", "n_iter_no_change", "0"),
    (_fit(MLPClassifier, class_weight="auto"), "MLPClassifier", "class_weight", "'auto'"),
    (_fit(MLPClassifier, dtype="float16"), "MLPClassifier", "dtype", "'float16'"),
    (_fit(SoftmaxRegression, alpha=-1.0), "SoftmaxRegression", "alpha", "-1.0"),
    (_fit(SoftmaxRegression, max_iter=0), "SoftmaxRegression", "max_iter", "0"),
    (_fit(SoftmaxRegression, learning_rate_init=0), "SoftmaxRegression", "learning_rate_init",
     "0"),
    (_fit(SoftmaxRegression, momentum=1.5), "SoftmaxRegression", "momentum", "1.5"),
    (_fit(SoftmaxRegression, validation_fraction=1.0), "SoftmaxRegression",
     "validation_fraction", "1.0"),
    (_fit(SoftmaxRegression, beta_2=1.0), "SoftmaxRegression", "beta_2", "1.0"),
    (_fit(SoftmaxRegression, lr_schedule={"name": "linear"}), "SoftmaxRegression", "lr_schedule",
     "{'name': 'linear'}"),
    (_fit(SoftmaxRegression, solver="sgd", learning_rate="adaptive", lr_schedule="cosine"),
     "SoftmaxRegression", "learning_rate", "'adaptive'"),
    (_fit(SoftmaxRegression, lr_schedule="step"), "SoftmaxRegression", "lr_schedule", "'step'"),
    (lambda: SoftmaxRegression(solver="sgd", tol=-1).partial_fit(X4, Y4, classes=[0, 1]),
     "SoftmaxRegression", "tol", "-1"),
    (lambda: numerical_gradient(lambda: 0.0, np.zeros(2), eps=0), "numerical_gradient", "eps",
     "0"),
    (lambda: check_layer(LeakyReLU(), np.ones((2, 2)), rng=3), "check_layer", "rng", "3"),
    (lambda: compare_model_gradients(_model(), np.ones((2, 3)), [0, 1], entries=0),
     "compare_model_gradients", "entries", "0"),
    (lambda: compare_model_gradients(_model(), np.ones((2, 3)), [0, 1], entries=3),
     "compare_model_gradients", "rng", "None"),
    (lambda: compare_model_gradients(_model(), np.ones((2, 3)), [0, 1], rtol=-1e-4),
     "compare_model_gradients", "rtol", "-0.0001"),
    (lambda: class_weight_vector("auto", [0, 1]), "class_weight_vector", "class_weight",
     "'auto'"),
    (lambda: class_weight_vector({"c": 2.0}, ["a", "b"]), "class_weight_vector", "class_weight",
     "{'c': 2.0}"),
    (lambda: class_weight_vector("balanced", [0, 1]), "class_weight_vector", "y_idx", "None"),
    (lambda: label_class_weight([{1: 2.0}], 3), "label_class_weight", "class_weight",
     "[{1: 2.0}]"),
    (lambda: label_class_weight([{0: 1.0}, {9: 2.0}], 2), "label_class_weight", "class_weight",
     "{9: 2.0}"),
    (_fit(SoftmaxRegression, class_weight={"z": 1.0}), "SoftmaxRegression", "class_weight",
     "{'z': 1.0}"),
    # The lab names each setting as its page labels it.
    (lambda: _lab(lr=0), "lab", "learning rate", "0.0"),
    (lambda: _lab(lr="fast"), "lab", "learning rate", "'fast'"),
    (lambda: _lab(batch_size=2.5), "lab", "batch size", "2.5"),
    (lambda: _lab(noise="nan"), "lab", "noise", "nan"),
    (lambda: _lab(n_points=10), "lab", "number of points", "10"),
    (lambda: _lab(optimizer="rmsprop"), "lab", "optimizer", "'rmsprop'"),
    (lambda: _lab(hidden="16,0"), "lab", "hidden layers", "'16,0'"),
    (lambda: _lab(features=["x9"]), "lab", "input features", "['x9']"),
]


@pytest.mark.parametrize("make, owner, name, shown", BAD,
                         ids=[f"{o}.{n}" for _, o, n, _ in BAD])
def test_bad_parameters_name_owner_parameter_and_value(make, owner, name, shown):
    with pytest.raises(ParameterError) as info:
        make()
    message = str(info.value)
    assert message.startswith(f"{owner}: {name} must be "), message
    assert f"got {shown}" in message, message
    assert (info.value.owner, info.value.name) == (owner, name)


@pytest.mark.parametrize("cls", [MLPClassifier, SoftmaxRegression])
def test_every_estimator_parameter_has_constraints(cls):
    # A parameter missing from the table would never be checked.
    assert set(cls._constraints) == set(cls().get_params())


@pytest.mark.parametrize("cls", [MLPClassifier, SoftmaxRegression])
def test_estimators_check_at_fit_not_in_init(cls):
    est = cls(max_iter=0)  # scikit-learn's convention: __init__ only stores
    assert est.max_iter == 0
    with pytest.raises(ParameterError):
        est.fit(X4, Y4)


def test_a_lab_refusal_keeps_its_field_code_and_params():
    with pytest.raises(LabParamError) as info:
        _lab(lr=100)
    err = info.value
    assert (err.field, err.code) == ("lr", "out_of_range")
    assert err.params == {"field": "lr", "value": 100.0, "low": 0, "high": 10, "open_low": True,
                          "kept": 0.03}
    assert str(err) == "lab: learning rate must be in (0, 10], got 100.0."
