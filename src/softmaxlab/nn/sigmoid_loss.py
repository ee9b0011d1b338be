"""The fused sigmoid binary cross-entropy loss: independent logistic outputs.

Written against the array namespace of its input (``array_api_compat``), so
the same lines run on NumPy, PyTorch, CuPy or array-api-strict.
"""
from __future__ import annotations

import array_api_compat
import numpy as np

from softmaxlab.nn.functional import log_sigmoid, sigmoid as _sigmoid, softplus
from softmaxlab.errors import InputError

__all__ = ["SigmoidBinaryCrossEntropy", "log_sigmoid", "softplus"]


class SigmoidBinaryCrossEntropy:
    """Sigmoid followed by binary cross-entropy, per output unit, fused.

    The loss of independent yes/no outputs: one logistic unit for a binary
    problem, one per label for multilabel classification.

    Parameters
    ----------
    class_weight : array-like of shape (n_labels,) or (n_labels, 2), optional
        Shape (n_labels,): the weight of label ``j``'s term, whatever its
        target. Shape (n_labels, 2): column 0 weighs label ``j``'s negatives
        (``Y = 0``), column 1 its positives (``Y = 1``), which is what
        class weights of a binary problem become (one label, two classes).
        Combined with any per-sample weight by multiplication.

    Notes
    -----
    For logits ``z`` (n, L), targets ``Y`` in {0, 1} (n, L), sample weights
    ``s_i`` (all 1 by default) and term weights ``c_ij`` (from
    ``class_weight``, all 1 by default)::

        l_ij = -[Y_ij log sigmoid(z_ij) + (1 - Y_ij) log sigmoid(-z_ij)]
             = softplus(z_ij) - Y_ij z_ij
        loss = sum_i s_i sum_j c_ij l_ij / sum_i s_i
        dloss/dz_ij = s_i c_ij (sigmoid(z_ij) - Y_ij) / sum_i s_i

    What is averaged: each sample's loss is the *sum* over its L labels, and
    the samples are averaged (weighted by ``s``), as the softmax loss averages
    its per-sample losses by ``sum(s)``. This is scikit-learn's MLP loss for
    binary and multilabel targets, so ``loss_`` means the same there and
    here, and for L = 1 it equals the 2-class softmax cross-entropy.
    PyTorch's ``BCEWithLogitsLoss(reduction="mean")`` divides by ``n * L``
    instead (and never by the weights): ours equals
    ``BCEWithLogitsLoss(weight=s[:, None] * c, reduction="sum")(z, Y) / sum(s)``.

    Why ``sigmoid - Y`` is the exact gradient: ``d softplus(z)/dz =
    sigmoid(z)`` and ``d(Y z)/dz = Y``. Writing the loss as ``softplus(z) - Y
    z`` never forms ``log(sigmoid(z))``, which underflows to ``log(0) = -inf``
    for a confidently wrong logit; ``softplus`` is computed stably (see
    ``softplus``), so logits of +-1e4 give a finite loss and gradient. As for
    the softmax loss, the gradient already carries the ``1 / sum(s)``:
    optimizers never divide by the batch size.
    """

    def __init__(self, class_weight=None):
        if class_weight is not None:
            class_weight = np.asarray(class_weight, dtype=np.float64)
            shape_ok = class_weight.ndim == 1 or (class_weight.ndim == 2 and class_weight.shape[1] == 2)
            if not shape_ok or not np.all(np.isfinite(class_weight)) or np.any(class_weight < 0):
                raise InputError(
                    "SigmoidBinaryCrossEntropy: class_weight must hold finite, non-negative numbers "
                    "of shape (n_labels,) or (n_labels, 2) (negatives, positives), got "
                    f"{class_weight!r}.")
        self.class_weight = class_weight

    def _weights(self, xp, Y, sample_weight):
        """Term weights of shape (n, L) or (n, 1) or (1, L), or None when all are 1."""
        w = None
        dev = array_api_compat.device(Y)
        if self.class_weight is not None:
            c = xp.asarray(self.class_weight, dtype=Y.dtype, device=dev)
            if c.shape[0] != Y.shape[1]:
                raise InputError(f"SigmoidBinaryCrossEntropy: class_weight has {c.shape[0]} rows "
                                 f"for {Y.shape[1]} output units.")
            w = c[None, :] if c.ndim == 1 else c[:, 0] * (1 - Y) + c[:, 1] * Y
        if sample_weight is not None:
            s = xp.asarray(sample_weight, dtype=Y.dtype, device=dev)[:, None]
            w = s if w is None else w * s
        return w

    @staticmethod
    def _total(xp, n, sample_weight, dtype, dev) -> float:
        if sample_weight is None:
            return float(n)
        return float(xp.sum(xp.asarray(sample_weight, dtype=dtype, device=dev)))

    def _terms(self, logits, Y, sample_weight):
        xp = array_api_compat.array_namespace(logits)
        if Y.dtype != logits.dtype:
            Y = xp.astype(Y, logits.dtype)
        w = self._weights(xp, Y, sample_weight)
        total = self._total(xp, logits.shape[0], sample_weight, logits.dtype,
                            array_api_compat.device(logits))
        return xp, Y, w, total

    def forward(self, logits, Y, sample_weight=None):
        """Loss value and gradient with respect to the logits.

        Parameters
        ----------
        logits : array of shape (n_samples, n_labels)
        Y : array of shape (n_samples, n_labels)
            0/1 targets (any real or bool dtype; cast to the logits' dtype).
        sample_weight : array of shape (n_samples,), optional

        Returns
        -------
        loss : float
            Weighted mean over samples of the per-sample sum over labels.
        dlogits : array of shape (n_samples, n_labels)
            ``d loss / d logits``, including the ``1/sum(s)`` factor.
        """
        xp, Y, w, total = self._terms(logits, Y, sample_weight)
        if not total > 0:
            # Every sample of this batch has weight 0: it carries no
            # information, so it contributes nothing rather than a 0/0.
            return 0.0, xp.zeros_like(logits)
        terms = softplus(logits) - Y * logits
        grad = _sigmoid(logits) - Y
        if w is not None:
            terms = terms * w
            grad = grad * w
        return float(xp.sum(terms)) / total, grad / total

    def __call__(self, logits, Y, sample_weight=None):
        # Dispatch through forward so subclasses that override it are honoured.
        return self.forward(logits, Y, sample_weight)

    def value(self, logits, Y, sample_weight=None) -> float:
        """Loss value only (no gradient), for evaluation.

        Parameters
        ----------
        logits : array of shape (n_samples, n_labels)
        Y : array of shape (n_samples, n_labels)
        sample_weight : array of shape (n_samples,), optional
        """
        xp, Y, w, total = self._terms(logits, Y, sample_weight)
        if not total > 0:
            return 0.0
        terms = softplus(logits) - Y * logits
        if w is not None:
            terms = terms * w
        return float(xp.sum(terms)) / total

    def count_correct(self, logits, Y) -> int:
        """Rows whose every label is predicted right (``logit > 0`` means 1):
        the numerator of subset accuracy, scikit-learn's multilabel ``score``.

        Parameters
        ----------
        logits : array of shape (n_samples, n_labels)
        Y : array of shape (n_samples, n_labels), 0/1
        """
        xp = array_api_compat.array_namespace(logits)
        hits = xp.all((logits > 0) == (Y > 0.5), axis=1)
        return int(xp.sum(xp.astype(hits, xp.int64)))

    def check_targets(self, Y, n_samples: int, n_outputs: int, name: str = "y"):
        """Validate 0/1 targets and return them as a float matrix.

        Parameters
        ----------
        Y : array-like of shape (n_samples, n_outputs), or (n_samples,) when
            ``n_outputs == 1``
        n_samples : int
            Rows of X; ``Y`` must match.
        n_outputs : int
            Output units of the model.
        name : str
            Used in messages.

        Returns
        -------
        array of shape (n_samples, n_outputs) of 0.0 and 1.0 (float64 unless
        ``Y`` already has a real floating dtype), in ``Y``'s namespace.

        Raises
        ------
        ValueError
            Wrong shape or length, or values other than 0 and 1 (NaN included).
        """
        try:
            xp = array_api_compat.array_namespace(Y)
        except TypeError:
            Y = np.asarray(Y)
            xp = array_api_compat.array_namespace(Y)
        if Y.ndim == 1 and n_outputs == 1:
            Y = xp.reshape(Y, (-1, 1))
        if Y.ndim != 2 or Y.shape[1] != n_outputs:
            raise InputError(f"{name} must have shape (n_samples, {n_outputs}): one 0/1 column per "
                             f"output unit of the model, got shape {tuple(Y.shape)}.")
        if Y.shape[0] != n_samples:
            raise InputError(f"{name} has {Y.shape[0]} rows but X has {n_samples}; they must match.")
        if not xp.isdtype(Y.dtype, "real floating"):
            Y = xp.astype(Y, xp.float64)
        ok = xp.all((Y == 0) | (Y == 1))
        if not bool(ok):
            bad = int(xp.sum(xp.astype(~((Y == 0) | (Y == 1)), xp.int64)))
            raise InputError(f"{name} must hold only 0 and 1 (one indicator column per label), but "
                             f"{bad} of its {Y.shape[0] * Y.shape[1]} entries are something else; "
                             "binarize it, e.g. with sklearn.preprocessing.MultiLabelBinarizer.")
        return Y
