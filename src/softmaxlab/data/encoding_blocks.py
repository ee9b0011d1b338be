"""The input side of :class:`~softmaxlab.data.encoding.ColumnEncoder`: raw
columns split into a numeric block and a categorical block, the missing-cell
marker scikit-learn's imputer expects, and the note on categories not seen in
training."""
from __future__ import annotations

import warnings

import numpy as np

from .names import plural
from .notes import DataNote
from softmaxlab.errors import InputError

__all__ = ["column_blocks", "nan_for_none", "note_unseen"]


def column_blocks(X, columns: list, numeric: list, categorical: list) -> tuple[np.ndarray, np.ndarray]:
    """(numeric block (n, n_numeric) float64 with NaN, categorical block
    (n, n_categorical) object with None) from a DataFrame (by name) or an
    array of shape (n, len(columns)) (by position); ``numeric`` and
    ``categorical`` name the columns of each block."""
    if hasattr(X, "columns"):
        missing = [c for c in columns if c not in X.columns]
        if missing:
            raise InputError(f"the input lacks {plural(len(missing), 'column')} the model was "
                             f"trained on: {', '.join(map(repr, missing[:5]))}; columns are "
                             "matched by name")
        cols = {c: X[c].to_numpy() for c in columns}
    else:
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != len(columns):
            raise InputError(f"expected X of shape (n_samples, {len(columns)}), got "
                             f"shape {X.shape}")
        cols = {c: X[:, j] for j, c in enumerate(columns)}
    n = len(next(iter(cols.values()))) if cols else 0
    num = np.empty((n, len(numeric)), dtype=np.float64)
    for j, c in enumerate(numeric):
        try:
            num[:, j] = np.asarray(cols[c], dtype=np.float64)
        except (TypeError, ValueError):
            bad = next(v for v in cols[c] if not _is_number(v))
            raise InputError(f"column {c!r} must hold numbers (the model was trained on "
                             f"numbers there), got values such as {str(bad)!r}") from None
    cat = np.empty((n, len(categorical)), dtype=object)
    for j, c in enumerate(categorical):
        cat[:, j] = [None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
                     for v in cols[c]]
    return num, cat


def note_unseen(cat: np.ndarray, names: list, categories: list, what: str) -> None:
    """A note on the rows of ``cat`` (n, n_categorical) holding a category not in
    ``categories`` (one array per column of ``names``): they are encoded as none.

    Called by ``ColumnEncoder.transform``: the note points at its caller."""
    unseen, rows = [], np.zeros(len(cat), dtype=bool)
    for j, (c, cats) in enumerate(zip(names, categories, strict=True)):
        bad = ~np.isin(cat[:, j].astype(str), cats.astype(str))
        if bad.any():
            rows |= bad
            values, counts = np.unique(cat[bad, j].astype(str), return_counts=True)
            unseen += [f"{c!r} = {str(v)!r} ({plural(int(k), 'row')})"
                       for v, k in zip(values, counts, strict=True)]
    if unseen:
        n = int(rows.sum())
        warnings.warn(f"{what}: {plural(n, 'row')} {'has' if n == 1 else 'have'} a category "
                      f"not seen in training, encoded as none of the known ones: "
                      f"{', '.join(unseen[:5])}{', ...' if len(unseen) > 5 else ''}",
                      DataNote, stacklevel=3)


def _is_number(v) -> bool:
    try:
        float(v)
    except (TypeError, ValueError):
        return False
    return True


def nan_for_none(cat: np.ndarray) -> np.ndarray:
    """SimpleImputer marks missing text cells with NaN, not None."""
    out = cat.copy()
    out[np.equal(cat, None)] = np.nan
    return out
