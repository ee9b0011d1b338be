"""Read a new file for a trained model (``predict``, ``evaluate --data``):
its columns are matched to the model's by name (by position only with
``--no-header``), converted to the kinds the model was trained on, and
checked for missing values the model cannot fill."""
from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

from softmaxlab.cli.commands.read_labels import label_positions, read_labels
from softmaxlab.data.columns import (
    CATEGORICAL,
    coerce_features,
    missing_cells,
    missing_rows,
)
from softmaxlab.data.names import match_columns, plural
from softmaxlab.data.csv_reader import TEXT_SUFFIXES, read_text_table
from softmaxlab.data.tabular import read_parquet_frame, tabular_suffix
from softmaxlab.errors import InputError

__all__ = ["ModelRows", "read_for_model", "run_reading"]


class ModelRows(NamedTuple):
    """Rows of a file ready for a model.

    Attributes
    ----------
    X : ndarray of shape (n_valid, n_features) or pandas.DataFrame
        The valid rows, the model's columns in its order (a DataFrame when
        it has categorical ones); NaN/None where a value is missing (the
        model imputes them).
    y : ndarray of shape (n_valid,) or (n_valid, n_labels) or None
        Labels of the valid rows, when asked for; a multilabel model's 0/1 matrix.
    label : str or int or list or None
        The label column(s) used.
    valid : ndarray of shape (n_rows,), bool
        Which data rows of the file the model can predict, in file order.
    problems : list of (int, str)
        (row, reason) of every row that is not valid.
    line_of : callable or None
        The file line of a 0-based data row (CSV/TSV).
    kept : dict
        The ``keep_columns`` of every row, as written: name -> list of str.
    source : dict
        How the file was read: ``encoding``, ``delimiter``, ``decimal``
        (CSV/TSV), and ``from_run``: the settings taken from the model's run.
    skipped : tuple of int
        Lines of rows with no value in any cell that were left out (evaluate).
    """

    X: object
    y: object
    label: object
    valid: object = None
    problems: list = []
    line_of: object = None
    kept: dict = {}
    source: dict = {}
    skipped: tuple = ()


def run_reading(pred) -> dict:
    """The reading settings the model's run was trained with, when given
    then: ``encoding``, ``delimiter``, ``decimal`` (only those set)."""
    cfg = pred.info.get("config") or {}
    out = {"encoding": cfg.get("file_encoding"), "delimiter": cfg.get("delimiter"),
           "decimal": cfg.get("decimal") if cfg.get("decimal") not in (None, ".") else None}
    return {k: v for k, v in out.items() if v is not None}


def _frame(path: Path, header: bool, delimiter, decimal, encoding=None, *, keep_empty=False,
           defaults=None):
    """(frame, names, line_of, raw, skipped lines, source) for CSV/TSV, Parquet or
    NPZ; ``raw`` (a column's cells as written) only for CSV/TSV, else None."""
    import pandas as pd

    suffix = tabular_suffix(path)
    if suffix in TEXT_SUFFIXES:
        t = read_text_table(path, header=header, delimiter=delimiter, decimal=decimal,
                            encoding=encoding, keep_empty_rows=keep_empty, defaults=defaults)
        source = {"encoding": t.encoding, "delimiter": t.delimiter, "decimal": decimal}
        return t.frame, t.names, t.line_of, t.raw, t.skipped, source
    if not header or delimiter is not None or decimal != "." or encoding is not None:
        raise InputError(f"{path}: --no-header, --delimiter, --decimal and --file-encoding apply only "
                         "to CSV and TSV files; leave them unset")
    if suffix in (".parquet", ".pq"):
        frame = read_parquet_frame(path)
        frame.columns = [str(c) for c in frame.columns]
        return frame, list(frame.columns), None, None, (), {}
    if suffix == ".npz":
        from softmaxlab.data.npz import load_npz

        t = load_npz(path, allow_missing=True)
        frame = pd.DataFrame(np.asarray(t.X, dtype=np.float64), columns=t.feature_names)
        frame["y"] = t.y
        return frame, list(frame.columns), None, None, (), {}
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such input file")
    raise InputError(f"{path}: unsupported file type; expected .csv, .tsv (optionally .gz), "
                     ".parquet or .npz")


def _reading(pred, path: Path, delimiter, decimal, encoding) -> tuple[dict, str]:
    """(defaults from the run for what the options leave unset, decimal mark)."""
    run = run_reading(pred) if tabular_suffix(path) in TEXT_SUFFIXES else {}
    defaults = {k: v for k, v in run.items()
                if {"encoding": encoding, "delimiter": delimiter, "decimal": decimal}[k] is None}
    return defaults, decimal or defaults.get("decimal", ".")


def _from_run(defaults: dict, source: dict) -> dict:
    """The run's settings that were used: not overridden by the file itself."""
    used = {}
    if "encoding" in defaults and source.get("encoding") == defaults["encoding"]:
        used["encoding"] = defaults["encoding"]
    if "delimiter" in defaults and source.get("delimiter") == defaults["delimiter"]:
        used["delimiter"] = defaults["delimiter"]
    if "decimal" in defaults:
        used["decimal"] = defaults["decimal"]
    return used


def _kept(keep_columns, names, frame, raw, header, path) -> dict:
    """The chosen columns of every row, as written (names, or indices without a header)."""
    out = {}
    for want in keep_columns or ():
        if header:
            if want not in names:
                raise InputError(f"{path}: --keep-columns names {want!r}, which is not a column "
                                 f"of the file; its columns are {', '.join(map(repr, names))}")
            pos = names.index(want)
        else:
            try:
                pos = int(want)
            except ValueError:
                raise InputError(f"{path}: with --no-header, --keep-columns takes 0-based column "
                                 f"indices such as 0,2; got {want!r}") from None
            if not -len(names) <= pos < len(names):
                raise InputError(f"{path}: --keep-columns index {pos} is out of range; the file "
                                 f"has {plural(len(names), 'column')}")
            pos %= len(names)
        cells = (raw(pos) if raw is not None else
                 ["" if v is None or v != v else str(v) for v in frame[names[pos]]])
        out[names[pos]] = cells
    return out


def read_for_model(pred, path, *, header: bool = True, delimiter=None, decimal=None,
                   label_column=None, need_label: bool = False, encoding=None,
                   keep_columns=None) -> ModelRows:
    """The rows of ``path`` as ``pred`` (a :class:`~softmaxlab.runs.predictor.Predictor`) needs them.

    Parameters
    ----------
    header, delimiter, decimal, encoding
        How to read a CSV/TSV file (see ``read_text_table``); what is left
        unset is read as the model's run was, unless the file says otherwise.
    label_column : str or int, optional
        The label column (``evaluate``); default: the model's label column,
        or the last column with ``header=False``.
    need_label : bool
        Return labels (``evaluate``; rows with no value at all are left out
        and counted); otherwise a label column, when present, is ignored and
        every data row keeps its place (``predict``).
    keep_columns : list of str, optional
        Columns to copy, as written, beside the predictions.

    Raises
    ------
    FileNotFoundError, ValueError
    """
    path = Path(path)
    file_info = pred.info.get("file") or {}
    if file_info.get("header") is False and header:
        raise InputError(f"{path}: the model was trained on a file without a header row, so it "
                         "knows its columns only by position; pass --no-header with a file "
                         "whose columns are in the training order")
    defaults, decimal = _reading(pred, path, delimiter, decimal, encoding)
    frame, names, line_of, raw, skipped, source = _frame(
        path, header, delimiter, decimal, encoding, keep_empty=not need_label, defaults=defaults)
    source["from_run"] = _from_run(defaults, source)
    kept = _kept(keep_columns, names, frame, raw, header, path)
    label, y, names = read_labels(pred, frame, names, path, line_of, raw, header,
                                  label_column, need_label)
    dropped = file_info.get("dropped") or []
    if header:
        names = [n for n in names if n not in dropped]
    n_train = len(file_info["columns"]) if "columns" in file_info else None
    by_position = None
    if not header:
        by_position = label_positions(file_info.get("label_position"),
                                      file_info.get("dropped_positions"))
    X, valid, problems = _features(pred, frame, names, path, line_of, header=header,
                                   by_position=by_position,
                                   n_train=n_train if not need_label else None, decimal=decimal)
    if y is not None:
        y = y[valid]
    return ModelRows(X, y, label, valid, problems, line_of, kept, source, skipped)


def _features(pred, frame, names, path, line_of, *, header, by_position, n_train, decimal):
    """(X, valid mask of shape (n_rows,), [(row, reason)]): the file's columns
    matched to the model's, converted to their kinds, the valid rows kept."""
    cols = match_columns(names, list(pred.feature_names), path, header=header,
                         label=by_position, n_train_columns=n_train)
    frame = frame[cols].set_axis(list(pred.feature_names), axis=1)
    unreadable: dict = {}
    values = coerce_features(frame, list(pred.feature_names), pred.feature_kinds, path, line_of,
                             decimal=decimal, unreadable=unreadable)
    valid, problems = _invalid_rows(pred, values, unreadable, frame)
    values = {c: v[valid] for c, v in values.items()}
    if CATEGORICAL in pred.feature_kinds:
        import pandas as pd

        X = pd.DataFrame(values, columns=list(pred.feature_names))
    else:
        X = np.column_stack([values[c] for c in pred.feature_names])
    return X, valid, problems


def _invalid_rows(pred, values: dict, unreadable: dict, frame) -> tuple[np.ndarray, list]:
    """(valid mask of shape (n_rows,), [(row, reason)]) : rows with no value in
    any of the model's columns, a value that cannot be read, or missing values
    that a model trained without imputation cannot fill."""
    n = len(frame)
    empty = frame.isna().all(axis=1).to_numpy() if n else np.zeros(0, bool)
    reasons: dict = {}
    for r in empty.nonzero()[0]:
        reasons[int(r)] = "has no values"
    for name, mask in unreadable.items():
        cells = frame[name].to_numpy()
        for r in mask.nonzero()[0]:
            reasons.setdefault(int(r), f"holds {str(cells[r]).strip()!r} in column {name!r}, "
                                       "which is not a number")
    impute = pred.encoder.impute if pred.encoder is not None else "none"
    if impute == "none":
        miss = missing_rows(values) & ~empty
        for name, v in values.items():
            for r in (missing_cells(v) & miss).nonzero()[0]:
                reasons.setdefault(int(r), f"has no value in column {name!r}, which the model "
                                           "cannot fill (it was trained without imputation)")
    valid = np.ones(n, dtype=bool)
    valid[list(reasons)] = False
    return valid, sorted(reasons.items())
