"""The first row of a delimited text file: a header of names, or data.

A header that looks like data (every field a number, a decimal number among
the names, or 0, 1, 2... as pandas writes unnamed columns) is refused, and so
is a file read with ``--no-header`` whose first row is plainly names over
columns of numbers: no data row is lost and no header is read as data without
a word. Each refusal names the option that fixes it.
"""
from __future__ import annotations

import re
from pathlib import Path

from softmaxlab.errors import InputError

__all__ = ["check_first_row"]

_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def check_first_row(path: Path, sample: list, header: bool) -> list | None:
    """Refuse a first row that contradicts ``header``; returns the columns to
    read (``usecols``): all (None), or all but a trailing unnamed empty one.

    ``sample`` is a list of rows (lists of str), the first lines of the file."""
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
    return usecols


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
