"""Pipelines that read a pandas DataFrame by column name: a
``ColumnTransformer`` (numbers scaled, text one-hot encoded, ...) in front
of the network, as graph inputs skl2onnx's converters accept.

Inputs
------
``layout="columns"`` (the default, as skl2onnx lays out a DataFrame): one
input per column of the pipeline's ``feature_names_in_``, named after the
column, of shape (n, 1): float32 for a numeric column (bool, integer, float,
pandas' nullable ``Int64``/``Float64``/``boolean``, a category of numbers),
string for a text column (``object`` of strings, ``string``/``str``, a
category of strings). ``layout="grouped"``: ``X`` float32 (n, n_numeric) for
the numeric columns and ``X_categorical`` string (n, n_text) for the text
ones, each in ``feature_names_in_`` order (the inputs of a CLI run).

What a column holds is read from a sample DataFrame (``to_onnx(..., X=)``):
scikit-learn does not record dtypes at fit, and an integer column may be one
the pipeline one-hot encodes.

Missing text cells: see ``softmaxlab.export._steps``.
"""
from __future__ import annotations

import copy

import numpy as np

from softmaxlab.export._encoding import NUMERIC_INPUT, TEXT_INPUT, GraphInput
from softmaxlab.export._errors import ExportError
from softmaxlab.export._steps import FLOAT, TEXT, check, for_text, in_float64, markers, passthrough
from softmaxlab.errors import InputError, InputTypeError

__all__ = ["FLOAT", "LAYOUTS", "TEXT", "column_kinds", "frame_inputs", "reads_frame"]

LAYOUTS = ("columns", "grouped")


def reads_frame(steps) -> bool:
    """Whether the first step is a ColumnTransformer fitted on a DataFrame
    (it selects columns by name)."""
    from sklearn.compose import ColumnTransformer

    return bool(steps) and isinstance(steps[0][1], ColumnTransformer) and \
        getattr(steps[0][1], "feature_names_in_", None) is not None


def _kind(name, series) -> str:
    """FLOAT or TEXT for one column of the sample."""
    import pandas as pd

    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return _kind(name, pd.Series(dtype.categories))
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
        if not pd.api.types.is_complex_dtype(dtype):
            return FLOAT
    elif pd.api.types.is_string_dtype(dtype):
        inferred = pd.api.types.infer_dtype(series, skipna=True)
        if inferred in ("string", "empty"):
            return TEXT
        if inferred in ("integer", "floating", "mixed-integer-float", "boolean", "decimal"):
            return FLOAT
    raise ExportError(f"column {name!r} of X holds {dtype} values ({series.head(3).tolist()}); "
                      "an ONNX input takes numbers (float32) or text (strings): convert that "
                      "column, or drop it before fitting.")


def column_kinds(X, names=None) -> dict:
    """Each column's graph type, FLOAT or TEXT, from a sample DataFrame.

    Parameters
    ----------
    X : pandas.DataFrame of shape (n_samples, n_columns)
        Any number of rows (its values are only read for object columns).
    names : list of str, optional
        The columns wanted, in order (default: all of X's).

    Raises
    ------
    TypeError
        X is not a DataFrame.
    ExportError
        A wanted column is missing from X, or holds neither numbers nor text.
    """
    import pandas as pd

    if not isinstance(X, pd.DataFrame):
        raise InputTypeError(f"X must be a pandas DataFrame with the pipeline's columns (a few rows of "
                        f"the training data, e.g. X=df.head()), not a {type(X).__name__}.")
    names = [str(c) for c in X.columns] if names is None else list(names)
    absent = [c for c in names if c not in X.columns]
    if absent:
        raise ExportError(f"X lacks the columns {absent} that the pipeline was fitted on; give a "
                          "sample of the training data (e.g. X=df.head()).")
    return {c: _kind(c, X[c]) for c in names}


def _positions(columns, names, path) -> list[int]:
    """A fitted ColumnTransformer's column selection as positions in ``names``."""
    if callable(columns):
        raise ExportError(f"pipeline step {path!r} selects its columns with a callable that was "
                          "never resolved; fit the pipeline before exporting it, or select the "
                          "columns by name.")
    if isinstance(columns, slice):
        if all(isinstance(v, (int, type(None))) for v in (columns.start, columns.stop)):
            return list(range(len(names)))[columns]
        start = 0 if columns.start is None else names.index(columns.start)
        stop = len(names) if columns.stop is None else names.index(columns.stop) + 1
        return list(range(start, stop))
    values = np.atleast_1d(np.asarray(columns, dtype=object if not np.ndim(columns) else None))
    if values.dtype == bool:
        return np.flatnonzero(values).tolist()
    return [names.index(v) if isinstance(v, str) else int(v) for v in values.tolist()]


def frame_inputs(step_name: str, ct, X, layout: str = "columns") -> tuple[list[GraphInput], object]:
    """Graph inputs of a pipeline whose first step is a ColumnTransformer
    fitted on a DataFrame, and the ColumnTransformer to convert.

    Parameters
    ----------
    step_name : str
        The ColumnTransformer's name in the pipeline (for messages).
    ct : sklearn.compose.ColumnTransformer
        Fitted; ``feature_names_in_`` of shape (n_columns,).
    X : pandas.DataFrame of shape (n_samples, >= n_columns)
        A sample with those columns (their dtypes decide the input types).
    layout : {"columns", "grouped"}

    Returns
    -------
    inputs : list of GraphInput
        ``"columns"``: one (n, 1) input per column, in ``feature_names_in_``
        order; ``"grouped"``: ``X`` (numeric) then ``X_categorical`` (text),
        either left out when it would be empty.
    ct : ColumnTransformer
        A copy, its column selections written for those inputs (names, or
        positions across the grouped inputs) and its text steps reading
        ``""`` as missing.

    Raises
    ------
    ExportError
        Naming the step: text passed through unencoded, a
        FunctionTransformer, a column X lacks or cannot type.
    """
    if layout not in LAYOUTS:
        raise InputError(f"inputs={layout!r} is not one of {list(LAYOUTS)}.")
    names = [str(c) for c in ct.feature_names_in_]
    kinds = column_kinds(X, names)
    order = ([c for c in names if kinds[c] == FLOAT] + [c for c in names if kinds[c] == TEXT]
             if layout == "grouped" else names)
    marks, fitted = {}, []
    for name, trans, columns in ct.transformers_:
        path = f"{step_name}.{name}"
        at = [names[j] for j in _positions(columns, names, path)]
        used = {kinds[c] for c in at}
        check(path, trans, used)
        if not (isinstance(trans, str) and trans == "drop"):
            marks.update(markers(trans, at, kinds))
            if passthrough(trans):
                pass
            elif TEXT in used:
                trans = for_text(trans)
            elif used == {FLOAT}:
                trans = in_float64(trans)
        fitted.append((name, trans, at if layout == "columns" else [order.index(c) for c in at]))
    ct = copy.copy(ct)  # the user's stays as it is
    ct.transformers_ = fitted
    if layout == "columns":
        return [GraphInput(c, kinds[c], 1, (c,), marks.get(c)) for c in names], ct
    return _grouped_inputs(order, kinds, marks), ct


def _grouped_inputs(order: list, kinds: dict, marks: dict) -> list[GraphInput]:
    """``X`` (the numeric columns) then ``X_categorical`` (the text ones), in
    ``order``, either left out when it would be empty; each marks its missing
    values when one of its columns does."""
    inputs = []
    for graph_name, kind, fill in ((NUMERIC_INPUT, FLOAT, "NaN"), (TEXT_INPUT, TEXT, "")):
        cols = tuple(c for c in order if kinds[c] == kind)
        if cols:
            imputes = any(marks.get(c) is not None for c in cols)
            inputs.append(GraphInput(graph_name, kind, len(cols), cols, fill if imputes else None))
    return inputs
