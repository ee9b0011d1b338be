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

The CLI's ``ColumnEncoder`` (imputation and one-hot encoding, the ``encode``
step in front of it) becomes ``SimpleImputer``/``OneHotEncoder`` steps and
sets the graph's inputs (``softmaxlab.export._encoding``).
"""
from __future__ import annotations

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, MaxAbsScaler, RobustScaler, StandardScaler

from softmaxlab.data import ColumnEncoder, Preprocessor
from softmaxlab.export._steps import step_paths
from softmaxlab.export._encoding import cli_encoder
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


def split_pipeline(pipe: Pipeline) -> tuple[ColumnEncoder | None, list[tuple[str, object]],
                                            str, object]:
    """(the CLI's column encoding when it is the first step, the other
    preprocessing steps ready for skl2onnx, name of the last step, last step).

    Nested pipelines are flattened, ``"passthrough"`` steps dropped and the
    CLI's scaling replaced by ``steps_from_preprocessor`` (the encoding, which
    also sets the graph's inputs, is for ``steps_from_encoder``).

    Raises
    ------
    ExportError
        For a FunctionTransformer of any other function, or the CLI's
        encoding after another step.
    """
    flat = _flatten(pipe)
    *pre, (last_name, last) = flat
    encoding, steps = None, []
    for name, step in pre:
        if step is None or (isinstance(step, str) and step == "passthrough"):
            continue
        encoder = cli_encoder(step)
        if encoder is not None:
            if steps or encoding is not None:
                raise ExportError(f"pipeline step {name!r} is softmaxlab's column encoding, which "
                                  "reads the raw columns: it must be the first step.")
            encoding = encoder
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
    return encoding, steps, last_name, last


def _flatten(pipe: Pipeline, prefix: str = "") -> list[tuple[str, object]]:
    """The steps of ``pipe`` and of the pipelines nested in it, in order."""
    flat = []
    for name, step in pipe.steps:
        if isinstance(step, Pipeline):
            flat += _flatten(step, f"{prefix}{name}.")
        else:
            flat.append((f"{prefix}{name}", step))
    return flat


def step_options(steps) -> dict:
    """skl2onnx options for the steps (those inside ColumnTransformers and
    nested pipelines too): true division for the scalers (the
    default multiplies by a rounded 1/scale, one float32 rounding more than
    ``(x - mean) / scale`` as scikit-learn and the CLI compute it)."""
    return {id(s): {"div": "div"} for _, s in step_paths(steps)
            if isinstance(s, (StandardScaler, MaxAbsScaler, RobustScaler))}
