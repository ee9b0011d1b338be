"""Everything ``to_onnx`` accepts, reduced to one plan: the graph's inputs,
the preprocessing steps, the classifier (ours, or a ``NetworkClassifier``)
and the facts the model's metadata records."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from softmaxlab.export._columns import column_kinds, frame_inputs, reads_frame
from softmaxlab.export._steps import in_float64, text_step
from softmaxlab.export._encoding import GraphInput, plain_inputs, steps_from_encoder
from softmaxlab.export._graph import ExportError, NetSpec, spec_from_sequential
from softmaxlab.export._models import NetworkClassifier, is_ours, spec_of
from softmaxlab.export._preprocess import split_pipeline, steps_from_preprocessor
from softmaxlab.nn import Sequential
from softmaxlab.errors import InputTypeError

__all__ = ["Plan", "plan_for"]


@dataclass
class Plan:
    """What to convert.

    Attributes
    ----------
    inputs : list of GraphInput
        The graph's inputs, in order (one float32 ``X`` unless the model
        encodes text columns).
    steps : list of (name, transformer)
        Fitted preprocessing, in order (may be empty).
    classifier : MLPClassifier, SoftmaxRegression or NetworkClassifier
    spec : NetSpec
    classes : ndarray of shape (n_classes,) or (n_labels,)
    feature_names : list of str or None
    source : str
        What was exported, in words.
    extra : dict of str to JSON-able
        More metadata (class names, label column, the encoding).
    """

    inputs: list[GraphInput]
    steps: list
    classifier: object
    spec: NetSpec
    classes: np.ndarray
    feature_names: list | None
    source: str
    extra: dict = field(default_factory=dict)

    @property
    def n_features(self) -> int:
        """Number of raw input columns, over all inputs."""
        return sum(i.width for i in self.inputs)


def _names(values) -> list | None:
    return None if values is None else [str(v) for v in values]


def _encoding(encoder, n_features, names) -> tuple[list[GraphInput], list, dict]:
    """(inputs, steps, metadata) of the CLI's column encoding; one plain
    float32 ``X`` without one."""
    if encoder is None:
        return plain_inputs(n_features, names), [], {}
    inputs, steps = steps_from_encoder(encoder)
    return inputs, steps, {"encoding": encoder.describe()}


def _from_file(path: Path) -> Plan:
    from softmaxlab.io import load_model
    from softmaxlab.runs.folder import MODEL

    if path.is_dir():
        if not (path / MODEL).is_file():
            raise FileNotFoundError(f"{path} has no {MODEL}; give a run folder or a model file")
        path = path / MODEL
    elif not path.exists():
        raise FileNotFoundError(f"{path}: no such run folder or model file")
    loaded = load_model(path)  # ModelFormatError for anything that is not a softmaxlab model
    where = f"{path.parent.name}/{path.name}"  # no absolute path in a file meant to be shipped
    kind = loaded.meta.get("kind")
    spec = spec_from_sequential(loaded.model)
    if kind == "softmaxlab.cli-model":
        from softmaxlab.runs.predictor import load_predictor

        pred = load_predictor(path)
        classes = np.asarray(pred.classes)
        names = _names(pred.feature_names)
        inputs, steps, extra = _encoding(pred.encoder, len(names), names)
        steps += steps_from_preprocessor(pred.preprocessor)
        extra.update({"class_names": [str(c) for c in pred.class_names],
                      "label_column": pred.info.get("label_column"),
                      "preprocessing": pred.preprocessor.method})
        return Plan(inputs, steps, NetworkClassifier(spec, classes, names), spec, classes, names,
                    f"softmaxlab train model {where}", extra)
    if kind == "softmaxlab.estimator":
        from softmaxlab.estimators import load

        est = load(path)
        names = _names(getattr(est, "feature_names_in_", None))
        return Plan(plain_inputs(spec.n_features, names), [],
                    NetworkClassifier(spec, est.classes_, names), spec, est.classes_, names,
                    f"{type(est).__name__} saved in {where}")
    # A bare network written by softmaxlab.io.save_model: class indices as labels.
    classes = np.arange(spec.n_columns)
    return Plan(plain_inputs(spec.n_features), [], NetworkClassifier(spec, classes), spec, classes,
                None, f"network saved in {where}")


def _from_estimator(est, steps, source, encoder=None) -> Plan:
    spec = spec_of(est)
    names = _names(getattr(est, "feature_names_in_", None))
    if encoder is not None:  # the CLI's encoding reads the raw columns
        names = _names(encoder.columns)
    elif steps:
        first = getattr(steps[0][1], "feature_names_in_", None)
        names = _names(first) if first is not None else None
    width = getattr(steps[0][1], "n_features_in_", None) if steps else None
    inputs, encoding, extra = _encoding(encoder, spec.n_features if width is None else width, names)
    return Plan(inputs, [*encoding, *steps], est, spec, np.asarray(est.classes_), names, source,
                extra)


def _from_frame(est, steps, source, X, layout) -> Plan:
    """A pipeline whose ColumnTransformer reads a DataFrame: its columns as
    the graph's inputs (``softmaxlab.export._columns``)."""
    name, ct = steps[0]
    names = _names(ct.feature_names_in_)
    if X is None:
        shown = ", ".join(names[:6]) + (", ..." if len(names) > 6 else "")
        raise ExportError(f"pipeline step {name!r} is a ColumnTransformer fitted on a DataFrame "
                          f"(columns {shown}): to_onnx reads from a sample which columns hold "
                          "numbers and which text. Pass X= a few rows of the training data, "
                          "e.g. to_onnx(pipe, X=df.head()).")
    inputs, ct = frame_inputs(name, ct, X, layout or "columns")
    rest = steps[1:]
    if rest:  # the steps after it compute in float64 too, as scikit-learn does
        from sklearn.pipeline import Pipeline

        rest = in_float64(Pipeline(rest)).steps
    return Plan(inputs, [(name, ct), *rest], est, spec_of(est), np.asarray(est.classes_),
                names, source)


def _check_sample(X, layout, names) -> None:
    """X and inputs= given for a model with one numeric input X."""
    if layout is not None:
        raise ExportError(f"inputs={layout!r} is for a pipeline whose first step is a "
                          "ColumnTransformer fitted on a DataFrame; this model has one float32 "
                          "input X. Leave inputs= out.")
    if X is not None and names is not None:
        text = [c for c, k in column_kinds(X, names).items() if k != "float32"]
        if text:
            raise ExportError(f"X has text in columns {text}, but this model takes numbers only "
                              "(one float32 input X); give a sample of its training data.")


def plan_for(model, classes=None, feature_names=None, X=None, layout=None) -> Plan:
    """Resolve ``to_onnx``'s ``model`` argument.

    ``X`` (a sample DataFrame) and ``layout`` (``"columns"`` or
    ``"grouped"``) are for pipelines that read a DataFrame through a
    ColumnTransformer.

    Raises
    ------
    TypeError
        For an object of another kind.
    ExportError, FileNotFoundError, softmaxlab.io.ModelFormatError
    """
    from sklearn.pipeline import Pipeline

    if (classes is not None or feature_names is not None) and not isinstance(model, Sequential):
        raise InputTypeError("classes= and feature_names= are for a bare Sequential network; an "
                        "estimator, pipeline or model file carries its own.")
    if (X is not None or layout is not None) and not (isinstance(model, Pipeline) or is_ours(model)):
        raise InputTypeError("X= and inputs= are for an estimator or Pipeline fitted on a DataFrame; "
                        "a network or model file has its own inputs.")
    if isinstance(model, (str, os.PathLike)):
        return _from_file(Path(model))
    if isinstance(model, Sequential):
        spec = spec_from_sequential(model)
        labels = np.arange(spec.n_columns) if classes is None else np.asarray(classes)
        names = _names(feature_names)
        if names is not None and len(names) != spec.n_features:
            raise ExportError(f"{len(names)} feature names for a network with {spec.n_features} "
                              "inputs; pass one name per input column.")
        return Plan(plain_inputs(spec.n_features, names), [], NetworkClassifier(spec, labels, names),
                    spec, labels, names, "softmaxlab.nn.Sequential")
    if isinstance(model, Pipeline):
        encoder, steps, last_name, last = split_pipeline(model)
        if not is_ours(last):
            raise ExportError(f"the pipeline ends in {type(last).__name__} ({last_name!r}); "
                              "to_onnx exports pipelines ending in softmaxlab's MLPClassifier or "
                              "SoftmaxRegression (use skl2onnx.to_onnx for others).")
        kinds = ", ".join((["ColumnEncoder"] if encoder is not None else [])
                          + [type(s).__name__ for _, s in steps] + [type(last).__name__])
        if encoder is None and reads_frame(steps):
            return _from_frame(last, steps, f"Pipeline({kinds})", X, layout)
        plan = _from_estimator(last, steps, f"Pipeline({kinds})", encoder)
        text = text_step(steps)
        if text is not None:  # one float32 X cannot carry it
            raise ExportError(f"pipeline step {text[0]!r} encodes text (e.g. {text[1]!r}), but the "
                              "pipeline was fitted on an array without column names: fit it on a "
                              "pandas DataFrame, with a ColumnTransformer selecting the columns by "
                              "name, and export it with to_onnx(pipe, X=df.head()).")
    elif is_ours(model):
        plan = _from_estimator(model, [], type(model).__name__)
    else:
        raise InputTypeError(f"to_onnx cannot export a {type(model).__name__}; give a fitted "
                        "MLPClassifier or SoftmaxRegression, a Pipeline ending in one, a "
                        "softmaxlab.nn.Sequential, or the path of a model file or run folder.")
    _check_sample(X, layout, plan.feature_names)
    return plan
