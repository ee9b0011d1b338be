"""Delimited text files as spreadsheets and other tools write them.

The delimiter (``,`` ``;`` tab ``|``) is detected from the first lines unless
given; a UTF-8 byte-order mark, UTF-16 (Excel's "Unicode text"), CRLF line
ends, quoted fields and gzip are handled. The first row is a header unless
``header=False``, and a header that looks like data (every field a number,
or a decimal number among the names) is refused rather than taken as names,
so no data row is ever lost without a word. Parsing is pandas' job; this
module decides how to call it and turns every way a file can be wrong into
one ``ValueError`` that names the file, the problem and the fix.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import NamedTuple

from .csv_empty_rows import drop_empty_rows, drop_trailing_empty_rows
from .csv_header import check_first_row
from .sniff import (
    DELIMITER_NAMES,
    detect_delimiter,
    encoding_of,
    excel_separator,
    has_bom,
    iter_rows,
    not_text,
    parse_delimiter,
    sample_rows,
    show_delimiter,
)
from softmaxlab.errors import InputError

__all__ = ["DELIMITER_NAMES", "NA_TOKENS", "TEXT_SUFFIXES", "TextTable", "is_text_file",
           "parse_delimiter", "read_text_table"]

# Cells read as missing. pandas' default list also has "None" and "-nan";
# "None" can be a real category ("no hobby"), so it stays text here.
NA_TOKENS = ("", "NA", "N/A", "n/a", "na", "NaN", "nan", "NAN", "null", "NULL", "Null", "?",
             "#N/A", "<NA>")


class TextTable(NamedTuple):
    """A delimited file read into columns.

    Attributes
    ----------
    frame : pandas.DataFrame of shape (n_rows, n_columns)
        Columns named ``names``; numeric columns as pandas parsed them, text
        columns as strings, missing cells (``NA_TOKENS``) as NaN.
    names : list of str
        The header's names (stripped), or ``x0, x1, ...`` by position.
    header : bool
    delimiter : str
    line_of : callable
        ``line_of(row)`` -> the 1-based line of 0-based data row ``row``.
    raw : callable
        ``raw(position)`` -> the cells of that column exactly as written
        (str, ``""`` when empty; no value read as missing), one per row of
        ``frame``: for columns whose text matters, such as label sets.
    skipped : tuple of int
        The lines of rows with no value in any cell, left out of ``frame``
        (empty unless such rows were dropped).
    encoding : str
        The codec the file was read with (``utf-8-sig`` when it starts with
        a UTF-8 byte-order mark, ``utf-8`` without one).
    """

    frame: object
    names: list
    header: bool
    delimiter: str
    line_of: object
    raw: object = None
    skipped: tuple = ()
    encoding: str = "utf-8"


class _Source(NamedTuple):
    """How to read one file: what the sniffing found."""

    path: Path
    encoding: str
    delimiter: str
    skip: int  # 1 after an Excel "sep=;" line
    header: bool
    keep_blank: bool = False  # blank lines are rows (with no values) too

    def rows(self, limit=None):
        return iter_rows(self.path, self.encoding, self.delimiter, limit, self.skip,
                         self.keep_blank)


def _line_mapper(src: _Source):
    cache: list = []

    def line_of(row: int) -> int:
        if not cache:
            cache.extend(line for line, _ in src.rows())
        k = row + (1 if src.header else 0)
        return cache[k] if 0 <= k < len(cache) else row + (2 if src.header else 1) + src.skip

    return line_of


def _ragged(src: _Source) -> ValueError | None:
    rows = src.rows()
    first = next(rows, None)
    if first is None:
        return None
    n = len(first[1])
    for line, row in rows:
        if row and len(row) != n and not (len(row) == n + 1 and not row[-1].strip()):
            return InputError(f"{src.path}: line {line} has {len(row)} fields but the "
                              f"{'header' if src.header else 'first row'} has {n} (delimiter "
                              f"{show_delimiter(src.delimiter)}); every row needs one value per "
                              "column (check for stray delimiters or quotes)")
    return None


def _sniff(path: Path, header: bool, delimiter: str | None, encoding: str | None,
           defaults: dict | None = None) -> tuple[_Source, list]:
    """``defaults`` (``encoding``, ``delimiter``) apply only where the option
    is not given and the file does not say (a byte-order mark, a ``sep=`` line)."""
    defaults = defaults or {}
    if encoding is None and defaults.get("encoding") and not has_bom(path):
        encoding = defaults["encoding"]
    encoding = encoding_of(path, encoding)
    excel = excel_separator(path, encoding)
    skip = 1 if excel is not None else 0
    delimiter = (parse_delimiter(delimiter) or excel or defaults.get("delimiter")
                 or detect_delimiter(path, encoding, skip))
    src = _Source(path, encoding, delimiter, skip, header)
    return src, sample_rows(path, encoding, delimiter, skip)


def _parse(src: _Source, decimal: str, usecols):
    import pandas as pd

    try:
        with warnings.catch_warnings():
            # A row longer than the header only warns and loses data; make it fail.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(
                src.path, sep=src.delimiter, header=0 if src.header else None, index_col=False,
                skipinitialspace=True, keep_default_na=False, na_values=list(NA_TOKENS),
                encoding=src.encoding, decimal=decimal, low_memory=False, quotechar='"',
                usecols=usecols, skiprows=src.skip, skip_blank_lines=not src.keep_blank)
    except pd.errors.EmptyDataError:
        raise InputError(f"{src.path}: the file is empty; expected a header line naming the "
                         "columns followed by one line per sample") from None
    except (pd.errors.ParserError, pd.errors.ParserWarning) as exc:
        raise (_ragged(src) or InputError(f"{src.path}: could not parse as delimited text "
                                          f"({exc}); check quoting")) from None
    except UnicodeDecodeError as exc:
        raise not_text(src.path, src.encoding, exc) from None


def read_text_table(path, *, header: bool = True, delimiter: str | None = None,
                    decimal: str = ".", encoding: str | None = None,
                    keep_empty_rows: bool = False, defaults: dict | None = None) -> TextTable:
    """Read a CSV/TSV file (``.gz`` allowed) into named columns.

    Parameters
    ----------
    path : str or path-like
    header : bool, default True
        Whether the first row names the columns. A first row that looks like
        data is refused (the message names ``--no-header``).
    delimiter : str, optional
        One character; default: an Excel ``sep=`` first line, else detected
        among ``,`` ``;`` tab ``|``.
    decimal : {'.', ','}, default '.'
        The decimal mark of numbers.
    encoding : str, optional
        A Python codec name (``cp1252``, ``latin-1``...); default: UTF-8, or
        UTF-16 after its byte-order mark.
    keep_empty_rows : bool, default False
        Keep rows with no value in any cell (all NaN) so that every data row
        of the file has its row in ``frame`` (predictions line up with the
        input); by default they are dropped with a note.
    defaults : dict, optional
        ``encoding`` and ``delimiter`` to use when the matching argument is
        None and the file does not say (a byte-order mark, an Excel
        ``sep=`` line): a trained model's reading settings.

    Returns
    -------
    table : TextTable

    Raises
    ------
    FileNotFoundError, ValueError
    """
    path = Path(path)
    _require_file(path)
    src, sample = _sniff(path, header, delimiter, encoding, defaults)
    src = src._replace(keep_blank=keep_empty_rows)
    _check_sample(src, sample, decimal)
    usecols = check_first_row(path, sample, header)
    frame = _parse(src, decimal, usecols)
    names = _column_names(src, frame, sample, usecols)
    frame.columns = names
    line_of, skipped = _line_mapper(src), ()
    if not keep_empty_rows:
        frame, line_of, skipped = drop_empty_rows(frame, line_of, path)
    else:
        frame = drop_trailing_empty_rows(frame, line_of, src)
    if len(frame) == 0 or frame.isna().all(axis=None):
        what = f"a header ({', '.join(names)}) but no" if header else "no"
        raise InputError(f"{path}: has {what} data rows; add one row per sample")
    # utf-8-sig reads plain UTF-8 too; name the codec the file really uses.
    encoding = "utf-8" if src.encoding == "utf-8-sig" and not has_bom(path) else src.encoding
    return TextTable(frame, names, header, src.delimiter, line_of,
                     _raw_reader(src, line_of, len(frame)), skipped, encoding)


def _check_sample(src: _Source, sample: list, decimal: str) -> None:
    """Refuse an empty file, or a decimal mark equal to the delimiter."""
    path = src.path
    if not sample:
        raise InputError(f"{path}: the file is empty; expected a header line naming the columns "
                         "followed by one line per sample")
    if decimal == src.delimiter:
        raise InputError(f"{path}: the decimal mark and the delimiter are both {decimal!r}; "
                         "pass --delimiter or --decimal")


def _require_file(path: Path) -> None:
    """Refuse a path that does not exist or is a folder."""
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file; check the path (cwd is {Path.cwd()})")
    if not path.is_file():
        raise InputError(f"{path}: is a directory, not a data file; give the path to a file")


def _column_names(src: _Source, frame, sample: list, usecols) -> list:
    """The names of ``frame``'s columns: the header's, or ``x0, x1, ...``;
    rows shorter or longer than the first are refused with their line."""
    path = src.path
    if frame.shape[1] == 0:
        raise InputError(f"{path}: no columns found; expected a header line and data")
    if usecols is None and frame.isna().to_numpy().any():
        # Short rows come back as NaN; report them as what they are.
        bad = _ragged(src)
        if bad is not None:
            raise bad
    if src.header:
        names = [str(c).strip() for c in sample[0]][:frame.shape[1]]
        if len(names) < frame.shape[1]:
            raise _ragged(src) or InputError(
                f"{path}: the header has {len(names)} names for {frame.shape[1]} columns")
    else:
        names = [f"x{j}" for j in range(frame.shape[1])]
    return names


def _raw_reader(src: _Source, line_of, n_rows: int):
    """``raw(position)``: one column's cells as Python's csv module reads
    them, matched to the frame's rows by line (skipped rows stay skipped)."""

    def raw(position: int) -> list:
        by_line = {line: (row[position].strip() if position < len(row) else "")
                   for line, row in src.rows()}
        return [by_line.get(line_of(r), "") for r in range(n_rows)]

    return raw


TEXT_SUFFIXES = (".csv", ".tsv", ".csv.gz", ".tsv.gz")


def is_text_file(path: str | os.PathLike) -> bool:
    """Whether ``path`` names a delimited text file (.csv, .tsv, optionally .gz)."""
    return Path(path).name.lower().endswith(TEXT_SUFFIXES)
