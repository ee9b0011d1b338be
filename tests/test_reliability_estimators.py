"""Reliability of the scikit-learn estimators: bad input gets a
clear ValueError/TypeError, training never silently corrupts the model.

Each table row: input -> exception type -> substrings that name the bad value
(and, where scikit-learn's wording allows, the fix). Rows run for both
``SoftmaxRegression`` and ``MLPClassifier``.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

pytest.importorskip("softmaxlab.estimators", reason="the estimators (softmaxlab.estimators) "
                                                    "have not landed yet")
pd = pytest.importorskip("pandas")

from sklearn.exceptions import ConvergenceWarning, NotFittedError  # noqa: E402

from softmaxlab._validation import NumericalOverflowError  # noqa: E402
from softmaxlab.estimators import MLPClassifier, SoftmaxRegression  # noqa: E402
from softmaxlab.train import NotLearningWarning, TrainingDivergedError  # noqa: E402

N, D = 40, 4
RNG = np.random.default_rng(0)
X0 = RNG.standard_normal((N, D))
Y0 = np.arange(N) % 3


def _sr(**kw):
    return SoftmaxRegression(max_iter=5, random_state=0, **kw)


def _sr_adam(**kw):
    kw.setdefault("solver", "adam")
    return SoftmaxRegression(max_iter=5, random_state=0, **kw)


def _mlp(**kw):
    kw.setdefault("hidden_layer_sizes", (5,))
    return MLPClassifier(max_iter=5, random_state=0, **kw)


ESTIMATORS = [pytest.param(_sr, id="softmax"), pytest.param(_sr_adam, id="softmax-adam"),
              pytest.param(_mlp, id="mlp")]


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _nan_x():
    X = X0.copy()
    X[[1, 2], 0] = np.nan
    return X


def _df(columns, X=X0):
    return pd.DataFrame(X, columns=list(columns))


FIT_CASES = [
    # id, X, y, exception, substrings
    ("x-nan", _nan_x(), Y0, ValueError, ["NaN"]),
    ("x-inf", np.where(X0 > 2, np.inf, X0), Y0, ValueError, ["infinity"]),
    ("x-1d", X0[:, 0], Y0, ValueError, ["Expected 2D array", "reshape"]),
    ("x-3d", X0.reshape(2, 20, D), Y0, ValueError, ["dim 3"]),
    ("x-empty", X0[:0], Y0[:0], ValueError, ["0 sample(s)"]),
    ("x-strings", np.array([["a"] * D] * N), Y0, ValueError, ["'a'"]),
    ("x-object-column", pd.DataFrame({"a": ["x"] * N, "b": X0[:, 0]}), Y0, ValueError, ["'x'"]),
    ("x-1e300", X0 * 1e300, Y0, NumericalOverflowError, ["e+300", "Scale the features"]),
    ("y-short", X0, Y0[:-1], ValueError, ["inconsistent numbers of samples", "[40, 39]"]),
    ("y-single-class", X0, np.zeros(N), ValueError, ["only one class", "at least 2 classes"]),
    ("y-nan", X0, np.where(Y0 == 0, np.nan, Y0), ValueError, ["y contains NaN"]),
    ("y-continuous", X0, RNG.standard_normal(N), ValueError, ["continuous", "classifier"]),
]


@pytest.mark.parametrize("make", ESTIMATORS)
@pytest.mark.parametrize("X, y, exc, parts", [c[1:] for c in FIT_CASES],
                         ids=[c[0] for c in FIT_CASES])
def test_fit_rejects_bad_input(make, X, y, exc, parts):
    if make is _mlp and "only one class" in parts:
        pytest.skip("MLPClassifier fits a single class, as scikit-learn's does (tested below)")
    with pytest.raises(exc) as info:
        make().fit(X, y)
    for part in parts:
        assert part in str(info.value), f"{part!r} missing from: {info.value}"


def test_mlp_fits_a_single_class_as_scikit_learn_does():
    est = _mlp().fit(X0, np.full(N, "only"))
    np.testing.assert_array_equal(est.predict(X0), np.full(N, "only"))
    np.testing.assert_array_equal(est.predict_proba(X0), np.ones((N, 1)))
    assert est.score(X0, np.full(N, "only")) == 1.0


def _fitted(make, X=X0):
    return make().fit(X, Y0)


PREDICT_CASES = [
    # id, call(make), exception, substrings
    ("fewer-features", lambda m: _fitted(m).predict(X0[:, :3]), ValueError,
     ["3 features", "expecting 4 features"]),
    ("more-features", lambda m: _fitted(m).predict_proba(np.hstack([X0, X0])), ValueError,
     ["8 features", "expecting 4"]),
    ("renamed-column", lambda m: _fitted(m, _df("abcd")).predict(_df("abce")), ValueError,
     ["feature names should match", "- e", "- d"]),
    ("reordered-columns", lambda m: _fitted(m, _df("abcd")).predict(_df("dcba")), ValueError,
     ["same order"]),
    ("predict-nan", lambda m: _fitted(m).predict(_nan_x()), ValueError, ["NaN"]),
    ("unfitted-predict", lambda m: m().predict(X0), NotFittedError, ["not fitted yet", "fit"]),
    ("unfitted-proba", lambda m: m().predict_proba(X0), NotFittedError, ["not fitted yet"]),
    ("partial-fit-no-classes", lambda m: m(solver="sgd").partial_fit(X0, Y0), ValueError,
     ["classes must be passed", "first call"]),
    # scikit-learn's wording: every label of y is listed, not only the new ones.
    ("partial-fit-unknown-label",
     lambda m: m(solver="sgd").partial_fit(X0, Y0, classes=[0, 1]), ValueError,
     ["`y` has classes not in `self.classes_`", "has [0 1]", "'y' has [0 1 2]"]),
    ("partial-fit-new-label-later",
     lambda m: m(solver="sgd").partial_fit(X0, Y0, classes=[0, 1, 2]).partial_fit(X0, Y0 + 5),
     ValueError, ["classes not in", "[5 6 7]"]),
    ("partial-fit-other-classes",
     lambda m: m(solver="sgd").partial_fit(X0, Y0, classes=[0, 1, 2]).partial_fit(
         X0, Y0, classes=[1, 2, 3]), ValueError,
     ["`classes=[1, 2, 3]` is not the same as on last call to partial_fit, was: array([0, 1, 2])"]),
    ("partial-fit-lbfgs", lambda m: m(solver="lbfgs").partial_fit(X0, Y0, classes=[0, 1, 2]),
     AttributeError, ["has no attribute 'partial_fit'"]),
    ("partial-fit-early-stopping",
     lambda m: m(solver="sgd").fit(X0, Y0).set_params(early_stopping=True).partial_fit(X0, Y0),
     ValueError, ["partial_fit does not support early_stopping=True"]),
    ("early-stopping-single-member-class",
     lambda m: m(solver="sgd", early_stopping=True).fit(X0[:4], [0, 0, 0, 1]), ValueError,
     ["The least populated classes in y have only 1 member", "['True']"]),
    # Multilabel targets are split without stratification, so one row can be all.
    ("early-stopping-tiny-validation",
     lambda m: m(solver="sgd", early_stopping=True, validation_fraction=0.01).fit(
         X0, np.eye(3, dtype=int)[Y0]), ValueError, ["The validation set is too small"]),
]


@pytest.mark.parametrize("make", ESTIMATORS)
@pytest.mark.parametrize("call, exc, parts", [c[1:] for c in PREDICT_CASES],
                         ids=[c[0] for c in PREDICT_CASES])
def test_prediction_rejects_bad_input(make, call, exc, parts):
    with pytest.raises(exc) as info:
        call(make)
    for part in parts:
        assert part in str(info.value), f"{part!r} missing from: {info.value}"


def test_not_fitted_error_is_a_value_error():
    assert issubclass(NotFittedError, ValueError)


HYPER_CASES = [
    # id, params, substrings; both estimators unless the parameter is MLP-only
    ("lr-0", {"learning_rate_init": 0}, ["learning_rate_init", "> 0", "got 0"]),
    ("lr-negative", {"learning_rate_init": -1.0}, ["learning_rate_init", "got -1.0"]),
    ("lr-nan", {"learning_rate_init": math.nan}, ["learning_rate_init", "nan"]),
    ("lr-inf", {"learning_rate_init": math.inf}, ["learning_rate_init", "inf"]),
    ("batch-0", {"batch_size": 0}, ["batch_size", "'auto' or a positive integer", "got 0"]),
    ("batch-negative", {"batch_size": -3}, ["batch_size", "got -3"]),
    ("solver", {"solver": "rmsprop"}, ["'sgd'", "'adam'", "'lbfgs'", "'rmsprop'"]),
    ("learning-rate-name", {"learning_rate": "fast"}, ["'constant'", "'invscaling'", "'adaptive'"]),
    ("schedule-name", {"lr_schedule": "linear"},
     ["'constant'", "'step'", "'cosine'", "'invscaling'", "'plateau'", "'linear'"]),
    ("momentum-above-1", {"solver": "sgd", "momentum": 1.5}, ["momentum", "[0, 1]", "1.5"]),
    ("momentum-negative", {"solver": "sgd", "momentum": -0.1}, ["momentum", "-0.1"]),
    ("weight-decay-negative", {"alpha": -1e-4}, ["alpha", ">= 0"]),
    ("epochs-0", {"max_iter": 0}, ["max_iter", "positive integer", "got 0"]),
    ("tol-negative", {"tol": -1.0}, ["tol", ">= 0"]),
    ("validation-fraction-1", {"validation_fraction": 1.0}, ["validation_fraction", "[0, 1)"]),
    ("beta-1", {"beta_1": 1.0}, ["beta_1", "[0, 1)"]),
    ("epsilon-0", {"epsilon": 0.0}, ["epsilon", "> 0"]),
]

MLP_HYPER_CASES = [
    ("hidden-0", {"hidden_layer_sizes": (0,)}, ["hidden_layer_sizes", "[0]"]),
    ("hidden-negative", {"hidden_layer_sizes": (8, -1)}, ["hidden_layer_sizes", "-1"]),
    ("hidden-float", {"hidden_layer_sizes": (5.5,)}, ["hidden_layer_sizes", "5.5"]),
    ("activation", {"activation": "relu6"},
     ["'identity'", "'logistic'", "'tanh'", "'relu'", "'relu6'"]),
    ("dropout-1", {"dropout": 1.0}, ["dropout", "[0, 1)", "1.0"]),
    ("dropout-negative", {"dropout": -0.1}, ["dropout", "-0.1"]),
    ("dropout-nan", {"dropout": math.nan}, ["dropout", "nan"]),
]


def _max_iter_free(make, params):
    kw = dict(params)
    max_iter = kw.pop("max_iter", 5)
    est = make(**kw)
    est.set_params(max_iter=max_iter)
    return est


@pytest.mark.parametrize("make", ESTIMATORS)
@pytest.mark.parametrize("params, parts", [c[1:] for c in HYPER_CASES],
                         ids=[c[0] for c in HYPER_CASES])
def test_hyperparameter_out_of_range(make, params, parts):
    with pytest.raises(ValueError) as info:
        _max_iter_free(make, params).fit(X0, Y0)
    for part in parts:
        assert part in str(info.value), f"{part!r} missing from: {info.value}"


@pytest.mark.parametrize("params, parts", [c[1:] for c in MLP_HYPER_CASES],
                         ids=[c[0] for c in MLP_HYPER_CASES])
def test_mlp_hyperparameter_out_of_range(params, parts):
    with pytest.raises(ValueError) as info:
        _mlp(**params).fit(X0, Y0)
    for part in parts:
        assert part in str(info.value), f"{part!r} missing from: {info.value}"


# ---- convergence, divergence, hints -----------------------------------------------

@pytest.mark.parametrize("make", ESTIMATORS)
def test_convergence_warning_when_max_iter_is_reached(make):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = _max_iter_free(make, {"max_iter": 2}).fit(X0, Y0)
    found = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert est.n_iter_ == 2 and len(found) == 1
    expected = ("lbfgs failed to converge after 2 iteration(s)" if est.solver == "lbfgs"
                else "Maximum iterations (2)")
    assert expected in str(found[0].message)


@pytest.mark.parametrize("make", ESTIMATORS)
def test_no_convergence_warning_when_tol_is_met(make):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = _max_iter_free(make, {"max_iter": 500, "tol": 1e-1, "n_iter_no_change": 2})
        est.fit(X0, Y0)
    assert est.n_iter_ < 500


def _diverging_mlp():
    return MLPClassifier((8,), solver="sgd", learning_rate_init=1e10, max_iter=20, random_state=0)


def _fit_diverging(est):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(TrainingDivergedError) as info:
            est.fit(X0 * 1e6, Y0)
    return info.value


def test_divergence_raises_and_keeps_a_usable_model():
    est = _diverging_mlp()
    err = _fit_diverging(est)
    assert "learning rate" in str(err) and "scale" in str(err)
    assert all(np.all(np.isfinite(c)) for c in est.coefs_)


def test_prediction_after_divergence_is_valid_or_a_clear_error():
    est = _diverging_mlp()
    _fit_diverging(est)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            P = est.predict_proba(X0)
        except NumericalOverflowError:
            return
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-6)


def test_divergence_names_the_real_epoch():
    est = _diverging_mlp()
    err = _fit_diverging(est)
    # history_ (and loss_curve_) end at the epoch whose weights are kept: the
    # one before the failure, or one more back if the failing epoch's own
    # starting weights were the bad ones (a failure in its first batch).
    assert err.epoch - len(est.history_) in (1, 2) and err.epoch > 1
    assert len(est.loss_curve_) == len(est.history_) == est.n_iter_
    assert f"epoch {err.epoch}" in str(err)
    assert est.history_.stopped == "diverged"


def test_infinite_estimator_loss_is_divergence():
    est = SoftmaxRegression(solver="sgd", learning_rate_init=1e20, max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            est.fit(X0 * 1e6, Y0)
        except TrainingDivergedError:
            return
    assert all(math.isfinite(v) for v in est.loss_curve_), est.loss_curve_[-3:]


def test_stuck_estimator_gets_not_learning_hint():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((200, 4)), np.arange(200) % 10
    est = MLPClassifier((5,), solver="sgd", learning_rate_init=1e-9, max_iter=5, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X, y)
    assert any(issubclass(w.category, NotLearningWarning) for w in caught)


# ---- numbers at the edge ---------------------------------------------------------

@pytest.mark.parametrize("make", ESTIMATORS)
@pytest.mark.parametrize("scale", [1.0, 1e4, 1e30])
def test_probabilities_are_valid_for_large_inputs(make, scale):
    est = _fitted(make)
    P, L = est.predict_proba(X0 * scale), est.predict_log_proba(X0 * scale)
    assert np.all(np.isfinite(P)) and np.all(P >= 0)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-6)
    assert np.all(np.isfinite(L))


@pytest.mark.parametrize("method", ["predict_proba", "predict_log_proba", "predict"])
def test_overflowing_logits_raise_instead_of_nan(method):
    est = _fitted(_sr)
    est.coefs_[0][...] = np.array([1e3, -1e3, 0.0])  # coefs_ are the live weights
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(NumericalOverflowError):
            getattr(est, method)(np.full((2, D), 1e307))
