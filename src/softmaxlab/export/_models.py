"""What is being exported: an estimator, a bare network or a model file,
each reduced to a ``NetSpec`` (the maths) plus its labels.

An estimator is read through its public fitted attributes: ``network_``
(the engine ``Sequential`` its predictions come from, so the graph holds
the very layers it predicts with, a leaky ReLU included) and ``classes_``.
"""
from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from softmaxlab.export._graph import ExportError, NetSpec, spec_from_sequential

__all__ = ["NetworkClassifier", "is_ours", "label_array", "spec_from_estimator", "spec_of"]

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
    """The network of a fitted ``MLPClassifier``/``SoftmaxRegression``: its
    public ``network_``.

    Raises
    ------
    sklearn.exceptions.NotFittedError
    ExportError
        For a layer with no ONNX form, or a model fitted on a single class.
    """
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(est)
    spec = spec_from_sequential(est.network_)
    if spec.kind == "binary" and len(est.classes_) == 1:
        only = est.classes_[0]
        only = only.item() if isinstance(only, np.generic) else only
        raise ExportError(f"this {type(est).__name__} was fitted on one class only "
                          f"({only!r}): it predicts that class for every row, and a "
                          "classifier graph needs two classes or more. Fit it on data with "
                          "at least two classes.")
    return spec


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
