"""``softmaxlab predict``: labels or probabilities for the rows of a file."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from softmaxlab.cli.commands.model import resolve_model
from softmaxlab.cli.commands.read import read_for_model
from softmaxlab.errors import InputError

__all__ = ["predict_csv", "write_predictions"]


def predict_csv(model_path, input_csv, proba: bool = False, *, header: bool = True,
                delimiter=None, decimal=None, encoding=None, skip_invalid: bool = False,
                keep_columns=None, strict_inputs: bool = False):
    """Predictions for the rows of a CSV/TSV (or Parquet, NPZ) file as a pandas
    DataFrame: a ``prediction`` column of original labels, or one probability
    column per class; exactly one row per data row of the file, in order.

    A row that cannot be predicted (no value at all, a value that is not a
    number, a missing value the model cannot fill) is refused, naming its
    line; with ``skip_invalid`` its prediction is left empty (NaN / ``""``)
    in its place, with one note. ``keep_columns`` (names, or indices with
    ``header=False``) are copied, as written, before the predictions. Rows
    unlike the training data (see :mod:`softmaxlab.runs.inputs`) give one
    warning, or an error with ``strict_inputs``; predictions never change.

    A multilabel model writes its labels as the training file held them: one
    0/1 column per label named as the training file's label columns, or one
    column (named as the training label column) of the labels each row has,
    joined by the training separator (empty: none). ``proba`` gives one
    probability column per label.

    Columns are matched to the model's by name (any order; a label column and
    other extra columns are ignored, with a note), or by position with
    ``header=False``. What the reading options leave unset is read as the
    model's run was (``frame.attrs["source"]`` says how the file was read).
    """
    import pandas as pd

    from softmaxlab.cli.commands.checks import (
        check_inputs,
        invalid_rows,
        note_run_settings,
        said_once,
    )

    pred, _ = resolve_model(model_path)
    rows = read_for_model(pred, input_csv, header=header, delimiter=delimiter, decimal=decimal,
                          encoding=encoding, keep_columns=keep_columns)
    what = str(input_csv)
    note_run_settings(rows, what)
    invalid_rows(rows, what, skip_invalid=skip_invalid, command="predict")
    valid = rows.valid
    said = valid.any() and check_inputs(pred, rows, what, header=header, strict=strict_inputs)
    with said_once(said):
        frame = _frame(pred, rows, what, proba)
    clash = [c for c in rows.kept if c in frame.columns]
    if clash:
        raise InputError(f"--keep-columns {clash[0]!r} has the name of a prediction column; "
                         "rename that column of the input")
    if rows.kept:
        frame = pd.concat([pd.DataFrame(rows.kept), frame], axis=1)
    frame.attrs["source"] = dict(rows.source)
    frame.attrs["n_empty"] = int((~valid).sum())
    return frame


def _frame(pred, rows, what, proba):
    """The predictions of the valid rows, each in its row's place (empty elsewhere)."""
    import pandas as pd

    valid = rows.valid
    if proba:
        out = np.full((len(valid), len(pred.class_names)), np.nan)
        if valid.any():
            out[valid] = pred.predict_proba(rows.X, what)
        frame = pd.DataFrame(out, columns=[str(c) for c in pred.class_names])
    elif pred.multilabel:
        Y = np.zeros((len(valid), len(pred.classes)), dtype=np.int64)
        if valid.any():
            Y[valid] = pred.predict(rows.X, what)
        frame = label_frame(pred, Y)
        for c in frame.columns:  # an empty cell where nothing was predicted
            frame[c] = frame[c].astype(object).where(valid, "")
    else:
        labels = np.full(len(valid), "", dtype=object)
        if valid.any():
            labels[valid] = pred.predict(rows.X, what)
        frame = pd.DataFrame({"prediction": labels})
    return frame


def label_frame(pred, Y):
    """A multilabel prediction (n, n_labels) of 0/1 in the training file's layout."""
    import pandas as pd

    labels, names = pred.labels, [str(n) for n in pred.classes]
    Y = np.asarray(Y)
    if labels["kind"] == "columns":
        return pd.DataFrame({n: Y[:, j].astype(np.int64) for j, n in enumerate(names)})
    column = labels["column"] if isinstance(labels["column"], str) else "prediction"
    sep = labels["separator"]
    return pd.DataFrame({column: [sep.join(n for n, y in zip(names, row, strict=True) if y)
                                  for row in Y]})


def write_predictions(frame, output, *, encoding=None, delimiter=None) -> None:
    """Write to a CSV file, with our words when that fails. The encoding and
    delimiter default to the input file's (``frame.attrs["source"]``), so a
    file saved by Excel comes back in the same form; numbers then take the
    input's decimal mark when it is not the delimiter."""
    from softmaxlab.data.csv_reader import parse_delimiter
    from softmaxlab.runs.folder import os_error_words

    source = frame.attrs.get("source") or {}
    encoding = encoding or source.get("encoding") or "utf-8"
    delimiter = parse_delimiter(delimiter) if delimiter else source.get("delimiter") or ","
    decimal = source.get("decimal") or "."
    if decimal == delimiter:
        decimal = "."
    output = Path(output)
    if not output.parent.is_dir():
        raise FileNotFoundError(f"cannot write {output}: the folder {output.parent} does not "
                                "exist; create it first or choose another --output")
    try:
        frame.to_csv(output, index=False, float_format="%.6g", sep=delimiter,
                     encoding=encoding, decimal=decimal)
    except UnicodeEncodeError as exc:
        raise InputError(f"cannot write {output} as {encoding}: {exc.object[exc.start:exc.end]!r} "
                         "has no code in it; choose another --output-encoding, such as "
                         "utf-8") from None
    except OSError as exc:
        raise OSError(f"cannot write {output}: {os_error_words(exc)}") from None
