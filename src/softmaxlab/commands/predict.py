"""``softmaxlab predict``: labels or probabilities for the rows of a file."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from softmaxlab.commands.model import resolve_model
from softmaxlab.commands.read import read_for_model

__all__ = ["predict_csv", "write_predictions"]


def predict_csv(model_path, input_csv, proba: bool = False, *, header: bool = True,
                delimiter=None, decimal: str = "."):
    """Predictions for the rows of a CSV/TSV (or Parquet, NPZ) file as a pandas
    DataFrame: a ``prediction`` column of original labels, or one probability
    column per class; one row per data row of the file, in order.

    Columns are matched to the model's by name (any order; a label column and
    other extra columns are ignored, with a note), or by position with
    ``header=False``.
    """
    import pandas as pd

    pred, _ = resolve_model(model_path)
    rows = read_for_model(pred, input_csv, header=header, delimiter=delimiter, decimal=decimal)
    what = str(input_csv)
    if proba:
        return pd.DataFrame(pred.predict_proba(rows.X, what).astype(np.float64),
                            columns=[str(c) for c in pred.class_names])
    return pd.DataFrame({"prediction": pred.predict(rows.X, what)})


def write_predictions(frame, output) -> None:
    """Write to a CSV file, with our words when that fails."""
    from softmaxlab.rundir import os_error_words

    output = Path(output)
    if not output.parent.is_dir():
        raise FileNotFoundError(f"cannot write {output}: the folder {output.parent} does not "
                                "exist; create it first or choose another --output")
    try:
        frame.to_csv(output, index=False, float_format="%.6g")
    except OSError as exc:
        raise OSError(f"cannot write {output}: {os_error_words(exc)}") from None
