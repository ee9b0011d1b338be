"""``softmaxlab predict``: labels or probabilities for the rows of a file."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from softmaxlab.cli.commands.model import resolve_model
from softmaxlab.cli.commands.read import read_for_model

__all__ = ["predict_csv", "write_predictions"]


def predict_csv(model_path, input_csv, proba: bool = False, *, header: bool = True,
                delimiter=None, decimal: str = ".", encoding=None):
    """Predictions for the rows of a CSV/TSV (or Parquet, NPZ) file as a pandas
    DataFrame: a ``prediction`` column of original labels, or one probability
    column per class; one row per data row of the file, in order.

    A multilabel model writes its labels as the training file held them: one
    0/1 column per label named as the training file's label columns, or one
    column (named as the training label column) of the labels each row has,
    joined by the training separator (empty: none). ``proba`` gives one
    probability column per label.

    Columns are matched to the model's by name (any order; a label column and
    other extra columns are ignored, with a note), or by position with
    ``header=False``.
    """
    import pandas as pd

    pred, _ = resolve_model(model_path)
    rows = read_for_model(pred, input_csv, header=header, delimiter=delimiter, decimal=decimal,
                          encoding=encoding)
    what = str(input_csv)
    if proba:
        return pd.DataFrame(pred.predict_proba(rows.X, what).astype(np.float64),
                            columns=[str(c) for c in pred.class_names])
    if pred.multilabel:
        return label_frame(pred, pred.predict(rows.X, what))
    return pd.DataFrame({"prediction": pred.predict(rows.X, what)})


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


def write_predictions(frame, output) -> None:
    """Write to a CSV file, with our words when that fails."""
    from softmaxlab.runs.folder import os_error_words

    output = Path(output)
    if not output.parent.is_dir():
        raise FileNotFoundError(f"cannot write {output}: the folder {output.parent} does not "
                                "exist; create it first or choose another --output")
    try:
        frame.to_csv(output, index=False, float_format="%.6g")
    except OSError as exc:
        raise OSError(f"cannot write {output}: {os_error_words(exc)}") from None
