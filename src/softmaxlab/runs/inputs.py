"""What a model's inputs looked like in training, and whether new rows look alike.

``softmaxlab train`` records, per input column of the training split, the
range (min, max), mean, standard deviation and share of missing values of a
numeric column, or the categories of a categorical one
(:func:`input_statistics`; stored in ``model.npz``). Before predicting,
:func:`check_inputs` compares new rows with them. A column is flagged when
more than ``threshold`` (10 %) of its rows with a value lie *far* outside
the training range, more than one training standard deviation below the
minimum or above the maximum, or hold categories never seen in training.
Columns in the wrong order (a file without a header row) or in other units
show up this way. The check reports; it never changes a prediction.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from softmaxlab.errors import InputError

__all__ = ["THRESHOLD", "ColumnCheck", "InputReport", "check_inputs", "encoding_counts",
           "input_statistics"]

THRESHOLD = 0.10
_VERSION = 1


def _columns_of(X, columns: list) -> dict:
    """One array of shape (n_rows,) per column: from a DataFrame or dict by
    name, from a 2-D array by position."""
    if isinstance(X, dict) or hasattr(X, "columns"):
        have = list(X.keys()) if isinstance(X, dict) else list(X.columns)
        missing = [c for c in columns if c not in have]
        if missing:
            raise InputError(f"the rows lack the model's column"
                             f"{'s' if len(missing) > 1 else ''} "
                             f"{', '.join(map(repr, missing[:5]))}; columns are matched by name")
        if isinstance(X, dict):
            return {c: np.asarray(X[c]) for c in columns}
        return {c: X[c].to_numpy() for c in columns}
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != len(columns):
        raise InputError(f"expected X of shape (n_samples, {len(columns)}), got shape {X.shape}")
    return {c: X[:, j] for j, c in enumerate(columns)}


def _numbers(v) -> np.ndarray:
    import pandas as pd

    if v.dtype.kind in "fiub":
        return v.astype(np.float64)
    return pd.to_numeric(pd.Series(v), errors="coerce").to_numpy(dtype=np.float64)


def _texts(v) -> tuple[np.ndarray, np.ndarray]:
    """(cells as str, mask of present cells) of a categorical column."""
    import pandas as pd

    present = ~np.asarray(pd.isna(v), dtype=bool)
    return np.asarray([str(x) if p else "" for x, p in zip(v, present, strict=True)]), present


def input_statistics(X, columns, kinds) -> dict:
    """The training split's inputs, column by column, as JSON-able facts.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_columns) or pandas.DataFrame
        Raw training rows (before imputation and encoding); NaN/None where missing.
    columns : list of str
        The input columns, in order.
    kinds : list of {'numeric', 'categorical'}

    Returns
    -------
    stats : dict
        ``{"version": 1, "n_rows": n, "columns": {name: {...}}}``; a numeric
        column has ``min``, ``max``, ``mean``, ``std`` (None when it has no
        value) and ``missing`` (share of rows without a value); a categorical
        one ``categories`` (sorted) and ``missing``.
    """
    cols = _columns_of(X, list(columns))
    out = {}
    for c, kind in zip(columns, kinds, strict=True):
        v = cols[c]
        if kind == "categorical":
            text, present = _texts(v)
            out[c] = {"kind": kind, "categories": sorted(set(text[present].tolist())),
                      "missing": float(1 - present.mean()) if len(v) else 0.0}
            continue
        x = _numbers(v)
        ok = x[np.isfinite(x)]
        facts = {"kind": "numeric", "missing": float(1 - len(ok) / len(x)) if len(x) else 0.0}
        for name, f in (("min", np.min), ("max", np.max), ("mean", np.mean), ("std", np.std)):
            facts[name] = float(f(ok)) if len(ok) else None
        out[c] = facts
    return {"version": _VERSION, "n_rows": int(len(next(iter(cols.values()), []))),
            "columns": out}


@dataclass
class ColumnCheck:
    """One column of new rows against the training data.

    Attributes
    ----------
    name, kind : str
    n_values : int
        Rows with a value in this column.
    n_unlike : int
        Of those, rows far outside the training range (numeric) or with a
        category not seen in training (categorical).
    low, high : float or None
        The training range of a numeric column.
    examples : list
        A few of the unlike values.
    """

    name: str
    kind: str
    n_values: int
    n_unlike: int
    low: float | None = None
    high: float | None = None
    examples: list = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.n_unlike / self.n_values if self.n_values else 0.0

    def describe(self) -> str:
        pct = f"{100 * self.share:.0f}% of rows"
        if self.kind == "categorical":
            shown = ", ".join(repr(e) for e in self.examples)
            return f"{self.name!r} ({pct} with categories not seen in training, such as {shown})"
        return (f"{self.name!r} ({pct} far outside the training range {self.low:.4g} to "
                f"{self.high:.4g}, such as {self.examples[0]:.4g})")


@dataclass
class InputReport:
    """The result of :func:`check_inputs`.

    Attributes
    ----------
    columns : list of ColumnCheck
        Every column checked, in the model's order.
    threshold : float
        A column is flagged when more than this share of its rows is unlike training.
    by_position : bool
        The rows' columns were taken by position (no names to match), so a
        flagged column may be a column out of order.
    checked : bool
        False when the model holds no training statistics (a model file
        written before they were recorded): nothing was checked.
    """

    columns: list = field(default_factory=list)
    threshold: float = THRESHOLD
    by_position: bool = False
    checked: bool = True

    @property
    def flagged(self) -> list:
        """The columns where more than ``threshold`` of the rows are unlike training."""
        return [c for c in self.columns if c.share > self.threshold]

    @property
    def ok(self) -> bool:
        return not self.flagged

    def message(self, what: str = "the input") -> str | None:
        """One sentence naming the flagged columns, or None when there are none."""
        bad = self.flagged
        if not bad:
            return None
        k = len(bad)
        text = (f"{what}: {k} column{'s' if k > 1 else ''} unlike the training data: "
                + "; ".join(c.describe() for c in bad[:6]) + ("; ..." if k > 6 else "")
                + "; predictions for such rows are unreliable")
        if self.by_position:
            text += ("; the columns are taken by position (no header row), so they may be "
                     "out of order: check them against the training order")
        return text


def _far_outside(x: np.ndarray, facts: dict) -> np.ndarray:
    """Values more than one training standard deviation beyond the training range."""
    std = facts.get("std") or 0.0
    return (x < facts["min"] - std) | (x > facts["max"] + std)


def check_inputs(stats: dict, X, columns, *, by_position: bool = False,
                 threshold: float = THRESHOLD) -> InputReport:
    """Compare new rows with the training statistics of :func:`input_statistics`.

    Parameters
    ----------
    stats : dict or None
        The model's recorded statistics; None gives an unchecked report.
    X : ndarray of shape (n_samples, n_columns), pandas.DataFrame or dict
        Raw rows (before imputation and encoding); a DataFrame or dict is
        matched by column name, an array by position.
    columns : list of str
        The model's input columns, in order.
    by_position : bool
        Whether the rows' columns were taken by position (said in the message).
    threshold : float, default 0.10

    Returns
    -------
    report : InputReport
    """
    if not stats or not isinstance(stats.get("columns"), dict):
        return InputReport([], threshold, by_position, checked=False)
    cols = _columns_of(X, list(columns))
    checks = []
    for c in columns:
        facts = stats["columns"].get(c)
        if facts is None:
            continue
        if facts.get("kind") == "categorical":
            text, present = _texts(cols[c])
            unseen = present & ~np.isin(text, np.asarray(facts["categories"], dtype=str))
            examples = list(dict.fromkeys(text[unseen].tolist()))[:3]
            checks.append(ColumnCheck(c, "categorical", int(present.sum()), int(unseen.sum()),
                                      examples=examples))
            continue
        if facts.get("min") is None:
            continue
        x = _numbers(cols[c])
        present = np.isfinite(x)
        far = present & _far_outside(np.where(present, x, facts["min"]), facts)
        checks.append(ColumnCheck(c, "numeric", int(present.sum()), int(far.sum()),
                                  facts["min"], facts["max"], x[far][:3].tolist()))
    return InputReport(checks, threshold, by_position)


def encoding_counts(splits: dict, columns, kinds, categories: dict, imputed: bool) -> dict:
    """What the encoding did to each split's raw rows.

    Parameters
    ----------
    splits : dict of str -> ndarray of shape (n, n_columns) or DataFrame
        Raw rows by split name (``train``, ``val``, ``test``).
    columns, kinds : list
        The input columns and their kinds.
    categories : dict of str -> list of str
        The categories of each categorical column, learned from training.
    imputed : bool
        Whether missing values were filled (else none can be there).

    Returns
    -------
    counts : dict
        ``imputed_cells``: {column: cells filled, all splits together} (the
        columns with at least one); ``rows_with_unseen_categories``:
        {split: rows holding a category not seen in training}.
    """
    cells = dict.fromkeys(columns, 0)
    unseen = {}
    for split, X in splits.items():
        cols = _columns_of(X, list(columns)) if len(X) else {}
        rows = np.zeros(len(X), dtype=bool)
        for c, kind in zip(columns, kinds, strict=True):
            if not cols:
                break
            if kind == "categorical":
                text, present = _texts(cols[c])
                rows |= present & ~np.isin(text, np.asarray(categories.get(c, []), dtype=str))
                missing = ~present
            else:
                missing = ~np.isfinite(_numbers(cols[c]))
            if imputed:
                cells[c] += int(missing.sum())
        unseen[split] = int(rows.sum())
    return {"imputed_cells": {c: n for c, n in cells.items() if n},
            "rows_with_unseen_categories": unseen}
