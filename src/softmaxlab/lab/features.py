"""The model's inputs: features computed from the two standardised
coordinates, as in TensorFlow Playground. With the right features a linear
model separates what a straight line cannot: ``x1_x2`` (its sign) splits
XOR's quadrants, ``x1_sq + x2_sq`` (the squared radius) splits circles."""
from __future__ import annotations

import numpy as np

__all__ = ["DEFAULT_FEATURES", "FEATURES", "describe", "expand"]

# id -> (label for the page, function of z1, z2); the order is the column order.
FEATURES = {
    "x1": ("x₁", lambda a, b: a),
    "x2": ("x₂", lambda a, b: b),
    "x1_sq": ("x₁²", lambda a, b: a * a),
    "x2_sq": ("x₂²", lambda a, b: b * b),
    "x1_x2": ("x₁x₂", lambda a, b: a * b),
    "sin_x1": ("sin x₁", lambda a, b: np.sin(a)),
    "sin_x2": ("sin x₂", lambda a, b: np.sin(b)),
}
DEFAULT_FEATURES = ("x1", "x2")


def expand(Z: np.ndarray, features) -> np.ndarray:
    """The feature columns of the standardised points ``Z``.

    Parameters
    ----------
    Z : ndarray of shape (n, 2), standardised x1, x2
    features : sequence of ids from ``FEATURES``

    Returns
    -------
    ndarray of shape (n, len(features)), Z's dtype
    """
    a, b = Z[:, 0], Z[:, 1]
    return np.column_stack([FEATURES[f][1](a, b) for f in features]).astype(Z.dtype, copy=False)


def describe() -> list[dict]:
    """``[{"id": "x1", "label": "x₁"}, ...]`` for the page."""
    return [{"id": k, "label": label} for k, (label, _) in FEATURES.items()]
