"""The scikit-learn estimator shared by ``MLPClassifier`` and ``SoftmaxRegression``.

It validates input and names the kind of target (``_targets.py``); the
mixins that make up the class attach and train the engine's network
(``_network.py``), configure the ``Trainer`` that runs the stochastic
solvers (``_stochastic.py``), run L-BFGS (``_lbfgs.py``), call the callbacks
(``_callbacks.py``) and predict (``_predict.py``). The maths is the engine's.
"""
from __future__ import annotations

import warnings

import numpy as np
from scipy import sparse
from sklearn import get_config
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.callback import with_callbacks
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import unique_labels
from sklearn.utils.validation import check_is_fitted, validate_data

from softmaxlab._validation import check_features, check_sample_weight, is_foreign_array
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
from softmaxlab.estimators._callbacks import CallbackMixin
from softmaxlab.estimators._stochastic import StochasticMixin
from softmaxlab.estimators._lbfgs import LbfgsMixin
from softmaxlab.estimators._network import NetworkMixin
from softmaxlab.estimators._persist import save_estimator
from softmaxlab.estimators._predict import PredictMixin
from softmaxlab.estimators._training import check_hyperparameters, resolve_dtype
from softmaxlab.nn import make_loss

__all__ = ["BaseSoftmaxEstimator"]


def _stochastic(est) -> bool:
    if est.solver not in ("sgd", "adam"):
        raise AttributeError(
            f"partial_fit is only available for stochastic optimizers. {est.solver} is not stochastic.")
    return True


class BaseSoftmaxEstimator(CallbackMixin, NetworkMixin, StochasticMixin, LbfgsMixin, PredictMixin,
                           ClassifierMixin, BaseEstimator):
    """Shared implementation; use ``MLPClassifier`` or ``SoftmaxRegression``."""

    #: Whether a target with one label fits (scikit-learn's MLP: yes; its
    #: LogisticRegression: no).
    _single_class_ok = False
    #: Parameters whose None means "the solver's own default".
    _none_ok = ()

    # ---- input -------------------------------------------------------------
    def _model_dtype(self, X_dtype):
        dt = resolve_dtype(self.dtype)
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
            raise ValueError("Sample weights must contain at least one non-zero number: with all "
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
            cw = label_class_weight(self.class_weight, T.shape[1], T)
        else:
            cw = class_weight_vector(self.class_weight, self.classes_,
                                     _targets.class_index_targets(T, output))
            if cw is not None and output == "sigmoid":
                # One unit: the weights of its negatives and positives.
                cw = cw[None, :] if len(cw) == 2 else np.array([[cw[0], 1.0]])
        return make_loss(output, cw)

    # ---- fit -----------------------------------------------------------------
    @with_callbacks
    def fit(self, X, y, sample_weight=None):
        """Fit the model to ``X`` and the targets ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Labels, or a 0/1 indicator matrix (multilabel: one logistic
            output per label).
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self
        """
        check_hyperparameters(self, self._none_ok)
        name = type(self).__name__
        warm = self.warm_start and hasattr(self, "_model")
        X_raw, y_raw = X, y
        X, y = self._validate(X, y, reset=not warm)
        where = self._where(X)
        # Labels, their kind and classes_ are worked out on the host.
        y, kind = _targets.check_y(to_numpy(y), name)
        classes = _targets.fit_classes(y, kind)
        if warm:
            _targets.check_kind(kind, self._target_kind, name)
            if set(classes) != set(self.classes_):
                raise ValueError("warm_start can only be used where `y` has the same classes as in "
                                 f"the previous call to fit. Previously got {self.classes_}, `y` has "
                                 f"{classes}")
        else:
            if len(classes) < 2:
                if not self._single_class_ok:
                    raise ValueError(f"{name} needs samples of at least 2 classes in the data, but "
                                     f"the data contains only one class: {classes[0]!r}.")
                kind = "single"
            self._new_network(X.shape[1], classes, kind, self._model_dtype(numpy_dtype(X.dtype)),
                              self._preset_weights() if self.warm_start else None, where)
        X = self._to_network(X)
        # The one check scikit-learn's validation lacks: values whose square
        # overflows the dtype would diverge in the first step.
        check_features(X, dtype=numpy_dtype(self._model.dtype))
        T = self._targets_to_network(self._encode(y))
        sw = self._check_sw(sample_weight, X)
        meta = None if sample_weight is None else {"sample_weight": sample_weight}
        lbfgs = self.solver == "lbfgs"
        ctx = self._init_callback_context(max_subtasks=self.max_iter + 1 if lbfgs else self.max_iter)
        ctx.call_on_fit_task_begin(estimator=self, X=X_raw, y=y_raw, metadata=meta)
        if lbfgs:
            self._fit_lbfgs(X, T, sw, ctx, (X_raw, y_raw, meta))
        else:
            self._fit_stochastic(X, T, sw, warm, ctx, (X_raw, y_raw, meta))
        ctx.call_on_fit_task_end(estimator=self, X=X_raw, y=y_raw, metadata=meta,
                                 reconstruction_attributes={})
        return self

    def _fit_stochastic(self, X, T, sw, warm, ctx, raw):
        """Up to ``max_iter`` epochs of the Trainer, stopped by scikit-learn's
        rules (``SklearnStopping``); with ``early_stopping`` on a held-out
        split, restoring the best epoch's weights."""
        if warm:
            self._rng = self._make_rng()
            self._model.set_rng(self._rng)
        self._make_optimizer()
        val = None
        if self.early_stopping:
            X, T, sw, val = self._split(X, T, sw)
        self.n_iter_ = 0
        trainer = self._train(self._loss(T), X, T, sw, epochs=self.max_iter, val=val, ctx=ctx,
                              raw=raw)
        if not trainer.stop_training:
            warnings.warn(f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached "
                          "and the optimization hasn't converged yet.", ConvergenceWarning,
                          stacklevel=4)

    @available_if(_stochastic)
    @with_callbacks
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch over the given data (scikit-learn semantics).

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
        classes : array-like of shape (n_classes,)
            Every class of the whole stream (``range(n_labels)`` for an
            indicator matrix); required on the first call.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self
        """
        first = not hasattr(self, "_model")
        name = type(self).__name__
        if first:
            check_hyperparameters(self, self._none_ok)
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit.")
        elif classes is not None and not np.array_equal(self.classes_, unique_labels(classes)):
            raise ValueError(f"`classes={classes!r}` is not the same as on last call to "
                             f"partial_fit, was: {self.classes_!r}")
        if self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")
        if self.class_weight == "balanced":
            raise ValueError("class_weight='balanced' needs the whole training set, which partial_fit "
                             "never sees; pass class_weight=dict(zip(classes, compute_class_weight("
                             "'balanced', classes=classes, y=y_all))) instead.")
        X_raw, y_raw = X, y
        X, y = self._validate(X, y, reset=first)
        where = self._where(X) if first else None
        y, kind = _targets.check_y(to_numpy(y), name)
        if first:
            all_classes, kind = _targets.partial_fit_classes(classes, y, kind)
            if len(all_classes) < 2 and not self._single_class_ok:
                raise ValueError(f"classes must hold at least 2 classes, got {all_classes!r}.")
            self._new_network(X.shape[1], all_classes, kind,
                              self._model_dtype(numpy_dtype(X.dtype)), self._preset_weights(),
                              where)
        else:
            _targets.check_kind(kind, self._target_kind, name)
            if kind == "multilabel" and y.shape[1] != len(self.classes_):
                raise ValueError("`y` has classes not in `self.classes_`. `self.classes_` has "
                                 f"{self.classes_}. 'y' has {np.arange(y.shape[1])}.")
        X = self._to_network(X)
        # The one check scikit-learn's validation lacks: values whose square
        # overflows the dtype would diverge in the first step.
        check_features(X, dtype=numpy_dtype(self._model.dtype))
        T = self._targets_to_network(self._encode(y))
        sw = self._check_sw(sample_weight, X)
        meta = None if sample_weight is None else {"sample_weight": sample_weight}
        ctx = self._init_callback_context(task_name="partial_fit")
        ctx.call_on_fit_task_begin(estimator=self, X=X_raw, y=y_raw, metadata=meta)
        self._train(self._loss(T), X, T, sw, epochs=1)
        # One call is one epoch: like Trainer.fit(epochs=1), it completes (the
        # n_iter_no_change counter only matters to fit).
        self.history_.stopped = "completed"
        ctx.call_on_fit_task_end(estimator=self, X=X_raw, y=y_raw, metadata=meta,
                                 reconstruction_attributes={})
        return self

    def save(self, path):
        """Save to a pickle-free ``.npz`` readable by ``softmaxlab.load``."""
        check_is_fitted(self)
        return save_estimator(path, self, self._model, self._training_state())

    def __sklearn_is_fitted__(self):
        return hasattr(self, "_model")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.classifier_tags.multi_label = True
        tags.array_api_support = True
        return tags
