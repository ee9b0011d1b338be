"""Rows of a delimited text file with no value in any cell (``,,,``,
spreadsheet leftovers): dropped with a note naming their lines, or only
those at the end of the file, for a reader that keeps every data row in place.

The notes' ``stacklevel`` counts from the caller of ``read_text_table``, which
calls these directly.
"""
from __future__ import annotations

import warnings

from .notes import DataNote

__all__ = ["drop_empty_rows", "drop_trailing_empty_rows"]


def drop_empty_rows(frame, line_of, path):
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


def drop_trailing_empty_rows(frame, line_of, src):
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
