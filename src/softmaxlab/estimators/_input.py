"""The estimators' input: ``X``, ``y`` and ``sample_weight`` validated once
and put where, and as, the network takes them (its array library, device
and dtype), the engine's targets and the fused loss with this fit's class
weights.

Part of ``BaseSoftmaxEstimator`` (its private state is shared by the mixins
that make up that class, see ``_network.py``).
"""
from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn import get_config
from sklearn.utils.validation import validate_data

from softmaxlab._validation import check_sample_weight, is_foreign_array
from softmaxlab.backend import (
    BackendError,
    array_namespace,
    device,
    from_numpy,
    numpy_dtype,
    to_numpy,
)
from softmaxlab.class_weight import class_weight_vector, label_class_weight
from softmaxlab.estimators import _targets
from softmaxlab.estimators._training import resolve_dtype
from softmaxlab.nn import make_loss
from softmaxlab.errors import InputError

__all__ = ["InputMixin"]


class InputMixin:
    """Validating and converting input; uses ``_model``, ``classes_`` and
    ``_target_kind`` once the network exists."""

    def _model_dtype(self, X_dtype):
        dt = resolve_dtype(self.dtype, type(self).__name__)
        if dt is not None:
            return dt
        return np.dtype(np.float32) if X_dtype == np.float32 else np.dtype(np.float64)

    _NO_Y = object()

    def _validate(self, X, y=_NO_Y, reset=True, method="fit"):
        """Validate X (and y, when given, even as None); sparse input is
        densified (documented limit).

        Inside ``sklearn.config_context(array_api_dispatch=True)`` an array
        of another library (a torch tensor, a CuPy array) is validated in its
        own namespace and stays on its device, as scikit-learn's array-API
        estimators do; without dispatch it is converted to NumPy."""
        fitted = hasattr(self, "_model")
        if get_config().get("array_api_dispatch", False) and is_foreign_array(X):
            if y is self._NO_Y:
                X = validate_data(self, X, reset=reset)
            else:
                X, y = validate_data(self, X, y, reset=reset, multi_output=True)
            if fitted and not reset:
                X = self._to_network(X, method)
            return X, y
        dtype = numpy_dtype(self._model.dtype) if fitted and not reset else (np.float64, np.float32)
        if y is self._NO_Y:
            X = validate_data(self, X, accept_sparse=["csr", "csc"], dtype=dtype, reset=reset)
        else:
            X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], dtype=dtype,
                                 reset=reset, multi_output=True)
        if sparse.issparse(X):
            X = X.toarray()
        if fitted and not reset:
            X = self._to_network(X, method)
        return X, y

    def _to_network(self, X, method="fit"):
        """``X`` as the network takes it: in its library, on its device, in
        its dtype (C-contiguous for NumPy).

        An X in another library or on another device than the one the
        network was fitted on is refused, as scikit-learn's array-API
        estimators refuse it ("must use the same namespace"), with the fix.
        """
        W = self._model.linear_layers[0].params["W"]
        name = f"{type(self).__name__}.{method}()"
        if isinstance(W, np.ndarray):
            if is_foreign_array(X):
                raise BackendError(
                    f"{name}: X must use the same namespace and device as the data the "
                    f"estimator was fitted on (NumPy), got a {type(X).__module__.split('.')[0]} "
                    "array; pass NumPy arrays, or fit on that library's arrays inside "
                    "sklearn.config_context(array_api_dispatch=True).")
            return np.ascontiguousarray(X, dtype=W.dtype)
        fitted_on = f"{type(W).__module__.split('.')[0]} arrays on device {device(W)}"
        if not is_foreign_array(X) or array_namespace(X) is not array_namespace(W) \
                or str(device(X)) != str(device(W)):
            got = ("a NumPy array" if not is_foreign_array(X) else
                   f"{type(X).__module__.split('.')[0]} arrays on device {device(X)}")
            raise BackendError(
                f"{name}: X must use the same namespace and device as the data the estimator "
                f"was fitted on ({fitted_on}), got {got}; move X there first (for PyTorch: "
                f"X.to('{device(W)}')), or save() the estimator and softmaxlab.load() it to "
                "predict with NumPy.")
        xp = array_namespace(X)
        return X if X.dtype == W.dtype else xp.astype(X, W.dtype)

    @staticmethod
    def _where(X):
        """``(namespace, device)`` of X when it is an array of another library
        (array-API dispatch: the network trains there, and y and
        sample_weight follow X, as in scikit-learn); None for NumPy."""
        if not is_foreign_array(X):
            return None
        return array_namespace(X), device(X)

    def _targets_to_network(self, T):
        """Engine targets (NumPy, worked out on the host) where the network is."""
        W = self._model.linear_layers[0].params["W"]
        if isinstance(W, np.ndarray):
            return T
        T = T if T.dtype.kind in "iu" else T.astype(numpy_dtype(W.dtype))
        return from_numpy(T, array_namespace(W), device(W))

    def _preset_weights(self):
        """The (W, b) pairs a user set as ``coefs_``/``intercepts_`` before any
        fit (scikit-learn starts ``partial_fit``, and a warm-started ``fit``,
        from them); None otherwise."""
        coefs, intercepts = vars(self).get("coefs_"), vars(self).get("intercepts_")
        if coefs is None or intercepts is None or hasattr(self, "_model"):
            return None
        return list(zip(coefs, intercepts, strict=True))

    def _check_sw(self, sample_weight, X):
        if sample_weight is not None and is_foreign_array(X):
            # Weights follow X, wherever they came from.
            sample_weight = from_numpy(to_numpy(sample_weight).astype(numpy_dtype(X.dtype)),
                                       array_namespace(X), device(X))
        sw = check_sample_weight(sample_weight, X.shape[0], numpy_dtype(self._model.dtype))
        if sw is not None and not bool(array_namespace(sw).any(sw > 0)):
            raise InputError("Sample weights must contain at least one non-zero number: with all "
                             "weights zero there is nothing to learn from.")
        return sw

    def _encode(self, y):
        return _targets.encode(y, self.classes_, self._target_kind, self._model.output,
                               numpy_dtype(self._model.dtype))

    def _loss(self, T):
        """The network's fused loss with this fit's class weights (computed
        from the training targets ``T`` for ``"balanced"``)."""
        output = self._model.output
        T = to_numpy(T)  # class weights are worked out on the host
        if self._target_kind == "multilabel":
            cw = label_class_weight(self.class_weight, T.shape[1], T, owner=type(self).__name__)
        else:
            cw = class_weight_vector(self.class_weight, self.classes_,
                                     _targets.class_index_targets(T, output),
                                     owner=type(self).__name__)
            if cw is not None and output == "sigmoid":
                # One unit: the weights of its negatives and positives.
                cw = cw[None, :] if len(cw) == 2 else np.array([[cw[0], 1.0]])
        return make_loss(output, cw)
