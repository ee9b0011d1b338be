"""Which columns hold a table's labels, and the labels of a multilabel
file read into a 0/1 indicator matrix.

Two layouts hold several labels per row:

- **indicator columns**: ``--label-column a,b,c`` names several columns, each
  holding 0 or 1 (``1``: the row has that label); the labels are the
  columns' names (this module);
- **label sets**: one column whose cells list labels joined by a separator
  (``--label-separator "|"``: ``sports|news``); see ``label_sets.py``.

Either way ``y`` becomes an int8 matrix of shape (n_rows, n_labels), the
label names in column order. A label that is the same in every row of the
file cannot be learned and is refused.
"""
from __future__ import annotations

import numpy as np

from .columns import parse_labels
from .label_sets import (
    NO_SEPARATOR,
    check_single_labels,
    column_cells,
    parse_label_sets,
)
from .names import plural, resolve_label
from softmaxlab.errors import InputError

__all__ = ["check_learnable", "parse_indicator", "read_labels", "resolve_label_columns"]


def _where(line_of, row: int) -> str:
    return f"row {row + 1}" + (f", line {line_of(row)}" if line_of is not None else "")


def _shown(names) -> str:
    return ", ".join(repr(n) for n in names)


def resolve_label_columns(names: list, label_column, header: bool, path) -> list:
    """Positions of the label column(s) of a file.

    Parameters
    ----------
    names : list of str
        The file's columns.
    label_column : None, str, int, or list of str/int
        None: the last column. A list names several columns. A string with
        commas names several columns when it is not itself a column's name
        (``"a,b,c"``); with ``header=False`` the entries are 0-based indices.
    header : bool
    path : path-like, for messages

    Returns
    -------
    positions : list of int
        One entry for a single label column, two or more for indicator columns.

    Raises
    ------
    ValueError
        An unknown name or index, a repeated column, a string that names a
        column and also several columns, or a list of fewer than two.
    """
    if isinstance(label_column, (list, tuple)):
        parts = list(label_column)
        if len(parts) == 1:
            return [resolve_label(names, parts[0], header, path)]
    elif isinstance(label_column, str) and "," in label_column:
        parts = [p.strip() for p in label_column.split(",")]
        whole = label_column.strip()
        if header and whole in names:
            if all(p in names for p in parts):
                raise InputError(
                    f"{path}: --label-column {whole!r} is the name of a column and also names "
                    f"the columns {_shown(parts)}; rename the column, or give the label "
                    "column(s) as a list in a --config file (label_column = [...])")
            return [names.index(whole)]
        if any(not p for p in parts):
            raise InputError(f"{path}: --label-column {label_column!r} has an empty name; "
                             "separate label columns by single commas, such as a,b,c")
    else:
        return [resolve_label(names, label_column, header, path)]
    positions = [resolve_label(names, p, header, path) for p in parts]
    seen = {}
    for p, pos in zip(parts, positions, strict=True):
        if pos in seen:
            raise InputError(f"{path}: --label-column names column {names[pos]!r} twice "
                             f"({seen[pos]!r} and {p!r}); name each label column once")
        seen[pos] = p
    return positions


def parse_indicator(col, path, name: str, line_of) -> np.ndarray:
    """One indicator column: 0/1 values (also ``0.0``/``1.0``, true/false).

    Returns
    -------
    ndarray of shape (n_rows,), int8

    Raises
    ------
    ValueError
        An empty cell, or any value other than 0 and 1, with its row and line.
    """
    import pandas as pd

    if pd.api.types.is_bool_dtype(col):
        return col.to_numpy(dtype=np.int8)
    if pd.api.types.is_numeric_dtype(col):
        values = col.to_numpy(dtype=np.float64, na_value=np.nan)
        text = None
    else:
        text = col.astype(object).where(col.notna(), None).map(
            lambda v: v.strip().lower() if isinstance(v, str) else v)
        mapped = text.map({"true": 1.0, "false": 0.0})
        numbers = pd.to_numeric(text.where(mapped.isna()), errors="coerce")
        values = mapped.fillna(numbers).to_numpy(dtype=np.float64, na_value=np.nan)
    missing = np.isnan(values) if text is None else text.isna().to_numpy()
    if missing.any():
        n = int(missing.sum())
        raise InputError(
            f"{path}: label column {name!r} has {plural(n, 'empty cell')}, first at "
            f"{_where(line_of, int(np.flatnonzero(missing)[0]))}; with several label columns "
            "each cell is 0 or 1 (1: the row has that label), so write 0 for no")
    bad = ~np.isin(values, (0.0, 1.0))
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        shown = col.iloc[r]
        if not isinstance(shown, str):  # a number as written, not its NumPy repr
            shown = f"{float(shown):g}"
        hint = ("; to read label names from one column, name that column alone and pass "
                "--label-separator" if text is not None and np.isnan(values[r]) else "")
        raise InputError(
            f"{path}: label column {name!r} holds {shown!r} ({_where(line_of, r)}, "
            f"{plural(int(bad.sum()), 'cell')} in all); with several label columns each cell "
            f"is 0 or 1 (1: the row has that label){hint}")
    return values.astype(np.int8)


def check_learnable(Y: np.ndarray, names: list, path, *, separator: bool) -> None:
    """Refuse a label that is the same in every row of the file.

    A label no row has (or every row has) teaches the model nothing: it can
    only learn to predict that constant. In the whole file that is the
    user's to fix (drop the column); a label missing from the training split
    only is a note at training time, not an error.
    """
    counts = Y.sum(axis=0)
    n = Y.shape[0]
    for j, name in enumerate(names):
        if counts[j] in (0, n):
            what = "no row has" if counts[j] == 0 else "every row has"
            fix = ("drop that label from the cells" if separator else
                   "drop that column from --label-column")
            raise InputError(f"{path}: {what} the label {name!r}, so it cannot be learned (the "
                             f"model could only predict it {'never' if counts[j] == 0 else 'always'}"
                             f"); {fix}")


def read_labels(frame, labels: list, positions: list, path, line_of, header: bool,
                label_separator, refuse_label_sets: bool, raw):
    """The labels of a table: one per row, 0/1 indicator columns, or label sets.

    Parameters
    ----------
    frame : pandas.DataFrame
        The file's columns as read.
    labels, positions : list
        The label column(s) by name and by position (from
        :func:`resolve_label_columns`).
    label_separator : str or None
        Label sets in one column (``"none"`` or None: one class per cell).
    refuse_label_sets : bool
        Without a separator, refuse text labels that look like label sets.
    raw : callable or None
        ``raw(position)``: the column's cells as written (CSV/TSV); None
        reads them from ``frame`` (Parquet).

    Returns
    -------
    (y, info)
        ``y`` of shape (n_rows,) and None, or the (n_rows, n_labels) int8
        indicator matrix and the labels' description (``kind``, ``names``,
        ``columns`` or ``column`` and ``separator``).
    """
    separator = label_separator not in (None, NO_SEPARATOR)
    if len(labels) > 1:
        if separator:
            raise InputError(f"{path}: --label-separator reads label sets from one column, but "
                             f"--label-column names {len(labels)} columns "
                             f"({', '.join(map(repr, labels))}) of 0/1 indicators; drop "
                             "--label-separator, or name the one column that holds label sets")
        Y = np.column_stack([parse_indicator(frame[c], path, c, line_of) for c in labels])
        check_learnable(Y, labels, path, separator=False)
        return Y, {"kind": "columns", "columns": labels if header else positions,
                   "names": list(labels)}
    label = labels[0]
    if separator:
        cells = raw(positions[0]) if raw is not None else column_cells(frame[label])
        Y, names = parse_label_sets(cells, label_separator, path, label, line_of)
        check_learnable(Y, names, path, separator=True)
        return Y, {"kind": "separator", "column": label if header else positions[0],
                   "separator": label_separator, "names": names}
    if refuse_label_sets:
        # Before the empty-label check: a label-set column has empty cells
        # (rows with no labels), and the fix to name is the separator.
        col = frame[label]
        text = col.astype(object).where(col.notna(), "").map(str).to_numpy(dtype=str)
        check_single_labels(text, path, label, line_of)
    return parse_labels(frame[label], path, label, line_of), None
