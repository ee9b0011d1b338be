"""The user's own data: CSV, NPZ and Parquet files with a label column.

Parsing is pandas' job; this module's job is to turn every way a file can be
wrong into one ``ValueError`` that names the file, the problem and the fix.
"""

from __future__ import annotations

import csv
import os
import warnings
import zipfile
from pathlib import Path
from typing import NamedTuple

import numpy as np

__all__ = ["TABULAR_SUFFIXES", "Table", "load_csv", "load_npz", "load_parquet", "load_table",
           "tabular_suffix"]

TABULAR_SUFFIXES = (".csv", ".csv.gz", ".npz", ".parquet", ".pq")


class Table(NamedTuple):
    """Features and labels read from a file.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features), float64
    y : ndarray of shape (n_samples,)
        int64 or str labels as found in the file.
    feature_names : list of str, length n_features
    label_column : str
        Name of the label column (``'y'`` for NPZ).
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: list
    label_column: str


def _require_file(path: Path) -> None:
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file; check the path (cwd is {Path.cwd()})")
    if not path.is_file():
        raise ValueError(f"{path}: is a directory, not a data file; give the path to a file")


def _data_line(pos: int) -> str:
    # The header is line 1, so 0-based data row `pos` sits on line pos + 2
    # (counting blank lines pandas skipped would need a rescan; rarely matters).
    return f"row {pos + 1} (line {pos + 2})"


def _find_ragged_line(path: Path) -> tuple[int, int, int] | None:
    """First physical line whose field count differs from the header's.

    Returns ``(line_number, n_fields, n_header_fields)`` or None.
    """
    import gzip

    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", newline="", encoding="utf-8", errors="replace") as f:
        reader = csv.reader(f)
        n_header = None
        for row in reader:
            if not row:  # blank line: pandas skips these too
                continue
            if n_header is None:
                n_header = len(row)
            elif len(row) != n_header and not (len(row) == n_header + 1 and row[-1] == ""):
                # A single trailing empty field is a trailing delimiter,
                # which pandas accepts, so it is not reported.
                return reader.line_num, len(row), n_header
    return None


def _ragged_error(path: Path, where: tuple[int, int, int]) -> ValueError:
    line, n, n_header = where
    return ValueError(
        f"{path}: line {line} has {n} fields but the header has {n_header}; "
        "every row needs one value per column (check for stray commas or quotes)"
    )


def load_csv(path: str | os.PathLike, label_column: str | None = None) -> Table:
    """Read a CSV file with a header row into features and labels.

    Parameters
    ----------
    path : str or path-like
        Comma-separated file (``.gz`` allowed) whose first line names the columns.
    label_column : str, optional
        Column holding the labels. Default: the last column.

    Returns
    -------
    table : Table
        ``X`` of shape (n_rows, n_columns - 1), float64; ``y`` of shape (n_rows,).

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If the file is empty, has no data rows, lacks the label column, has
        ragged rows, non-numeric feature values or empty cells, or is not text.
    """
    import pandas as pd

    path = Path(path)
    _require_file(path)
    try:
        with warnings.catch_warnings():
            # A row longer than the header only warns and loses data; make it fail.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            # index_col=False: never let pandas turn the first column into an index.
            frame = pd.read_csv(path, index_col=False)
    except pd.errors.EmptyDataError:
        raise ValueError(
            f"{path}: the file is empty; expected a header line naming the columns "
            "followed by one line per sample"
        ) from None
    except (pd.errors.ParserError, pd.errors.ParserWarning) as exc:
        where = _find_ragged_line(path)
        if where is not None:
            raise _ragged_error(path, where) from None
        raise ValueError(f"{path}: could not parse as CSV ({exc}); check quoting") from None
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{path}: not UTF-8 text (byte {exc.start}); save it as a UTF-8 CSV"
        ) from None
    if frame.isna().to_numpy().any():
        # Short rows come back as NaN; report them as what they are.
        where = _find_ragged_line(path)
        if where is not None:
            raise _ragged_error(path, where)
    return _frame_to_table(frame, path, label_column)


def load_parquet(path: str | os.PathLike, label_column: str | None = None) -> Table:
    """Read a Parquet file into features and labels (needs pyarrow).

    Parameters
    ----------
    path : str or path-like
    label_column : str, optional
        Column holding the labels. Default: the last column.

    Returns
    -------
    table : Table
        ``X`` of shape (n_rows, n_columns - 1), float64; ``y`` of shape (n_rows,).

    Raises
    ------
    FileNotFoundError, ImportError, ValueError
        Missing file; pyarrow not installed; malformed content.
    """
    import pandas as pd

    path = Path(path)
    _require_file(path)
    try:
        import pyarrow  # noqa: F401 - only to give a clear message when absent
    except ImportError:
        raise ImportError(
            f"reading {path} needs the pyarrow package; install it with `pip install pyarrow`"
        ) from None
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises its own types for corrupt files
        raise ValueError(f"{path}: not a readable Parquet file ({exc})") from None
    if frame.shape[1] == 0:
        raise ValueError(f"{path}: the file has no columns; expected features and a label")
    return _frame_to_table(frame, path, label_column)


def _frame_to_table(frame, path: Path, label_column: str | None) -> Table:
    import pandas as pd

    frame.columns = [str(c) for c in frame.columns]
    columns = list(frame.columns)
    if len(frame) == 0:
        raise ValueError(
            f"{path}: has a header ({', '.join(columns)}) but no data rows; add one row per sample"
        )
    if label_column is None:
        label_column = columns[-1]
    elif label_column not in columns:
        raise ValueError(
            f"{path}: no label column {label_column!r}; available columns: "
            f"{', '.join(map(repr, columns))}. Pass one of them as label_column (--label-column)"
        )
    features = [c for c in columns if c != label_column]
    if not features:
        raise ValueError(
            f"{path}: only the label column {label_column!r} was found; "
            "expected at least one feature column besides it"
        )
    bad = [c for c in features if not (
        pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c])
    )]
    if bad:
        col = frame[bad[0]]
        numeric = pd.to_numeric(col, errors="coerce")
        pos = int(np.flatnonzero(numeric.isna() & col.notna())[0])
        raise ValueError(
            f"{path}: feature column(s) {', '.join(map(repr, bad))} are not numeric, e.g. "
            f"{col.iloc[pos]!r} in column {bad[0]!r} at {_data_line(pos)}; "
            "encode them as numbers, drop them, or choose them as the label column"
        )
    X = frame[features].to_numpy(dtype=np.float64)
    bad_rows = ~np.isfinite(X).all(axis=1)
    if bad_rows.any():
        first = int(np.flatnonzero(bad_rows)[0])
        raise ValueError(
            f"{path}: {int(bad_rows.sum())} row(s) have empty, NaN or infinite feature values, "
            f"first at {_data_line(first)}; fill or drop those rows"
        )
    y = _labels(frame[label_column], path, label_column)
    return Table(X=X, y=y, feature_names=features, label_column=label_column)


def _labels(col, path: Path, name: str) -> np.ndarray:
    import pandas as pd

    missing = col.isna().to_numpy()
    if missing.any():
        first = int(np.flatnonzero(missing)[0])
        raise ValueError(
            f"{path}: {int(missing.sum())} row(s) have an empty label in column {name!r}, "
            f"first at {_data_line(first)}; fill or drop those rows"
        )
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_integer_dtype(col):
        return col.to_numpy(dtype=np.int64)
    if pd.api.types.is_float_dtype(col):
        values = col.to_numpy(dtype=np.float64)
        if np.all(np.isfinite(values)) and np.all(values == np.round(values)):
            return values.astype(np.int64)
        pos = int(np.flatnonzero(~np.isfinite(values) | (values != np.round(values)))[0])
        raise ValueError(
            f"{path}: label column {name!r} holds non-integer numbers, e.g. {values[pos]!r} at "
            f"{_data_line(pos)}; labels must be class names or integer class ids "
            "(is this the right label column?)"
        )
    return np.asarray(col.astype(str).to_numpy(), dtype=str)


def load_npz(path: str | os.PathLike) -> Table:
    """Read features ``X`` and labels ``y`` from a ``.npz`` file (no pickle).

    Parameters
    ----------
    path : str or path-like
        Archive holding ``X`` (n_samples, n_features) numeric and ``y``
        (n_samples,) integer or string; optionally ``feature_names`` (n_features,).

    Returns
    -------
    table : Table
        ``X`` converted to float64 unless it is uint8 (kept for pixel data).

    Raises
    ------
    FileNotFoundError, ValueError
    """
    path = Path(path)
    _require_file(path)
    with open(path, "rb") as f:
        magic = f.read(2)
    # np.load guesses the format from the content and would take a non-zip
    # file for a pickle, so check the zip signature first.
    if magic != b"PK":
        raise ValueError(
            f"{path}: not a readable .npz archive (no zip signature, found {magic!r}); "
            "save with np.savez(path, X=features, y=labels)"
        )
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {k: archive[k] for k in archive.files}
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ValueError(f"{path}: not a readable .npz archive ({exc})") from None
    except ValueError as exc:
        raise ValueError(
            f"{path}: holds object arrays, which need pickle and are refused; "
            f"save X and y as numeric/string arrays ({exc})"
        ) from None
    for key in ("X", "y"):
        if key not in arrays:
            raise ValueError(
                f"{path}: no array {key!r}; found {sorted(arrays)}. "
                "Save with np.savez(path, X=features, y=labels)"
            )
    X, y = arrays["X"], arrays["y"]
    if X.ndim != 2 or y.ndim != 1 or len(X) != len(y):
        raise ValueError(
            f"{path}: expected X of shape (n, d) and y of shape (n,), "
            f"found X {X.shape} and y {y.shape}"
        )
    if len(X) == 0:
        raise ValueError(f"{path}: X and y have no rows; expected at least one sample")
    if X.dtype.kind not in "biuf":
        raise ValueError(f"{path}: X must be numeric, found dtype {X.dtype}; convert it first")
    if X.dtype != np.uint8:
        X = X.astype(np.float64)
        bad_rows = ~np.isfinite(X).all(axis=1)
        if bad_rows.any():
            raise ValueError(
                f"{path}: {int(bad_rows.sum())} row(s) of X have NaN or infinite values, "
                f"first at row {int(np.flatnonzero(bad_rows)[0])}; fill or drop those rows"
            )
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
            raise ValueError(
                f"{path}: y holds NaN or non-integer numbers; labels must be "
                "class names or integer class ids"
            )
        y = y.astype(np.int64)
    elif y.dtype.kind in "biu":
        y = y.astype(np.int64)
    elif y.dtype.kind not in "US":
        raise ValueError(f"{path}: y must hold integers or strings, found dtype {y.dtype}")
    else:
        y = y.astype(str)
    names = arrays.get("feature_names")
    if names is not None and names.shape == (X.shape[1],):
        feature_names = [str(n) for n in names]
    else:
        feature_names = [f"x{j}" for j in range(X.shape[1])]
    return Table(X=X, y=y, feature_names=feature_names, label_column="y")


def tabular_suffix(path: str | os.PathLike) -> str | None:
    """The supported suffix ``path`` ends with (case-insensitive), or None."""
    name = Path(path).name.lower()
    return next((s for s in sorted(TABULAR_SUFFIXES, key=len, reverse=True)
                 if name.endswith(s)), None)


def load_table(path: str | os.PathLike, label_column: str | None = None) -> Table:
    """Read a CSV, NPZ or Parquet file, chosen by its extension.

    Parameters
    ----------
    path : str or path-like
        Ends with one of ``.csv``, ``.csv.gz``, ``.npz``, ``.parquet``, ``.pq``.
    label_column : str, optional
        Label column for CSV/Parquet (default: the last column). For NPZ the
        labels are always the array ``y``.

    Returns
    -------
    table : Table

    Raises
    ------
    FileNotFoundError, ImportError, ValueError
    """
    suffix = tabular_suffix(path)
    if suffix in (".csv", ".csv.gz"):
        return load_csv(path, label_column)
    if suffix in (".parquet", ".pq"):
        return load_parquet(path, label_column)
    if suffix == ".npz":
        if label_column not in (None, "y"):
            raise ValueError(
                f"{path}: .npz files keep labels in the array 'y'; "
                f"label_column={label_column!r} does not apply, leave it unset"
            )
        return load_npz(path)
    raise ValueError(
        f"{path}: unsupported file type; expected one of {', '.join(TABULAR_SUFFIXES)}"
    )

