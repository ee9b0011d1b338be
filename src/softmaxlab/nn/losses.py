"""The fused softmax cross-entropy loss."""
from __future__ import annotations

import numpy as np

from softmaxlab._validation import check_labels

__all__ = ["SoftmaxCrossEntropy"]


class SoftmaxCrossEntropy:
    """Softmax followed by cross-entropy, fused into one stable operation.

    Parameters
    ----------
    class_weight : array-like of shape (n_classes,), optional
        Weight of each class (seed 001 uses ``1 / count``). Combined with any
        per-sample weight by multiplication.

    Notes
    -----
    For logits ``z`` (n, C), labels ``y`` and per-sample weights
    ``w_i = class_weight[y_i] * sample_weight_i`` (all ones by default)::

        loss = - sum_i w_i log softmax(z_i)[y_i] / sum_i w_i
        dloss/dz_i = w_i (softmax(z_i) - onehot(y_i)) / sum_i w_i

    With unit weights this is the plain mean over the batch, and the gradient
    already carries the ``1/N``: optimizers never divide by the batch size.
    Normalising by ``sum w`` (not ``N``) is what PyTorch's weighted
    ``CrossEntropyLoss`` does, so the loss scale does not depend on how large
    the weights are.

    ``softmax - onehot`` is the exact gradient because ``log softmax(z)_y =
    z_y - logsumexp(z)`` and ``d logsumexp / dz = softmax(z)``. Fusing avoids
    ever forming ``log(softmax)``, which underflows to ``log(0) = -inf`` for a
    confidently wrong prediction; here the log-probability is computed as
    ``(z_y - max) - log(sum exp(z - max))``, finite for finite logits.

    L2 weight decay is not part of this loss: it is applied in exactly one
    place, the optimizer (``weight_decay``), as ``grad += weight_decay * W``
    on weights (never biases), i.e. the gradient of ``0.5 * weight_decay * ||W||^2``.
    """

    def __init__(self, class_weight=None):
        if class_weight is not None:
            class_weight = np.asarray(class_weight, dtype=np.float64)
            if class_weight.ndim != 1 or not np.all(np.isfinite(class_weight)) or np.any(class_weight < 0):
                raise ValueError(
                    "SoftmaxCrossEntropy: class_weight must be a 1-D array of finite, non-negative "
                    f"numbers (one per class), got {class_weight!r}."
                )
        self.class_weight = class_weight

    def _row_offsets(self, n):
        """``arange(n)``, kept between calls: every full batch has the same n."""
        rows = getattr(self, "_rows_cache", None)
        if rows is None or rows.shape[0] != n:
            rows = self._rows_cache = np.arange(n)
        return rows

    def _weights(self, y, sample_weight, dtype):
        """Per-sample weights of shape (n,) or None when all are 1."""
        w = None
        if self.class_weight is not None:
            w = self.class_weight.astype(dtype)[y]
        if sample_weight is not None:
            sw = np.asarray(sample_weight, dtype=dtype)
            w = sw if w is None else w * sw
        return w

    def forward(self, logits: np.ndarray, y: np.ndarray, sample_weight=None):
        """Loss value and gradient with respect to the logits.

        Parameters
        ----------
        logits : ndarray of shape (n_samples, n_classes)
        y : ndarray of shape (n_samples,)
            Integer class indices.
        sample_weight : ndarray of shape (n_samples,), optional

        Returns
        -------
        loss : float
            Weighted mean cross-entropy.
        dlogits : ndarray of shape (n_samples, n_classes)
            ``d loss / d logits``, including the ``1/sum(w)`` factor.
        """
        n, c = logits.shape
        # The work is done on a (C, n) copy: with C ~ 10, reductions along the
        # short class axis of an (n, C) array cost one tiny inner loop per row
        # (12 us for a max over 256 x 10), whereas across the rows of (C, n)
        # they are C vectorised passes over n contiguous values (about 1 us).
        # The copy is the one temporary that becomes the gradient; it is
        # returned as its transpose, an (n, C) view in Fortran order.
        pt = np.array(logits.T, order="C")
        pt -= pt.max(axis=0)
        # pt.flat[y * n + i] is the true class of row i: a flat take/put
        # instead of a 2-D fancy index.
        at_y = y * n + self._row_offsets(n)
        shifted_y = pt.take(at_y)
        np.exp(pt, out=pt)
        s = pt.sum(axis=0)
        pt /= s
        logp_y = shifted_y - np.log(s)
        pt.reshape(-1)[at_y] -= 1
        w = self._weights(y, sample_weight, logits.dtype)
        if w is None:
            # np.add.reduce, not .mean(): the same float64 sum without mean's
            # Python wrapper (a few us per batch in the training loop).
            loss = -float(np.add.reduce(logp_y, dtype=np.float64)) / n
            pt *= logits.dtype.type(1.0 / n)
        else:
            total = float(w.sum(dtype=np.float64))
            if not total > 0:
                # Every row of this batch has weight 0 (a class weighted 0, or
                # zero sample weights): it carries no information, so it
                # contributes nothing rather than a 0/0.
                pt.fill(0)
                return 0.0, pt.T
            loss = -float(np.dot(w.astype(np.float64), logp_y.astype(np.float64))) / total
            pt *= w / logits.dtype.type(total)
        return loss, pt.T

    def __call__(self, logits, y, sample_weight=None):
        # Dispatch through forward so subclasses that override it are honoured.
        return self.forward(logits, y, sample_weight)

    def value(self, logits: np.ndarray, y: np.ndarray, sample_weight=None) -> float:
        """Loss value only (no gradient), for evaluation.

        Parameters
        ----------
        logits : ndarray of shape (n_samples, n_classes)
        y : ndarray of shape (n_samples,)
        sample_weight : ndarray of shape (n_samples,), optional
        """
        rows = np.arange(logits.shape[0])
        m = logits.max(axis=1)
        lse = np.log(np.exp(logits - m[:, None]).sum(axis=1)) + m
        nll = (lse - logits[rows, y]).astype(np.float64)
        w = self._weights(y, sample_weight, np.float64)
        if w is None:
            return float(nll.mean())
        total = w.sum()
        return float(np.dot(w, nll) / total) if total > 0 else 0.0

    def count_correct(self, logits, y) -> int:
        """Rows whose largest logit is the true class (first index wins a tie).

        Parameters
        ----------
        logits : ndarray of shape (n_samples, n_classes)
        y : ndarray of shape (n_samples,), integer class indices
        """
        return int(np.count_nonzero(logits.argmax(axis=1) == y))

    def check_targets(self, y, n_samples: int, n_outputs: int, name: str = "y") -> np.ndarray:
        """Validate integer class indices in ``[0, n_outputs)``; see
        ``softmaxlab._validation.check_labels``. Returns shape (n_samples,)."""
        return check_labels(y, n_samples, n_outputs, name=name)
