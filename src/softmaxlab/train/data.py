"""Training data for the ``Trainer``: validated once, where the model lives,
and evaluated in chunks. Plumbing around the maths, used by ``trainer.py``."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from array_api_compat import array_namespace, device, is_numpy_array

from softmaxlab._validation import check_features, check_sample_weight, is_foreign_array
from softmaxlab.backend import BackendError, check_same_device, numpy_dtype
from softmaxlab.nn.outputs import output_predict

__all__ = ["TrainingData", "check_where", "evaluate_in_chunks", "prepare_data"]

# Rows per chunk when evaluating, so a large validation set never needs one
# (n, C) and (n, hidden) activation block at once.
EVAL_CHUNK = 8192


class TrainingData(NamedTuple):
    """Validated training arrays, from ``Trainer.prepare``: ``X`` (n,
    n_features) in the model's dtype, namespace and device; ``y`` as the
    loss's ``check_targets`` returns it; ``sample_weight`` (n,) or None."""

    X: object
    y: object
    sample_weight: object


def prepare_data(model, loss, X, y, sample_weight=None, name: str = "X") -> TrainingData:
    """Validate and cast ``X`` (n, n_features), ``y`` (n,) or (n, n_outputs)
    and ``sample_weight`` (n,) for ``model`` and ``loss``; see
    ``Trainer.prepare``."""
    check_where(model, X, y, sample_weight, name)
    dtype = numpy_dtype(model.dtype)
    X = check_features(X, model.n_features, dtype=dtype, name=name)
    y = loss.check_targets(y, X.shape[0], model.n_outputs,
                           name="y" if name == "X" else f"y{name[1:]}")
    if is_numpy_array(X):
        # One cast of the whole set, only if the dtype differs: float32 in,
        # float32 maths; a float64 model gets float64 inputs.
        X = np.asarray(X, dtype=dtype)
    sw = check_sample_weight(sample_weight, X.shape[0], dtype)
    return TrainingData(X, y, sw)


def check_where(model, X, y, sample_weight, name: str = "X") -> None:
    """Raise ``BackendError`` unless the data lives in the model's array
    library, on its device."""
    W = model.linear_layers[0].params["W"]
    foreign = [a for a in (X, y, sample_weight) if is_foreign_array(a)]
    if not foreign and is_numpy_array(W):
        return
    if foreign and is_numpy_array(W):
        raise BackendError(
            f"{name} is a {type(foreign[0]).__module__.split('.')[0]} array but the model's "
            "parameters are NumPy arrays; move the model first with "
            "model.to(array_api_compat.array_namespace(X), array_api_compat.device(X)), "
            "or pass NumPy arrays.")
    if not is_foreign_array(X):
        raise BackendError(
            f"the model's parameters live on {device(W)} ({type(W).__module__.split('.')[0]}) but "
            f"{name} is not an array of that library; convert it with "
            f"{type(W).__module__.split('.')[0]}.asarray(..., device=...).")
    check_same_device(W, X, y if is_foreign_array(y) else None,
                      sample_weight if is_foreign_array(sample_weight) else None,
                      names=["the model's parameters", name, "y", "sample_weight"])


def evaluate_in_chunks(model, loss, X, y, sample_weight=None) -> tuple[float, float]:
    """(weighted mean loss, accuracy) of ``model`` on validated ``X`` (n,
    n_features) and ``y``, ``EVAL_CHUNK`` rows at a time, without caches.
    With ``sample_weight`` (n,) the accuracy is weighted too, as
    scikit-learn's ``accuracy_score(..., sample_weight=...)``."""
    n = X.shape[0]
    loss_sum, w_sum, correct = 0.0, 0.0, 0.0
    for s in range(0, n, EVAL_CHUNK):
        rows = slice(s, min(s + EVAL_CHUNK, n))  # no slice past the end (array API)
        logits = model.predict_logits(X[rows, ...])
        yb = y[rows, ...]
        if sample_weight is None:
            w = yb.shape[0]
            correct += loss.count_correct(logits, yb)
            loss_sum += loss.value(logits, yb) * w
        else:
            swb = sample_weight[rows]
            w = float(array_namespace(swb).sum(swb))
            correct += _weighted_hits(logits, yb, swb, getattr(model, "output", "softmax"))
            loss_sum += loss.value(logits, yb, swb) * w
        w_sum += w
    return loss_sum / max(w_sum, 1e-300), correct / (n if sample_weight is None else max(w_sum, 1e-300))


def _weighted_hits(logits, y, sw, output) -> float:
    """The sample weight of the rows predicted right (every label right, for
    sigmoid outputs)."""
    xp = array_namespace(logits)
    pred = output_predict(logits, output)
    if output == "softmax":
        hits = pred == y
    else:
        hits = xp.all(pred == xp.astype(y > 0.5, xp.int64), axis=1)
    return float(xp.sum(xp.astype(hits, sw.dtype) * sw))
