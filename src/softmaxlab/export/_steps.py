"""Walking a pipeline's fitted steps (ColumnTransformers and nested
pipelines included): naming a step in messages, refusing what has no ONNX
form, and the copies of steps that the graph converts instead of the user's.

Missing text: an ONNX string tensor has no missing value, ``""`` stands for
one. So that the graph does what the pipeline does with ``NaN``/``None``/
``pd.NA`` in a text column, copies of the steps are converted: a
``SimpleImputer`` on text columns looks for ``""``, and a ``OneHotEncoder``
that learned a missing value as a category learns ``""`` instead.
"""
from __future__ import annotations

import copy

import numpy as np

from softmaxlab.export._errors import ExportError

__all__ = ["FLOAT", "TEXT", "check", "for_text", "in_float64", "markers", "passthrough",
           "step_paths", "text_step", "unconvertible"]

FLOAT, TEXT = "float32", "string"


def _chain(step) -> list[tuple[str, object]]:
    """(dotted name, transformer) of a step, its nested pipelines flattened."""
    from sklearn.pipeline import Pipeline

    if not isinstance(step, Pipeline):
        return [("", step)]
    return [(f"{name}.{sub}" if sub else name, t)
            for name, s in step.steps for sub, t in _chain(s)]


def passthrough(trans) -> bool:
    """"passthrough", or what a fitted ColumnTransformer makes of it (an
    identity FunctionTransformer, which skl2onnx converts)."""
    from sklearn.preprocessing import FunctionTransformer

    if isinstance(trans, str):
        return trans == "passthrough"
    return isinstance(trans, FunctionTransformer) and trans.func is None


def check(path, trans, kinds) -> None:
    """Refuse, naming the step, what the graph cannot compute."""
    from sklearn.preprocessing import FunctionTransformer

    if passthrough(trans):
        if TEXT in kinds:
            raise ExportError(f"pipeline step {path!r} passes text columns through unencoded (\"passthrough\"); "
                              "the network takes numbers: encode them (OneHotEncoder(handle_unknown"
                              "=\"ignore\")) or drop them (remainder=\"drop\").")
        return
    if isinstance(trans, str):  # "drop"
        return
    for sub, t in _chain(trans):
        if isinstance(t, FunctionTransformer):
            func = getattr(t.func, "__name__", t.func)
            where = f"{path}.{sub}" if sub else path
            raise ExportError(f"pipeline step {where!r} is a FunctionTransformer of "
                              f"{func!r}: a Python function has no ONNX form. Use a scikit-learn "
                              "transformer (StandardScaler, OneHotEncoder, SimpleImputer, ...) "
                              "instead.")


def for_text(trans):
    """A copy of ``trans`` that reads ``""`` as a missing text cell."""
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import OneHotEncoder

    trans = copy.deepcopy(trans)
    for _, t in _chain(trans):
        if isinstance(t, SimpleImputer) and not isinstance(t.missing_values, str):
            t.missing_values = ""
        elif isinstance(t, OneHotEncoder):
            t.categories_ = [np.asarray(["" if _missing(v) else v for v in c], dtype=c.dtype)
                             for c in t.categories_]
        else:
            break  # after the first step that is neither, no missing value is left to read
    return trans


def in_float64(trans):
    """``trans`` (numeric columns) computing in float64 after its imputers,
    its output cast back to float32 for the network.

    Why: scikit-learn scales the float64 columns in float64. In float32,
    ``x - mean_`` of a column far from zero with a small spread (penguins'
    ``year``: 2007-2009, standard deviation 0.8) loses the mean's rounding
    (up to 6e-5 at 2008), 1e-4 after scaling, and probabilities move by
    about 5e-6. The inputs stay float32 because onnxruntime's ``Imputer``
    has no float64 kernel; an integer (or any float32 value) is exact there.
    """
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from skl2onnx.sklapi import CastTransformer

    chain = [(name or "step", t) for name, t in _chain(trans)]
    first = next((i for i, (_, t) in enumerate(chain) if not isinstance(t, SimpleImputer)),
                 len(chain))
    if first == len(chain):
        return trans  # imputation only: the float32 fill value is the output
    return Pipeline([*chain[:first], ("to_float64", CastTransformer(dtype=np.float64)),
                     *chain[first:], ("to_float32", CastTransformer(dtype=np.float32))])


def _missing(value) -> bool:
    import pandas as pd

    return bool(pd.isna(value))  # None, NaN, pd.NA


def markers(trans, columns, kinds) -> dict:
    """What marks a missing cell the graph fills in, per column (None: nothing)."""
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import OneHotEncoder

    first = None if isinstance(trans, str) else _chain(trans)[0][1]
    marks = {}
    for k, c in enumerate(columns):
        if isinstance(first, SimpleImputer):
            marks[c] = "NaN" if kinds[c] == FLOAT else ""
        elif isinstance(first, OneHotEncoder) and kinds[c] == TEXT:
            # A missing value seen at fit is a category of its own.
            marks[c] = "" if any(_missing(v) for v in first.categories_[k]) else None
        else:
            marks[c] = None
    return marks


def step_paths(steps):
    """(dotted name, transformer) of every step, inside ColumnTransformers
    and nested pipelines too, for messages that name a step."""
    from sklearn.compose import ColumnTransformer

    for name, step in steps:
        for sub, t in _chain(step):
            path = f"{name}.{sub}" if sub else name
            yield path, t
            if isinstance(t, ColumnTransformer):
                fitted = getattr(t, "transformers_", t.transformers)
                yield from step_paths([(f"{path}.{n}", s) for n, s, _ in fitted
                                       if not isinstance(s, str)])


def unconvertible(steps, exc: Exception) -> ExportError | None:
    """skl2onnx's missing-converter error as one naming the step, or None."""
    message = str(exc)
    for path, t in step_paths(steps):
        if not isinstance(t, str) and str(type(t)) in message:
            return ExportError(f"pipeline step {path!r} ({type(t).__name__}) has no ONNX "
                               "converter: replace it with a scikit-learn transformer skl2onnx "
                               "converts (StandardScaler, OneHotEncoder, SimpleImputer, ...), or "
                               "register a converter for it with "
                               "skl2onnx.update_registered_converter.")
    return None


def text_step(steps) -> tuple[str, object] | None:
    """(name, a category) of the first encoder that learned text categories, or None."""
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder

    for path, t in step_paths(steps):
        if isinstance(t, (OneHotEncoder, OrdinalEncoder)) and hasattr(t, "categories_"):
            text = [v for c in t.categories_ for v in c if isinstance(v, str)]
            if text:
                return path, text[0]
    return None
