"""Weight initialisers. Each takes ``(fan_in, fan_out, rng, dtype)`` and returns
an array of shape ``(fan_in, fan_out)`` drawn from the run's Generator."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
from softmaxlab._validation.params import Options, Types, validate_params
from softmaxlab.errors import InputError

__all__ = ["INITIALIZERS", "get_initializer", "glorot_uniform", "he_normal", "normal", "zeros"]

Initializer = Callable[[int, int, np.random.Generator, np.dtype], np.ndarray]


def glorot_uniform(fan_in: int, fan_out: int, rng: np.random.Generator, dtype=np.float32):
    """Glorot/Xavier uniform: ``U(-a, a)``, ``a = sqrt(6 / (fan_in + fan_out))``.

    Keeps the variance of activations and of gradients roughly constant through
    tanh/sigmoid layers. Returns ndarray of shape (fan_in, fan_out).
    """
    a = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=(fan_in, fan_out)).astype(dtype)


def he_normal(fan_in: int, fan_out: int, rng: np.random.Generator, dtype=np.float32):
    """He/Kaiming normal: ``N(0, 2 / fan_in)``.

    ReLU zeroes half its inputs on average, so the factor 2 restores the
    variance that Glorot's rule would lose. Returns ndarray (fan_in, fan_out).
    """
    return (rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)).astype(dtype)


def normal(std: float = 0.01) -> Initializer:
    """``N(0, std^2)``; the classic softmax-regression recipes use ``std=0.01``.

    Returns an initialiser with the standard ``(fan_in, fan_out, rng, dtype)`` signature.
    """
    if not (np.isfinite(std) and std >= 0):
        raise InputError(f"normal(std): std must be a finite number >= 0, got {std!r}.")

    def init(fan_in: int, fan_out: int, rng: np.random.Generator, dtype=np.float32):
        return (rng.standard_normal((fan_in, fan_out)) * std).astype(dtype)

    init.__name__ = f"normal({std})"
    return init


def zeros(fan_in: int, fan_out: int, rng: np.random.Generator, dtype=np.float32):
    """All zeros; fine for softmax regression (convex), fatal for hidden layers
    (every unit would receive the same gradient and stay identical)."""
    return np.zeros((fan_in, fan_out), dtype=dtype)


_CALLABLE = Types(Callable, what="a callable (fan_in, fan_out, rng, dtype) -> array")

INITIALIZERS: dict[str, Initializer] = {
    "glorot": glorot_uniform,
    "xavier": glorot_uniform,
    "he": he_normal,
    "kaiming": he_normal,
    "normal": normal(0.01),
    "zeros": zeros,
}


def get_initializer(init: str | Initializer) -> Initializer:
    """Resolve an initialiser name (``glorot``/``xavier``, ``he``/``kaiming``,
    ``normal`` (std 0.01), ``zeros``) or pass a callable through."""
    if callable(init):
        return init
    validate_params("get_initializer", {"init": [Options(*INITIALIZERS), _CALLABLE]},
                    {"init": init})
    return INITIALIZERS[init]
