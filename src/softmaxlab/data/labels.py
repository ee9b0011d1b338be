"""Labels <-> class indices ``0..C-1`` (scikit-learn ``LabelEncoder`` semantics)."""

from __future__ import annotations

import numpy as np
from softmaxlab.errors import InputError

__all__ = ["decode_labels", "encode_labels"]


def encode_labels(y, classes=None) -> tuple[np.ndarray, list]:
    """Map labels to class indices ``0..C-1`` (scikit-learn ``LabelEncoder`` semantics).

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Original labels, ints or strings.
    classes : list, optional
        Known classes. Default: the sorted unique values of ``y``.

    Returns
    -------
    indices : ndarray of shape (n_samples,), int64
        ``classes[indices[i]] == y[i]``.
    classes : list
        Sorted unique classes, as Python ints or strs.

    Raises
    ------
    ValueError
        If ``y`` holds a label not in ``classes``, or ``classes`` is not
        sorted and unique.
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise InputError(f"labels must be 1-D, got shape {y.shape}; flatten them with ravel()")
    if classes is None:
        classes_arr = np.unique(y)
    else:
        classes_arr = np.asarray(classes)
        if classes_arr.ndim != 1 or not np.array_equal(np.unique(classes_arr), classes_arr):
            raise InputError(
                f"classes must be sorted and unique, got {list(classes)}; use sorted(set(classes))"
            )
    if len(classes_arr) == 0:
        return np.zeros(len(y), dtype=np.int64), []
    if (y.dtype.kind in "US") != (classes_arr.dtype.kind in "US"):
        kind = {True: "names", False: "numbers"}
        raise InputError(
            f"the labels are {kind[y.dtype.kind in 'US']} (e.g. {y.tolist()[0]!r}) but the "
            f"classes are {kind[classes_arr.dtype.kind in 'US']} "
            f"({', '.join(map(repr, classes_arr.tolist()[:5]))}"
            f"{', ...' if len(classes_arr) > 5 else ''}); use labels of the same kind as the "
            "classes (is this the right label column?)"
        )
    # searchsorted on the sorted classes is exactly what LabelEncoder.transform does.
    idx = np.searchsorted(classes_arr, y)
    idx_clipped = np.minimum(idx, len(classes_arr) - 1)
    unknown = classes_arr[idx_clipped] != y
    if np.any(unknown):
        bad = np.unique(y[unknown]).tolist()
        raise InputError(
            f"labels {bad[:10]} are not among the classes {classes_arr.tolist()}; "
            "fit on data that contains every class, or pass the full class list"
        )
    return idx.astype(np.int64), classes_arr.tolist()


def decode_labels(indices, classes) -> np.ndarray:
    """Map class indices back to original labels.

    Parameters
    ----------
    indices : array-like of int, shape (n_samples,)
    classes : list of length C

    Returns
    -------
    labels : ndarray of shape (n_samples,)

    Raises
    ------
    ValueError
        If an index is outside ``0..C-1``.
    """
    indices = np.asarray(indices)
    classes_arr = np.asarray(classes)
    if indices.size and (indices.min() < 0 or indices.max() >= len(classes_arr)):
        raise InputError(
            f"class indices must lie in 0..{len(classes_arr) - 1}, "
            f"got range {indices.min()}..{indices.max()}"
        )
    return classes_arr[indices]
