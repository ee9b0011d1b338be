"""Class weights from a user's setting (None, ``"balanced"`` or explicit
numbers), turned into the arrays the losses take. One owner for the
estimators and the command line; no engine imports.

``"balanced"`` is scikit-learn's heuristic (``compute_class_weight``): a
class seen ``count_c`` times among ``n`` samples of ``k`` present classes
weighs ``n / (k * count_c)``, so every present class carries the same total
weight ``n / k``. A class absent from the labels has nothing to rebalance and
keeps the neutral weight 1.
"""
from __future__ import annotations

import numpy as np
from sklearn.utils.class_weight import compute_class_weight

from softmaxlab._validation import Options, Types, validate_params
from softmaxlab.errors import ParameterError

__all__ = ["balanced_class_weight", "class_weight_vector", "label_class_weight"]

_ONE_DICT = Types(dict, what="a dict {label: weight}")


class _PerLabel:
    """A constraint: a list of ``n`` dicts {0: weight, 1: weight}, one per label."""

    def __init__(self, n: int):
        self.n = n

    def accepts(self, value) -> bool:
        return (isinstance(value, (list, tuple)) and len(value) == self.n
                and all(isinstance(d, dict) for d in value))

    def __str__(self) -> str:
        return f"a list of {self.n} dicts (one per label, e.g. {{0: 1.0, 1: 5.0}})"


def _needs_labels(owner: str, class_weight, what: str):
    return ParameterError(f"{owner}: {what} must be given with class_weight={class_weight!r}, "
                          "got None. 'balanced' is computed from the training labels.",
                          owner=owner, name=what, value=None)


def balanced_class_weight(y_idx, n_classes: int) -> np.ndarray:
    """``"balanced"`` weights for integer labels.

    Parameters
    ----------
    y_idx : array-like of shape (n_samples,)
        Class indices in ``[0, n_classes)``.
    n_classes : int

    Returns
    -------
    ndarray of shape (n_classes,), float64: ``n / (k * count_c)`` for the
    ``k`` classes present, 1.0 for the others.
    """
    y_idx = np.asarray(y_idx)
    w = np.ones(n_classes)
    present = np.unique(y_idx)
    if present.size:
        w[present] = compute_class_weight("balanced", classes=present, y=y_idx)
    return w


def class_weight_vector(class_weight, classes, y_idx=None,
                        owner: str = "class_weight_vector") -> np.ndarray | None:
    """One weight per class from ``None``, ``"balanced"`` or ``{label: weight}``.

    Parameters
    ----------
    class_weight : None, "balanced" or dict
        A dict maps original labels (as in ``classes``) to weights; classes
        it does not name weigh 1.
    classes : array-like of shape (n_classes,)
        The labels, in class-index order.
    y_idx : array-like of shape (n_samples,), optional
        The training labels as class indices; needed for ``"balanced"``.
    owner : str
        Named in error messages (the estimator, say).

    Returns
    -------
    ndarray of shape (n_classes,), float64, or None for ``None``.

    Raises
    ------
    ParameterError
        (a ``ValueError``) Not one of the three forms, a dict naming a label
        that is not among ``classes``, or ``"balanced"`` without ``y_idx``.
    """
    validate_params(owner, {"class_weight": [Options(None, "balanced"), _ONE_DICT]},
                    {"class_weight": class_weight})
    if class_weight is None:
        return None
    classes = np.asarray(classes)
    if isinstance(class_weight, str):
        if y_idx is None:
            raise _needs_labels(owner, class_weight, "y_idx")
        return balanced_class_weight(y_idx, len(classes))
    w = np.ones(len(classes))
    for label, value in class_weight.items():
        hits = np.flatnonzero(classes == label)
        if hits.size == 0:
            raise ParameterError(
                f"{owner}: class_weight must be a dict of labels among the classes "
                f"{classes.tolist()}, got {class_weight!r}. {label!r} is not a class.", owner=owner,
                name="class_weight", value=class_weight)
        w[hits[0]] = value
    return w


def label_class_weight(class_weight, n_labels: int, Y=None,
                       owner: str = "label_class_weight") -> np.ndarray | None:
    """Weights of the negatives and positives of each label of a 0/1 target matrix.

    Parameters
    ----------
    class_weight : None, "balanced" or list of n_labels dicts {0: w0, 1: w1}
        scikit-learn's convention for several outputs: one dict per label
        (values it does not name weigh 1); ``"balanced"`` balances every
        label's 0s against its 1s.
    n_labels : int
    Y : array-like of shape (n_samples, n_labels), optional
        The 0/1 training targets; needed for ``"balanced"``.
    owner : str
        Named in error messages (the estimator, say).

    Returns
    -------
    ndarray of shape (n_labels, 2), float64 (column 0: negatives, column 1:
    positives), or None for ``None``; ``SigmoidBinaryCrossEntropy`` takes it.
    """
    validate_params(owner, {"class_weight": [Options(None, "balanced"), _PerLabel(n_labels)]},
                    {"class_weight": class_weight},
                    hints={"class_weight": "Multilabel targets take one dict per label."})
    if class_weight is None:
        return None
    if isinstance(class_weight, str):
        if Y is None:
            raise _needs_labels(owner, class_weight, "Y")
        Y = np.asarray(Y)
        return np.stack([balanced_class_weight(Y[:, j].astype(np.intp), 2) for j in range(n_labels)])
    return np.stack([class_weight_vector(d, [0, 1], owner=owner) for d in class_weight])
