"""The network as ONNX nodes: what a softmaxlab network computes at
prediction time, written as a plain list of operations, then emitted through
a small graph-builder interface (``softmaxlab.export._skl2onnx`` provides one
on top of skl2onnx's container).

Prediction-time maths, per output kind
--------------------------------------
``z`` are the logits of shape (n, K) that the layers compute
(``Gemm(h, W, b) = h @ W + b`` with ``W`` of shape (n_in, n_out), then the
activations; dropout is the identity at prediction time and emits nothing).

- ``"softmax"`` (K = C >= 2 classes, binary models included):
  ``probabilities = Softmax(z, axis=1)``, ``label = classes[ArgMax(z, axis=1)]``.
  The label comes from the logits, as ``Sequential.predict`` (first index wins
  a tie in both NumPy and ONNX).
- ``"sigmoid"`` with K = 1 (a binary classifier with one logistic unit):
  ``p = Sigmoid(z)``, ``probabilities = [1 - p, p]`` of shape (n, 2),
  ``label = classes[z > 0]`` (``p > 0.5``, so ``z == 0`` gives the first class,
  as scikit-learn's threshold).
- ``"sigmoid"`` with K = L > 1 (multilabel): ``probabilities = Sigmoid(z)`` of
  shape (n, L), ``label = int64(z > 0)``, the (n, L) indicator matrix.

No module state; no skl2onnx or onnx import here (only numbers), so the
network description is testable without the optional extra.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from softmaxlab.export._errors import MIN_OPSET, ExportError, OpsetError
from softmaxlab.nn import Dropout, Identity, LeakyReLU, Linear, ReLU, Sequential, Sigmoid, Tanh

__all__ = ["ExportError", "NetSpec", "OpsetError", "emit_network", "op_requirements",
           "spec_from_sequential", "MIN_OPSET"]


# The first opset of the default domain whose version of each operator has the
# semantics emitted here: Gemm without the legacy ``broadcast`` attribute and
# Greater/Sub/Mul with NumPy broadcasting arrived in opset 7, Concat's required
# ``axis`` in 4, Cast's integer ``to`` in 6. (Softmax is emitted on 2-D logits
# with axis=1, which every version computes the same way.)
_OP_MIN_OPSET = {
    "Gemm": 7, "Relu": 6, "LeakyRelu": 6, "Tanh": 6, "Sigmoid": 6, "Mul": 7, "Max": 6,
    "Softmax": 1, "ArgMax": 1, "Gather": 1, "Greater": 7, "Cast": 6, "Sub": 7, "Concat": 4,
    "Reshape": 5, "Identity": 1,
}
if MIN_OPSET != max(_OP_MIN_OPSET.values()):  # pragma: no cover - kept in step by hand
    raise ImportError("softmaxlab.export: MIN_OPSET disagrees with the operator table")

# Exactly these layer types (not subclasses, which may compute something else).
_ACTIVATION_OPS = {ReLU: "Relu", Tanh: "Tanh", Sigmoid: "Sigmoid"}
_SKIPPED = (Dropout, Identity)  # the identity at prediction time: no node
OUTPUT_KINDS = ("softmax", "sigmoid")


@dataclass(frozen=True, repr=False)
class NetSpec:
    """What a network computes at prediction time, in ONNX terms.

    Attributes
    ----------
    ops : tuple
        In order: ``("Gemm", W, b)`` with ``W`` of shape (n_in, n_out) and
        ``b`` of shape (n_out,); ``("Relu",)``, ``("Tanh",)``, ``("Sigmoid",)``;
        ``("LeakyRelu", negative_slope)``.
    output : {"softmax", "sigmoid"}
    n_features : int
    n_outputs : int
        Width of the logits: the number of classes for softmax, 1 for a binary
        logistic unit, L for multilabel.
    dtype : numpy.dtype
        The weights' dtype in the source model.
    """

    ops: tuple
    output: str
    n_features: int
    n_outputs: int
    dtype: np.dtype

    def __repr__(self) -> str:  # short: error messages may show it
        widths = [str(self.n_features)] + [str(op[1].shape[1]) for op in self.ops if op[0] == "Gemm"]
        return f"NetSpec({self.kind}, {'-'.join(widths)}, {self.dtype.name})"

    @property
    def kind(self) -> str:
        """``"multiclass"`` (softmax), ``"binary"`` (one logistic unit) or ``"multilabel"``."""
        if self.output == "softmax":
            return "multiclass"
        return "binary" if self.n_outputs == 1 else "multilabel"

    @property
    def n_columns(self) -> int:
        """Columns of the ``probabilities`` output (2 for one logistic unit)."""
        return 2 if self.kind == "binary" else self.n_outputs


def _check_output(output) -> str:
    if output not in OUTPUT_KINDS:
        raise ExportError(f"network output {output!r} is not one of {OUTPUT_KINDS}; "
                          "only softmax and sigmoid outputs can be exported.")
    return output


def _host(a) -> np.ndarray:
    """A parameter as a NumPy array (an ONNX file holds host memory)."""
    try:
        return np.asarray(a)
    except (TypeError, RuntimeError) as exc:
        raise ExportError(f"a parameter of type {type(a).__name__} cannot be read as a NumPy "
                          f"array ({exc}); move the model's arrays to the CPU first.") from None


def spec_from_sequential(model: Sequential) -> NetSpec:
    """Describe a ``softmaxlab.nn.Sequential`` (its ``output`` attribute, when
    present, selects softmax or sigmoid outputs; older models are softmax).

    Raises
    ------
    ExportError
        For a layer type with no ONNX equivalent here (a custom layer), or a
        network without a Linear layer.
    """
    ops = []
    for i, layer in enumerate(model.layers):
        kind = type(layer)
        if kind is Linear:
            ops.append(("Gemm", _host(layer.params["W"]), _host(layer.params["b"])))
        elif kind is LeakyReLU:
            ops.append(("LeakyRelu", float(layer.negative_slope)))
        elif kind in _ACTIVATION_OPS:
            ops.append((_ACTIVATION_OPS[kind],))
        elif kind in _SKIPPED:
            continue
        else:
            supported = ", ".join(t.__name__ for t in (Linear, ReLU, LeakyReLU, Tanh, Sigmoid,
                                                         Identity, Dropout))
            raise ExportError(f"layer {i} ({kind.__name__}) has no ONNX export; exportable layers "
                              f"are {supported}. Rebuild the network from these layers to export it.")
    linear = [op for op in ops if op[0] == "Gemm"]
    if not linear:
        raise ExportError("the network has no Linear layer, so its input width is unknown; "
                          "nothing to export.")
    return NetSpec(tuple(ops), _check_output(getattr(model, "output", "softmax")),
                   int(linear[0][1].shape[0]), int(linear[-1][1].shape[1]),
                   np.dtype(linear[0][1].dtype))


def op_requirements(spec: NetSpec, compute_dtype, with_labels: bool = True) -> dict[str, int]:
    """``{operator: first opset it is emitted for}`` for every operator
    ``emit_network`` writes for ``spec``."""
    ops = {op[0] for op in spec.ops}
    if "LeakyRelu" in ops and np.dtype(compute_dtype) == np.float64:
        ops = (ops - {"LeakyRelu"}) | {"Mul", "Max"}
    ops.add("Cast")
    if spec.kind == "multiclass":
        ops |= {"Softmax", "ArgMax"}
    elif spec.kind == "binary":
        ops |= {"Sigmoid", "Sub", "Concat", "Greater", "Reshape"}
    else:
        ops |= {"Sigmoid", "Greater"}
    if with_labels and spec.kind != "multilabel":
        ops.add("Gather")
    return {op: _OP_MIN_OPSET[op] for op in sorted(ops)}


def check_opset(spec: NetSpec, target_opset: int, compute_dtype, max_opset: int) -> None:
    """Raise OpsetError naming the operators ``target_opset`` is too old for."""
    if isinstance(target_opset, bool) or not isinstance(target_opset, (int, np.integer)):
        raise OpsetError(f"target_opset must be an integer, got {target_opset!r}.")
    too_old = {op: v for op, v in op_requirements(spec, compute_dtype).items() if v > target_opset}
    if too_old:
        ops = ", ".join(f"{op} (opset {v} or later)" for op, v in too_old.items())
        raise OpsetError(f"target_opset={target_opset} is too old for operators of this graph: "
                         f"{ops}; use target_opset between {MIN_OPSET} and {max_opset}.")
    if target_opset > max_opset:
        raise OpsetError(f"target_opset={target_opset} is newer than the installed converter "
                         f"supports; use target_opset between {MIN_OPSET} and {max_opset}.")


def emit_network(spec: NetSpec, g, x: str, label: str, proba: str, classes, dtype,
                 nocl: bool = False) -> None:
    """Write the prediction graph of ``spec`` into ``g``.

    Parameters
    ----------
    spec : NetSpec
    g : graph builder
        ``g.const(hint, array) -> name`` adds an initializer;
        ``g.node(op, inputs, output=None, **attrs) -> output name`` adds a node
        (the output name is made up from ``op`` unless given).
    x : str
        Input of shape (n, n_features), already of ``dtype``.
    label, proba : str
        Names of the two outputs to produce.
    classes : ndarray of shape (C,) or None
        int64 or bytes labels looked up by class index (``None`` or ``nocl``:
        ``label`` holds the class index itself; ignored for multilabel).
    dtype : float32 or float64
        Computation dtype; the weights are cast to it.
    """
    dtype = np.dtype(dtype)
    h = x
    for op in spec.ops:
        if op[0] == "Gemm":
            h = g.node("Gemm", [h, g.const("W", op[1].astype(dtype)), g.const("b", op[2].astype(dtype))])
        elif op[0] == "LeakyRelu" and dtype == np.float64:
            # onnxruntime has no float64 LeakyRelu kernel; for 0 <= a < 1,
            # max(x, a*x) is x for x > 0 and a*x otherwise, bit for bit.
            h = g.node("Max", [h, g.node("Mul", [h, g.const("slope", np.array(op[1], dtype))])])
        elif op[0] == "LeakyRelu":
            h = g.node("LeakyRelu", [h], alpha=op[1])
        else:
            h = g.node(op[0], [h])
    if spec.kind == "multiclass":
        g.node("Softmax", [h], proba, axis=1)
        index = g.node("ArgMax", [h], axis=1, keepdims=0)
    elif spec.kind == "binary":
        p = g.node("Sigmoid", [h])
        g.node("Concat", [g.node("Sub", [g.const("one", np.array(1, dtype)), p]), p], proba, axis=1)
        positive = g.node("Cast", [g.node("Greater", [h, g.const("zero", np.array(0, dtype))])],
                          to=_INT64)
        index = g.node("Reshape", [positive, g.const("flat", np.array([-1], np.int64))])
    else:
        g.node("Sigmoid", [h], proba)
        g.node("Cast", [g.node("Greater", [h, g.const("zero", np.array(0, dtype))])], label,
               to=_INT64)
        return
    if classes is None or nocl:
        g.node("Identity", [index], label)
    else:
        g.node("Gather", [g.const("classes", classes), index], label, axis=0)


_INT64 = 7  # onnx.TensorProto.INT64, without importing onnx here
