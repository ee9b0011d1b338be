"""softmaxlab's classifiers as skl2onnx operators: a parser, a shape
calculator and a converter, registered with
``skl2onnx.update_registered_converter`` so that ``skl2onnx.to_onnx`` and
``convert_sklearn`` convert a ``Pipeline`` ending in ``MLPClassifier`` or
``SoftmaxRegression`` (and ``softmaxlab.export.to_onnx`` reuses skl2onnx's
converters for the preprocessing steps).

Options (``options={id(est): {...}}`` or ``{type(est): {...}}``), as for
scikit-learn's classifiers: ``zipmap`` (True, the default, gives a list of
{label: probability} maps; False the (n, C) tensor; ``"columns"`` one output
per class) and ``nocl`` (True: ``label`` holds class indices). Multilabel
networks always output the (n, L) tensors (a ZipMap of them would mean
nothing).

Input: float32 (float64 input computes in float64; integer or boolean input is
cast to float32). Outputs: ``label`` (int64 or string, (n,); (n, L) int64 for
multilabel) and ``probabilities`` ((n, C) in the computation dtype).
"""
from __future__ import annotations

import re

import numpy as np
import onnx
import skl2onnx
from onnx import TensorProto, numpy_helper
from skl2onnx import update_registered_converter
from skl2onnx._parse import _apply_zipmap, _parse_sklearn_simple_model
from skl2onnx.common.data_types import (
    DoubleTensorType,
    FloatTensorType,
    Int64TensorType,
    StringTensorType,
)

from softmaxlab.export._errors import MIN_OPSET, OpsetError
from softmaxlab.export._graph import check_opset, emit_network
from softmaxlab.export._models import NetworkClassifier, label_array, spec_of

__all__ = ["MAX_OPSET", "opset_error", "register"]

# The newest opset skl2onnx's own converters (the preprocessing steps) are tested with.
MAX_OPSET = int(skl2onnx.__max_supported_opset__)
# How skl2onnx's container refuses an operator the target opset lacks.
_NO_VERSION = re.compile(r"Unable to find a suitable version for operator '(\w+)' in domain ''")
OPTIONS = {"zipmap": [True, False, "columns"], "nocl": [False, True]}
_PROTO = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float64): TensorProto.DOUBLE,
          np.dtype(np.int64): TensorProto.INT64}


class _Builder:
    """The ``g`` of ``emit_network`` on skl2onnx's scope and container."""

    def __init__(self, scope, container):
        self.scope, self.container = scope, container

    def const(self, hint: str, array: np.ndarray) -> str:
        name = self.scope.get_unique_variable_name(hint)
        if array.dtype == object:  # labels as UTF-8 bytes
            self.container.add_initializer(name, TensorProto.STRING, list(array.shape),
                                           list(array))
        else:
            self.container.add_initializer(name, _PROTO[array.dtype], list(array.shape),
                                           numpy_helper.from_array(array))
        return name

    def node(self, op: str, inputs: list, output: str | None = None, **attrs) -> str:
        output = output or self.scope.get_unique_variable_name(op.lower())
        self.container.add_node(op, inputs, output, name=self.scope.get_unique_operator_name(op),
                                **attrs)
        return output


def _compute_dtype(variable) -> np.dtype:
    return np.dtype(np.float64 if isinstance(variable.type, DoubleTensorType) else np.float32)


def _zipmap(model, spec, scope):
    """The ``zipmap`` option in effect (False for multilabel networks)."""
    if spec.kind == "multilabel":
        return False
    return scope.get_options(model, dict(zipmap=True))["zipmap"]


def _parser(scope, model, inputs, custom_parsers=None):
    """The operator's ``label`` and ``probabilities``, then skl2onnx's ZipMap
    unless ``zipmap=False``. ONNX's ZipMap reads float32 only, so with
    float64 input the probabilities it maps are cast to float32 (skl2onnx's
    own classifiers give a graph onnxruntime refuses there)."""
    spec = spec_of(model)
    outputs = _parse_sklearn_simple_model(scope, model, inputs, custom_parsers=custom_parsers)
    zipmap = _zipmap(model, spec, scope)
    if zipmap is False:
        return outputs
    return _apply_zipmap(zipmap, scope, model, FloatTensorType(), outputs)


def _label_type(model, spec, scope):
    if spec.kind == "multilabel" or scope.get_options(model, dict(nocl=False))["nocl"]:
        return Int64TensorType
    return StringTensorType if label_array(model.classes_, spec).dtype == object else Int64TensorType


def _proba_dtype(operator, spec) -> np.dtype:
    if _zipmap(operator.raw_operator, spec, operator.scope_inst) is not False:
        return np.dtype(np.float32)
    return _compute_dtype(operator.inputs[0])


def _shape_calculator(operator):
    model = operator.raw_operator
    spec = spec_of(model)
    n = operator.inputs[0].get_first_dimension()
    label = _label_type(model, spec, operator.scope_inst)
    operator.outputs[0].type = label([n, spec.n_outputs] if spec.kind == "multilabel" else [n])
    proba = DoubleTensorType if _proba_dtype(operator, spec) == np.float64 else FloatTensorType
    operator.outputs[1].type = proba([n, spec.n_columns])


def _converter(scope, operator, container):
    model = operator.raw_operator
    spec = spec_of(model)
    dtype = _compute_dtype(operator.inputs[0])
    check_opset(spec, container.target_opset, dtype, MAX_OPSET)
    g = _Builder(scope, container)
    x = operator.inputs[0].full_name
    if not isinstance(operator.inputs[0].type, (FloatTensorType, DoubleTensorType)):
        x = g.node("Cast", [x], to=TensorProto.FLOAT)
    nocl = container.get_options(model, dict(nocl=False))["nocl"]
    classes = None if spec.kind == "multilabel" else label_array(model.classes_, spec)
    proba = operator.outputs[1].full_name
    computed = proba
    if _proba_dtype(operator, spec) != dtype:  # float64 probabilities into ZipMap
        computed = scope.get_unique_variable_name("probabilities64")
    emit_network(spec, g, x, operator.outputs[0].full_name, computed, classes, dtype, nocl=nocl)
    if computed != proba:
        g.node("Cast", [computed], proba, to=TensorProto.FLOAT)


def _first_opset(op: str) -> int:
    """The first opset of the default domain that defines ``op``."""
    return min((s.since_version for s in onnx.defs.get_all_schemas_with_history()
                if s.name == op and s.domain == ""), default=MIN_OPSET)


def opset_error(exc: Exception, target_opset: int, max_opset: int) -> OpsetError | None:
    """skl2onnx's error for an operator that ``target_opset`` does not define
    yet (a preprocessing step's, e.g. ``Where``; the network's own operators
    are checked before conversion), as an OpsetError; None for other errors."""
    found = _NO_VERSION.search(str(exc))
    if found is None:
        return None
    op = found.group(1)
    first = _first_opset(op)
    return OpsetError(f"target_opset={target_opset} is too old for operators of this graph: "
                      f"{op} (opset {first} or later); use target_opset between "
                      f"{max(MIN_OPSET, first)} and {max_opset}.")


def register() -> None:
    """Register ``MLPClassifier``, ``SoftmaxRegression`` (and the internal
    ``NetworkClassifier``) with skl2onnx; calling it again is harmless."""
    from softmaxlab.estimators import MLPClassifier, SoftmaxRegression

    for cls in (MLPClassifier, SoftmaxRegression, NetworkClassifier):
        update_registered_converter(cls, f"Softmaxlab{cls.__name__}", _shape_calculator,
                                    _converter, parser=_parser, options=OPTIONS)
