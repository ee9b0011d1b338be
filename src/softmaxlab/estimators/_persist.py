"""The estimator file format (``est.save``, ``softmaxlab.load``): pure data
conversion between a fitted estimator's public attributes (plus its network
and ``TrainingState``) and ``softmaxlab.io``'s ``.npz``.

The ``meta`` keys are listed in ``softmaxlab.estimators``' module docstring.
Nothing here imports the estimator classes or reads their private state.
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from softmaxlab.io import ModelFormatError, save_model
from softmaxlab.train import History
from softmaxlab.errors import InputError

__all__ = ["CLI_KIND", "ESTIMATOR_KIND", "FITTED_ATTRIBUTES", "SavedEstimator", "TrainingState",
           "read_estimator", "save_estimator"]

ESTIMATOR_KIND = "softmaxlab.estimator"
CLI_KIND = "softmaxlab.cli-model"

#: Fitted attributes a file restores (besides the network, classes and names).
FITTED_ATTRIBUTES = ("n_iter_", "t_", "loss_", "loss_curve_", "best_loss_", "validation_scores_",
                     "best_validation_score_", "validation_loss_curve_", "history_")


@dataclass
class TrainingState:
    """What ``partial_fit`` needs to continue exactly where it stopped.

    Attributes
    ----------
    optimizer : dict
        ``Optimizer.state_dict()``: ``{"scalars": ..., "arrays": ...}``.
    schedule : dict or None
        ``Schedule.state_dict()``.
    rng : dict
        The Generator's ``bit_generator.state``.
    no_improvement_count : int
        The ``tol``/``n_iter_no_change`` counter.
    best_weights : list of ndarray or None
        The weights of the best validation score (early stopping).
    """

    optimizer: dict
    schedule: dict | None
    rng: dict
    no_improvement_count: int
    best_weights: list | None = None


@dataclass
class SavedEstimator:
    """An estimator file's contents, ready for ``attach_network``."""

    estimator: str
    params: dict
    classes: np.ndarray
    feature_names_in: list | None
    fitted: dict
    training_state: TrainingState | None


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
        raise InputError("save() stores labels as JSON: they must be numbers or strings, got "
                         f"{[type(v).__name__ for v in values][:5]}.")
    return values, dt.str if dt.kind == "U" else "object"


def _decode_classes(values, dtype):
    if dtype == "object":
        arr = np.empty(len(values), dtype=object)
        arr[:] = values
        return arr
    return np.asarray(values, dtype=np.dtype(dtype))


def save_estimator(path, est, network, training_state: TrainingState | None):
    """Write a fitted estimator (its public attributes), its network and its
    training state; returns the path."""
    classes, classes_dtype = _encode_classes(est.classes_)
    names = getattr(est, "feature_names_in_", None)
    fitted = {k: _jsonable(getattr(est, k, None)) for k in FITTED_ATTRIBUTES if k != "history_"}
    fitted["history_"] = est.history_.to_dict()
    meta = {
        "kind": ESTIMATOR_KIND,
        "estimator": type(est).__name__,
        "params": {k: _jsonable(v) for k, v in est.get_params().items()},
        "classes": classes,
        "classes_dtype": classes_dtype,
        "class_names": [str(c) for c in classes],
        "n_features_in": int(est.n_features_in_),
        "feature_names_in": None if names is None else [str(n) for n in names],
        "feature_names": None if names is None else [str(n) for n in names],
        "fitted": fitted,
    }
    arrays, meta["training_state"] = _pack(training_state)
    return save_model(path, network, meta, arrays=arrays)


def _rng_to_json(state: dict) -> dict:
    """A bit generator's state with its arrays (MT19937's key) as lists."""
    return {k: (_rng_to_json(v) if isinstance(v, dict) else
                v.tolist() if isinstance(v, np.ndarray) else v) for k, v in state.items()}


def _rng_from_json(state: dict) -> dict:
    """Inverse of ``_rng_to_json``: MT19937's key back to its uint32 array."""
    inner = state.get("state")
    if state.get("bit_generator") == "MT19937" and isinstance(inner, dict) and "key" in inner:
        return {**state, "state": {**inner, "key": np.asarray(inner["key"], dtype=np.uint32)}}
    return state


def _pack(state: TrainingState | None):
    if state is None:
        return None, None
    arrays = {f"optimizer.{k}": v for k, v in state.optimizer["arrays"].items()}
    best = state.best_weights
    if best is not None:
        arrays.update({f"best_weights.{i}": w for i, w in enumerate(best)})
    scalars = {
        "optimizer": state.optimizer["scalars"],
        "schedule": _jsonable(state.schedule),
        "rng": _rng_to_json(state.rng),
        "no_improvement_count": int(state.no_improvement_count),
        "n_best_weights": 0 if best is None else len(best),
    }
    return arrays, scalars


def _unpack(scalars, arrays) -> TrainingState:
    prefix = "optimizer."
    n_best = int(scalars.get("n_best_weights", 0))
    return TrainingState(
        optimizer={"scalars": scalars["optimizer"],
                   "arrays": {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}},
        schedule=scalars.get("schedule"),
        rng=_rng_from_json(scalars["rng"]),
        no_improvement_count=int(scalars["no_improvement_count"]),
        best_weights=[np.array(arrays[f"best_weights.{i}"]) for i in range(n_best)] or None)


def read_estimator(loaded, path) -> SavedEstimator:
    """Decode the ``meta`` of an estimator file (``softmaxlab.io.load_model``
    output) and check it against the stored network.

    Raises
    ------
    ModelFormatError
        Missing keys, or classes / feature counts that the network contradicts.
    """
    meta = loaded.meta
    try:
        params = dict(meta["params"])
        if isinstance(params.get("hidden_layer_sizes"), list):
            params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
        classes = _decode_classes(meta["classes"], meta["classes_dtype"])
        if loaded.model.n_features != meta["n_features_in"]:
            raise InputError("the weights do not match n_features_in")
        fitted = dict(meta["fitted"])
        fitted["history_"] = History.from_dict(fitted["history_"])
        if fitted.get("best_loss_") is None and not params.get("early_stopping"):
            fitted["best_loss_"] = np.inf
        state = meta.get("training_state")
        return SavedEstimator(
            estimator=meta["estimator"], params=params, classes=classes,
            feature_names_in=meta.get("feature_names_in"), fitted=fitted,
            training_state=None if state is None else _unpack(state, loaded.arrays))
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFormatError(f"{path}: incomplete or inconsistent estimator metadata ({exc}).") from None
