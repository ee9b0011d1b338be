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
import re
import warnings
from pathlib import Path
from typing import NamedTuple

from .notes import DataNote
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
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


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


def _is_number(text: str) -> bool:
    return bool(_NUMBER.fullmatch(text.strip()))


def _trailing_unnamed(sample: list) -> bool:
    """A header ending in an empty name over a column with no values: the
    trailing delimiter some tools put on every line, not a column."""
    head = sample[0]
    return len(head) > 1 and not head[-1].strip() and all(
        len(row) < len(head) or not row[len(head) - 1].strip() for row in sample[1:])


def _column_numbers(names: list) -> bool:
    """0, 1, 2, ... (or 1, 2, 3, ...): the names pandas writes for unnamed columns."""
    if len(names) < 3 or not all(n.isdigit() for n in names):
        return False
    start = int(names[0])
    return start in (0, 1) and [int(n) for n in names] == list(range(start, start + len(names)))


def _shown(names: list) -> str:
    return ", ".join(names[:4]) + (", ..." if len(names) > 4 else "")


def _check_header(path: Path, sample: list) -> None:
    names = [n.strip() for n in sample[0]]
    if _trailing_unnamed(sample):
        names = names[:-1]
    if _column_numbers(names):
        raise InputError(
            f"{path}: the header row ({_shown(names)}) numbers the columns instead of naming "
            "them (as pandas writes unnamed columns); give the columns names, or delete that "
            "row and pass --no-header")
    if all(_is_number(n) for n in names):
        raise InputError(
            f"{path}: the first row ({_shown(names)}) is all numbers, so it looks like data, "
            "not a header; if the file has no header row, pass --no-header (columns are then "
            "taken by position)")
    decimals = [n for n in names if _is_number(n) and not n.lstrip("+-").isdigit()]
    if decimals:
        raise InputError(
            f"{path}: the header row holds numbers such as {decimals[0]!r}, so it looks like "
            "data; if the file has no header row, pass --no-header, otherwise rename those "
            "columns")
    empty = [i for i, n in enumerate(names) if not n]
    if empty:
        k = empty[0]
        hint = (" (a row index written by pandas' to_csv? save with index=False)" if k == 0
                else "")
        raise InputError(f"{path}: column {k + 1} of the header has no name{hint}; name every "
                         "column or delete the unnamed one")
    seen: dict = {}
    for i, n in enumerate(names):
        if n in seen:
            raise InputError(f"{path}: columns {seen[n] + 1} and {i + 1} are both named {n!r}; "
                             "column names must be unique, rename one of them")
        seen[n] = i


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


def _drop_empty_rows(frame, line_of, path):
    """Rows with delimiters but no value in any cell (",,,", spreadsheet
    leftovers) hold no data: dropped, with a note naming their lines.
    Returns (frame, line_of, skipped lines)."""
    empty = frame.isna().all(axis=1).to_numpy()
    if not empty.any():
        return frame, line_of, ()
    n = int(empty.sum())
    lines = ", ".join(str(line_of(int(i))) for i in empty.nonzero()[0][:5])
    warnings.warn(f"{path}: skipped {n} row{'s' if n > 1 else ''} with no values (line"
                  f"{'s' if n > 1 else ''} {lines}{', ...' if n > 5 else ''})", DataNote,
                  stacklevel=4)
    keep = (~empty).nonzero()[0]
    skipped = tuple(line_of(int(i)) for i in empty.nonzero()[0])

    def kept_line_of(row: int) -> int:
        return line_of(int(keep[row])) if 0 <= row < len(keep) else row + 2

    return frame.iloc[keep].reset_index(drop=True), kept_line_of, skipped


def _drop_trailing_empty_rows(frame, line_of, src):
    """Rows with no values after the last row with one shift nothing: left
    out (a note names them unless they are blank lines), so that only the
    empty rows among the data are the caller's to refuse or keep."""
    empty = frame.isna().all(axis=1).to_numpy()
    n = len(empty)
    while n and empty[n - 1]:
        n -= 1
    if n == len(empty):
        return frame
    lines = [line_of(i) for i in range(n, len(empty))]
    blank = {line for line, row in src.rows() if not row}
    shown = [line for line in lines if line not in blank]  # ",,," rows, not blank lines
    if shown:
        k = len(shown)
        warnings.warn(f"{src.path}: skipped {k} row{'s' if k > 1 else ''} with no values at "
                      f"the end of the file (from line {shown[0]})", DataNote, stacklevel=4)
    return frame.iloc[:n]


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
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file; check the path (cwd is {Path.cwd()})")
    if not path.is_file():
        raise InputError(f"{path}: is a directory, not a data file; give the path to a file")
    src, sample = _sniff(path, header, delimiter, encoding, defaults)
    src = src._replace(keep_blank=keep_empty_rows)
    if not sample:
        raise InputError(f"{path}: the file is empty; expected a header line naming the columns "
                         "followed by one line per sample")
    if decimal == src.delimiter:
        raise InputError(f"{path}: the decimal mark and the delimiter are both {decimal!r}; "
                         "pass --delimiter or --decimal")
    usecols = None
    if header:
        _check_header(path, sample)
        if _trailing_unnamed(sample):
            usecols = list(range(len(sample[0]) - 1))
    elif _column_numbers([n.strip() for n in sample[0]]):
        raise InputError(
            f"{path}: the first row ({_shown([n.strip() for n in sample[0]])}) numbers the "
            "columns, so it is a header, not data; give the columns names and drop "
            "--no-header, or delete that row")
    elif _looks_like_header(sample):
        raise InputError(
            f"{path}: the file has a header row ({_shown([n.strip() for n in sample[0]])}): "
            "those names sit over columns of numbers, so the first row is not data; drop "
            "--no-header (columns are then matched by name, and --label-column takes a name)")
    frame = _parse(src, decimal, usecols)
    if frame.shape[1] == 0:
        raise InputError(f"{path}: no columns found; expected a header line and data")
    if usecols is None and frame.isna().to_numpy().any():
        # Short rows come back as NaN; report them as what they are.
        bad = _ragged(src)
        if bad is not None:
            raise bad
    if header:
        names = [str(c).strip() for c in sample[0]][:frame.shape[1]]
        if len(names) < frame.shape[1]:
            raise _ragged(src) or InputError(
                f"{path}: the header has {len(names)} names for {frame.shape[1]} columns")
    else:
        names = [f"x{j}" for j in range(frame.shape[1])]
    frame.columns = names
    line_of, skipped = _line_mapper(src), ()
    if not keep_empty_rows:
        frame, line_of, skipped = _drop_empty_rows(frame, line_of, path)
    else:
        frame = _drop_trailing_empty_rows(frame, line_of, src)
    if len(frame) == 0 or frame.isna().all(axis=None):
        what = f"a header ({', '.join(names)}) but no" if header else "no"
        raise InputError(f"{path}: has {what} data rows; add one row per sample")
    encoding = src.encoding
    if encoding == "utf-8-sig" and not has_bom(path):
        encoding = "utf-8"
    return TextTable(frame, names, header, src.delimiter, line_of,
                     _raw_reader(src, line_of, len(frame)), skipped, encoding)


def _looks_like_header(sample: list) -> bool:
    """A first row of names over columns of numbers: every cell of the first
    row is text (not a number, not empty) where every later sampled row of
    that column holds a number, in at least half of the columns."""
    if len(sample) < 2:
        return False
    first, rest = [c.strip() for c in sample[0]], sample[1:]
    if any(not c or _is_number(c) for c in first):
        return False
    numeric = 0
    for j in range(len(first)):
        cells = [r[j].strip() for r in rest if j < len(r) and r[j].strip()]
        numeric += bool(cells) and all(_is_number(c.replace(",", ".")) for c in cells)
    return numeric * 2 >= len(first)


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
