"""Read a new file for a trained model (``predict``, ``evaluate --data``):
its columns are matched to the model's by name (by position only with
``--no-header``), converted to the kinds the model was trained on, and
checked for missing values the model cannot fill."""
from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

from softmaxlab.data.columns import CATEGORICAL, coerce_features, missing_rows, parse_labels
from softmaxlab.data.label_columns import parse_indicator, resolve_label_columns
from softmaxlab.data.label_sets import column_cells, label_sets_matrix
from softmaxlab.data.names import match_columns, plural, resolve_label
from softmaxlab.data.csv_reader import TEXT_SUFFIXES, read_text_table
from softmaxlab.data.tabular import read_parquet_frame, tabular_suffix

__all__ = ["ModelRows", "read_for_model"]


class ModelRows(NamedTuple):
    """Rows of a file ready for a model.

    Attributes
    ----------
    X : ndarray of shape (n_rows, n_features) or pandas.DataFrame
        The model's columns in its order (a DataFrame when it has categorical
        ones); NaN/None where a value is missing (the model imputes them).
    y : ndarray of shape (n_rows,) or (n_rows, n_labels) or None
        Labels, when asked for; a multilabel model's 0/1 matrix.
    label : str or int or list or None
        The label column(s) used.
    """

    X: object
    y: object
    label: object


def _frame(path: Path, header: bool, delimiter, decimal, encoding=None):
    """(frame, column names, line_of, raw) for CSV/TSV, Parquet or NPZ; ``raw``
    (a column's cells as written) only for CSV/TSV, else None."""
    import pandas as pd

    suffix = tabular_suffix(path)
    if suffix in TEXT_SUFFIXES:
        t = read_text_table(path, header=header, delimiter=delimiter, decimal=decimal,
                            encoding=encoding)
        return t.frame, t.names, t.line_of, t.raw
    if not header or delimiter is not None or decimal != "." or encoding is not None:
        raise ValueError(f"{path}: --no-header, --delimiter, --decimal and --file-encoding apply only "
                         "to CSV and TSV files; leave them unset")
    if suffix in (".parquet", ".pq"):
        frame = read_parquet_frame(path)
        frame.columns = [str(c) for c in frame.columns]
        return frame, list(frame.columns), None, None
    if suffix == ".npz":
        from softmaxlab.data.npz import load_npz

        t = load_npz(path, allow_missing=True)
        frame = pd.DataFrame(np.asarray(t.X, dtype=np.float64), columns=t.feature_names)
        frame["y"] = t.y
        return frame, list(frame.columns), None, None
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such input file")
    raise ValueError(f"{path}: unsupported file type; expected .csv, .tsv (optionally .gz), "
                     ".parquet or .npz")


def read_for_model(pred, path, *, header: bool = True, delimiter=None, decimal: str = ".",
                   label_column=None, need_label: bool = False, encoding=None) -> ModelRows:
    """The rows of ``path`` as ``pred`` (a :class:`~softmaxlab.runs.predictor.Predictor`) needs them.

    Parameters
    ----------
    header, delimiter, decimal, encoding
        How to read a CSV/TSV file (see ``read_text_table``).
    label_column : str or int, optional
        The label column (``evaluate``); default: the model's label column,
        or the last column with ``header=False``.
    need_label : bool
        Return labels (``evaluate``); otherwise a label column, when
        present, is ignored (``predict``).

    Raises
    ------
    FileNotFoundError, ValueError
    """
    path = Path(path)
    trained_by_position = (pred.info.get("file") or {}).get("header") is False
    if trained_by_position and header:
        raise ValueError(f"{path}: the model was trained on a file without a header row, so it "
                         "knows its columns only by position; pass --no-header with a file "
                         "whose columns are in the training order")
    frame, names, line_of, raw = _frame(path, header, delimiter, decimal, encoding)
    model_label = pred.info.get("label_column")
    label = None
    if need_label and pred.multilabel:
        label, y = _model_labels(pred, frame, names, path, line_of, raw, header, label_column)
        names = [n for n in names if n not in label]
    elif need_label:
        if header and label_column is None and isinstance(model_label, str):
            label_column = model_label
            if label_column not in names:
                raise ValueError(f"{path}: no column {label_column!r} (the model's label "
                                 "column); pass --label-column NAME to say which column holds "
                                 "the labels")
        label = names[resolve_label(names, label_column, header, path)]
        y = parse_labels(frame[label], path, label, line_of)
        names = [n for n in names if n != label]
    else:
        y = None
        known = model_label if isinstance(model_label, list) else [model_label]
        if header and all(isinstance(n, str) for n in known):
            names = [n for n in names if n not in known]
    file_info = pred.info.get("file") or {}
    n_train = len(file_info["columns"]) if "columns" in file_info else None
    cols = match_columns(names, list(pred.feature_names), path, header=header,
                         label=None if header else file_info.get("label_position"),
                         n_train_columns=n_train if not need_label else None)
    frame = frame[cols].set_axis(list(pred.feature_names), axis=1)
    kinds = pred.feature_kinds
    values = coerce_features(frame, list(pred.feature_names), kinds, path, line_of,
                             decimal=decimal)
    impute = pred.encoder.impute if pred.encoder is not None else "none"
    miss = missing_rows(values)
    if miss.any() and impute == "none":
        r = int(miss.nonzero()[0][0])
        n = int(miss.sum())
        where = f"row {r + 1}" + (f", line {line_of(r)}" if line_of else "")
        raise ValueError(
            f"{path}: {plural(n, 'row')} {'has' if n == 1 else 'have'} missing values, first at "
            f"{where}, and the model was trained without imputation (--impute none), so it "
            "cannot fill them; fill or drop those rows, or train with --impute mean, median or "
            "most_frequent")
    if CATEGORICAL in kinds:
        import pandas as pd

        X = pd.DataFrame(values, columns=list(pred.feature_names))
    else:
        X = np.column_stack([values[c] for c in pred.feature_names])
    return ModelRows(X, y, label)


def _model_labels(pred, frame, names, path, line_of, raw, header, label_column):
    """(label columns, 0/1 matrix) of a multilabel model's labels in a new
    file, held as in training: 0/1 columns, or one column of label sets."""
    labels, model_names = pred.labels, [str(n) for n in pred.classes]
    file_info = pred.info.get("file") or {}
    if label_column is None:
        if labels["kind"] == "columns":
            label_column = labels["columns"] if header else file_info.get("label_position")
        elif header:
            label_column = labels["column"]
    if header and label_column == (labels.get("columns") or labels.get("column")):
        wanted = label_column if isinstance(label_column, list) else [label_column]
        absent = [c for c in wanted if c not in names]
        if absent:
            what = "label columns" if labels["kind"] == "columns" else "label column"
            raise ValueError(f"{path}: no column {', '.join(map(repr, absent))} (the model's "
                             f"{what}); pass --label-column to say which "
                             f"column{'s hold' if labels['kind'] == 'columns' else ' holds'} "
                             "the labels")
    positions = resolve_label_columns(names, label_column, header, path)
    cols = [names[p] for p in positions]
    if labels["kind"] == "columns":
        if len(cols) != len(model_names):
            raise ValueError(f"{path}: the model has {plural(len(model_names), 'label')} "
                             f"({', '.join(map(repr, model_names))}) but --label-column names "
                             f"{plural(len(cols), 'column')}; give one 0/1 column per label, in "
                             "the model's order")
        return cols, np.column_stack([parse_indicator(frame[c], path, c, line_of) for c in cols])
    if len(cols) != 1:
        raise ValueError(f"{path}: the model reads its labels from one column of label sets "
                         f"joined by {labels['separator']!r}; --label-column names "
                         f"{len(cols)} columns")
    cells = raw(positions[0]) if raw is not None else column_cells(frame[cols[0]])
    return cols, label_sets_matrix(cells, labels["separator"], model_names, path, cols[0],
                                   line_of)
