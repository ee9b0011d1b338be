"""The hyper-parameter constraints shared by both estimators and their check
at ``fit``, and the weight sum that ``SoftmaxRegression`` divides its L2
penalty by (``L2Penalty``)."""
from __future__ import annotations

import numpy as np

from softmaxlab._validation import Interval, ListOf, Options, Types, validate_params
from softmaxlab.backend import to_numpy
from softmaxlab.errors import ParameterError

__all__ = ["SHARED_CONSTRAINTS", "check_hyperparameters", "loss_weight_sum", "resolve_dtype"]


def loss_weight_sum(loss, T, sw) -> float:
    """The normaliser of a fused loss's mean over targets ``T``: the sum of
    the sample weights (times the class weights for the softmax loss, which
    weighs whole samples; the sigmoid loss weighs its terms and divides by
    the sample weights alone)."""
    from softmaxlab.nn import SoftmaxCrossEntropy

    T = to_numpy(T)
    w = np.ones(T.shape[0]) if sw is None else to_numpy(sw).astype(np.float64)
    cw = getattr(loss, "class_weight", None)
    if isinstance(loss, SoftmaxCrossEntropy) and cw is not None:
        w = w * cw[T]
    return float(w.sum())


class FloatDtype:
    """A constraint: float32 or float64, as a string or a NumPy type."""

    def accepts(self, value) -> bool:
        try:
            return np.dtype(value) in (np.dtype(np.float32), np.dtype(np.float64))
        except (TypeError, ValueError):
            return False

    def __str__(self) -> str:
        return "'float32' or 'float64'"


class ScheduleSpec:
    """A constraint: a schedule's name, or a dict ``{"name": ..., **options}``."""

    def accepts(self, value) -> bool:
        name = value.get("name") if isinstance(value, dict) else value
        return isinstance(name, str) and name in SCHEDULES

    def __str__(self) -> str:
        names = ", ".join(repr(n) for n in SCHEDULES)
        return f"a schedule name ({names}) or a dict {{'name': ..., **options}}"


SCHEDULES = ("constant", "step", "cosine", "invscaling", "plateau")
_BOOL = Types(bool, np.bool_, what="True or False")
_POSITIVE = Interval(float, 0, None, closed="neither")
_FRACTION = Interval(float, 0, 1, closed="left")

#: What both estimators' constructor arguments may be (scikit-learn's
#: ``MLPClassifier`` constraints, and softmaxlab's additions); each estimator's
#: ``_constraints`` adds its own. Checked at ``fit``, as scikit-learn does.
SHARED_CONSTRAINTS = {
    "solver": [Options("sgd", "adam", "lbfgs")],
    "alpha": [Interval(float, 0)],
    "batch_size": [Options("auto"), Interval(int, 1)],
    "learning_rate": [Options("constant", "invscaling", "adaptive")],
    "learning_rate_init": [_POSITIVE],
    "power_t": [Interval(float, 0)],
    "max_iter": [Interval(int, 1)],
    "shuffle": [_BOOL],
    "random_state": [Options(None), Interval(int, 0, 2**32 - 1),
                     Types(np.random.RandomState, what="a numpy.random.RandomState")],
    "tol": [Interval(float, 0)],
    "verbose": [_BOOL, Interval(int, 0)],
    "warm_start": [_BOOL],
    "momentum": [Interval(float, 0, 1)],
    "nesterovs_momentum": [_BOOL],
    "early_stopping": [_BOOL],
    "validation_fraction": [_FRACTION],
    "beta_1": [_FRACTION],
    "beta_2": [_FRACTION],
    "epsilon": [_POSITIVE],
    "n_iter_no_change": [Interval(int, 1), Options(np.inf)],
    "max_fun": [Interval(int, 1)],
    "class_weight": [Options(None, "balanced"), Types(dict, what="a dict {label: weight}"),
                     ListOf(Types(dict), what="(multilabel) a list of dicts {0: weight, 1: "
                                              "weight}, one per label")],
    "dtype": [Options(None), FloatDtype()],
    "lr_schedule": [Options(None), ScheduleSpec()],
}


def resolve_dtype(dtype, owner: str = "estimator"):
    """None (follow the input: float32 stays float32, anything else float64)
    or float32/float64 given as a string or a NumPy type."""
    validate_params(owner, SHARED_CONSTRAINTS, {"dtype": dtype})
    return None if dtype is None else np.dtype(dtype)


def check_hyperparameters(owner: str, constraints: dict, params: dict) -> None:
    """Check an estimator's constructor arguments ``params`` (``get_params()``)
    against its table ``constraints``, then the rules that tie two of them
    together; ``owner`` is the estimator's name in the message.

    Raises
    ------
    ParameterError
        Both a ``ValueError`` and a ``TypeError``; the message names the
        estimator, the parameter, the value and what is allowed.
    """
    p = dict(params)
    h = p.get("hidden_layer_sizes")
    if isinstance(h, (tuple, range, np.ndarray)):
        # Any array-like of ints, as scikit-learn takes it; shown as a list.
        p["hidden_layer_sizes"] = np.asarray(h).tolist() if isinstance(h, np.ndarray) else list(h)
    validate_params(owner, constraints, p)
    if p.get("dropout", 0) > 0 and p["solver"] == "lbfgs":
        _refuse(owner, "dropout", p["dropout"], "0 with solver='lbfgs'",
                "dropout > 0 makes the loss random, which L-BFGS cannot minimise; use "
                "solver='adam' or 'sgd' with dropout, or dropout=0 with 'lbfgs'.")
    sched = p["lr_schedule"]
    if sched is not None and p["learning_rate"] != "constant":
        _refuse(owner, "learning_rate", p["learning_rate"],
                f"'constant' with lr_schedule={sched!r}",
                "lr_schedule replaces scikit-learn's learning_rate; leave "
                "learning_rate='constant' or set lr_schedule=None.")
    if sched is not None and p["solver"] == "lbfgs":
        _refuse(owner, "lr_schedule", sched, "None with solver='lbfgs'",
                "lr_schedule has no meaning for solver='lbfgs' (no learning rate).")


def _refuse(owner, name, value, allowed, hint):
    """A rule between two parameters, in the one message form."""
    raise ParameterError(f"{owner}: {name} must be {allowed}, got {value!r}. {hint}",
                         owner=owner, name=name, value=value)
