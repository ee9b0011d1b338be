"""The hyper-parameter checks shared by both estimators, and the weight sum
that ``SoftmaxRegression`` divides its L2 penalty by (``L2Penalty``)."""
from __future__ import annotations

import numbers

import numpy as np

from softmaxlab.backend import to_numpy

__all__ = ["check_hyperparameters", "loss_weight_sum", "resolve_dtype"]


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


def _is_int(v) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _is_real(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and np.isfinite(v)


def _need(ok: bool, name: str, value, what: str) -> None:
    if not ok:
        raise ValueError(f"The '{name}' parameter must be {what}. Got {value!r} instead.")


def resolve_dtype(dtype):
    """None (follow the input: float32 stays float32, anything else float64)
    or float32/float64 given as a string or a NumPy type."""
    if dtype is None:
        return None
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    _need(dt in (np.dtype(np.float32), np.dtype(np.float64)), "dtype", dtype,
          "None, 'float32' or 'float64'")
    return dt


def check_hyperparameters(est, none_ok=()) -> None:
    """Validate the constructor arguments (scikit-learn's constraints, same
    wording), raising ``ValueError`` that names the parameter and the value.
    ``none_ok``: parameters for which None means "the solver's default"."""
    p = est.get_params()
    _need(p["solver"] in ("sgd", "adam", "lbfgs"), "solver", p["solver"], "one of 'sgd', 'adam', 'lbfgs'")
    _need(_is_real(p["alpha"]) and p["alpha"] >= 0, "alpha", p["alpha"], "a float >= 0")
    bs = p["batch_size"]
    _need(bs == "auto" or (_is_int(bs) and bs >= 1), "batch_size", bs, "'auto' or an int >= 1")
    _need(p["learning_rate"] in ("constant", "invscaling", "adaptive"), "learning_rate",
          p["learning_rate"], "one of 'constant', 'invscaling', 'adaptive'")
    lr = p["learning_rate_init"]
    if not (lr is None and "learning_rate_init" in none_ok):
        _need(_is_real(lr) and lr > 0, "learning_rate_init", lr, "a float > 0")
    _need(_is_real(p["power_t"]) and p["power_t"] >= 0, "power_t", p["power_t"], "a float >= 0")
    _need(_is_int(p["max_iter"]) and p["max_iter"] >= 1, "max_iter", p["max_iter"], "an int >= 1")
    _need(_is_real(p["tol"]) and p["tol"] >= 0, "tol", p["tol"], "a float >= 0")
    _need(_is_real(p["momentum"]) and 0 <= p["momentum"] <= 1, "momentum", p["momentum"],
          "a float in [0, 1]")
    vf = p["validation_fraction"]
    _need(_is_real(vf) and 0 <= vf < 1, "validation_fraction", vf, "a float in [0, 1)")
    for name in ("beta_1", "beta_2"):
        _need(_is_real(p[name]) and 0 <= p[name] < 1, name, p[name], "a float in [0, 1)")
    _need(_is_real(p["epsilon"]) and p["epsilon"] > 0, "epsilon", p["epsilon"], "a float > 0")
    nic = p["n_iter_no_change"]
    _need((_is_int(nic) and nic >= 1) or nic == np.inf, "n_iter_no_change", nic, "an int >= 1 or np.inf")
    _need(_is_int(p["max_fun"]) and p["max_fun"] >= 1, "max_fun", p["max_fun"], "an int >= 1")
    cw = p["class_weight"]
    _need(cw is None or cw == "balanced" or isinstance(cw, dict)
          or (isinstance(cw, (list, tuple)) and all(isinstance(d, dict) for d in cw)), "class_weight",
          cw, "None, 'balanced', a dict {label: weight} or (multilabel) a list of dicts "
          "{0: weight, 1: weight}, one per label")
    if "dropout" in p:
        d = p["dropout"]
        _need(_is_real(d) and 0 <= d < 1, "dropout", d, "a float in [0, 1)")
        if d > 0 and p["solver"] == "lbfgs":
            raise ValueError("dropout > 0 makes the loss random, which L-BFGS cannot minimise; "
                             "use solver='adam' or 'sgd' with dropout, or dropout=0 with 'lbfgs'.")
    if "activation" in p:
        _need(p["activation"] in ("identity", "logistic", "tanh", "relu"), "activation",
              p["activation"], "one of 'identity', 'logistic', 'tanh', 'relu'")
    resolve_dtype(p["dtype"])
    sched = p["lr_schedule"]
    if sched is not None:
        name = sched.get("name") if isinstance(sched, dict) else sched
        _need(name in ("constant", "step", "cosine", "invscaling", "plateau"), "lr_schedule", sched,
              "None, a schedule name ('constant', 'step', 'cosine', 'invscaling', 'plateau') "
              "or a dict {'name': ..., **options}")
        if p["learning_rate"] != "constant":
            raise ValueError(
                f"lr_schedule={sched!r} replaces scikit-learn's learning_rate; leave "
                f"learning_rate='constant' (got {p['learning_rate']!r}) or set lr_schedule=None.")
        if p["solver"] == "lbfgs":
            raise ValueError("lr_schedule has no meaning for solver='lbfgs' (no learning rate).")
