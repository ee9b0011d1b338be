"""Inverted dropout."""
from __future__ import annotations

import numpy as np
from array_api_compat import array_namespace, device

from softmaxlab._validation import Interval, Options, Types, validate_params
from softmaxlab.nn.base import Layer
from softmaxlab.errors import InputError

__all__ = ["Dropout"]


class Dropout(Layer):
    """Inverted dropout with drop probability ``p``.

    In training each unit is zeroed with probability ``p`` and survivors are
    scaled by ``1/(1-p)``, so the expected activation equals the inference-time
    activation and prediction needs no rescaling. The mask is drawn from
    ``self.rng`` (a NumPy Generator, which the model sets to the run's own)
    and copied to the input's device: the same seed gives the same masks
    whatever the array library.
    """

    def __init__(self, p: float = 0.5, rng: np.random.Generator | None = None):
        super().__init__()
        validate_params("Dropout", {"p": [Interval(float, 0, 1, closed="left")],
                                    "rng": [Options(None), Types(np.random.Generator)]},
                        {"p": p, "rng": rng})
        self.p = float(p)
        self.rng = rng
        self._mask = None

    def forward(self, X, training=False):
        if not training or self.p == 0:
            self._mask = None
            return X
        if self.rng is None:
            raise InputError("Dropout needs a Generator: call model.set_rng(rng) before training.")
        xp = array_namespace(X)
        keep = self.rng.random(tuple(X.shape), dtype=np.float32) >= self.p
        keep = keep if xp is np else xp.asarray(keep, device=device(X))
        self._mask = xp.astype(keep, X.dtype) * (1.0 / (1.0 - self.p))
        return X * self._mask

    def apply(self, X):
        return X

    def backward(self, dout):
        return dout if self._mask is None else dout * self._mask

    def config(self):
        return {"type": "Dropout", "p": self.p}
