"""ONNX export: a trained softmaxlab model as an ``onnx.ModelProto`` that
onnxruntime (or any ONNX runtime) runs without Python or softmaxlab.

``to_onnx(model, target_opset=17)`` accepts a fitted ``MLPClassifier`` or
``SoftmaxRegression``, a scikit-learn ``Pipeline`` of preprocessing steps
ending in one, whatever ``softmaxlab.load`` returns, a bare
``softmaxlab.nn.Sequential``, or the path of a ``model.npz`` / run folder.

The graph's inputs: one ``X``, float32 of shape (n, n_features) for any n,
the columns in training order (NaN for a missing value where a CLI run
imputed). A CLI run with text columns has ``X`` float32 (n, n_numeric) for
its numeric columns and ``X_categorical`` string (n, n_text) for its text
columns, each in file order (``""`` marks a missing cell; an unseen category
counts as none of the known ones). A pipeline whose ColumnTransformer reads a
DataFrame, exported with ``X=`` a sample of it, has one (n, 1) input per
column, float32 or string (or, with ``inputs="grouped"``, ``X`` and
``X_categorical``), and ``onnx_inputs(df, model)`` builds them. Its two
outputs: ``label`` (the values of ``classes_``, int64 or string, shape (n,);
for multilabel networks the (n, L) int64 indicator matrix) and
``probabilities`` (float32, (n, C); (n, L) for multilabel). Its
``metadata_props`` hold ``softmaxlab_version``, ``classes``,
``feature_names``, ``inputs`` (each input's columns) and more, as JSON. A
float64 model is exported as float32. See docs/export.md (tolerance included).

Needs the optional extra: ``pip install softmaxlab[onnx]`` (onnx, skl2onnx
and onnxruntime).

Importing this package registers softmaxlab's classifiers with skl2onnx
(through its public ``update_registered_converter``) when skl2onnx is
installed, so that after ``import softmaxlab.export``,
``skl2onnx.to_onnx(pipe, X[:1])`` converts pipelines ending in our
estimators, with its ``zipmap`` and ``nocl`` options. ``import softmaxlab``
alone registers nothing and imports neither.
"""
from __future__ import annotations

from pathlib import Path

from softmaxlab.export._errors import MIN_OPSET, ExportError, OpsetError
from softmaxlab.export._summary import describe_inputs, summary
from softmaxlab.errors import InputTypeError

__all__ = ["DEFAULT_OPSET", "MIN_OPSET", "ExportError", "OpsetError", "describe_inputs",
           "export_file", "initial_types", "onnx_inputs", "register_skl2onnx", "summary",
           "to_onnx"]

DEFAULT_OPSET = 17
_EXTRA = ("softmaxlab.export needs the optional packages onnx and skl2onnx (and onnxruntime to run "
          "the exported model): pip install softmaxlab[onnx]")


def _require_extra() -> None:
    try:
        import onnx  # noqa: F401
        import skl2onnx  # noqa: F401
    except ImportError as exc:
        raise ImportError(f"{_EXTRA} ({exc})") from exc


def register_skl2onnx() -> None:
    """Register softmaxlab's classifiers with skl2onnx (done by ``import softmaxlab.export``).

    Raises
    ------
    ImportError
        Without the ``onnx`` extra.
    """
    _require_extra()
    from softmaxlab.export._skl2onnx import register

    register()


def onnx_inputs(X, model) -> dict:
    """The dict of arrays ``session.run(None, feed)`` needs, from a DataFrame.

    Parameters
    ----------
    X : pandas.DataFrame of shape (n_samples, n_columns)
        With the columns the model was fitted on (any order, more allowed).
    model : onnx.ModelProto, onnxruntime.InferenceSession, str or path
        A graph from ``to_onnx`` (or ``skl2onnx.to_onnx`` with one input
        per column).

    Returns
    -------
    dict of str to ndarray
        Per graph input, its columns: float32 of shape (n_samples, k), NaN
        where missing; or strings (object) of shape (n_samples, k), ``""``
        where missing.

    Raises
    ------
    ValueError
        A column is absent, holds text where the model takes numbers, or
        has a missing value the model does not fill in.
    """
    _require_extra()
    from softmaxlab.export._feed import onnx_inputs as build

    return build(X, model)


def initial_types(X) -> list:
    """skl2onnx's ``initial_types`` for a DataFrame: per column, float32
    (numbers) or string (text), of shape (n, 1), for
    ``skl2onnx.to_onnx(pipe, initial_types=initial_types(df))``.

    Parameters
    ----------
    X : pandas.DataFrame of shape (n_samples, n_columns)
    """
    _require_extra()
    from softmaxlab.export._feed import initial_types as build

    return build(X)


def to_onnx(model, target_opset: int = DEFAULT_OPSET, *, X=None, inputs: str | None = None,
            classes=None, feature_names=None, name: str | None = None):
    """Export a trained model as ONNX.

    Parameters
    ----------
    model : estimator, Pipeline, Sequential, str or path
        A fitted ``MLPClassifier``/``SoftmaxRegression``; a ``Pipeline`` of
        preprocessing steps (StandardScaler, MinMaxScaler, MaxAbsScaler, the
        CLI's preprocessing, or another step skl2onnx converts) ending in one;
        whatever ``softmaxlab.load`` returns; a ``softmaxlab.nn.Sequential``;
        or a ``model.npz`` / run folder (a CLI run keeps its preprocessing
        inside the graph: raw feature columns in, original labels out).
    target_opset : int, default 17
        Opset of the default ONNX domain, from ``MIN_OPSET`` (7) to the newest
        the installed skl2onnx supports.
    X : pandas.DataFrame of shape (n_samples, n_columns), optional
        A few rows of the training data (``df.head()``). Required for a
        pipeline whose first step is a ``ColumnTransformer`` fitted on a
        DataFrame: its dtypes say which columns are numbers (float32 inputs)
        and which text (string inputs).
    inputs : {"columns", "grouped"}, optional
        For such a pipeline: ``"columns"`` (the default) gives one input per
        column, named after it, of shape (n, 1); ``"grouped"`` gives ``X``
        float32 (n, n_numeric) and ``X_categorical`` string (n, n_text).
        ``onnx_inputs(df, onx)`` builds either from a DataFrame.
    classes : array-like of shape (n_classes,), optional
        Labels of a bare ``Sequential`` (default: the class indices).
    feature_names : list of str, optional
        Input column names of a bare ``Sequential``, for the metadata.
    name : str, optional
        Graph name (default ``"softmaxlab"``).

    Returns
    -------
    onnx.ModelProto
        The graph ``softmaxlab.export``'s docstring describes: inputs ``X``
        (and ``X_categorical``, or one per column), outputs ``label`` and
        ``probabilities``, and the ``metadata_props``.

    Raises
    ------
    ImportError
        Without the ``onnx`` extra (the message names ``pip install softmaxlab[onnx]``).
    ExportError
        A model that cannot be exported (a custom layer, an unsupported step).
    OpsetError
        ``target_opset`` too old for an operator of the graph, or too new.
    TypeError, FileNotFoundError, softmaxlab.io.ModelFormatError
        An object of another kind; a path that is not a softmaxlab model.
    """
    _require_extra()
    from softmaxlab.export._convert import convert
    from softmaxlab.export._sources import plan_for

    if hasattr(target_opset, "shape"):  # to_onnx(pipe, df), as skl2onnx.to_onnx takes it
        raise InputTypeError(f"target_opset must be an int, not a {type(target_opset).__name__}; "
                        "pass a sample DataFrame as X=, e.g. to_onnx(pipe, X=df.head()).")
    plan = plan_for(model, classes=classes, feature_names=feature_names, X=X, layout=inputs)
    return convert(plan, target_opset, name or "softmaxlab")


def export_file(source, output=None, target_opset: int = DEFAULT_OPSET) -> tuple[Path, object]:
    """Export a run folder or ``model.npz`` and write the ``.onnx`` file atomically.

    Parameters
    ----------
    source : str or Path
        A run folder or a model file.
    output : str or Path, optional
        Default: ``model.onnx`` beside the model file.
    target_opset : int, default 17

    Returns
    -------
    (path written, onnx.ModelProto)
    """
    from softmaxlab.io import atomic_write

    onx = to_onnx(source, target_opset)
    src = Path(source)
    if output is None:
        output = (src / "model.onnx") if src.is_dir() else src.with_suffix(".onnx")
    data = onx.SerializeToString()
    return atomic_write(output, lambda f: f.write(data)), onx


def _register_when_installed() -> None:
    # The registration is what importing this package is for: a user who
    # imports it wants skl2onnx to see our estimators. Without the extra,
    # nothing happens here and to_onnx names the extra when called.
    try:
        import skl2onnx  # noqa: F401
    except ImportError:
        return
    from softmaxlab.export._skl2onnx import register

    register()


_register_when_installed()
