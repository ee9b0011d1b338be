"""``softmaxlab gradcheck``: gradients of a small random model against finite differences."""
from __future__ import annotations

import numpy as np

__all__ = ["gradcheck"]


def gradcheck(model="mlp", hidden=(8, 8), activation="tanh", n_samples=6, n_features=5,
              n_classes=4, seed=0) -> dict[str, float]:
    """Relative error of every parameter's gradient on a small random float64 model."""
    from softmaxlab.gradcheck import check_model
    from softmaxlab.nn import mlp, softmax_regression

    rng = np.random.default_rng(seed)
    if model == "softmax":
        net = softmax_regression(n_features, n_classes, rng=rng, dtype=np.float64)
    else:
        net = mlp(n_features, list(hidden), n_classes, activation=activation, rng=rng,
                  dtype=np.float64)
    X = rng.standard_normal((n_samples, n_features))
    y = rng.integers(0, n_classes, n_samples)
    return check_model(net, X, y)
