"""Turn a ``model.npz`` written by ``softmaxlab train`` into a scikit-learn
``Pipeline``: the CLI's fitted encoding (imputation, one-hot) and scaling,
then an estimator holding the network and the label names."""
from __future__ import annotations

import warnings

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from softmaxlab.estimators._classes import MLPClassifier, SoftmaxRegression
from softmaxlab.io import ModelFormatError

__all__ = ["from_cli_model"]

_ACTIVATION = {"ReLU": "relu", "Tanh": "tanh", "Sigmoid": "logistic", "Identity": "identity"}


def from_cli_model(loaded, path) -> Pipeline:
    """``Pipeline([("encode", FunctionTransformer), ("preprocess", FunctionTransformer),
    ("model", estimator)])``; the ``encode`` step only for a model trained on
    a user's file (it imputes and one-hot encodes, and takes a DataFrame
    matched by column name, or an array in the training column order).

    The transformers call the CLI's own ``ColumnEncoder.transform`` and
    ``Preprocessor.transform`` (``step.func.__self__`` is that object), so a
    raw row is encoded and scaled exactly as ``softmaxlab predict`` does it.
    """
    from softmaxlab.runs.predictor import read_preprocessing

    meta, model = loaded.meta, loaded.model
    try:
        pre, encoder = read_preprocessing(loaded.arrays, dict(meta))
        classes = np.asarray(meta["classes"])
    except (KeyError, ValueError, TypeError) as exc:
        raise ModelFormatError(f"{path}: incomplete CLI model metadata ({exc}).") from None
    lin = model.linear_layers
    dtype = np.dtype(model.dtype).name
    if len(lin) == 1:
        est = SoftmaxRegression(dtype=dtype)
    else:
        kinds = {c["type"] for c in model.config()} - {"Linear", "Dropout"}
        activation = _ACTIVATION.get(next(iter(kinds), "ReLU"), "relu") if len(kinds) <= 1 else "relu"
        if len(kinds) > 1 or not kinds <= set(_ACTIVATION):
            warnings.warn(f"{path}: activation {sorted(kinds)} has no MLPClassifier equivalent; the "
                          f"loaded network predicts as trained, but refitting uses activation="
                          f"{activation!r}.", UserWarning, stacklevel=3)
        dropout = [c.get("p", c.get("rate", 0.0)) for c in model.config() if c["type"] == "Dropout"]
        est = MLPClassifier(hidden_layer_sizes=tuple(layer.n_out for layer in lin[:-1]),
                            activation=activation, dropout=float(dropout[0]) if dropout else 0.0,
                            dtype=dtype)
    try:
        est.attach_network(model, classes)
    except ValueError as exc:
        raise ModelFormatError(f"{path}: {len(classes)} class labels do not fit the network ({exc}).") from None
    prep = FunctionTransformer(pre.transform, kw_args={"dtype": model.dtype})
    prep.fit(np.zeros((1, pre.n_features_in_)))
    steps = [("preprocess", prep), ("model", est)]
    if encoder is not None:
        encode = FunctionTransformer(encoder.transform, validate=False)
        encode.fit(np.zeros((1, len(encoder.columns))))
        steps.insert(0, ("encode", encode))
    return Pipeline(steps)
