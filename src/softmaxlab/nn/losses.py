"""The fused softmax cross-entropy loss: the reference maths."""
from __future__ import annotations

import numpy as np
from array_api_compat import array_namespace, device

from softmaxlab._validation import check_labels
from softmaxlab.backend import numpy_dtype
from softmaxlab.nn.functional import log_softmax
from softmaxlab.errors import InputError

__all__ = ["SoftmaxCrossEntropy"]


def _check_class_weight(class_weight, owner: str):
    """A 1-D float64 NumPy array of finite weights >= 0, or None."""
    if class_weight is None:
        return None
    class_weight = np.asarray(class_weight, dtype=np.float64)
    if class_weight.ndim != 1 or not np.all(np.isfinite(class_weight)) or np.any(class_weight < 0):
        raise InputError(
            f"{owner}: class_weight must be a 1-D array of finite, non-negative numbers (one per "
            f"class), got {class_weight!r}.")
    return class_weight


class SoftmaxCrossEntropy:
    """Softmax followed by cross-entropy, fused into one stable operation.

    Parameters
    ----------
    class_weight : array-like of shape (n_classes,), optional
        Weight of each class (``1 / count`` balances rare classes). Combined
        with any per-sample weight by multiplication.

    Notes
    -----
    For logits ``z`` (n, C), labels ``y``, probabilities ``q_i = softmax(z_i)``
    and per-sample weights ``w_i = class_weight[y_i] * sample_weight_i`` (all
    ones by default)::

        loss      = - sum_i w_i log q_i[y_i] / sum_i w_i
        dloss/dz_i = w_i (q_i - onehot(y_i)) / sum_i w_i

    With unit weights this is the plain mean over the batch, and the gradient
    already carries the ``1/N``: optimizers never divide by the batch size.
    Normalising by ``sum w`` (not ``N``) is what PyTorch's weighted
    ``CrossEntropyLoss`` does, so the loss scale does not depend on how large
    the weights are.

    ``q - onehot`` is the exact gradient because ``log q_y = z_y -
    logsumexp(z)`` and ``d logsumexp(z) / dz = softmax(z) = q``. Fusing avoids
    ever forming ``log(softmax(z))`` from the probabilities, which underflows
    to ``log(0) = -inf`` for a confidently wrong prediction; ``log_softmax``
    computes ``z - logsumexp(z)``, finite for finite logits.

    L2 weight decay is not part of this loss: it is applied in exactly one
    place, the optimizer (``weight_decay``), as ``grad += weight_decay * W``
    on weights (never biases), i.e. the gradient of ``0.5 * weight_decay * ||W||^2``.
    """

    def __init__(self, class_weight=None):
        self.class_weight = _check_class_weight(class_weight, "SoftmaxCrossEntropy")

    def _weights(self, y, sample_weight, logits):
        """Per-sample weights ``w`` of shape (n,), in the logits' namespace,
        dtype and device; None when there are neither class nor sample weights."""
        xp = array_namespace(logits)
        w = None
        if self.class_weight is not None:
            per_class = xp.asarray(self.class_weight.astype(numpy_dtype(logits.dtype)),
                                   device=device(logits))
            w = xp.take(per_class, y, axis=0)
        if sample_weight is not None:
            sw = xp.astype(sample_weight, logits.dtype)
            w = sw if w is None else w * sw
        return w

    def forward(self, logits, y, sample_weight=None):
        """Loss value and gradient with respect to the logits.

        Parameters
        ----------
        logits : array of shape (n_samples, n_classes)
        y : integer array of shape (n_samples,)
            Class indices, validated (``check_targets``).
        sample_weight : array of shape (n_samples,), optional

        Returns
        -------
        loss : float
            Weighted mean cross-entropy.
        dlogits : array of shape (n_samples, n_classes)
            ``d loss / d logits``, including the ``1/sum(w)`` factor.
        """
        xp = array_namespace(logits)
        n, c = logits.shape
        log_q = log_softmax(logits)                                   # (n, C)
        # onehot(y): row i is y_i == [0, 1, ..., C-1]
        Y = xp.astype(xp.reshape(y, (-1, 1)) == xp.arange(c, device=device(logits)), logits.dtype)
        nll = -xp.sum(Y * log_q, axis=1)                              # -log q_i[y_i], (n,)
        w = self._weights(y, sample_weight, logits)
        if w is None:                                                 # w_i = 1: the plain mean
            return float(xp.sum(nll)) / n, (xp.exp(log_q) - Y) / n
        total = xp.sum(w)
        if not float(total) > 0:
            # Every row of this batch has weight 0 (a class weighted 0, or
            # zero sample weights): it carries no information, so it
            # contributes nothing rather than a 0/0.
            return 0.0, xp.zeros_like(logits)
        loss = xp.sum(w * nll) / total
        dlogits = (xp.exp(log_q) - Y) * xp.reshape(w / total, (-1, 1))
        return float(loss), dlogits

    def __call__(self, logits, y, sample_weight=None):
        # Dispatch through forward so subclasses that override it are honoured.
        return self.forward(logits, y, sample_weight)

    def value(self, logits, y, sample_weight=None) -> float:
        """Loss value only (no gradient), for evaluation.

        Parameters
        ----------
        logits : array of shape (n_samples, n_classes)
        y : integer array of shape (n_samples,)
        sample_weight : array of shape (n_samples,), optional
        """
        xp = array_namespace(logits)
        log_q_y = xp.take_along_axis(log_softmax(logits), xp.reshape(y, (-1, 1)), axis=1)[:, 0]
        w = self._weights(y, sample_weight, logits)
        if w is None:
            return -float(xp.sum(log_q_y)) / logits.shape[0]
        total = float(xp.sum(w))
        return -float(xp.sum(w * log_q_y)) / total if total > 0 else 0.0

    def count_correct(self, logits, y) -> int:
        """How many rows of ``logits`` (n, C) put their largest logit on the
        true class ``y`` (n,) (the first index wins a tie)."""
        xp = array_namespace(logits)
        return int(xp.count_nonzero(xp.argmax(logits, axis=1) == y))

    def check_targets(self, y, n_samples: int, n_outputs: int, name: str = "y"):
        """Validated class indices for ``forward``: an integer array of shape
        (n_samples,) with values in ``[0, n_outputs)``, in ``y``'s own namespace."""
        return check_labels(y, n_samples, n_outputs, name=name)

