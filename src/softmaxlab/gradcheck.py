"""Central finite-difference gradient checks, in float64.

float64 matters: a central difference has truncation error O(eps^2) and
rounding error O(machine_eps / eps). With eps = 1e-6 in float64 both are
around 1e-10, so a correct backward of unit-sized gradients scores ~1e-9
relative error and a wrong one ~1. In float32 the rounding term alone is
~1e-1 and the check could not tell right from wrong.

That error is absolute: where gradients are small (a trained model, a deep
sigmoid stack) a purely relative error grows like 1e-10 / ||g||.
``check_layer``/``check_model``/``check_loss`` report the relative error of
every entry, for small random models; ``compare_model_gradients`` adds the
absolute noise floor to its verdict and can sample entries, so it suits any
model, trained or not (the lab and ``softmaxlab gradcheck`` use it).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from softmaxlab._validation import Interval, Options, Types, validate_params
from softmaxlab.errors import ParameterError
from softmaxlab.nn.layers import Layer
from softmaxlab.nn.model import Sequential
from softmaxlab.nn.outputs import make_loss

__all__ = [
    "DEFAULT_TOLERANCE",
    "ENTRY_ATOL",
    "MODEL_EPS",
    "MODEL_RTOL",
    "ParamCheck",
    "check_layer",
    "check_loss",
    "check_model",
    "compare_model_gradients",
    "numerical_gradient",
    "relative_error",
]

DEFAULT_TOLERANCE = 1e-7


# What the checks' arguments may be (one table; see softmaxlab._validation.params).
_CONSTRAINTS = {
    "eps": [Interval(float, 0, None, closed="neither")],
    "rtol": [Interval(float, 0)],
    "atol": [Interval(float, 0)],
    "entries": [Options(None), Interval(int, 1)],
    "rng": [Options(None), Types(np.random.Generator, what="a numpy.random.Generator")],
    "training": [Types(bool, np.bool_, what="True or False")],
}


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """``||a - n|| / max(||a|| + ||n||, tiny)``: 0 for equal arrays, ~1 for
    unrelated ones; scale-free, and safe when both are zero."""
    num = np.linalg.norm(np.ravel(analytic) - np.ravel(numeric))
    den = np.linalg.norm(np.ravel(analytic)) + np.linalg.norm(np.ravel(numeric))
    return float(num / max(den, 1e-300))


def numerical_gradient(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of the scalar function ``f()`` with respect
    to the array ``x``, which ``f`` reads and which is perturbed in place (and
    restored). Returns an array of x's shape."""
    validate_params("numerical_gradient", _CONSTRAINTS, {"eps": eps})
    grad = np.zeros_like(x, dtype=np.float64)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        gflat[i] = _central_difference(f, flat, i, eps)
    return grad


def _central_difference(f, flat, i: int, eps: float) -> float:
    """``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)``, perturbing entry ``i``
    of the flat view ``flat`` in place and restoring it."""
    old = flat[i]
    flat[i] = old + eps
    fp = f()
    flat[i] = old - eps
    fm = f()
    flat[i] = old
    return (fp - fm) / (2 * eps)


def check_layer(layer: Layer, X: np.ndarray, rng: np.random.Generator, eps: float = 1e-6,
                training: bool = False) -> dict[str, float]:
    """Check one layer's backward against finite differences.

    Uses the scalar ``L = sum(forward(X) * G)`` for a fixed random upstream
    gradient ``G``, whose exact derivatives are ``backward(G)``.

    Parameters
    ----------
    layer : Layer
        Checked on a float64 copy; the original is untouched.
    X : ndarray of shape (n_samples, n_in)
    rng : numpy.random.Generator
        Draws ``G`` (and dropout masks: the same mask is replayed for every
        perturbation, since the check is of the backward for a given mask).
    eps : float

    Returns
    -------
    dict mapping ``"input"`` and each parameter name to its relative error.
    """
    validate_params("check_layer", _CONSTRAINTS, {"rng": rng, "eps": eps, "training": training})
    layer = layer.astype(np.float64)
    X = np.array(X, dtype=np.float64)
    if hasattr(layer, "rng"):
        layer.rng = rng
    out = layer.forward(X, training)
    G = rng.standard_normal(out.shape)
    mask = getattr(layer, "_mask", None)

    def f():
        if mask is not None:
            return float(np.sum(layer.apply(X) * mask * G))
        return float(np.sum(layer.apply(X) * G))

    dX = layer.backward(G)
    analytic = {"input": dX}
    analytic.update({k: v.copy() for k, v in layer.grads.items()})
    errors = {"input": relative_error(dX, numerical_gradient(f, X, eps))}
    for k, v in layer.params.items():
        errors[k] = relative_error(analytic[k], numerical_gradient(f, v, eps))
    return errors


def _backprop(model, loss, X, y, sample_weight):
    """One forward and backward pass of the float64 ``model`` on ``X``
    (cast to float64): fills every parameter's ``grad``; returns ``(X, y,
    loss value)``."""
    X = np.array(X, dtype=np.float64)
    y = np.asarray(y)
    value, dlogits = loss(model.forward(X, training=False), y, sample_weight)
    model.backward(dlogits)
    return X, y, value


def check_model(model: Sequential, X: np.ndarray, y: np.ndarray, loss=None, sample_weight=None,
                eps: float = 1e-6) -> dict[str, float]:
    """Check a whole model plus loss: every parameter's gradient of the mean
    loss against finite differences, in float64, dropout off.

    Parameters
    ----------
    model : Sequential
        Checked on a float64 copy; the original is untouched.
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,), integer class indices (or (n_samples,
        n_units) 0/1 targets for a sigmoid model)
    loss : optional, default: the unweighted loss of ``model.output``
    sample_weight : ndarray of shape (n_samples,), optional

    Returns
    -------
    dict mapping parameter names (``"0.W"``, ``"0.b"``, ...) to relative error.
    """
    validate_params("check_model", _CONSTRAINTS, {"eps": eps})
    model = model.astype(np.float64)
    loss = loss or make_loss(model.output)
    X, y, _ = _backprop(model, loss, X, y, sample_weight)
    errors = {}
    for p in model.parameters():
        analytic = p.grad.copy()
        numeric = numerical_gradient(
            lambda: loss.value(model.predict_logits(X), y, sample_weight), p.value, eps)
        errors[p.name] = relative_error(analytic, numeric)
    return errors


def check_loss(loss, logits: np.ndarray, y: np.ndarray, sample_weight=None,
               eps: float = 1e-6) -> float:
    """Check ``loss``'s fused gradient ``dL/dlogits`` against finite differences.

    Parameters
    ----------
    loss : SoftmaxCrossEntropy
    logits : ndarray of shape (n_samples, n_classes), cast to float64
    y : ndarray of shape (n_samples,)
    sample_weight : ndarray of shape (n_samples,), optional

    Returns
    -------
    float : relative error
    """
    validate_params("check_loss", _CONSTRAINTS, {"eps": eps})
    z = np.array(logits, dtype=np.float64)
    _, analytic = loss(z, y, sample_weight)
    numeric = numerical_gradient(lambda: loss.value(z, y, sample_weight), z, eps)
    return relative_error(analytic, numeric)


# The whole-model comparison of ``compare_model_gradients``; see its Notes.
MODEL_EPS = 1e-6
MODEL_RTOL = 1e-4
ENTRY_ATOL = 1e-8


@dataclass(frozen=True)
class ParamCheck:
    """One parameter's comparison of analytic and numerical gradients.

    ``error`` is ``||g - n|| / max(||g||, ||n||)`` over the ``checked``
    entries (0 when both are zero); ``passed`` is the noise-aware verdict
    ``||g - n|| <= rtol * max(||g||, ||n||) + atol * sqrt(checked)``;
    ``measurable`` is False when both norms are below the noise floor
    ``atol * sqrt(checked)``, where the comparison can show nothing;
    ``resolved`` is True when the gradient is large enough that the floor is
    below ``rtol`` of it, so the relative error itself is the verdict (for a
    smaller gradient a wrong backward still shows, as an error far above the
    floor, but a relative error of 1e-3 may be rounding).
    """

    name: str
    shape: tuple
    checked: int
    error: float
    norm_analytic: float
    norm_numeric: float
    abs_error: float
    passed: bool
    measurable: bool
    resolved: bool

    def to_dict(self) -> dict:
        d = asdict(self)
        d["shape"] = list(self.shape)
        return d


def _entries(size: int, entries: int | None, rng) -> np.ndarray:
    if entries is None or entries >= size:
        return np.arange(size)
    return np.sort(rng.choice(size, entries, replace=False))


def compare_model_gradients(model: Sequential, X: np.ndarray, y: np.ndarray, *, loss=None,
                            sample_weight=None, entries: int | None = None, rng=None,
                            eps: float = MODEL_EPS, rtol: float = MODEL_RTOL,
                            atol: float = ENTRY_ATOL, interrupt=None) -> list[ParamCheck]:
    """Every parameter's backprop gradient of the mean loss against central
    differences, in float64 on a float64 copy of ``model``, dropout off.

    Parameters
    ----------
    model : Sequential
        Checked on a float64 copy; the original is untouched.
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,), class indices (or (n_samples, n_units)
        0/1 targets for a sigmoid model)
    loss : optional, default: the unweighted loss of ``model.output``
    sample_weight : ndarray of shape (n_samples,), optional
    entries : int, optional
        Entries compared per parameter, drawn without replacement from
        ``rng``; None compares every entry.
    rng : numpy.random.Generator, optional (needed when ``entries`` is set)
    eps, rtol, atol : float
        Step of the central difference, relative tolerance, and per-entry
        absolute noise floor (scaled by ``max(1, |loss|)``).
    interrupt : callable, optional
        Called between entries; it may raise to stop the check (a cancelled
        request), or sleep to let other threads run.

    Returns
    -------
    list of ParamCheck, one per parameter in ``model.parameters()`` order.

    Notes
    -----
    Why these numbers. A central difference of the float64 loss has two
    errors per entry: truncation ``eps**2 |f'''| / 6`` and rounding about
    ``u |L| / eps`` (u = 2.2e-16, the rounding of the loss value). At
    ``eps = 1e-6`` both are below 1e-10: over trained MLPs of the lab's sizes
    (1 to 6 layers of up to 64 units, every activation) the largest absolute
    difference measured per entry was 8e-11. That error is absolute, not
    relative: a trained model's gradients can be 1e-6 or smaller (vanishing
    through six sigmoid layers, or a nearly perfect fit), and there a purely
    relative measure such as ``||g - n|| / ||g||`` grows like ``1e-10 / ||g||``
    and fails a correct backward. So a parameter passes when
    ``||g - n|| <= rtol max(||g||, ||n||) + atol sqrt(k)`` for its k checked
    entries: ``atol = 1e-8`` is 100 times the largest rounding seen, and
    ``rtol = 1e-4`` is 100 times the largest relative error of a correct
    measurable gradient, while a wrong backward (a missing derivative factor,
    a transposed product, a forgotten 1/N) is off by tens of per cent or more.
    A bug hides only in a parameter whose gradient is below ``atol`` per
    entry, which ``measurable`` reports.
    """
    validate_params("compare_model_gradients", _CONSTRAINTS, {
        "entries": entries, "rng": rng, "eps": eps, "rtol": rtol, "atol": atol})
    if entries is not None and rng is None:
        raise ParameterError("compare_model_gradients: rng must be a numpy.random.Generator when "
                             "entries is set, got None.", owner="compare_model_gradients",
                             name="rng", value=None)
    model = model.astype(np.float64)
    loss = loss or make_loss(model.output)
    X, y, value = _backprop(model, loss, X, y, sample_weight)
    floor = atol * max(1.0, abs(float(value)))

    def f():
        return loss.value(model.predict_logits(X), y, sample_weight)

    results = []
    for p in model.parameters():
        idx = _entries(p.value.size, entries, rng)
        g = p.grad.reshape(-1)[idx].astype(np.float64)
        flat, n = p.value.reshape(-1), np.empty(len(idx))
        for j, i in enumerate(idx):
            if interrupt is not None:
                interrupt()
            n[j] = _central_difference(f, flat, i, eps)
        diff, big = float(np.linalg.norm(g - n)), float(max(np.linalg.norm(g), np.linalg.norm(n)))
        noise = floor * np.sqrt(len(idx))
        results.append(ParamCheck(
            name=p.name, shape=tuple(p.value.shape), checked=int(len(idx)),
            error=diff / big if big > 0 else 0.0, norm_analytic=float(np.linalg.norm(g)),
            norm_numeric=float(np.linalg.norm(n)), abs_error=diff,
            passed=bool(diff <= rtol * big + noise), measurable=bool(big > noise),
            resolved=bool(rtol * big > noise)))
    return results
