"""Argument types and option groups shared by the subcommands of ``cli.py``."""
from __future__ import annotations

import argparse

from softmaxlab.cli.config import CHOICES, TrainConfig

__all__ = ["D", "Parser", "add_debug", "add_lessons", "add_read_options", "add_row_options", "batch",
           "delimiter", "encoding", "hidden", "names"]

D = TrainConfig()


class Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not usage + error
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def hidden(text: str) -> list:
    try:
        widths = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected widths such as 256,128, got {text!r}") from None
    if not widths or min(widths) < 1:
        raise argparse.ArgumentTypeError(f"expected positive widths such as 256,128, got {text!r}")
    return widths


def batch(text: str):
    if text == "full":
        return "full"
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer or 'full', got {text!r}")
    return value


def encoding(text: str) -> str:
    from softmaxlab.data.sniff import check_encoding

    try:
        return check_encoding(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def delimiter(text: str) -> str:
    """A field delimiter: one character, or ``tab``, ``comma``, ``semicolon``, ``pipe``."""
    from softmaxlab.data.sniff import parse_delimiter

    try:
        return parse_delimiter(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected one character such as ',', ';', '|' or "
                                         f"'tab'; got {text!r}") from None


def names(text: str) -> list:
    """``a,b`` -> ['a', 'b'] (spaces around names ignored; none may be empty)."""
    parts = [t.strip() for t in text.split(",")]
    if not text.strip() or any(not t for t in parts):
        raise argparse.ArgumentTypeError(f"expected column names joined by commas such as "
                                         f"id,name; got {text!r}")
    return parts


def add_row_options(p, *, predict: bool) -> None:
    """What ``predict`` and ``evaluate`` do with rows they cannot use and
    with inputs unlike the training data."""
    a = p.add_argument
    a("--skip-invalid", action="store_true", help=(
        "a row that cannot be predicted (no values, a value that is not a number, a missing "
        "value the model cannot fill) gets an empty prediction in its place, counted on "
        "stderr (default: refuse the file, naming the line)") if predict else (
        "leave rows that cannot be read out of the metrics, counted (default: refuse the "
        "file, naming the line)"))
    a("--strict-inputs", action="store_true", help="refuse the file when a column's values "
      "lie far outside the training data (default: one warning)")


def add_debug(p) -> None:
    p.add_argument("--debug", action="store_true", help="show the Python traceback of an error")


def add_read_options(p, *, label: str | None, training: bool = False) -> None:
    """How to read a CSV/TSV file: label column, header, delimiter, decimal mark
    (and, for training, categorical columns and missing values). Every default
    is None, so a flag that was given, even with its default value, is seen."""
    a = p.add_argument
    if label:
        a("--label-column", metavar="NAME|INDEX", help=label)
    a("--no-header", action="store_true", default=None,
      help="the file has no header row: its first row is data and columns are taken by "
           "position" + (", and --label-column is a 0-based index (negative from the end)"
                         if label else ", in the training order"))
    a("--delimiter", metavar="CHAR", help="field delimiter of a CSV/TSV file: ',', ';', 'tab', "
      "'|' or another character (default: detected from the first lines)")
    a("--decimal", choices=CHOICES["decimal"], metavar="MARK",
      help="decimal mark of the numbers in a CSV/TSV file: . or , (default .)")
    a("--file-encoding", type=encoding, metavar="NAME",
      help="text encoding of a CSV/TSV file, such as cp1252 (Excel on Windows) or latin-1 "
           "(default: UTF-8, or UTF-16 after its byte-order mark)")
    if training:
        a("--label-separator", metavar="SEP", help="the label column holds a set of labels per "
          "row joined by SEP, such as 'sports|news' with '|' (an empty cell: no labels), and "
          "the run trains one yes/no output per label (multilabel); 'none': one class per "
          "cell, even when it contains | ; or , (default: one class per cell, and cells "
          "that look like label sets are refused)")
        a("--categorical", choices=CHOICES["categorical"], help="text feature columns: onehot = "
          "one-hot encode them (categories fitted on the training split; unseen ones are "
          "ignored with a note), error = refuse them (default onehot)")
        a("--impute", choices=CHOICES["impute"], help="missing feature values (empty, NA, ?): "
          "fill numeric ones with this statistic of the training split and categories with "
          "the most frequent one; none = refuse them (default none)")


LESSONS_OUT = "softmaxlab-lessons"


def add_lessons(sub) -> None:
    """The ``lessons`` subcommand's options (the work: ``commands/lessons.py``)."""
    p = sub.add_parser("lessons", help="write the lessons (Jupyter notebooks) into a folder",
                       description="Write the lessons as Jupyter notebooks: softmax by hand, "
                       "Fashion-MNIST, the spiral, digits, and the library. Each exercise is a "
                       "function you complete, followed by a check that says what is wrong. "
                       "Files that already exist are never overwritten.")
    p.add_argument("--out", default=LESSONS_OUT, metavar="DIR",
                   help=f"folder to write into, created if missing (default {LESSONS_OUT})")
    p.add_argument("--solutions", action="store_true",
                   help="write the notebooks with the worked answers (NN_name_solutions.ipynb)")
    add_debug(p)
