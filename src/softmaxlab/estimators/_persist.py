"""Pickle-free saving and loading of the estimators (``est.save``, ``softmaxlab.load``).

Format: ``softmaxlab.io.save_model``'s ``.npz`` (architecture, weights, JSON
header). The estimator's ``meta`` holds the keys listed in
``softmaxlab.estimators``' module docstring.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from softmaxlab.io import ModelFormatError, load_model, save_model
from softmaxlab.train import History

__all__ = ["ESTIMATOR_KIND", "load", "save_estimator"]

ESTIMATOR_KIND = "softmaxlab.estimator"
_CLI_KIND = "softmaxlab.cli-model"


def _jsonable(value):
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return np.dtype(value).name
    return None  # e.g. a RandomState instance: not meaningful in a file


def _encode_classes(classes):
    dt = classes.dtype
    if dt.kind in "biuf":
        return [v.item() for v in classes], dt.str
    values = [v.item() if isinstance(v, np.generic) else v for v in classes]
    if not all(isinstance(v, str) for v in values):
        raise ValueError("save() stores labels as JSON: they must be numbers or strings, got "
                         f"{[type(v).__name__ for v in values][:5]}.")
    return values, dt.str if dt.kind == "U" else "object"


def _decode_classes(values, dtype):
    if dtype == "object":
        arr = np.empty(len(values), dtype=object)
        arr[:] = values
        return arr
    return np.asarray(values, dtype=np.dtype(dtype))


def _nan_to_none(values):
    return None if values is None else [None if (isinstance(v, float) and math.isnan(v)) else v
                                        for v in values]


def save_estimator(est, path):
    """Write a fitted estimator; returns the path."""
    from sklearn.utils.validation import check_is_fitted
    check_is_fitted(est)
    classes, classes_dtype = _encode_classes(est.classes_)
    params = {k: _jsonable(v) for k, v in est.get_params().items()}
    names = getattr(est, "feature_names_in_", None)
    meta = {
        "kind": ESTIMATOR_KIND,
        "estimator": type(est).__name__,
        "params": params,
        "classes": classes,
        "classes_dtype": classes_dtype,
        "class_names": [str(c) for c in classes],
        "n_features_in": int(est.n_features_in_),
        "feature_names_in": None if names is None else [str(n) for n in names],
        "feature_names": None if names is None else [str(n) for n in names],
        "fitted": {
            "n_iter_": int(est.n_iter_), "t_": int(est.t_),
            "loss_": _jsonable(getattr(est, "loss_", None)),
            "loss_curve_": _jsonable(est.loss_curve_),
            "best_loss_": _jsonable(est.best_loss_),
            "validation_scores_": _jsonable(est.validation_scores_),
            "best_validation_score_": _jsonable(est.best_validation_score_),
            "validation_loss_curve_": _jsonable(est.validation_loss_curve_),
            "history_": est.history_.to_dict(),
        },
    }
    arrays, meta["training_state"] = _training_state(est)
    return save_model(path, est._model, meta, arrays=arrays)


def _training_state(est):
    """What partial_fit needs to continue exactly where it stopped: the
    optimizer's buffers and step count, the schedule, the Generator's
    position and the early-stopping counter. (None, None) if the estimator
    has no optimizer yet (lbfgs, or state from before any epoch)."""
    opt = getattr(est, "_opt", None)
    if opt is None:
        return None, None
    state = opt.state_dict()
    arrays = {f"optimizer.{k}": v for k, v in state["arrays"].items()}
    best = getattr(est, "_best_weights", None)
    if best is not None:
        arrays.update({f"best_weights.{i}": w for i, w in enumerate(best)})
    schedule = getattr(est, "_schedule", None)
    scalars = {
        "optimizer": state["scalars"],
        "schedule": None if schedule is None else _jsonable(schedule.state_dict()),
        "rng": est._rng.bit_generator.state,
        "no_improvement_count": int(getattr(est, "_no_improvement_count", 0)),
        "n_best_weights": 0 if best is None else len(best),
    }
    return arrays, scalars


def _restore_training_state(est, state, arrays):
    """Inverse of ``_training_state`` on a freshly restored estimator."""
    est._make_optimizer()
    prefix = "optimizer."
    est._opt.load_state_dict({
        "scalars": state["optimizer"],
        "arrays": {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)},
    })
    if est._schedule is not None and state.get("schedule") is not None:
        est._schedule.load_state_dict(state["schedule"])
    est._rng.bit_generator.state = state["rng"]
    est._no_improvement_count = int(state["no_improvement_count"])
    n_best = int(state.get("n_best_weights", 0))
    if n_best:
        est._best_weights = [np.array(arrays[f"best_weights.{i}"]) for i in range(n_best)]


def _restore_estimator(loaded, path):
    from softmaxlab.estimators._classes import MLPClassifier, SoftmaxRegression
    meta = loaded.meta
    classes_by_name = {"MLPClassifier": MLPClassifier, "SoftmaxRegression": SoftmaxRegression}
    try:
        cls = classes_by_name[meta["estimator"]]
        params = dict(meta["params"])
        if isinstance(params.get("hidden_layer_sizes"), list):
            params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
        est = cls(**params)
        est.classes_ = _decode_classes(meta["classes"], meta["classes_dtype"])
        model = loaded.model
        if model.n_features != meta["n_features_in"] or model.n_classes != len(est.classes_):
            raise ValueError("the weights do not match n_features_in / classes")
        est._init_fitted_state(model.n_features, model.dtype)
        est._model = model
        model.set_rng(est._rng)
        lin = model.linear_layers
        est.coefs_ = [layer.params["W"] for layer in lin]
        est.intercepts_ = [layer.params["b"] for layer in lin]
        est.n_features_in_ = int(meta["n_features_in"])
        if meta.get("feature_names_in") is not None:
            est.feature_names_in_ = np.asarray(meta["feature_names_in"], dtype=object)
        fitted = dict(meta["fitted"])
        est.history_ = History.from_dict(fitted.pop("history_"))
        est._epochs_done = len(est.history_)  # partial_fit/warm_start count on from here
        for k, v in fitted.items():
            if k == "best_loss_" and v is None and not est.early_stopping:
                v = np.inf
            setattr(est, k, v)
        if est.loss_ is None:
            del est.loss_
        if meta.get("training_state") is not None:
            _restore_training_state(est, meta["training_state"], loaded.arrays)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFormatError(f"{path}: incomplete or inconsistent estimator metadata ({exc}).") from None
    return est


def load(path):
    """Load a model file as a fitted scikit-learn estimator.

    A file from ``est.save`` gives back that estimator class. A ``model.npz``
    from ``softmaxlab train`` (the CLI) gives a ``Pipeline`` of its fitted
    preprocessing and a ``MLPClassifier``/``SoftmaxRegression`` holding its
    weights and label names, so it predicts on raw rows exactly as the CLI does.

    Raises
    ------
    FileNotFoundError, ModelFormatError
    """
    loaded = load_model(path)
    kind = loaded.meta.get("kind")
    if kind == ESTIMATOR_KIND:
        return _restore_estimator(loaded, path)
    if kind == _CLI_KIND:
        from softmaxlab.estimators._cli_model import from_cli_model
        return from_cli_model(loaded, path)
    raise ModelFormatError(f"{path} is a softmaxlab model file of kind {kind!r}; softmaxlab.load reads "
                           f"files written by est.save() ({ESTIMATOR_KIND!r}) or by `softmaxlab train` "
                           f"({_CLI_KIND!r}). Use softmaxlab.load_model for the bare network.")
