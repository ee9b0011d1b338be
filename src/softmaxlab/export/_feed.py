"""From a pandas DataFrame to what an exported graph takes: the dict of
arrays ``InferenceSession.run`` needs (``onnx_inputs``), and skl2onnx's
``initial_types`` for a DataFrame (``initial_types``)."""
from __future__ import annotations

import json

import numpy as np

from softmaxlab.export._columns import FLOAT, TEXT, column_kinds
from softmaxlab.errors import InputError, InputTypeError

__all__ = ["initial_types", "onnx_inputs"]

_NUMBERS = (FLOAT, "float64", "int64")
_SESSION_TYPES = {"tensor(float)": FLOAT, "tensor(double)": "float64", "tensor(int64)": "int64",
                  "tensor(string)": TEXT}


def initial_types(X) -> list:
    """skl2onnx's ``initial_types`` for a DataFrame: one (n, 1) input per
    column, float32 for numbers, string for text.

    Parameters
    ----------
    X : pandas.DataFrame of shape (n_samples, n_columns)

    Returns
    -------
    list of (str, FloatTensorType or StringTensorType)
        For ``skl2onnx.to_onnx(pipe, initial_types=...)``.
    """
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    types = {FLOAT: FloatTensorType, TEXT: StringTensorType}
    return [(name, types[kind]([None, 1])) for name, kind in column_kinds(X).items()]


def _described(model) -> list[dict]:
    """The model's inputs: its ``inputs`` metadata, or (a graph written by
    skl2onnx itself) its graph inputs, each taking the column of its name."""
    import onnx

    if isinstance(model, onnx.ModelProto):
        meta = {p.key: p.value for p in model.metadata_props}
        weights = {t.name for t in model.graph.initializer}  # inputs too before IR version 4
        graph = [(v.name, onnx.helper.tensor_dtype_to_np_dtype(v.type.tensor_type.elem_type))
                 for v in model.graph.input if v.name not in weights]
        graph = [(name, TEXT if kind.kind == "O" else kind.name) for name, kind in graph]
    elif hasattr(model, "get_modelmeta") and hasattr(model, "get_inputs"):  # an InferenceSession
        meta = model.get_modelmeta().custom_metadata_map
        graph = [(v.name, _SESSION_TYPES.get(v.type, v.type)) for v in model.get_inputs()]
    else:
        return _described(onnx.load(str(model)))
    if "inputs" in meta:
        return json.loads(meta["inputs"])
    # skl2onnx's own guess from a DataFrame gives float64 and int64 inputs too.
    return [{"name": name, "type": kind, "columns": [name],
             "missing": None} for name, kind in graph]


def _numbers(frame, graph_input) -> np.ndarray:
    out = frame.to_numpy(dtype=np.float64, na_value=np.nan)
    if graph_input["missing"] is None and np.isnan(out).any():
        col = int(np.flatnonzero(np.isnan(out).any(axis=0))[0])
        rows = np.flatnonzero(np.isnan(out[:, col]))
        first = frame.index[rows[0]]
        first = first.item() if isinstance(first, np.generic) else first  # 7, not np.int64(7)
        raise InputError(f"column {frame.columns[col]!r} has {len(rows)} missing values (the "
                         f"first at index {first!r}), which the model does not "
                         "fill in (it was fitted without an imputer there): fill them in first.")
    return out.astype(graph_input["type"])


def _text(frame) -> np.ndarray:
    import pandas as pd

    values = frame.astype(object).to_numpy()
    missing = pd.isna(values)  # None, NaN and pd.NA alike
    out = np.empty(values.shape, dtype=object)
    out[missing] = ""  # ONNX strings have no missing value: "" stands for one
    out[~missing] = [str(v) for v in values[~missing]]
    return out


def onnx_inputs(X, model) -> dict:
    """The inputs of an exported graph, built from a DataFrame.

    Parameters
    ----------
    X : pandas.DataFrame of shape (n_samples, n_columns)
        Rows to predict, with (at least) the columns the model was fitted
        on, in any order.
    model : onnx.ModelProto, onnxruntime.InferenceSession, str or path
        A graph from ``to_onnx`` (its ``inputs`` metadata says which columns
        go into which input), or one from ``skl2onnx.to_onnx`` with one
        input per column, named after it.

    Returns
    -------
    dict of str to ndarray
        For ``session.run(None, feed)``: each input's columns, float32 of
        shape (n_samples, k) for numbers (NaN where missing), object
        (strings) for text (``""`` where missing).

    Raises
    ------
    ValueError
        X lacks a column, a numeric input's column holds text, or holds a
        missing value the model does not fill in.
    TypeError
        X is not a DataFrame.
    """
    described = _described(model)
    feed = {}
    for graph_input in described:
        columns = graph_input["columns"]
        if columns is None:
            raise InputError(f"input {graph_input['name']!r} of this model has no column names "
                             "(it was fitted on an array): pass the array itself, as float32.")
        absent = [c for c in columns if c not in _frame(X).columns]
        if absent:
            raise InputError(f"X lacks the columns {absent} of input {graph_input['name']!r}; "
                             f"the model takes {[c for i in described for c in i['columns']]}.")
        kinds = column_kinds(X, columns)
        frame = X[list(columns)]
        if graph_input["type"] in _NUMBERS:
            text = [c for c in columns if kinds[c] == TEXT]
            if text:
                raise InputError(f"columns {text} hold text, but input {graph_input['name']!r} "
                                 "takes numbers: give the columns in the training data's types.")
            feed[graph_input["name"]] = _numbers(frame, graph_input)
        elif graph_input["type"] == TEXT:
            feed[graph_input["name"]] = _text(frame)
        else:
            raise InputError(f"input {graph_input['name']!r} takes {graph_input['type']}, which "
                             "onnx_inputs cannot build from a DataFrame.")
    return feed


def _frame(X):
    import pandas as pd

    if not isinstance(X, pd.DataFrame):
        raise InputTypeError(f"X must be a pandas DataFrame with the model's columns, not a "
                        f"{type(X).__name__}.")
    return X
