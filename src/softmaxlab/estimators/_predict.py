"""Prediction for the estimators: validated logits (with a fast path for
arrays validation would pass through unchanged) and what each output layer
makes of them.

Part of ``BaseSoftmaxEstimator`` (its private state is shared by the mixins
that make up that class, see ``_network.py``).
"""
from __future__ import annotations

import math

import numpy as np
from sklearn.utils.validation import check_is_fitted

from softmaxlab._validation import check_logits
from softmaxlab.backend import array_namespace, device, to_numpy
from softmaxlab.nn.functional import sigmoid, softmax

__all__ = ["PredictMixin"]


class PredictMixin:
    """``predict``, ``predict_proba`` and ``predict_log_proba``."""

    def _logits(self, X, method):
        """Validated logits of shape (n_samples, n_units): the engine's
        prediction guard raises ``NumericalOverflowError`` where the
        probabilities would be NaN (huge weights, inputs far off the training
        scale)."""
        model = getattr(self, "_model", None)
        # The fast path: an array that validate_data would pass through
        # unchanged (right type, dtype, shape, no feature names to compare)
        # needs only the finiteness check. Anything else, or a failing check,
        # takes scikit-learn's validation, which raises its usual errors.
        if (model is not None and type(X) is np.ndarray and isinstance(model.dtype, np.dtype)
                and X.ndim == 2 and X.dtype == model.dtype
                and X.shape[0] > 0 and X.shape[1] == self.n_features_in_
                and not hasattr(self, "feature_names_in_") and math.isfinite(X.sum())):
            return check_logits(model.predict_logits(X))
        check_is_fitted(self)
        X, _ = self._validate(X, reset=False, method=method)
        return check_logits(self._model.predict_logits(X))

    def _proba(self, z):
        xp = array_namespace(z)
        if self._model.output == "softmax":
            p = softmax(z)
        elif self._target_kind == "single":
            return xp.ones((z.shape[0], 1), dtype=z.dtype, device=device(z))
        else:
            if self._target_kind == "binary":
                # Both columns from the logit itself: 1 - sigmoid(z) would
                # round a tiny sigmoid(-z) to 0.
                p = xp.concat([sigmoid(-z), sigmoid(z)], axis=1)
            else:
                p = sigmoid(z)
            # A sigmoid is never exactly 1 either (the largest float below 1
            # instead): scikit-learn's checks want each label's probability
            # strictly inside (0, 1).
            p = xp.minimum(p, xp.nextafter(xp.asarray(1.0, dtype=p.dtype, device=device(p)),
                                           xp.asarray(0.0, dtype=p.dtype, device=device(p))))
        return xp.maximum(p, xp.finfo(p.dtype).smallest_normal)

    def _labels(self, idx):
        """``classes_[idx]`` for class indices ``idx`` (n,), in idx's library
        and on its device when that is not NumPy (labels are then numbers)."""
        if isinstance(idx, np.ndarray):
            return self.classes_[idx]
        xp = array_namespace(idx)
        return xp.asarray(self.classes_[to_numpy(idx)], device=device(idx))

    def predict(self, X):
        """Predicted labels of shape (n_samples,) from ``classes_``, or for
        multilabel the 0/1 indicator matrix of shape (n_samples, n_labels),
        in X's array library and on its device (array-API dispatch)."""
        z = self._logits(X, "predict")
        xp = array_namespace(z)
        if self._model.output == "softmax":
            return self._labels(xp.argmax(z, axis=1))
        if self._target_kind == "binary":
            return self._labels(xp.astype(z[:, 0] > 0, xp.int64))
        if self._target_kind == "single":
            return self._labels(xp.zeros(z.shape[0], dtype=xp.int64, device=device(z)))
        return xp.astype(z > 0, xp.int64)

    def predict_proba(self, X):
        """Probabilities of shape (n_samples, n_classes), columns in ``classes_``
        order: rows summing to 1, or for multilabel each label's own
        probability (shape (n_samples, n_labels)).

        Never exactly 0: a probability that underflows is reported as the
        dtype's smallest normal number (1e-308 in float64), so that
        ``predict_log_proba`` stays finite; a sigmoid output is never exactly
        1 either.
        """
        return self._proba(self._logits(X, "predict_proba"))

    def predict_log_proba(self, X):
        """``log(predict_proba(X))``, as scikit-learn defines it: finite for
        finite input (at least ``log`` of the smallest normal number, -708 in
        float64), and ordered as the probabilities are."""
        p = self._proba(self._logits(X, "predict_log_proba"))
        return array_namespace(p).log(p)
