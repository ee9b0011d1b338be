"""The graph's inputs, and the CLI's column encoding (imputation, one-hot
encoding) as fitted scikit-learn transformers that skl2onnx's own
converters write.

Inputs of the graph
-------------------
- Every model without text columns (an estimator, a pipeline, a CLI run on
  numbers only): one float32 input ``X`` of shape (n, n_columns), the
  columns in the order of the training file. Where the run imputed missing
  values, NaN marks a missing cell (skl2onnx writes the ``SimpleImputer`` as
  ONNX's ``Imputer``, filling in the float32 statistic, exactly as
  ``softmaxlab predict`` does before its float32 scaling).
- A CLI run with text (categorical) columns: ``X`` (float32, (n, n_numeric))
  holds the numeric columns and ``X_categorical`` (string, (n, n_text)) the
  text columns, each in the file's order (``X`` is left out when every column
  is text). A text cell is its category as softmaxlab reads it (without
  surrounding spaces); ``""`` marks a missing cell, filled in with the
  training split's most frequent category where the run imputed. A category
  never seen in training is encoded as none of the known ones (all zeros),
  as softmaxlab does.

The transformers are new scikit-learn objects fitted on one row made of the
fill values: the mean, median and mode of a single value are that value,
so their statistics are the run's own, bit for bit.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from softmaxlab.data import CATEGORICAL, NUMERIC, ColumnEncoder

__all__ = ["NUMERIC_INPUT", "TEXT_INPUT", "GraphInput", "cli_encoder", "plain_inputs",
           "steps_from_encoder"]

NUMERIC_INPUT, TEXT_INPUT = "X", "X_categorical"


@dataclass(frozen=True)
class GraphInput:
    """One input of the graph.

    Attributes
    ----------
    name : str
        ``"X"`` or ``"X_categorical"``; for a pipeline on a DataFrame with
        one input per column, the column's name as the graph has it.
    dtype : {"float32", "string"}
    width : int
        Number of columns.
    columns : tuple of str or None
        Their names, in order (None where the model was fitted on a plain array).
    missing : str or None
        What marks a missing cell the graph fills in: ``"NaN"``, ``""``, or
        None where the model was trained without imputation.
    """

    name: str
    dtype: str
    width: int
    columns: tuple | None = None
    missing: str | None = None

    def describe(self) -> dict:
        """JSON-able, for the model's metadata."""
        return {"name": self.name, "type": self.dtype, "columns": self.columns and list(self.columns),
                "missing": self.missing}


def plain_inputs(n_features: int, names=None) -> list[GraphInput]:
    """The one float32 ``X`` of a model without an encoding step."""
    return [GraphInput(NUMERIC_INPUT, "float32", int(n_features),
                       None if names is None else tuple(names))]


def cli_encoder(step) -> ColumnEncoder | None:
    """The ``ColumnEncoder`` behind a ``FunctionTransformer(encoder.transform)``
    (the ``encode`` step of ``softmaxlab.load``'s pipeline), else None."""
    from sklearn.preprocessing import FunctionTransformer

    if not isinstance(step, FunctionTransformer):
        return None
    owner = getattr(step.func, "__self__", None)
    if isinstance(owner, ColumnEncoder) and getattr(step.func, "__name__", "") == "transform":
        return owner
    return None


def _runs(kinds) -> list[tuple[str, list[int]]]:
    """Consecutive columns of one kind: [(kind, positions in the file)]."""
    runs = []
    for j, kind in enumerate(kinds):
        if runs and runs[-1][0] == kind:
            runs[-1][1].append(j)
        else:
            runs.append((kind, [j]))
    return runs


def steps_from_encoder(enc: ColumnEncoder) -> tuple[list[GraphInput], list[tuple[str, object]]]:
    """Graph inputs and fitted scikit-learn steps computing ``enc.transform``.

    Parameters
    ----------
    enc : ColumnEncoder
        Fitted; output of shape (n, ``enc.n_features_out_``).

    Returns
    -------
    inputs : list of GraphInput
    steps : list of (name, transformer)
        Empty for numbers without imputation; a ``SimpleImputer`` for numbers
        with imputation; otherwise one ``ColumnTransformer`` over the inputs
        (``X`` then ``X_categorical``, columns numbered across both, as
        skl2onnx numbers them), whose output columns are ``enc``'s: each
        column in the file's order, a text column as its one-hot block.
    """
    from sklearn.impute import SimpleImputer

    from softmaxlab.export._graph import ExportError

    if not enc.is_fitted:
        raise ExportError("the ColumnEncoder is not fitted; nothing to export.")
    kinds = list(enc.kinds)
    if not set(kinds) <= {NUMERIC, CATEGORICAL}:
        raise ExportError(f"column kinds {sorted(set(kinds))} cannot be exported; expected "
                          f"{NUMERIC!r} and {CATEGORICAL!r}.")
    num = [c for c, k in zip(enc.columns, kinds, strict=True) if k == NUMERIC]
    text = [c for c, k in zip(enc.columns, kinds, strict=True) if k == CATEGORICAL]
    imputing = enc.impute != "none"
    num_fill = (np.asarray(enc.imputer_.statistics_, dtype=np.float64) if enc.imputer_ is not None
                else np.zeros(len(num)))
    x = GraphInput(NUMERIC_INPUT, "float32", len(num), tuple(num), "NaN" if imputing else None)
    if not text:
        if enc.imputer_ is None:
            return [x], []
        return [x], [("impute", SimpleImputer(strategy=enc.impute).fit(num_fill[None, :]))]

    inputs = ([x] if num else []) + [
        GraphInput(TEXT_INPUT, "string", len(text), tuple(text), "" if imputing else None)]
    return inputs, [("encode", _encode_step(enc, kinds, len(num), num_fill))]


def _encode_step(enc: ColumnEncoder, kinds: list, n_num: int, num_fill):
    """The fitted ``ColumnTransformer`` over the inputs ``X`` (``n_num``
    columns, missing numbers filled with ``num_fill``) then ``X_categorical``,
    placed side by side, whose output columns are ``enc``'s."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    imputing = enc.impute != "none"
    categories = [np.asarray([str(v) for v in c], dtype=object) for c in enc.onehot_.categories_]
    text_fill = ([str(v) for v in enc.category_imputer_.statistics_]
                 if enc.category_imputer_ is not None else [str(c[0]) for c in categories])
    # Column j of the file is number `index[j]` of the inputs placed side by side.
    position = {NUMERIC: iter(range(n_num)), CATEGORICAL: iter(range(n_num, len(enc.columns)))}
    index = [next(position[k]) for k in kinds]
    transformers = []
    for i, (kind, cols) in enumerate(_runs(kinds)):
        at = [index[j] for j in cols]
        if kind == NUMERIC:
            step = SimpleImputer(strategy=enc.impute) if imputing else "passthrough"
        else:
            onehot = OneHotEncoder(categories=[categories[k - n_num] for k in at],
                                   handle_unknown="ignore", sparse_output=False, dtype=np.float32)
            step = (Pipeline([("impute", SimpleImputer(missing_values="", strategy="most_frequent")),
                              ("onehot", onehot)]) if imputing else onehot)
        transformers.append((f"{kind}{i}", step, at))
    row = np.empty((1, len(enc.columns)), dtype=object)
    row[0, :n_num] = num_fill
    row[0, n_num:] = text_fill
    return ColumnTransformer(transformers, sparse_threshold=0.0).fit(row)
