"""What is being exported: an estimator, a bare network or a model file,
each reduced to a ``NetSpec`` (the maths) plus its labels.

The estimators are read only through their public, fitted attributes
(``coefs_``, ``intercepts_``, ``activation``, ``out_activation_``,
``classes_``): a network rebuilt from them is checked against the
estimator's own predictions before anything is exported, so a model whose
attributes do not describe its network is refused, never exported wrong.
"""
from __future__ import annotations

import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from softmaxlab.export._graph import ExportError, NetSpec, spec_from_layers, spec_from_sequential
from softmaxlab.nn import Sequential

__all__ = ["NetworkClassifier", "is_ours", "label_array", "spec_from_estimator", "spec_of"]

# Random rows the rebuilt network is checked on (from a local, fixed-seed
# Generator: the check is deterministic and touches no caller's state).
_PROBE_ROWS = 32
# A float32 network's logits carry a relative rounding error near 1e-6;
# an activation other than the one declared (ReLU for a LeakyReLU(0.01), say)
# moves log-probabilities by 1e-3 and more of their scale.
_PROBE_RTOL = 1e-4


class NetworkClassifier(ClassifierMixin, BaseEstimator):
    """A fitted network with its labels, as a classifier skl2onnx can convert.

    ``to_onnx`` wraps bare networks and model files in it; users need not.

    Parameters
    ----------
    spec : NetSpec
    classes : ndarray of shape (n_classes,)
        ``classes[i]`` is the label of class index ``i`` (for multilabel
        networks, the names of the L labels).
    feature_names : list of str or None
    """

    def __init__(self, spec: NetSpec, classes, feature_names=None):
        self.spec = spec
        self.classes = classes
        self.feature_names = feature_names

    @property
    def classes_(self):
        return np.asarray(self.classes)

    @property
    def n_features_in_(self):
        return self.spec.n_features

    def __sklearn_is_fitted__(self):
        return True


def is_ours(model) -> bool:
    from softmaxlab.estimators import MLPClassifier, SoftmaxRegression

    return isinstance(model, (MLPClassifier, SoftmaxRegression))


def spec_from_estimator(est) -> NetSpec:
    """The network of a fitted ``MLPClassifier``/``SoftmaxRegression``.

    Uses the estimator's public ``network_`` (a ``Sequential``) when it has
    one; otherwise rebuilds ``Linear -> activation -> ... -> Linear`` from
    ``coefs_``, ``intercepts_``, ``activation`` and ``out_activation_`` and
    checks it against ``predict_log_proba``/``predict_proba`` on random rows.

    Raises
    ------
    sklearn.exceptions.NotFittedError
    ExportError
        If the rebuilt network does not reproduce the estimator's predictions.
    """
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(est)
    network = getattr(est, "network_", None)
    if isinstance(network, Sequential):
        return spec_from_sequential(network)
    output = "sigmoid" if getattr(est, "out_activation_", "softmax") == "logistic" else "softmax"
    activation = getattr(est, "activation", "identity")  # SoftmaxRegression: one layer
    spec = spec_from_layers(est.coefs_, est.intercepts_, activation, output)
    _check_against(spec, est, activation)
    return spec


def _check_against(spec: NetSpec, est, activation: str) -> None:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((_PROBE_ROWS, spec.n_features)).astype(spec.dtype)
    z = spec.forward(X)
    with warnings.catch_warnings():  # plain rows for an estimator fitted on a DataFrame
        warnings.filterwarnings("ignore", message="X does not have valid feature names")
        if spec.output == "softmax":
            ours = z - z.max(axis=1, keepdims=True)
            ours -= np.log(np.exp(ours).sum(axis=1, keepdims=True))
            theirs = np.asarray(est.predict_log_proba(X), dtype=np.float64)
            what = "log-probability"
        else:
            p = 0.5 * (1.0 + np.tanh(0.5 * z))
            ours = np.hstack([1.0 - p, p]) if spec.kind == "binary" else p
            theirs = np.asarray(est.predict_proba(X), dtype=np.float64)
            what = "probability"
    if theirs.shape != ours.shape:
        raise ExportError(f"{type(est).__name__}.predict_proba gives shape {theirs.shape} but its "
                          f"coefs_/intercepts_ describe outputs of shape {ours.shape}; the "
                          "estimator is inconsistent and cannot be exported.")
    gap = float(np.max(np.abs(ours - theirs)))
    if gap > _PROBE_RTOL * max(1.0, float(np.max(np.abs(ours)))):
        raise ExportError(
            f"{type(est).__name__}'s coefs_/intercepts_ with activation={activation!r} do not "
            f"reproduce its predictions (largest {what} difference {gap:.3g} on random rows): its "
            "network holds layers these parameters do not describe, such as the LeakyReLU of a "
            "model trained by `softmaxlab train`. Export the model file instead: "
            "softmaxlab.export.to_onnx('runs/<run>/model.npz') or `softmaxlab export RUN_DIR`.")


def spec_of(model) -> NetSpec:
    """``NetSpec`` of a ``NetworkClassifier`` or one of our estimators."""
    if isinstance(model, NetworkClassifier):
        return model.spec
    if is_ours(model):
        return spec_from_estimator(model)
    raise ExportError(f"{type(model).__name__} is not a softmaxlab classifier.")


def label_array(classes, spec: NetSpec) -> np.ndarray:
    """Labels as ONNX can hold them: int64, or UTF-8 bytes in an object array.

    Parameters
    ----------
    classes : array-like of shape (n_classes,)
        Integers (bools, and floats with integer values, become int64) or
        strings.
    spec : NetSpec
        Its number of classes must match.

    Raises
    ------
    ExportError
        For a count that does not match the network, non-integer float
        labels, or a mix of types.
    """
    classes = np.asarray(classes)
    if classes.ndim != 1 or len(classes) != spec.n_columns:
        raise ExportError(f"{len(np.atleast_1d(classes))} labels for a network with "
                          f"{spec.n_columns} {'labels' if spec.kind == 'multilabel' else 'classes'}; "
                          "pass one label per output column.")
    values = [c.item() if isinstance(c, np.generic) else c for c in classes]
    if all(isinstance(c, str) for c in values):
        out = np.empty(len(values), dtype=object)
        out[:] = [c.encode("utf-8") for c in values]
        return out
    if all(isinstance(c, numbers.Integral) for c in values):
        return np.asarray([int(c) for c in values], dtype=np.int64)
    if all(isinstance(c, numbers.Real) for c in values) and all(float(c).is_integer() for c in values):
        return np.asarray([int(c) for c in values], dtype=np.int64)
    raise ExportError(f"labels {values[:6]} cannot be an ONNX label tensor, which holds int64 "
                      "numbers or strings; train on integer or string labels.")
