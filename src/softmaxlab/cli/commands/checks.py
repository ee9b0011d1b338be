"""What ``predict`` and ``evaluate`` say about a file before using it: rows
they cannot use, inputs unlike the training data, and the reading settings
taken from the model's run. Each is one line on stderr, or an error."""
from __future__ import annotations

import contextlib
import warnings

from softmaxlab.data import DataNote
from softmaxlab.data.names import plural
from softmaxlab.errors import InputError

__all__ = ["InputsWarning", "check_inputs", "invalid_rows", "note_run_settings", "said_once"]


class InputsWarning(UserWarning):
    """New rows unlike the training data (printed as one warning line)."""


_FIX = {"predict": "pass --skip-invalid to write an empty prediction in their place (every "
                   "input row keeps its output line)",
        "evaluate": "pass --skip-invalid to leave them out of the metrics (they are counted)"}


def _lines(rows, problems, limit=5) -> str:
    shown = [str(rows.line_of(r)) if rows.line_of else f"row {r + 1}" for r, _ in problems[:limit]]
    return ", ".join(shown) + (", ..." if len(problems) > limit else "")


def invalid_rows(rows, path, *, skip_invalid: bool, command: str) -> int:
    """Refuse the rows ``read_for_model`` found invalid, naming the first
    line and ``--skip-invalid``; with ``skip_invalid`` a note counts them.
    Returns the number of invalid rows."""
    problems = rows.problems
    if not problems:
        return 0
    n = len(problems)
    r, reason = problems[0]
    where = f"line {rows.line_of(r)}" if rows.line_of else f"row {r + 1}"
    if not skip_invalid:
        more = f" ({plural(n, 'row')} cannot be used: lines {_lines(rows, problems)})" \
            if n > 1 and rows.line_of else (f" ({plural(n, 'row')} cannot be used)" if n > 1
                                             else "")
        what = "predicted" if command == "predict" else "evaluated"
        raise InputError(f"{path}: {where} {reason}, so it cannot be {what}{more}; fix those "
                         f"rows, or {_FIX[command]}")
    done = ("left the prediction empty for" if command == "predict"
            else "left out of the metrics")
    detail = (f"{where} {reason}" if n == 1 else
              f"{'lines ' if rows.line_of else ''}{_lines(rows, problems)}; first: {where} {reason}")
    warnings.warn(f"{path}: {done} {plural(n, 'row')} that cannot be "
                  f"{'predicted' if command == 'predict' else 'evaluated'} ({detail})",
                  DataNote, stacklevel=2)
    return n


def check_inputs(pred, rows, path, *, header: bool, strict: bool) -> bool:
    """One warning naming the columns unlike the training data (an error
    with ``strict``); one note when the model file holds no statistics.
    Returns whether the warning already named unseen categories (so the
    encoder's note about them would say it twice)."""
    report = pred.check_inputs(rows.X, by_position=not header)
    if not report.checked:
        warnings.warn(f"{path}: the model file holds no statistics of its training inputs "
                      "(written by an older softmaxlab), so the rows are not checked against "
                      "the training data; train again to get the check", DataNote, stacklevel=2)
        return False
    message = report.message(str(path))
    if message is None:
        return False
    if strict:
        raise InputError(f"{message}; refused (--strict-inputs); fix the file, or drop "
                         "--strict-inputs to predict anyway with a warning")
    warnings.warn(f"{message}; --strict-inputs refuses such files", InputsWarning,
                  stacklevel=2)
    return any(c.kind == "categorical" for c in report.flagged)


@contextlib.contextmanager
def said_once(unseen_said: bool):
    """A context in which the note about unseen categories is left out when
    the warning already named them: one message per problem."""
    with warnings.catch_warnings():
        if unseen_said:
            warnings.filterwarnings("ignore", message=r".*a category not seen in training",
                                    category=DataNote)
        yield


_OPTION = {"encoding": "--file-encoding", "delimiter": "--delimiter", "decimal": "--decimal"}


def note_run_settings(rows, path) -> None:
    """A note naming the reading settings that came from the model's run."""
    used = rows.source.get("from_run") or {}
    if used:
        shown = ", ".join(f"{_OPTION[k]} {'tab' if v == chr(9) else v}" for k, v in used.items())
        warnings.warn(f"{path}: read with the run's settings {shown} (an option given here "
                      "overrides them)", DataNote, stacklevel=2)
