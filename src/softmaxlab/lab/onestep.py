""""Inside one step": the numbers the engine computes for a single point,
read from the live model's own layers, and the gradient check of the model.

Nothing here re-derives a formula: every array below is what a layer's
``forward`` or ``backward``, the fused loss, or ``softmaxlab.gradcheck``
returned. The page only prints them.
"""
from __future__ import annotations

import numpy as np

from softmaxlab.gradcheck import ENTRY_ATOL, MODEL_EPS, MODEL_RTOL, compare_model_gradients
from softmaxlab.lab import views
from softmaxlab.nn import Linear, SoftmaxCrossEntropy, softmax

__all__ = ["GRADCHECK_ENTRIES", "GRADCHECK_POINTS", "gradient_check", "inspect_point",
           "layer_name"]

GRADCHECK_POINTS = 16  # rows the whole-model check uses: enough to mix classes, fast
GRADCHECK_ENTRIES = 64  # entries compared per parameter (all of a smaller one)


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
    grads, out_index = _backward(model, dlogits, layers)
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


def _backward(model, dlogits, layers: list) -> tuple[dict, int]:
    """Back-propagate ``dlogits`` (1, C) through every layer, last to first,
    writing each layer's ``delta`` into ``layers``; the output layer's (the
    last Linear's) gradients in float64 and its index."""
    d = dlogits
    grads = {}
    for i in range(len(model.layers) - 1, -1, -1):
        layer = model.layers[i]
        d = layer.backward(d)
        layers[i]["delta"] = _row(d)
        if isinstance(layer, Linear) and not grads:
            grads = {k: np.array(v, dtype=np.float64) for k, v in layer.grads.items()}
            out_index = i
    return grads, out_index


def gradient_check(model, X: np.ndarray, y: np.ndarray, interrupt=None,
                   entries: int = GRADCHECK_ENTRIES) -> dict:
    """The whole-model gradient check of the lab's Check gradients button.

    ``softmaxlab.gradcheck.compare_model_gradients`` on the first
    ``GRADCHECK_POINTS`` training rows, in float64 on a copy of ``model``
    (the live model is untouched), comparing ``GRADCHECK_ENTRIES`` entries
    of each parameter drawn from a fixed seed (every entry of a smaller
    one): the largest model the lab builds (6 layers of 64) then takes well
    under a second, and a wrong backward still shows in every entry it
    touches. The verdict allows finite differences' rounding (an absolute
    1e-8 per entry) and a relative error of 1e-4; the function's Notes say
    why a purely relative tolerance fails correct trained models.

    Parameters
    ----------
    model : Sequential
    X : ndarray of shape (n, n_inputs), the model's inputs
    y : ndarray of shape (n,), class indices
    interrupt : callable, optional
        Called between entries; raises to cancel.
    entries : int, default GRADCHECK_ENTRIES
        Entries compared per parameter.

    Returns
    -------
    dict
        ``passed``, ``max_error`` (largest relative error of a parameter
        whose gradient resolves it, or of a failed one), ``n_small``
        (parameters with gradients too small for that, compared against
        the rounding floor), ``tolerance`` (relative), ``atol``, ``eps``, ``dtype``,
        ``n_points``, ``n_params``, ``n_checked``, ``errors`` (name ->
        relative error), ``parameters`` (per parameter: name, shape,
        checked, error, norms, abs_error, passed, measurable, resolved), ``method``
        (``"relative_norm_sampled"``: per parameter, ``||g - n|| / max(||g||,
        ||n||)`` over sampled entries, g from backprop, n from central
        differences) and ``summary`` (one English sentence).
    """
    Xs, ys = X[:GRADCHECK_POINTS], y[:GRADCHECK_POINTS]
    checks = compare_model_gradients(model, Xs, ys, entries=entries,
                                     rng=np.random.default_rng(0), interrupt=interrupt)
    # The largest relative error where it is the verdict (or where it failed):
    # for tiny gradients a relative error of 1e-3 can be rounding alone.
    measured = [c.error for c in checks if c.resolved or not c.passed] or [0.0]
    small = sum(1 for c in checks if c.passed and not c.resolved)
    passed = all(c.passed for c in checks)
    n_params = int(sum(p.value.size for p in model.parameters()))
    n_checked = int(sum(c.checked for c in checks))
    failed = [c.name for c in checks if not c.passed]
    summary = _summary(passed, len(ys), n_checked, n_params, max(measured), small, failed)
    return views.finite({
        "passed": bool(passed), "max_error": float(max(measured)), "tolerance": MODEL_RTOL,
        "atol": ENTRY_ATOL, "eps": MODEL_EPS, "dtype": "float64", "n_points": int(len(ys)),
        "n_params": n_params, "n_checked": n_checked, "n_small": small,
        "errors": {c.name: c.error for c in checks},
        "parameters": [c.to_dict() for c in checks],
        "method": "relative_norm_sampled",
        "summary": summary})


def _summary(passed: bool, n_points: int, n_checked: int, n_params: int, max_error: float,
             small: int, failed: list) -> str:
    """The gradient check's verdict as one English sentence."""
    return (f"{'PASS' if passed else 'FAIL'}: backprop against central differences "
            f"(eps {MODEL_EPS:g}, float64) on {n_points} training points, {n_checked} of "
            f"{n_params} gradient entries; largest relative error {max_error:.1e} "
            f"(tolerance {MODEL_RTOL:g})"
            + (f"; {small} parameter{'s' if small != 1 else ''} with tiny gradients agree "
               f"within the rounding floor of {ENTRY_ATOL:g} per entry" if small else "")
            + (f"; wrong: {', '.join(failed)}" if failed else ""))
