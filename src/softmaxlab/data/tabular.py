"""The user's own data: CSV/TSV, NPZ and Parquet files with a label column.

Reading delimited text is ``csv_reader.py``'s job and deciding what each
column is ``columns.py``'s; this module puts them together per format and
turns every way a file can be wrong into one ``ValueError`` that names the
file, the problem and the fix.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .columns import CATEGORICAL, missing_cells, missing_rows, type_features
from .label_columns import read_labels, resolve_label_columns
from .label_sets import NO_SEPARATOR
from .names import drop_positions, plural
from .csv_reader import TEXT_SUFFIXES, read_text_table
from .npz import load_npz
from .table import Table, require_file
from softmaxlab.errors import InputError

__all__ = ["TABULAR_SUFFIXES", "Table", "load_csv", "load_npz", "load_parquet", "load_table",
           "read_parquet_frame", "require_file", "tabular_suffix"]

TABULAR_SUFFIXES = (*TEXT_SUFFIXES, ".npz", ".parquet", ".pq")


def _build(frame, names, path, line_of, label_column, header, *, categorical, allow_missing,
           decimal, info, label_separator=None, refuse_label_sets=False, raw=None,
           drop_columns=None) -> Table:
    """Label(s), feature kinds and the missing-value policy, for CSV and Parquet alike."""
    positions = resolve_label_columns(names, label_column, header, path)
    labels = [names[p] for p in positions]
    dropped = drop_positions(names, drop_columns, labels, header, path)
    features = [n for j, n in enumerate(names) if n not in labels and j not in dropped]
    if not features:
        raise InputError(f"{path}: only the label column{'s' if len(labels) > 1 else ''} "
                         f"{', '.join(map(repr, labels))} {'were' if len(labels) > 1 else 'was'} "
                         "found; expected at least one feature column besides "
                         f"{'them' if len(labels) > 1 else 'it'} (is the delimiter right? pass "
                         "--delimiter)")
    y, label_info = read_labels(frame, labels, positions, path, line_of, header,
                                label_separator, refuse_label_sets, raw)
    values, kinds = type_features(frame, features, path, line_of, categorical=categorical,
                                  decimal=decimal)
    miss = missing_rows(values)
    if miss.any() and not allow_missing:
        rows = miss.nonzero()[0]
        first = f"row {rows[0] + 1}" + (f", line {line_of(int(rows[0]))}" if line_of else "")
        cols = [c for c in features if _has_missing(values[c])]
        n = len(rows)
        raise InputError(
            f"{path}: {plural(n, 'row')} {'has' if n == 1 else 'have'} missing feature values "
            f"(empty, NA or ?), first at {first}, in column{'s' if len(cols) > 1 else ''} "
            f"{', '.join(map(repr, cols[:5]))}{', ...' if len(cols) > 5 else ''}; fill or drop "
            "those rows, or impute them (--impute mean, median or most_frequent)")
    if CATEGORICAL in kinds:
        import pandas as pd

        X = pd.DataFrame(values, columns=features)
    else:
        X = np.column_stack([values[c] for c in features])
    named = labels if header else positions
    info = {**info, "columns": list(names),
            "label_position": positions if len(positions) > 1 else positions[0]}
    if dropped:
        info.update(dropped=[names[p] for p in dropped], dropped_positions=dropped)
    return Table(X=X, y=y, feature_names=features,
                 label_column=named if len(named) > 1 else named[0], kinds=tuple(kinds),
                 info=info, labels=label_info)


def _has_missing(v) -> bool:
    return bool(missing_cells(v).any())


def load_csv(path: str | os.PathLike, label_column=None, *, header: bool = True,
             delimiter: str | None = None, decimal: str = ".", categorical: str = "onehot",
             allow_missing: bool = False, label_separator: str | None = None,
             refuse_label_sets: bool = False, encoding: str | None = None,
             drop_columns=None) -> Table:
    """Read a delimited text file (CSV, TSV; ``.gz`` allowed) into features and labels.

    Parameters
    ----------
    path : str or path-like
    label_column : str or int or list, optional
        The label column's name; with ``header=False`` its 0-based position
        (negative from the end). Default: the last column. Several columns
        (a list, or names joined by commas such as ``"a,b,c"``) are 0/1
        indicator columns, one per label: ``y`` is then the (n_rows,
        n_labels) indicator matrix (see :mod:`softmaxlab.data.label_sets`).
    header : bool, default True
        Whether the first line names the columns. A first line that looks
        like data is refused rather than taken as names.
    delimiter : str, optional
        Default: detected among ``,`` ``;`` tab ``|``.
    decimal : {'.', ','}, default '.'
    categorical : {'onehot', 'error'}, default 'onehot'
        Text feature columns are kept as categories (one-hot encoded after
        the split), or refused.
    allow_missing : bool, default False
        Keep missing feature values (NaN / None) for later imputation;
        otherwise they are refused with a count of the affected rows.
    label_separator : str, optional
        The label column holds label sets joined by this string
        (``"sports|news"``; an empty cell is no labels): ``y`` is then the
        indicator matrix. ``"none"`` or None: one class per cell.
    refuse_label_sets : bool, default False
        With no separator, refuse text labels that look like label sets
        (``a|b``, ``a;b``, ``a,b``), naming ``--label-separator``.
    encoding : str, optional
        The file's text encoding (a Python codec name such as ``cp1252``);
        default UTF-8, or UTF-16 after its byte-order mark.
    drop_columns : list of str or int, optional
        Columns left out of the features (names; positions with
        ``header=False``), such as an identifier; ``info`` records them.

    Returns
    -------
    table : Table
        ``X`` of shape (n_rows, n_columns - n_label_columns); ``y`` of shape
        (n_rows,), or (n_rows, n_labels) for several labels per row.

    Raises
    ------
    FileNotFoundError, ValueError
        The file does not exist; or it is empty, has no data rows, a header that
        looks like data, duplicate or empty column names, ragged rows, columns mixing
        numbers and text, no label column, missing values (unless allowed) or labels, or
        is not text.
    """
    path = Path(path)
    t, info = _read_text(path, header, delimiter, decimal, encoding)
    return _build(t.frame, t.names, path, t.line_of, label_column, header,
                  categorical=categorical, allow_missing=allow_missing, decimal=decimal,
                  info=info, label_separator=label_separator,
                  refuse_label_sets=refuse_label_sets, raw=t.raw, drop_columns=drop_columns)


def _read_text(path: Path, header, delimiter, decimal, encoding):
    """(the file's TextTable, ``info`` recording how it was read) of a CSV/TSV file."""
    require_file(path)
    t = read_text_table(path, header=header, delimiter=delimiter, decimal=decimal,
                        encoding=encoding)
    info = {"format": "csv", "header": header, "delimiter": t.delimiter}
    if encoding is not None:
        info["encoding"] = encoding
    return t, info


def load_parquet(path: str | os.PathLike, label_column=None, *, categorical: str = "onehot",
                 allow_missing: bool = False, label_separator: str | None = None,
                 refuse_label_sets: bool = False, drop_columns=None) -> Table:
    """Read a Parquet file into features and labels (needs pyarrow).

    Parameters
    ----------
    path : str or path-like
    label_column : str or list, optional
        Column holding the labels (default: the last column), or several 0/1
        indicator columns.
    categorical, allow_missing, label_separator, refuse_label_sets, drop_columns
        As for :func:`load_csv` (a missing cell of a label-set column is a
        row with no labels).

    Returns
    -------
    table : Table

    Raises
    ------
    FileNotFoundError, ImportError, ValueError
        Missing file; pyarrow not installed; malformed content.
    """
    path = Path(path)
    frame = read_parquet_frame(path)
    names = [str(c) for c in frame.columns]
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise InputError(f"{path}: two columns are named {dup!r}; column names must be unique")
    frame.columns = names
    if len(frame) == 0:
        raise InputError(
            f"{path}: has a header ({', '.join(names)}) but no data rows; add one row per sample")
    return _build(frame, names, path, None, label_column, True, categorical=categorical,
                  allow_missing=allow_missing, decimal=".", info={"format": "parquet",
                                                                  "header": True},
                  label_separator=label_separator, refuse_label_sets=refuse_label_sets,
                  drop_columns=drop_columns)


def read_parquet_frame(path: Path):
    """A Parquet file as a pandas DataFrame, with our messages for the ways it fails."""
    import pandas as pd

    require_file(path)
    try:
        import pyarrow  # noqa: F401 - only to give a clear message when absent
    except ImportError:
        raise ImportError(
            f"reading {path} needs the pyarrow package; install it with `pip install pyarrow`"
        ) from None
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises its own types for corrupt files
        raise InputError(f"{path}: not a readable Parquet file ({exc})") from None
    if frame.shape[1] == 0:
        raise InputError(f"{path}: the file has no columns; expected features and a label")
    return frame


def tabular_suffix(path: str | os.PathLike) -> str | None:
    """The supported suffix ``path`` ends with (case-insensitive), or None."""
    name = Path(path).name.lower()
    return next((s for s in sorted(TABULAR_SUFFIXES, key=len, reverse=True)
                 if name.endswith(s)), None)


def load_table(path: str | os.PathLike, label_column=None, *, header: bool = True,
               delimiter: str | None = None, decimal: str = ".", categorical: str = "onehot",
               allow_missing: bool = False, label_separator: str | None = None,
               refuse_label_sets: bool = False, encoding: str | None = None,
               drop_columns=None) -> Table:
    """Read a CSV/TSV, NPZ or Parquet file, chosen by its extension.

    Parameters
    ----------
    path : str or path-like
        Ends with one of ``.csv``, ``.tsv`` (optionally ``.gz``), ``.npz``,
        ``.parquet``, ``.pq``.
    label_column : str or int or list, optional
        Label column(s) for CSV/TSV/Parquet (default: the last column). For
        NPZ the labels are always the array ``y``.
    header, delimiter, decimal, encoding
        For CSV/TSV only (see :func:`load_csv`); refused for other formats.
    categorical, allow_missing
        See :func:`load_csv` (NPZ has no categorical columns).
    label_separator, refuse_label_sets
        Label sets in one column, for CSV/TSV/Parquet (see :func:`load_csv`).
    drop_columns : list of str or int, optional
        Columns of a CSV/TSV/Parquet file left out of the features.

    Returns
    -------
    table : Table

    Raises
    ------
    FileNotFoundError, ImportError, ValueError
    """
    suffix = tabular_suffix(path)
    if suffix in TEXT_SUFFIXES:
        return load_csv(path, label_column, header=header, delimiter=delimiter, decimal=decimal,
                        categorical=categorical, allow_missing=allow_missing,
                        label_separator=label_separator, refuse_label_sets=refuse_label_sets,
                        encoding=encoding, drop_columns=drop_columns)
    text_only = [n for n, v, d in (("header", header, True), ("delimiter", delimiter, None),
                                   ("decimal", decimal, "."), ("encoding", encoding, None))
                 if v != d]
    if suffix is not None and text_only:
        raise InputError(f"{path}: {', '.join(text_only)} appl{'ies' if len(text_only) == 1 else 'y'}"
                         " only to CSV/TSV files; leave it unset")
    if suffix in (".parquet", ".pq"):
        return load_parquet(path, label_column, categorical=categorical,
                            allow_missing=allow_missing, label_separator=label_separator,
                            refuse_label_sets=refuse_label_sets, drop_columns=drop_columns)
    if suffix == ".npz":
        return _load_npz_table(path, label_column, label_separator, drop_columns, allow_missing)
    raise InputError(
        f"{path}: unsupported file type; expected one of {', '.join(TABULAR_SUFFIXES)}"
    )


def _load_npz_table(path, label_column, label_separator, drop_columns, allow_missing) -> Table:
    """An NPZ file for :func:`load_table`; the options that name columns are refused."""
    if drop_columns:
        raise InputError(f"{path}: --drop-columns applies to CSV, TSV and Parquet files; "
                         ".npz files hold only feature columns in 'X'")
    if label_separator not in (None, NO_SEPARATOR):
        raise InputError(f"{path}: --label-separator applies to a label column of a CSV, "
                         "TSV or Parquet file; .npz files keep labels in the array 'y'")
    if label_column not in (None, "y"):
        raise InputError(
            f"{path}: .npz files keep labels in the array 'y'; "
            f"--label-column {label_column!r} does not apply, leave it unset"
        )
    return load_npz(path, allow_missing=allow_missing)


# NPZ lives in npz.py (it imports Table from here); re-exported for callers of this module.
