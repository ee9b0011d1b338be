""""Inside one step": the numbers the engine computes for a single point,
read from the live model's own layers, and the gradient check of the model.

Nothing here re-derives a formula: every array below is what a layer's
``forward`` or ``backward``, the fused loss, or ``softmaxlab.gradcheck``
returned. The page only prints them.
"""
from __future__ import annotations

import numpy as np

from softmaxlab.gradcheck import check_model
from softmaxlab.nn import Linear, SoftmaxCrossEntropy, softmax

__all__ = ["GRADCHECK_POINTS", "GRADCHECK_TOLERANCE", "gradient_check", "inspect_point",
           "layer_name"]

GRADCHECK_POINTS = 16  # rows the whole-model check uses: enough to mix classes, fast
GRADCHECK_TOLERANCE = 1e-6  # as `softmaxlab gradcheck`; float64 central differences


def layer_name(layer) -> str:
    """``'Linear 2→16'``, ``'Tanh'``, ``'Dropout p=0.1'``."""
    cfg = layer.config()
    if isinstance(layer, Linear):
        return f"Linear {layer.n_in}→{layer.n_out}"
    extra = " ".join(f"{k}={v:g}" for k, v in cfg.items() if k != "type")
    return f"{cfg['type']} {extra}".strip()


def _row(a) -> list:
    return [float(v) for v in np.asarray(a, dtype=np.float64).ravel()]


def inspect_point(model, x: np.ndarray, y: int) -> dict:
    """Forward and backward of one point through the live model, layer by layer.

    Parameters
    ----------
    model : Sequential
        The session's model; its layers' caches and grads are overwritten by
        this pass (the trainer recomputes both before its next update).
    x : ndarray of shape (1, n_features)
        The point as the model sees it (scaled, in the model's dtype).
    y : int
        Its class index.

    Returns
    -------
    dict
        ``layers``: per layer in forward order, its name, ``output`` (its
        forward result) and ``delta`` (dL/d its input, from its backward);
        ``logits`` z; ``proba`` q = softmax(z); ``loss`` = -log q_y and
        ``dlogits`` = q - onehot(y), both from the fused loss; ``grad_W``
        (n_in, C) and ``grad_b`` (C,) of the output layer, i.e. the outer
        product of its input ``hidden`` with q - onehot(y).

    Notes
    -----
    Dropout is off (``training=False``), as when the model predicts. For one
    point the loss's batch mean is the point's own loss, so ``dlogits`` is
    exactly q - onehot(y), with no 1/N.
    """
    layers = []
    a = x
    for layer in model.layers:
        a = layer.forward(a, training=False)
        layers.append({"name": layer_name(layer), "kind": layer.config()["type"],
                       "output": _row(a)})
    logits = a
    loss, dlogits = SoftmaxCrossEntropy().forward(logits, np.array([y]))
    proba = softmax(logits)
    d = dlogits
    grads = {}
    for i in range(len(model.layers) - 1, -1, -1):
        layer = model.layers[i]
        d = layer.backward(d)
        layers[i]["delta"] = _row(d)
        if isinstance(layer, Linear) and not grads:
            grads = {k: np.array(v, dtype=np.float64) for k, v in layer.grads.items()}
            out_index = i
    out_in = x if out_index == 0 else np.array([layers[out_index - 1]["output"]])
    return {
        "input": _row(x),
        "layers": layers,
        "logits": _row(logits),
        "proba": _row(proba),
        "onehot": [1.0 if k == y else 0.0 for k in range(logits.shape[1])],
        "loss": float(loss),
        "dlogits": _row(dlogits),
        "hidden": _row(out_in),
        "grad_W": grads["W"].tolist(),
        "grad_b": _row(grads["b"]),
        "output_layer": out_index,
    }


def gradient_check(model, X: np.ndarray, y: np.ndarray) -> dict:
    """``softmaxlab.gradcheck.check_model`` on the first ``GRADCHECK_POINTS`` rows.

    Parameters
    ----------
    model : Sequential
        Checked on a float64 copy (the live model is untouched).
    X : ndarray of shape (n, n_features), scaled
    y : ndarray of shape (n,), class indices

    Returns
    -------
    dict
        ``errors``: parameter name -> relative error; ``max_error``;
        ``passed`` (every error below ``tolerance``); ``n_points``; ``n_params``.
    """
    Xs, ys = X[:GRADCHECK_POINTS], y[:GRADCHECK_POINTS]
    errors = check_model(model, Xs, ys)
    worst = max(errors.values())
    return {"errors": {k: float(v) for k, v in errors.items()}, "max_error": float(worst),
            "passed": bool(worst < GRADCHECK_TOLERANCE), "tolerance": GRADCHECK_TOLERANCE,
            "n_points": int(len(ys)), "n_params": int(sum(p.value.size for p in model.parameters()))}
