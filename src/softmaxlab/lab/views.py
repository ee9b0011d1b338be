"""What one frame of the page shows, computed from the live model: the class
probabilities over a grid of the plane, each hidden unit's activation over a
coarser grid, and the learning curves. Arrays travel as base64 bytes (the
page only maps them to colours)."""
from __future__ import annotations

import base64
import math

import numpy as np

from softmaxlab.nn import Dropout, Linear

__all__ = ["BOUNDARY_RES", "HIDDEN_VALUES", "boundary", "curves", "curves_row", "finite", "grid", "hidden_maps", "plane"]

BOUNDARY_RES = 100  # 100 x 100 cells, smoothed by the browser when scaled up
HIDDEN_VALUES = 24_000  # budget of values for all hidden maps of one frame
CURVE_POINTS = 400  # at most this many epochs per curve in a frame


def _b64(a: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(a).tobytes()).decode("ascii")


def plane(X: np.ndarray, margin: float = 0.12) -> list[float]:
    """A square ``[x0, x1, y0, y1]`` around the points ``X`` (n, 2), raw units,
    so the picture is never stretched."""
    lo, hi = X.min(axis=0), X.max(axis=0)
    centre, half = (lo + hi) / 2, max(float(np.max(hi - lo)) / 2, 1e-9) * (1 + margin)
    return [float(centre[0] - half), float(centre[0] + half),
            float(centre[1] - half), float(centre[1] + half)]


def grid(extent, res: int) -> np.ndarray:
    """Cell centres of a res x res grid over ``extent``, shape (res * res, 2),
    row by row from the top (largest x2) down, as an image is stored."""
    x0, x1, y0, y1 = extent
    xs = x0 + (np.arange(res) + 0.5) * (x1 - x0) / res
    ys = y1 - (np.arange(res) + 0.5) * (y1 - y0) / res
    gx, gy = np.meshgrid(xs, ys)
    return np.column_stack([gx.ravel(), gy.ravel()])


def boundary(model, to_inputs, extent, res: int = BOUNDARY_RES) -> dict:
    """``model.predict_proba`` over the plane, as uint8 (res, res, C) (p * 255).
    ``to_inputs`` maps raw points (n, 2) to the model's inputs."""
    Z = to_inputs(grid(extent, res)).astype(model.dtype, copy=False)
    proba = model.predict_proba(Z)
    q = np.rint(np.clip(proba, 0, 1) * 255).astype(np.uint8)
    return {"res": res, "classes": int(proba.shape[1]), "probs": _b64(q)}


def hidden_maps(model, to_inputs, extent) -> list[dict]:
    """Each hidden layer's activations over the plane (cache-free ``apply``).

    Returns one dict per activation layer: its ``name``, ``units``, ``res``,
    ``scale`` (max |h| of each unit over the grid) and ``values``: int8 of
    shape (units, res, res), ``round(127 * h / scale)``.
    """
    acts = [i for i, layer in enumerate(model.layers)
            if not isinstance(layer, (Linear, Dropout)) and i < len(model.layers) - 1]
    if not acts:
        return []
    n_units = sum(model.layers[i - 1].n_out for i in acts if isinstance(model.layers[i - 1], Linear))
    res = int(max(12, min(40, math.sqrt(HIDDEN_VALUES / max(n_units, 1)))))
    a = to_inputs(grid(extent, res)).astype(model.dtype, copy=False)
    out, depth = [], 0
    for i, layer in enumerate(model.layers):
        a = layer.apply(a)
        if i in acts:
            depth += 1
            h = np.asarray(a, dtype=np.float64)
            scale = np.maximum(np.abs(h).max(axis=0), 1e-12)
            vals = np.rint(h / scale * 127).astype(np.int8).T.reshape(h.shape[1], res, res)
            out.append({"name": f"hidden layer {depth} ({type(layer).__name__})",
                        "units": int(h.shape[1]), "res": res, "scale": scale.tolist(),
                        "values": _b64(vals)})
    return out


def finite(obj):
    """``obj`` (nested dicts and lists) with NaN and infinities as None: JSON
    has no NaN, and a diverging model can produce them."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite(v) for v in obj]
    return obj


def _clean(values) -> list:
    return [None if (v is None or not math.isfinite(v)) else float(v) for v in values]


def curves_row(row: dict) -> dict:
    """One epoch's metrics with NaN as None (JSON has no NaN)."""
    return {k: _clean([v])[0] for k, v in row.items()}


def curves(history, start: dict | None) -> dict:
    """Training and validation loss and accuracy per epoch, at most
    ``CURVE_POINTS`` epochs (evenly thinned; the last epoch always kept).
    ``start`` (epoch-0 values of the untrained model) is put first."""
    n = len(history)
    idx = np.unique(np.rint(np.linspace(0, n - 1, CURVE_POINTS)).astype(int)) if n > CURVE_POINTS \
        else np.arange(n)
    cols = ("train_loss", "train_acc", "val_loss", "val_acc")
    out = {"epoch": [int(history.epoch[i]) for i in idx]}
    for c in cols:
        col = getattr(history, c)
        out[c] = _clean(col[i] for i in idx)
    if start is not None:
        out["epoch"].insert(0, 0)
        for c in cols:
            out[c].insert(0, start.get(c))
    return out
