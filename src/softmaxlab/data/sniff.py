"""Sniffing a delimited text file before pandas reads it: its encoding (a
byte-order mark), its delimiter, and its first rows as Python's csv module
splits them (for the header checks and for line numbers in messages)."""
from __future__ import annotations

import codecs
import csv
import gzip
import io
from pathlib import Path
from softmaxlab.errors import InputError

__all__ = ["DELIMITER_NAMES", "check_encoding", "detect_delimiter", "encoding_of",
           "excel_separator", "has_bom", "iter_rows", "not_text", "parse_delimiter", "sample_rows",
           "show_delimiter"]

DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_ALIASES = {"comma": ",", "semicolon": ";", "tab": "\t", "\\t": "\t", "pipe": "|", "space": " "}
_SAMPLE_ROWS = 50


def parse_delimiter(text: str | None) -> str | None:
    """``','``, ``';'``, ``'tab'``, ``'|'`` ... -> the one character (None stays None)."""
    if text is None:
        return None
    value = _ALIASES.get(text.strip().lower(), text) if text.strip() else text
    if len(value) != 1 or value in "\"\r\n" or value.isalnum() or value in ".-+":
        raise InputError(f"delimiter must be one character such as ',', ';', '|' or 'tab'; "
                         f"got {text!r}")
    return value


def show_delimiter(delimiter: str) -> str:
    return f"{DELIMITER_NAMES.get(delimiter, 'the character')} {delimiter!r}"


def encoding_of(path: Path, encoding: str | None = None) -> str:
    """The text encoding to read ``path`` with: ``encoding`` when the user
    named one, else UTF-16 after its byte-order mark, else UTF-8 (with or
    without a byte-order mark). Never guessed from the bytes otherwise: a
    file that is not UTF-8 is refused (``not_text``) until its encoding is named."""
    if encoding is not None:
        return "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding
    with _open_binary(path) as f:
        start = f.read(4)
    if start[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    return "utf-8-sig"  # also reads plain UTF-8; drops a byte-order mark


def has_bom(path: Path) -> bool:
    """Whether the file starts with a UTF-8 or UTF-16 byte-order mark: the
    file itself then says its encoding."""
    try:
        with _open_binary(path) as f:
            start = f.read(3)
    except (OSError, EOFError):
        return False
    return start[:3] == codecs.BOM_UTF8 or start[:2] in (b"\xff\xfe", b"\xfe\xff")


def check_encoding(encoding) -> str:
    """``encoding`` if Python can decode text with it, else a ValueError
    that gives some valid names."""
    try:
        info = codecs.lookup(encoding) if isinstance(encoding, str) else None
    except LookupError:
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):
        raise InputError(f"{encoding!r} is not a text encoding Python knows; give a name such "
                         "as utf-8, cp1252 (Excel on Windows), latin-1 or utf-16")
    return encoding


def not_text(path: Path, encoding: str, exc: UnicodeDecodeError) -> ValueError:
    """The error for bytes that do not decode, naming ``--file-encoding``."""
    bad = exc.object[exc.start:exc.start + 1].hex().upper()
    if encoding in ("utf-8-sig", "utf-16"):
        return InputError(f"{path}: not UTF-8 text (a byte 0x{bad} that UTF-8 does not allow); "
                          "name the file's encoding, for example --file-encoding cp1252 (Excel "
                          "on Windows) or --file-encoding latin-1, or save it as UTF-8")
    return InputError(f"{path}: not {encoding} text (a byte 0x{bad} that {encoding} does not "
                      "allow); check --file-encoding")


def _open_binary(path: Path):
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")


def _open_text(path: Path, encoding: str):
    return io.TextIOWrapper(_open_binary(path), encoding=encoding, newline="")


def excel_separator(path: Path, encoding: str) -> str | None:
    """The delimiter of a first line ``sep=;`` (written by Excel), or None."""
    try:
        with _open_text(path, encoding) as f:
            first = f.readline().strip()
    except (UnicodeDecodeError, OSError, EOFError):
        return None  # reported, in our words, when the rows are read
    if len(first) == 5 and first.lower().startswith("sep="):
        return first[4]
    return None


def iter_rows(path: Path, encoding: str, delimiter: str, limit: int | None = None,
              skip: int = 0, keep_blank: bool = False):
    """(line number, fields) of the non-blank rows, as Python's csv module
    reads them, after the first ``skip`` lines; with ``keep_blank`` a blank
    line is a row too, with no fields."""
    with _open_text(path, encoding) as f:
        for _ in range(skip):
            f.readline()
        reader = csv.reader(f, delimiter=delimiter, skipinitialspace=True)
        n = 0
        for row in reader:
            if not row or all(not cell.strip() for cell in row) and len(row) == 1:
                if keep_blank:
                    yield reader.line_num + skip, []
                continue  # a blank line; pandas skips these too
            yield reader.line_num + skip, row
            n += 1
            if limit is not None and n >= limit:
                return


def sample_rows(path: Path, encoding: str, delimiter: str, skip: int = 0) -> list:
    try:
        return [row for _, row in iter_rows(path, encoding, delimiter, _SAMPLE_ROWS, skip)]
    except UnicodeDecodeError as exc:
        raise not_text(path, encoding, exc) from None
    except csv.Error as exc:
        raise InputError(f"{path}: could not parse as delimited text ({exc}); check quoting") \
            from None
    except (OSError, EOFError) as exc:  # gzip: not a gzip file, truncated stream
        raise InputError(f"{path}: could not read the file ({exc})") from None


def _consistent(rows: list) -> int | None:
    """The field count shared by every sampled row, or None. A data row with
    one extra empty field (a trailing delimiter) still counts as consistent."""
    if not rows:
        return None
    n = len(rows[0])
    for row in rows[1:]:
        if len(row) != n and not (len(row) == n + 1 and not row[-1].strip()):
            return None
    return n


def detect_delimiter(path: Path, encoding: str, skip: int = 0) -> str:
    """The delimiter that splits every sampled line into the same number (> 1) of fields."""
    prefer_tab = path.name.lower().endswith((".tsv", ".tsv.gz"))
    candidates = ["\t", ",", ";", "|"] if prefer_tab else [",", ";", "\t", "|"]
    samples = {d: sample_rows(path, encoding, d, skip) for d in candidates}
    if not any(samples.values()):
        return candidates[0]  # empty file: reported by the caller
    good = {d: n for d in candidates if (n := _consistent(samples[d])) and n > 1}
    if prefer_tab and "\t" in good:
        return "\t"
    if len(good) == 1:
        return next(iter(good))
    if len(good) > 1:
        shown = " and ".join(show_delimiter(d) for d in good)
        raise InputError(f"{path}: cannot tell the delimiter: {shown} each split every line "
                         f"into a constant number of fields; pass --delimiter")
    # Nothing is consistent (a ragged file, or one column): take the one that
    # splits the header most; a ragged row is then reported with its line.
    widths = {d: len(samples[d][0]) for d in candidates if samples[d]}
    best = max(widths, key=lambda d: widths[d])
    return best if widths[best] > 1 else ","
