"""Pieces the estimators plug into the engine's ``Trainer``: scikit-learn's L2
penalty per minibatch, a loss that accepts a minibatch of zero total weight,
and the hyper-parameter checks shared by both estimators.

No maths lives here beyond bookkeeping: the penalty's gradient is applied by
the optimizer's ``weight_decay`` (the engine's single place for L2).
"""
from __future__ import annotations

import numbers

import numpy as np
from array_api_compat import array_namespace

from softmaxlab.backend import to_numpy

from softmaxlab.train import Callback

__all__ = ["SklearnL2", "check_hyperparameters", "loss_weight_sum", "resolve_dtype"]


class SklearnL2(Callback):
    """scikit-learn's ``alpha`` penalty, exactly, on top of the engine's optimizer.

    scikit-learn adds ``0.5 * alpha * ||W||^2 / n_batch`` to every minibatch
    loss (``n_batch`` = rows in that batch), whose gradient is
    ``alpha * W / n_batch``. The engine's optimizers apply coupled weight decay
    ``grad += weight_decay * W`` on weights only, so before every batch this
    callback sets ``weight_decay = alpha / n_batch`` (the last, smaller batch
    of an epoch gets its own value) and records ``||W||^2`` at the weights the
    batch starts from, so that ``loss_`` includes the penalty as scikit-learn
    reports it.

    With ``sample_weight`` scikit-learn divides the penalty by the batch's
    weight sum; here it is always divided by the batch's row count (the
    trainer does not expose per-batch weights). Without sample weights the two
    are identical.

    With a fixed ``denominator`` D (``SoftmaxRegression``: the weight sum of
    the whole training set) every batch gets ``0.5 * alpha * ||W||^2 / D``
    instead: each step is then a stochastic gradient step on the full
    objective ``mean loss + 0.5 * alpha * ||W||^2 / D``, the one "lbfgs"
    minimises, so ``alpha`` means the same for every solver.
    """

    def __init__(self, alpha: float, denominator: float | None = None):
        self.alpha = float(alpha)
        self.denominator = denominator
        self.penalty_sum = 0.0
        self._n = self._bs = 0

    def begin_epoch(self, trainer, n_samples: int, batch_size: int) -> None:
        """Call right before ``trainer.train_epoch`` on ``n_samples`` rows."""
        self._n, self._bs = n_samples, batch_size
        self.penalty_sum = 0.0
        self._before_batch(trainer, 0)

    def _before_batch(self, trainer, b: int) -> None:
        size = min(self._bs, self._n - b * self._bs)
        if size <= 0 or not self.alpha:
            return
        denominator = size if self.denominator is None else self.denominator
        trainer.optimizer.weight_decay = self.alpha / denominator
        sq = sum(_squared_norm(p.value) for p in trainer.optimizer.params if p.decay)
        # Batch loss gets 0.5*alpha*||W||^2/denominator and is then weighted by size.
        self.penalty_sum += size * 0.5 * self.alpha * sq / denominator

    def on_batch_end(self, trainer, batch, logs):
        self._before_batch(trainer, batch + 1)


def _squared_norm(a) -> float:
    """``||a||^2`` as a Python float, for an array of any library."""
    if isinstance(a, np.ndarray):
        return float(np.vdot(a, a))
    xp = array_namespace(a)
    return float(xp.sum(a * a))


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
