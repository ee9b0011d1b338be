"""The preprocessing in front of the network, as fitted scikit-learn
transformers whose ONNX form skl2onnx's own converters write.

A scikit-learn ``Pipeline``'s steps are kept as they are (StandardScaler,
MinMaxScaler and MaxAbsScaler are what the tests pin to 1e-6; any other step
skl2onnx converts is accepted too). The CLI's ``Preprocessor`` (the
``FunctionTransformer`` that ``softmaxlab.load`` puts in front of a CLI
model, or the one inside a run's ``model.npz``) becomes the equivalent fitted
``StandardScaler``:

- ``"standard"``: ``(x - mean_) / scale_``;
- ``"pixel"``: ``x / pixel_max`` (no centring);
- ``"none"``: nothing (the graph input is already float32).

A further CLI step (one-hot encoding, imputation) belongs in
``steps_from_preprocessor`` as the fitted scikit-learn transformer that
computes it (``OneHotEncoder(categories=...)``, ``SimpleImputer`` with its
``statistics_``, in a ``ColumnTransformer`` for per-column steps), so that
skl2onnx writes its graph.
"""
from __future__ import annotations

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, MaxAbsScaler, RobustScaler, StandardScaler

from softmaxlab.data import Preprocessor
from softmaxlab.export._graph import ExportError

__all__ = ["cli_preprocessor", "split_pipeline", "step_options", "steps_from_preprocessor"]


def steps_from_preprocessor(pre: Preprocessor) -> list[tuple[str, object]]:
    """Fitted scikit-learn steps computing ``pre.transform``.

    Parameters
    ----------
    pre : Preprocessor
        Fitted; ``mean_`` and ``scale_`` of shape (n_features,).

    Returns
    -------
    list of (name, transformer)
        Empty for ``method="none"``.
    """
    if not pre.is_fitted:
        raise ExportError("the Preprocessor is not fitted; nothing to export.")
    if pre.method == "none":
        return []
    if pre.method not in ("standard", "pixel"):
        raise ExportError(f"preprocessing method {pre.method!r} has no ONNX export yet.")
    scaler = StandardScaler(with_mean=pre.method == "standard")
    # The fitted state of StandardScaler, set from the Preprocessor's own
    # statistics (refitting would need the training rows).
    scaler.mean_ = np.array(pre.mean_, dtype=np.float64)
    scaler.scale_ = np.array(pre.scale_, dtype=np.float64)
    scaler.var_ = scaler.scale_ ** 2
    scaler.n_features_in_ = int(pre.n_features_in_)
    scaler.n_samples_seen_ = np.int64(0)
    return [(pre.method, scaler)]


def cli_preprocessor(step) -> Preprocessor | None:
    """The ``Preprocessor`` behind a ``FunctionTransformer(pre.transform)``, else None."""
    if not isinstance(step, FunctionTransformer):
        return None
    owner = getattr(step.func, "__self__", None)
    if isinstance(owner, Preprocessor) and getattr(step.func, "__name__", "") == "transform":
        return owner
    return None


def split_pipeline(pipe: Pipeline) -> tuple[list[tuple[str, object]], str, object]:
    """(preprocessing steps ready for skl2onnx, name of the last step, last step).

    Nested pipelines are flattened, ``"passthrough"`` steps dropped and the
    CLI's preprocessing replaced by ``steps_from_preprocessor``.

    Raises
    ------
    ExportError
        For a FunctionTransformer of any other function.
    """
    flat = []
    for name, step in pipe.steps:
        if isinstance(step, Pipeline):
            inner, last_name, last = split_pipeline(step)
            flat += [*inner, (f"{name}.{last_name}", last)]
        else:
            flat.append((name, step))
    *pre, (last_name, last) = flat
    steps = []
    for name, step in pre:
        if step is None or (isinstance(step, str) and step == "passthrough"):
            continue
        cli = cli_preprocessor(step)
        if cli is not None:
            steps += [(f"{name}.{n}", s) for n, s in steps_from_preprocessor(cli)]
        elif isinstance(step, FunctionTransformer):
            raise ExportError(f"pipeline step {name!r} is a FunctionTransformer of "
                              f"{getattr(step.func, '__name__', step.func)!r}: a Python function has "
                              "no ONNX form. Use a scikit-learn transformer (StandardScaler, "
                              "MinMaxScaler, MaxAbsScaler, ...) instead.")
        else:
            steps.append((name, step))
    return steps, last_name, last


def step_options(steps) -> dict:
    """skl2onnx options for the steps: true division for the scalers (the
    default multiplies by a rounded 1/scale, one float32 rounding more than
    ``(x - mean) / scale`` as scikit-learn and the CLI compute it)."""
    return {id(s): {"div": "div"} for _, s in steps
            if isinstance(s, (StandardScaler, MaxAbsScaler, RobustScaler))}
