"""An export plan converted to an ONNX graph: the network and its
preprocessing through skl2onnx, then the metadata softmaxlab records."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import onnx
from skl2onnx import to_onnx as skl2onnx_to_onnx
from skl2onnx.common.data_types import FloatTensorType, StringTensorType
from skl2onnx.common.exceptions import MissingConverter, MissingShapeCalculator
from sklearn.pipeline import Pipeline

from softmaxlab import __version__
from softmaxlab.export._errors import ExportError
from softmaxlab.export._graph import check_opset
from softmaxlab.export._models import label_array
from softmaxlab.export._preprocess import step_options
from softmaxlab.export._skl2onnx import MAX_OPSET, opset_error, register
from softmaxlab.export._steps import unconvertible

__all__ = ["convert"]


def convert(plan, target_opset, name: str):
    """The checked ``onnx.ModelProto`` of ``plan`` (a ``_sources.Plan``) at
    ``target_opset``, named ``name``, with its metadata (see ``to_onnx``)."""
    check_opset(plan.spec, target_opset, np.float32, MAX_OPSET)
    register()
    clf = plan.classifier
    pipe = Pipeline([*plan.steps, ("classifier", clf)]) if plan.steps else clf
    options = {**step_options(plan.steps), id(clf): {"zipmap": False}}
    try:
        # skl2onnx.to_onnx (not convert_sklearn) declares the default domain
        # at target_opset itself, not at the newest operator version used.
        types = {"float32": FloatTensorType, "string": StringTensorType}
        onx = skl2onnx_to_onnx(pipe, initial_types=[(i.name, types[i.dtype]([None, i.width]))
                                                    for i in plan.inputs],
                               target_opset=int(target_opset), options=options,
                               name=name)
    except (MissingConverter, MissingShapeCalculator, RuntimeError, NotImplementedError) as exc:
        # The preprocessing's operators (Where, for one) may be newer than the network's.
        too_old = opset_error(exc, int(target_opset), MAX_OPSET)
        raise too_old or unconvertible(plan.steps, exc) or ExportError(
            f"skl2onnx could not convert {plan.source}: {exc}") from exc
    onx.ir_version = max(onx.ir_version, onnx.helper.find_min_ir_version_for(onx.opset_import))
    # skl2onnx renames an input that is not a plain identifier or clashes
    # with an output ("bill length (mm)" -> "bill_length__mm_", "label" ->
    # "label1"); the metadata gives the names the graph has, in the same order.
    weights = {t.name for t in onx.graph.initializer}
    names = [v.name for v in onx.graph.input if v.name not in weights]
    plan.inputs = [dataclasses.replace(i, name=n) for i, n in zip(plan.inputs, names, strict=True)]
    _describe(onx, plan)
    onnx.checker.check_model(onx, full_check=True)
    return onx


def _describe(onx, plan) -> None:
    """Metadata (JSON values) and a one-line doc string."""
    labels = label_array(plan.classes, plan.spec)
    classes = [c.decode("utf-8") for c in labels] if labels.dtype == object else labels.tolist()
    props = {
        "softmaxlab_version": __version__,
        "classes": classes,
        "feature_names": plan.feature_names,
        "n_features": plan.n_features,
        "inputs": [i.describe() for i in plan.inputs],
        "output": plan.spec.kind,
        "source": plan.source,
        "source_dtype": plan.spec.dtype.name,
        **{k: v for k, v in plan.extra.items() if v is not None},
    }
    onnx.helper.set_model_props(onx, {k: json.dumps(v) if not isinstance(v, str) else v
                                      for k, v in props.items()})
    onx.doc_string = (f"softmaxlab {__version__}: {plan.source} ({plan.spec.kind}, "
                      f"{plan.n_features} features, {len(classes)} "
                      f"{'labels' if plan.spec.kind == 'multilabel' else 'classes'})")
    onx.producer_name, onx.producer_version = "softmaxlab", __version__
