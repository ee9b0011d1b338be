"""Columns by name: which column holds the labels, and which of a file's
columns hold a model's features. Names are matched exactly (they are
case-sensitive); a near miss is refused with a hint, never matched."""
from __future__ import annotations

import difflib
import warnings

from .notes import DataNote
from softmaxlab.errors import InputError

__all__ = ["drop_positions", "match_columns", "plural", "resolve_label"]


def plural(n: int, word: str, many: str | None = None) -> str:
    """``'1 row'``, ``'2 rows'``."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


def _names(names, limit=6) -> str:
    shown = ", ".join(repr(n) for n in list(names)[:limit])
    return shown + (", ..." if len(names) > limit else "")


def _close(name: str, names) -> str:
    """A hint for a name that is not among ``names``: a case-only difference
    first (refused, never matched: names are case-sensitive), else the closest."""
    same = [n for n in names if isinstance(n, str) and n.lower() == str(name).lower()]
    if same:
        return f" (did you mean {same[0]!r}? column names are case-sensitive)"
    close = difflib.get_close_matches(str(name), [str(n) for n in names], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def resolve_label(names: list, label_column, header: bool, path) -> int:
    """Position of the label column.

    With a header, ``label_column`` is a name (default: the last column);
    without one it is a 0-based index, negative from the end (default -1).
    """
    k = len(names)
    if not header:
        if label_column is None:
            return k - 1
        try:
            pos = int(label_column)
        except (TypeError, ValueError):
            raise InputError(f"{path}: with --no-header the label column is a 0-based index "
                             f"such as 0 or -1, got {label_column!r}") from None
        if not -k <= pos < k:
            raise InputError(f"{path}: label column index {pos} is out of range; the file has "
                             f"{plural(k, 'column')} (0..{k - 1}, or -{k}..-1 from the end)")
        return pos % k
    if label_column is None:
        return k - 1
    label_column = str(label_column).strip()
    if label_column in names:
        return names.index(label_column)
    hint = _close(label_column, names)
    if not hint and label_column.lstrip("-").isdigit():
        raise InputError(f"{path}: no column named {label_column!r}: the file has a header row "
                         f"({', '.join(map(repr, names[:8]))}{', ...' if len(names) > 8 else ''}"
                         "), so --label-column takes a column's name, not a position; pass "
                         "--label-column NAME")
    raise InputError(f"{path}: no label column {label_column!r}{hint}; available columns: "
                     f"{', '.join(map(repr, names))}. Pass one of them as --label-column")


def match_columns(names: list, wanted: list, path, *, header: bool, label=None,
                  n_train_columns: int | None = None) -> list:
    """Which of a file's columns hold a model's features, by name.

    Parameters
    ----------
    names : list of str
        The file's columns.
    wanted : list of str
        The model's feature columns, in the model's order.
    header : bool
        False: the file is read by position and must have exactly
        ``len(wanted)`` columns, or ``n_train_columns`` (the training file's
        layout, label included, whose label is dropped).
    label : str or int or list, optional
        The model's label column (name, or position without a header), or
        its label columns; ignored when present.

    Returns
    -------
    columns : list of str
        Names in ``names`` for each of ``wanted``, in order. Extra columns
        are ignored with one :class:`DataNote`.
    """
    if not header:
        k = len(names)
        if k == len(wanted):
            return list(names)
        if n_train_columns is not None and k == n_train_columns and label is not None:
            drop = {int(p) % k for p in (label if isinstance(label, list) else [label])}
            return [n for j, n in enumerate(names) if j not in drop]
        counts = f"{len(wanted)} (the features)"
        if n_train_columns is not None and n_train_columns != len(wanted):
            what = "labels" if isinstance(label, list) else "label"
            counts += f" or {n_train_columns} (the training file's columns, {what} included)"
        raise InputError(f"{path}: with --no-header the columns are taken by position, so the "
                         f"file needs exactly {counts} columns, but it has {k}")
    labels = label if isinstance(label, list) else [label]
    if all(n in names for n in wanted):
        extra = [n for n in names if n not in wanted and n not in labels]
        if extra:
            warnings.warn(f"{path}: ignored {plural(len(extra), 'column')} the model was not "
                          f"trained on: {_names(extra)}", DataNote, stacklevel=3)
        return list(wanted)
    missing = [n for n in wanted if n not in names]
    if not set(wanted) & set(names):
        raise InputError(
            f"{path}: none of the file's columns ({_names(names)}) is one of the model's "
            f"({_names(wanted)}); columns are matched by name. If the file has no header row, "
            f"pass --no-header and give the {plural(len(wanted), 'column')} in the training order")
    # A renamed column is among those the model does not know.
    unknown = [n for n in names if n not in wanted and n not in labels]
    raise InputError(f"{path}: the model's column{'s' if len(missing) > 1 else ''} "
                     f"{_names(missing)} {'are' if len(missing) > 1 else 'is'} missing"
                     f"{_close(missing[0], unknown)}; the file needs every column the model was "
                     "trained on (in any order; extra columns are ignored)")


def drop_positions(names: list, drop_columns, labels: list, header: bool, path) -> list:
    """Positions of the columns ``--drop-columns`` leaves out of the features:
    names, or 0-based indices without a header; an unknown column or a label
    column is refused."""
    out = []
    for d in drop_columns or ():
        if not header:
            k = len(names)
            if isinstance(d, bool) or not isinstance(d, int) or not -k <= d < k:
                raise InputError(f"{path}: --drop-columns {d!r} is not a column index of the "
                                 f"file (0..{k - 1})")
            pos = d % k
        elif d not in names:
            raise InputError(f"{path}: --drop-columns names {d!r}, which is not a column of the "
                             f"file{_close(d, names)}; its columns are "
                             f"{', '.join(map(repr, names))}")
        else:
            pos = names.index(d)
        if names[pos] in labels:
            raise InputError(f"{path}: --drop-columns names {d!r}, the label column; a label "
                             "column cannot also be dropped")
        out.append(pos)
    return out
