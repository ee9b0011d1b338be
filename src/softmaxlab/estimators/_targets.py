"""What ``y`` is and how it reaches the network, as scikit-learn's MLP does it.

Three kinds of target, each with its own output layer:

- ``"multiclass"`` (3 or more labels): a softmax over C units, trained on
  class indices;
- ``"binary"`` (2 labels): one logistic unit, trained on ``y == classes_[1]``
  as a 0/1 column (files written before binary problems got one unit hold a
  2-unit softmax; such a network keeps being trained on class indices);
- ``"multilabel"`` (a 0/1 indicator matrix of shape (n, L)): L independent
  logistic units, ``classes_ == arange(L)``;
- ``"single"`` (one label only; ``MLPClassifier`` accepts it, as
  scikit-learn's does): one logistic unit trained on zeros, and every
  prediction is that label.

Pure functions of their arguments: no estimator state is read here.
"""
from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.utils.multiclass import check_classification_targets, type_of_target, unique_labels
from sklearn.utils.validation import column_or_1d
from softmaxlab.errors import InputError

__all__ = ["chance_classes", "check_kind", "check_y", "class_index_targets", "class_indices",
           "encode", "fit_classes", "kind_of_network", "network_output", "partial_fit_classes",
           "stratify_labels"]

_KINDS = {"binary": "binary", "multiclass": "multiclass", "multilabel-indicator": "multilabel"}


def check_y(y, estimator_name: str):
    """Validate a target and name its kind.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_labels)
        Labels, or a 0/1 indicator matrix. A single column is raveled with
        scikit-learn's ``DataConversionWarning``.

    Returns
    -------
    (y, kind) : (ndarray, {"binary", "multiclass", "multilabel"})
    """
    if sparse.issparse(y):
        y = y.toarray()
    y = np.asarray(y) if not hasattr(y, "shape") else y
    if getattr(y, "ndim", 1) == 2 and y.shape[1] == 1:
        y = column_or_1d(y, warn=True)
    check_classification_targets(y)
    kind = type_of_target(y, input_name="y")
    if kind not in _KINDS:
        raise InputError(
            f"{estimator_name} supports binary, multiclass and multilabel-indicator targets, got "
            f"{kind!r}. For several multiclass outputs wrap it in "
            "sklearn.multioutput.MultiOutputClassifier.")
    y = np.asarray(y)
    return y, _KINDS[kind]


def fit_classes(y, kind: str) -> np.ndarray:
    """``classes_`` for a full training set: its sorted labels, or
    ``arange(L)`` for an indicator matrix of L columns."""
    return np.arange(y.shape[1]) if kind == "multilabel" else unique_labels(y)


def partial_fit_classes(classes, y, kind: str):
    """``classes_`` and the kind for the first ``partial_fit`` call.

    ``classes`` names every label of the stream; for an indicator ``y`` of L
    columns it must be ``range(L)`` (scikit-learn's labels for the columns).
    """
    classes = unique_labels(classes)
    if len(classes) == 1:
        return classes, "single"
    if kind == "multilabel":
        if not np.array_equal(classes, np.arange(y.shape[1])):
            raise InputError(
                "`y` has classes not in `self.classes_`. `self.classes_` has "
                f"{classes}. 'y' has {np.arange(y.shape[1])}.")
        return classes, "multilabel"
    return classes, "binary" if len(classes) == 2 else "multiclass"


def check_kind(kind_now: str, kind_fitted: str, estimator_name: str) -> None:
    """Refuse a target of another kind than the one the network was built for."""
    if (kind_now == "multilabel") != (kind_fitted == "multilabel"):
        want = "a 0/1 indicator matrix" if kind_fitted == "multilabel" else "one label per sample"
        raise InputError(f"{estimator_name} was fitted on {kind_fitted} targets and needs {want}; "
                         f"got a {kind_now} y.")


def class_indices(y, classes) -> np.ndarray:
    """Labels as indices into ``classes`` (sorted), with scikit-learn's error
    (listing every label of ``y``) when one is unknown."""
    idx = np.clip(np.searchsorted(classes, y), 0, len(classes) - 1)
    if np.any(classes[idx] != y):
        raise InputError("`y` has classes not in `self.classes_`. "
                         f"`self.classes_` has {classes}. 'y' has {unique_labels(y)}.")
    return idx.astype(np.intp)


def network_output(kind: str, n_classes: int) -> tuple[str, int]:
    """(output, units) of the network a target kind trains."""
    if kind == "multiclass":
        return "softmax", n_classes
    return "sigmoid", (1 if kind == "binary" else n_classes)


def kind_of_network(output: str, n_units: int, n_classes: int) -> str:
    """The target kind a network serves, from its output and the labels.

    Raises
    ------
    ValueError
        When output, units and labels do not fit together.
    """
    if output == "softmax" and n_units == n_classes >= 2:
        return "binary" if n_classes == 2 else "multiclass"
    if output == "sigmoid" and n_units == 1 and n_classes <= 2:
        return "binary" if n_classes == 2 else "single"
    if output == "sigmoid" and n_units == n_classes >= 2:
        return "multilabel"
    raise InputError(f"a {output} network with {n_units} output unit(s) cannot serve {n_classes} "
                     "class labels (softmax: one unit per class; sigmoid: one unit for 2 classes, "
                     "or one per label).")


def encode(y, classes, kind: str, output: str, dtype) -> np.ndarray:
    """The engine's targets: class indices for a softmax network, a 0/1
    float matrix of shape (n, units) for a sigmoid one."""
    if kind == "multilabel":
        return np.asarray(y, dtype=dtype)
    idx = class_indices(y, classes)
    if output == "softmax":
        return idx
    return (idx == 1).astype(dtype)[:, None]


def class_index_targets(T, output: str) -> np.ndarray:
    """Class indices back from single-label engine targets (for class weights)."""
    return T if output == "softmax" else T[:, 0].astype(np.intp)


def stratify_labels(T, kind: str, output: str, n_classes: int):
    """What scikit-learn's MLP stratifies its early-stopping split on, from
    the engine's targets ``T``: the label-binarized targets as booleans, one
    column for binary, one per class otherwise (so its errors read the same);
    None for multilabel, which is never stratified."""
    if kind == "multilabel":
        return None
    idx = class_index_targets(T, output)
    if kind in ("binary", "single"):
        return (idx == 1)[:, None]
    return idx[:, None] == np.arange(n_classes)


def chance_classes(kind: str, n_classes: int) -> int:
    """Equally likely outcomes of an untrained model (its loss is the log of
    this): C classes, or 2^L label combinations."""
    return 2 ** n_classes if kind == "multilabel" else n_classes
