"""What the columns of a user's table hold: numbers or categories, and the
labels. Every ambiguity is refused with the fix named; nothing is guessed
(no number read as a category, no category as a number). Which column is
which is ``names.py``'s job.
"""
from __future__ import annotations

import re

import numpy as np

from .names import plural
from softmaxlab.errors import InputError

__all__ = ["CATEGORICAL", "NUMERIC", "coerce_features", "missing_cells", "missing_rows",
           "parse_labels", "type_features"]

NUMERIC, CATEGORICAL = "numeric", "categorical"
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")
# Digits in groups of three ("1,234", "1 234", "1'234'567"), or split by spaces
# anywhere ("1000 000"); a comma before other than three digits is a decimal comma.
_THOUSANDS = re.compile(r"[+-]?(\d{1,3}([ ,'\u00a0\u202f_]\d{3})+|\d+([ '\u00a0\u202f_]+\d+)+)"
                        r"(\.\d+)?")
# The continental way: dots between thousands, maybe a decimal comma ("1.234,5").
_DOT_THOUSANDS = re.compile(r"[+-]?\d{1,3}(\.\d{3})+(,\d+)?")
# A number with a currency sign or a percent sign: text to a parser, a number to a person.
_DECORATED = re.compile(r"([$€£¥]\s*[+-]?\d[\d.,' ]*|[+-]?\d[\d.,' ]*\s*[$€£¥%])")


def _strip(col):
    """Text cells without surrounding spaces; missing cells stay missing."""
    return col.astype(object).where(col.notna(), None).map(
        lambda v: v.strip() if isinstance(v, str) else v)


def _to_number(values):
    import pandas as pd

    return pd.to_numeric(values, errors="coerce")


def _where(line_of, rows) -> str:
    """``'row 3 (line 4)'`` for the first of ``rows`` (0-based data rows)."""
    r = int(rows[0])
    return f"row {r + 1}" + (f", line {line_of(r)}" if line_of is not None else "")


def _numeric_values(col, name, path, line_of):
    """A numeric column as float64 (NaN where missing); infinite values refused."""
    values = col.to_numpy(dtype=np.float64, na_value=np.nan)
    inf = np.isinf(values)
    if inf.any():
        raise InputError(f"{path}: column {name!r} has {plural(int(inf.sum()), 'infinite value')}"
                         f", first at {_where(line_of, inf.nonzero()[0])}; replace infinite "
                         "values with finite numbers, or leave those cells empty")
    return values


def _text_column(col, name, path, line_of, decimal: str, unreadable: dict | None = None):
    """A column pandas could not read as numbers: numbers after all (spaces,
    ``true``/``false``), or categories, or refused when it mixes the two.
    With ``unreadable`` (a dict), a column of numbers with a few text cells
    is read as numbers, NaN in those cells, whose mask goes to
    ``unreadable[name]``: the caller decides what to do with those rows."""
    import pandas as pd

    text = _strip(col)
    present = text.notna().to_numpy()
    lowered = text[present].map(str.lower)
    if len(lowered) and lowered.isin(["true", "false"]).all():
        return NUMERIC, np.where(present, (text.map(lambda v: str(v).lower()) == "true")
                                 .to_numpy(dtype=np.float64), np.nan)
    number = _to_number(text.str.replace(",", ".", regex=False) if decimal == "," else text)
    is_num = number.notna().to_numpy()
    words = present & ~is_num
    sample = text[words]
    if not words.any():
        return NUMERIC, _numeric_values(pd.Series(number), name, path, line_of)
    where = _where(line_of, words.nonzero()[0])
    first = sample.iloc[0]
    comma = decimal == "." and sample.map(lambda v: bool(_DECIMAL_COMMA.fullmatch(v))).all()
    thousands = sample.map(lambda v: bool(_THOUSANDS.fullmatch(v) or
                                          _DOT_THOUSANDS.fullmatch(v))).all()
    if comma and thousands:
        raise InputError(f"{path}: column {name!r} holds numbers written with a comma such as "
                         f"{first!r} ({where}): if the comma is the decimal mark pass "
                         "--decimal , ; if it separates thousands, write the numbers without it")
    if comma:
        raise InputError(f"{path}: column {name!r} holds numbers with a decimal comma such as "
                         f"{first!r} ({where}); pass --decimal , (and --delimiter if needed)")
    if thousands:
        raise InputError(f"{path}: column {name!r} holds numbers with thousands separators "
                         f"such as {first!r} ({where}); write them without separators")
    if sample.map(lambda v: bool(_DECORATED.fullmatch(v))).all():
        raise InputError(f"{path}: column {name!r} holds numbers written with a unit or currency "
                         f"sign such as {first!r} ({where}); write them as plain numbers")
    if is_num.any() and unreadable is not None:
        unreadable[name] = words
        return NUMERIC, _numeric_values(pd.Series(number), name, path, line_of)
    if is_num.any():
        num_at = _where(line_of, is_num.nonzero()[0])
        raise InputError(
            f"{path}: column {name!r} mixes numbers ({text[is_num].iloc[0]!r} at {num_at}) and "
            f"text ({first!r} at {where}, {plural(int(words.sum()), 'text cell')}); fix those "
            "cells, or leave them empty and choose --impute")
    return CATEGORICAL, _none_for_missing(text)


def _none_for_missing(text) -> np.ndarray:
    """Text cells as an object array with None (not NaN) where missing."""
    values = text.to_numpy(dtype=object)
    values[missing_cells(values)] = None
    return values


def type_features(frame, columns: list, path, line_of, *, categorical: str = "onehot",
                  decimal: str = "."):
    """Decide each feature column's kind and convert it.

    Parameters
    ----------
    frame : pandas.DataFrame
        Raw columns as read (numbers, or strings with NaN where missing).
    columns : list of str
        The feature columns, in order.
    categorical : {'onehot', 'error'}
        What to do with text columns: keep them as categories (one-hot
        encoded later), or refuse them.

    Returns
    -------
    values : dict of str -> ndarray of shape (n_rows,)
        float64 (NaN where missing) for numeric columns; object arrays of
        str (None where missing) for categorical ones.
    kinds : list of {'numeric', 'categorical'}
    """
    import pandas as pd

    values, kinds = {}, []
    for name in columns:
        col = frame[name]
        if col.isna().all():
            raise InputError(f"{path}: column {name!r} has no values at all; drop it or fill it")
        if pd.api.types.is_bool_dtype(col):
            kind, v = NUMERIC, col.to_numpy(dtype=np.float64, na_value=np.nan)
        elif pd.api.types.is_numeric_dtype(col):
            kind, v = NUMERIC, _numeric_values(col, name, path, line_of)
        else:
            kind, v = _text_column(col, name, path, line_of, decimal)
        if kind == CATEGORICAL and categorical == "error":
            bad = [n for n in columns if not pd.api.types.is_numeric_dtype(frame[n])]
            one = len(bad) == 1
            raise InputError(
                f"{path}: feature column{'' if one else 's'} {', '.join(map(repr, bad))} "
                f"{'is' if one else 'are'} not numeric, e.g. "
                f"{v[pd.Series(v).notna().to_numpy()][0]!r} in column {name!r} "
                "(--categorical error); encode text as numbers, drop the column, choose it as "
                "the label column, or pass --categorical onehot to one-hot encode it")
        values[name], kinds = v, [*kinds, kind]
    return values, kinds


def coerce_features(frame, columns: list, kinds: list, path, line_of, *, decimal: str = ".",
                    unreadable: dict | None = None):
    """Convert a new file's columns to the kinds a model was trained with:
    numbers where it had numbers (text there is refused), text where it had
    categories (a number there is read as its text).

    With ``unreadable`` (a dict), a numeric column whose cells are numbers
    but for a few text cells keeps those cells as NaN and records their mask
    of shape (n_rows,) under the column's name, so that only those rows are
    refused (or skipped), not the whole file.

    Returns
    -------
    values : dict of str -> ndarray of shape (n_rows,)
    """
    import pandas as pd

    values = {}
    for name, kind in zip(columns, kinds, strict=True):
        col = frame[name]
        if kind == CATEGORICAL:
            values[name] = _none_for_missing(
                _strip(col.astype("string") if pd.api.types.is_numeric_dtype(col) else col))
            continue
        if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            values[name] = _numeric_values(col.astype(np.float64), name, path, line_of)
            continue
        got, v = _text_column(col, name, path, line_of, decimal, unreadable)
        if got != NUMERIC:
            bad = pd.Series(v).notna().to_numpy().nonzero()[0]
            raise InputError(f"{path}: column {name!r} holds text such as {v[bad[0]]!r} "
                             f"({_where(line_of, bad)}), but the model was trained on numbers "
                             "in this column")
        values[name] = v
    return values


def missing_cells(v: np.ndarray) -> np.ndarray:
    """Boolean mask of the missing cells of one column (NaN, or None/NaN/NA as text)."""
    import pandas as pd

    return np.isnan(v) if v.dtype.kind == "f" else np.asarray(pd.isna(v), dtype=bool)


def missing_rows(values: dict) -> np.ndarray:
    """Boolean mask of shape (n_rows,): rows with at least one missing feature."""
    masks = [missing_cells(v) for v in values.values()]
    return np.logical_or.reduce(masks) if masks else np.zeros(0, bool)


def _note_spaced_labels(col, text, path, name: str) -> None:
    """Labels that differ only by surrounding spaces (``'Adelie '`` and
    ``'Adelie'``) are read as one class: said in a note, never silently."""
    import warnings

    from .notes import DataNote

    raw = {v for v in col.dropna().tolist() if isinstance(v, str)}
    if len(raw) == len(set(text.dropna().tolist())):
        return
    groups: dict = {}
    for v in raw:
        groups.setdefault(v.strip(), set()).add(v)
    spaced = next(sorted(g) for g in groups.values() if len(g) > 1)
    warnings.warn(f"{path}: label column {name!r} writes {' and '.join(map(repr, spaced))}, "
                  f"which differ only by surrounding spaces; they are read as one class "
                  f"{spaced[0].strip()!r} (spaces around values are ignored)", DataNote,
                  stacklevel=4)


def parse_labels(col, path, name: str, line_of) -> np.ndarray:
    """Labels of shape (n_rows,): int64 when every label is an integer, else str.

    Missing labels and non-integer numbers (a continuous target, or the
    wrong column) are refused.
    """
    import pandas as pd

    text = _strip(col) if not pd.api.types.is_numeric_dtype(col) else col
    if not pd.api.types.is_numeric_dtype(col):
        _note_spaced_labels(col, text, path, name)
    missing = text.isna().to_numpy()
    if missing.any():
        n = int(missing.sum())
        raise InputError(f"{path}: {plural(n, 'row')} {'has' if n == 1 else 'have'} an empty "
                         f"label in column {name!r}, first at "
                         f"{_where(line_of, missing.nonzero()[0])}; fill or drop those rows")
    if pd.api.types.is_bool_dtype(col):
        return col.to_numpy(dtype=np.int64)
    number = _to_number(text) if not pd.api.types.is_numeric_dtype(text) else text
    if number.notna().all():
        values = number.to_numpy(dtype=np.float64)
        fractional = ~np.isfinite(values) | (values != np.round(values))
        if not fractional.any():
            return values.astype(np.int64)
        pos = fractional.nonzero()[0]
        raise InputError(
            f"{path}: label column {name!r} holds non-integer numbers, e.g. "
            f"{float(values[pos[0]])!r} at {_where(line_of, pos)}; labels must be class names "
            "or integer class ids (is this the right label column?)")
    return np.asarray(text.to_numpy(dtype=object), dtype=str)


