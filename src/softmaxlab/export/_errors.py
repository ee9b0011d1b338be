"""The export's exceptions and opset floor (tiny: ``import softmaxlab`` loads it)."""
from __future__ import annotations

from softmaxlab.errors import SoftmaxlabError

__all__ = ["MIN_OPSET", "ExportError", "OpsetError"]

# The first opset of the default ONNX domain in which every operator the
# export emits has the semantics it is emitted with (see _graph._OP_MIN_OPSET).
MIN_OPSET = 7


class ExportError(SoftmaxlabError, ValueError):
    """A model that cannot be written as ONNX: an unsupported layer or
    pipeline step, labels ONNX cannot hold, an inconsistent estimator."""


class OpsetError(ExportError):
    """The requested ``target_opset`` is too old for an operator of the graph,
    or newer than the converter supports."""
