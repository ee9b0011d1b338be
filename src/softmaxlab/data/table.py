"""What every reader of a user's file returns: a :class:`Table`, and the
one check they all make first (the file exists and is a file)."""
from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
from softmaxlab.errors import InputError

__all__ = ["Table", "require_file"]


class Table(NamedTuple):
    """Features and labels read from a file.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features) or pandas.DataFrame
        float64 (NaN where a value is missing, only when missing values are
        allowed); a DataFrame with one column per feature, numeric columns
        float64 and categorical ones str, when the file has text features.
    y : ndarray of shape (n_samples,) or (n_samples, n_labels)
        int64 or str labels as found in the file; for several labels per
        row (see ``labels``) the 0/1 indicator matrix, int8.
    feature_names : list of str, length n_features
    label_column : str or int or list
        Name of the label column (``'y'`` for NPZ; its position with
        ``header=False``); a list for several indicator columns.
    kinds : tuple of {'numeric', 'categorical'}
        One per feature.
    info : dict
        JSON-able facts about the file: ``format``, ``header``, ``delimiter``,
        ``columns`` (every column in file order), ``label_position`` (a list
        for several label columns).
    labels : dict or None
        For a multilabel file: ``kind`` (``"columns"``: 0/1 indicator
        columns, or ``"separator"``: one column of label sets), ``names``
        (the labels, in the order of ``y``'s columns), and ``columns`` (the
        indicator columns) or ``column`` and ``separator``. None otherwise.
    """

    X: object
    y: np.ndarray
    feature_names: list
    label_column: object
    kinds: tuple = ()
    info: dict | None = None
    labels: dict | None = None


def require_file(path: Path) -> None:
    """Raise ``FileNotFoundError`` or ``ValueError`` (naming the path and the
    fix) unless ``path`` is an existing file."""
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file; check the path (cwd is {Path.cwd()})")
    if not path.is_file():
        raise InputError(f"{path}: is a directory, not a data file; give the path to a file")
