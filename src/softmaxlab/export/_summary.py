"""The exported graph in words: one line of its inputs and outputs
(``summary``) and which columns go into which input (``describe_inputs``),
as ``softmaxlab export`` prints them."""
from __future__ import annotations

import json

__all__ = ["describe_inputs", "summary"]


def summary(onx) -> str:
    """One line: opset, and each input and output with its type and shape
    (more than 4 one-column inputs, one per DataFrame column, are counted
    by type instead)."""
    import onnx

    def parts(v):
        if not v.type.HasField("tensor_type"):  # e.g. skl2onnx's ZipMap output
            return v.name, v.type.WhichOneof("value").removesuffix("_type"), None
        t = v.type.tensor_type
        dims = ", ".join(d.dim_param or (str(d.dim_value) if d.HasField("dim_value") else "N")
                         for d in t.shape.dim)
        kind = onnx.helper.tensor_dtype_to_np_dtype(t.elem_type)
        return v.name, "string" if kind.kind == "O" else kind.name, f"[{dims}]"

    def show(v):
        return " ".join(p for p in parts(v) if p is not None)

    opset = next(o.version for o in onx.opset_import if o.domain in ("", "ai.onnx"))
    # Before IR version 4 the initializers are listed among the inputs too.
    weights = {t.name for t in onx.graph.initializer}
    inputs = [v for v in onx.graph.input if v.name not in weights]
    shown = [show(v) for v in inputs]
    if len(inputs) > 4 and all(parts(v)[2] == "[N, 1]" for v in inputs):  # one per column
        kinds = [parts(v)[1] for v in inputs]
        counts = ", ".join(f"{kinds.count(k)} {k}" for k in dict.fromkeys(kinds))
        shown = [f"one per column ({counts}), [N, 1] each"]
    return (f"opset {opset}, input{'s' if len(inputs) > 1 else ''} {', '.join(shown)}, "
            f"outputs {', '.join(show(v) for v in onx.graph.output)}")


def describe_inputs(onx, most: int = 8) -> list[str]:
    """What goes into each input, one line each, from the ``inputs``
    metadata: its columns (the first ``most`` of them) and what marks a
    missing value. A graph with one input per column (a DataFrame pipeline)
    gets one line per type instead. Empty for a graph whose inputs take
    neither text nor missing values (its one ``X`` holds the
    ``feature_names`` columns)."""
    meta = {p.key: p.value for p in onx.metadata_props}
    inputs = json.loads(meta.get("inputs", "[]"))
    if not any(i["type"] == "string" or i["missing"] is not None for i in inputs):
        return []

    def shown(cols):
        return ", ".join(cols[:most]) + (f", ... ({len(cols)} columns)" if len(cols) > most else "")

    unseen = "; an unseen category counts as none"
    if all(i["columns"] == [i["name"]] for i in inputs) and len(inputs) > 1:
        return [_per_type(inputs, kind, shown, unseen) for kind in ("float32", "string")
                if any(i["type"] == kind for i in inputs)]
    lines = []
    for i in inputs:
        cols = i["columns"] or []
        what = "the text columns" if i["type"] == "string" else "the numeric columns"
        missing = {None: "", "NaN": "; NaN where a value is missing",
                   "": '; "" where a value is missing'}[i["missing"]]
        lines.append(f"{i['name']}: {what} {shown(cols)}{missing}"
                     f"{unseen if i['type'] == 'string' else ''}")
    return lines


def _per_type(inputs, kind, shown, unseen) -> str:
    """One line for the one-column inputs of one type."""
    cols = [i["name"] for i in inputs if i["type"] == kind]
    filled = [i["name"] for i in inputs if i["type"] == kind and i["missing"] is not None]
    mark = "NaN" if kind == "float32" else '""'
    where = "" if not filled else (f"; {mark} where a value is missing" if filled == cols else
                                   f"; {mark} where a value is missing in {shown(filled)}")
    what = "numbers" if kind == "float32" else "text"
    return (f"{what}, one input each, {kind} [N, 1]: {shown(cols)}{where}"
            f"{unseen if kind == 'string' else ''}")
