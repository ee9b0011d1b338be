"""The reference engine's step for one batch: the textbook maths of
``softmaxlab.nn`` and ``softmaxlab.optim`` on whatever array library the
data lives in::

    logits = model.forward(X_b)              # cache what backward needs
    loss, dlogits = loss(logits, y_b)        # fused softmax cross-entropy
    model.backward(dlogits)                  # fill every layer's grads
    optimizer.step()                         # update the parameters

The rows of a batch are taken with ``take`` in the shuffled order, on the
data's own device. The accounting around the steps (running loss, accuracy,
samples seen, batch hooks) is the trainer's, in ``_epoch.py``; the NumPy
fast path (``softmaxlab._kernels``) supplies the same four methods.
"""
from __future__ import annotations

import contextlib

from softmaxlab.train.batching import batch_starts

from array_api_compat import array_namespace, device

__all__ = ["ReferenceStep"]


class ReferenceStep:
    """One (model, optimizer, loss) trained by the reference maths.

    Attributes
    ----------
    name : str
        "reference", the engine's name in ``Trainer.engine_used``.
    """

    name = "reference"

    def __init__(self, model, optimizer, loss):
        self.model, self.optimizer, self.loss = model, optimizer, loss

    def matches(self, model, optimizer, loss) -> bool:
        """Whether this step was built for exactly these objects."""
        return model is self.model and optimizer is self.optimizer and loss is self.loss

    @contextlib.contextmanager
    def epoch(self, X, y, sw, order, bs, keep_gradients=True):
        """Context manager yielding this epoch's batches ``(X_b, y_b, sw_b)``
        of at most ``bs`` rows, in ``order`` (None: the data's own order).
        Every gradient is always written (``keep_gradients`` is for the
        fast path)."""
        xp = array_namespace(X)
        n = X.shape[0]
        if order is not None:
            order = xp.asarray(order, device=device(X))
        yield (self._batch(xp, X, y, sw, order, start, min(start + bs, n))
               for start in batch_starts(n, bs))

    @staticmethod
    def _batch(xp, X, y, sw, order, start, stop):
        # stop <= n: the array API leaves slices past the end unspecified.
        if order is None:
            return X[start:stop, ...], y[start:stop, ...], None if sw is None else sw[start:stop]
        rows = order[start:stop]
        return (xp.take(X, rows, axis=0), xp.take(y, rows, axis=0),
                None if sw is None else xp.take(sw, rows, axis=0))

    @staticmethod
    def evaluating():
        """Context manager for the trainer's validation pass: nothing to set."""
        return contextlib.nullcontext()

    def loss_and_gradient(self, xb, yb, swb):
        """Forward and loss of one batch: (loss, logits, dL/dlogits)."""
        logits = self.model.forward(xb, training=True)
        loss, dlogits = self.loss(logits, yb, swb)
        return loss, logits, dlogits

    def update(self, dlogits):
        """Backward (fills every layer's grads) and the optimizer's step."""
        self.model.backward(dlogits)
        self.optimizer.step()

    def count_correct(self, logits, yb) -> int:
        """Rows of the batch predicted right (every label right, for sigmoid)."""
        return self.loss.count_correct(logits, yb)

    @staticmethod
    def weight_sum(swb) -> float:
        """The total sample weight of a batch."""
        return float(array_namespace(swb).sum(swb))
