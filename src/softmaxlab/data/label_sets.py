"""Label sets: one column whose cells list several labels joined by a
separator (``--label-separator "|"``: ``sports|news``; an empty cell is a row
with no labels), read into a 0/1 indicator matrix with the sorted distinct
labels as its columns.

Nothing is guessed: a cell that reads as a missing value (``NA``, ``?``), a
separator that splits no cell, and, without a separator, a text label
column whose cells look like label sets are refused with the option that
fixes them. Several 0/1 label columns are ``label_columns.py``'s.
"""
from __future__ import annotations

import numpy as np
from softmaxlab.errors import InputError


__all__ = ["LABEL_SET_CHARACTERS", "NO_SEPARATOR", "check_single_labels", "column_cells",
           "label_sets_matrix", "parse_label_sets"]

#: ``--label-separator none``: each cell is one class, whatever characters it holds.
NO_SEPARATOR = "none"
#: Characters that join label sets in the files people write (MovieLens
#: genres ``Action|Comedy``, exports with ``;``, quoted ``"a,b"`` tags).
LABEL_SET_CHARACTERS = ("|", ";", ",")
# Cells that read as a missing value; in a label-set column only an empty
# cell means "no labels", so these are refused rather than guessed.
_MISSING_WORDS = frozenset({"NA", "N/A", "n/a", "na", "NaN", "nan", "NAN", "null", "NULL",
                            "Null", "?", "#N/A", "<NA>", "None"})


def _where(line_of, row: int) -> str:
    return f"row {row + 1}" + (f", line {line_of(row)}" if line_of is not None else "")


def _shown(names) -> str:
    return ", ".join(repr(n) for n in names)


def check_single_labels(labels: np.ndarray, path, name: str, line_of) -> None:
    """Refuse text labels that look like label sets when no separator was given.

    A cell such as ``sports|news`` is either one class with a strange name
    or two labels; the reader cannot tell, so it asks.

    Parameters
    ----------
    labels : ndarray of shape (n_rows,)
        The label column as parsed (str, or int64, which is never checked).
    """
    if labels.dtype.kind != "U":
        return
    for ch in LABEL_SET_CHARACTERS:
        pieces = np.char.find(labels, ch) >= 0
        for r in np.flatnonzero(pieces):
            if sum(1 for p in str(labels[r]).split(ch) if p.strip()) >= 2:
                raise InputError(
                    f"{path}: label column {name!r} holds {str(labels[r])!r} ({_where(line_of, int(r))})"
                    f": if each cell lists several labels, pass --label-separator {ch!r}; if "
                    f"these are single class names that contain {ch!r}, pass "
                    f"--label-separator {NO_SEPARATOR}")


def parse_label_sets(cells: list, separator: str, path, name: str, line_of):
    """One column of label sets: ``"sports|news"``, ``""`` (no labels).

    Parameters
    ----------
    cells : list of str or None, length n_rows
        The column's cells as written in the file (None: an empty cell).
    separator : str
        What joins the labels of one cell; spaces around each label are
        ignored, and so is an empty piece (``"a|"`` is ``{"a"}``).

    Returns
    -------
    (Y, names) : (ndarray of shape (n_rows, n_labels), int8; list of str)
        ``names`` sorted; ``Y[i, j] == 1`` when row ``i`` lists ``names[j]``.

    Raises
    ------
    ValueError
        A cell that reads as a missing value (``NA``, ``?``...), a separator
        found in no cell, or fewer than two distinct labels.
    """
    sets = _split_cells(cells, separator, path, name, line_of)
    names = sorted(set().union(*sets)) if sets else []
    if not any(len(s) > 1 for s in sets) and not any(separator in str(c or "") for c in cells):
        raise InputError(
            f"{path}: no cell of label column {name!r} holds the separator {separator!r}: each "
            "row has at most one label; drop --label-separator to train a single-label "
            "classifier, or pass the separator the file uses")
    if len(names) < 2:
        raise InputError(
            f"{path}: label column {name!r} holds only "
            f"{'the label ' + repr(names[0]) if names else 'empty cells'}; multilabel "
            "classification needs at least two labels")
    index = {n: j for j, n in enumerate(names)}
    Y = np.zeros((len(sets), len(names)), dtype=np.int8)
    for i, s in enumerate(sets):
        Y[i, [index[n] for n in s]] = 1
    return Y, names


def _split_cells(cells, separator: str, path, name: str, line_of) -> list:
    """Each cell as the set of labels it lists; missing-value words refused."""
    sets = []
    for r, cell in enumerate(cells):
        text = "" if cell is None else str(cell).strip()
        if text in _MISSING_WORDS:
            raise InputError(
                f"{path}: label column {name!r} holds {text!r} ({_where(line_of, r)}), which reads "
                "as a missing value; an empty cell means a row with no labels, so leave it "
                "empty, or drop the rows whose labels are unknown")
        sets.append({p.strip() for p in text.split(separator) if p.strip()})
    return sets


def label_sets_matrix(cells: list, separator: str, names: list, path, name: str,
                      line_of) -> np.ndarray:
    """Label sets of a new file as a model's 0/1 matrix (``evaluate``).

    Unlike :func:`parse_label_sets` the labels are given (the model's), and a
    file where no row has two labels is fine.

    Returns
    -------
    ndarray of shape (n_rows, len(names)), int8

    Raises
    ------
    ValueError
        A missing-value word, or a label the model does not know.
    """
    sets = _split_cells(cells, separator, path, name, line_of)
    index = {n: j for j, n in enumerate(names)}
    Y = np.zeros((len(sets), len(names)), dtype=np.int8)
    for i, labels in enumerate(sets):
        unknown = sorted(labels - index.keys())
        if unknown:
            raise InputError(
                f"{path}: label column {name!r} holds the label {unknown[0]!r} "
                f"({_where(line_of, i)}), which is not one of the model's labels "
                f"({_shown(names[:8])}{', ...' if len(names) > 8 else ''}); a model can only "
                "be scored on the labels it was trained on")
        Y[i, [index[n] for n in labels]] = 1
    return Y


def column_cells(col) -> list:
    """A column's cells as text (None where empty): integers without '.0'."""
    out = []
    for v in col.tolist():
        if v is None or (isinstance(v, float) and np.isnan(v)):
            out.append(None)
        elif isinstance(v, float) and v.is_integer():
            out.append(str(int(v)))
        else:
            out.append(str(v))
    return out
