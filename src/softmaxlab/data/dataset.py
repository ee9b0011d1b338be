"""The :class:`Dataset` every loader returns: features, original labels, and
where they came from."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from softmaxlab.errors import InputError

__all__ = ["Dataset"]


@dataclass
class Dataset:
    """Features, original labels and a description of where they came from.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features)
        float64, or uint8 for raw pixel data.
    y : ndarray of shape (n_samples,) or (n_samples, n_labels)
        Original labels, int64 or str; for several labels per row (a
        multilabel file), the 0/1 indicator matrix.
    classes : list
        Sorted unique labels of ``y`` (and ``y_test``) as Python ints or strs;
        class index ``i`` means ``classes[i]``. For a multilabel ``y``, the
        label names in the order of its columns.
    feature_names : list of str, length n_features
    name : str
    image_shape : tuple of int or None
        ``(height, width)`` when each row is a flattened image.
    X_test, y_test : ndarray or None
        A predefined test split (Fashion-MNIST's official 10k), same layout as
        ``X``, ``y``.
    class_names : list of str or None
        Display names aligned with ``classes`` (e.g. ``'Ankle boot'`` for 9).
    meta : dict
        JSON-able facts: ``source`` (where it was found), parameters, etc.;
        for a file also ``file`` (format, header, delimiter, columns).
    feature_kinds : list of {'numeric', 'categorical'} or None
        For a user's file: one kind per feature, and ``X`` may then hold
        NaN (missing values to impute) or, with categorical columns, be a
        pandas DataFrame; a :class:`~softmaxlab.data.ColumnEncoder` turns it
        into numbers after the split. None for the built-in datasets.
    """

    X: np.ndarray
    y: np.ndarray
    classes: list
    feature_names: list
    name: str
    image_shape: tuple | None = None
    X_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    class_names: list | None = None
    meta: dict = field(default_factory=dict)
    feature_kinds: list | None = None

    def __post_init__(self):
        if self.y.ndim == 2 and self.X.ndim == 2 and self.y.shape == (self.X.shape[0],
                                                                     len(self.classes)):
            if self.X_test is not None:
                raise InputError(f"dataset {self.name!r}: a multilabel dataset has no "
                                 "predefined test split")
            return
        if self.X.ndim != 2 or self.y.shape != (self.X.shape[0],):
            raise InputError(
                f"dataset {self.name!r}: expected X of shape (n, d) and y of shape (n,), "
                f"got X {self.X.shape} and y {self.y.shape}"
            )
        if (self.X_test is None) != (self.y_test is None):
            raise InputError(f"dataset {self.name!r}: give both X_test and y_test, or neither")
        if self.X_test is not None and (
            self.X_test.ndim != 2 or self.X_test.shape[1] != self.X.shape[1]
            or self.y_test.shape != (self.X_test.shape[0],)
        ):
            raise InputError(
                f"dataset {self.name!r}: expected X_test of shape (m, {self.X.shape[1]}) and "
                f"y_test of shape (m,), got {self.X_test.shape} and {self.y_test.shape}"
            )

    @property
    def n_samples(self) -> int:
        """Rows in ``X`` (the predefined test split not counted)."""
        return self.X.shape[0]

    @property
    def n_features(self) -> int:
        return self.X.shape[1]

    @property
    def n_classes(self) -> int:
        """Classes, or labels of a multilabel dataset."""
        return len(self.classes)

    @property
    def multilabel(self) -> bool:
        """Whether each row has a set of labels (``y`` is an indicator matrix)."""
        return self.y.ndim == 2

    @property
    def has_test_split(self) -> bool:
        return self.X_test is not None

    @property
    def display_names(self) -> list[str]:
        """Human-readable class names aligned with ``classes``."""
        return list(self.class_names) if self.class_names else [str(c) for c in self.classes]
