"""The scikit-learn estimator shared by ``MLPClassifier`` and ``SoftmaxRegression``.

``fit`` validates its input once (``_input.py``), then either configures a
``Trainer`` and calls ``Trainer.fit`` (the stochastic solvers,
``_stochastic.py``) or runs L-BFGS (``_lbfgs.py``). The other mixins that
make up the class attach the engine's network (``_network.py``), hold the
callbacks (``_callbacks.py``) and predict (``_predict.py``). The maths is
the engine's; the training loop is the Trainer's.
"""
from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.callback import with_callbacks
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import unique_labels
from sklearn.utils.validation import check_is_fitted

from softmaxlab._validation import check_features
from softmaxlab.backend import (
    numpy_dtype,
    to_numpy,
)
from softmaxlab.estimators import _targets
from softmaxlab.estimators._callbacks import CallbackMixin
from softmaxlab.estimators._input import InputMixin
from softmaxlab.estimators._stochastic import StochasticMixin
from softmaxlab.estimators._lbfgs import LbfgsMixin
from softmaxlab.estimators._network import NetworkMixin
from softmaxlab.estimators._persist import save_estimator
from softmaxlab.estimators._predict import PredictMixin
from softmaxlab.estimators._training import SHARED_CONSTRAINTS, check_hyperparameters
from softmaxlab.errors import InputError

__all__ = ["BaseSoftmaxEstimator"]


def _stochastic(est) -> bool:
    if est.solver not in ("sgd", "adam"):
        raise AttributeError(
            f"partial_fit is only available for stochastic optimizers. {est.solver} is not stochastic.")
    return True


class BaseSoftmaxEstimator(InputMixin, CallbackMixin, NetworkMixin, StochasticMixin, LbfgsMixin,
                           PredictMixin, ClassifierMixin, BaseEstimator):
    """Shared implementation; use ``MLPClassifier`` or ``SoftmaxRegression``."""

    #: Whether a target with one label fits (scikit-learn's MLP: yes; its
    #: LogisticRegression: no).
    _single_class_ok = False
    #: What each constructor argument may be, checked at ``fit`` (and at the
    #: first ``partial_fit``), as scikit-learn checks its ``_parameter_constraints``.
    _constraints = SHARED_CONSTRAINTS

    def _check_params(self):
        check_hyperparameters(type(self).__name__, self._constraints, self.get_params(deep=False))

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
        self._check_params()
        warm = self.warm_start and hasattr(self, "_model")
        X_net, T, sw = self._fit_input(X, y, sample_weight, warm)  # validated once, here
        meta = None if sample_weight is None else {"sample_weight": sample_weight}
        lbfgs = self.solver == "lbfgs"
        ctx = self._init_callback_context(max_subtasks=self.max_iter + 1 if lbfgs else self.max_iter)
        ctx.call_on_fit_task_begin(estimator=self, X=X, y=y, metadata=meta)
        if lbfgs:
            self._fit_lbfgs(X_net, T, sw, ctx, (X, y, meta))
        else:
            self._fit_stochastic(X_net, T, sw, warm, ctx, (X, y, meta))
        ctx.call_on_fit_task_end(estimator=self, X=X, y=y, metadata=meta,
                                 reconstruction_attributes={})
        return self

    def _fit_input(self, X, y, sample_weight, warm):
        """Validate ``fit``'s input once and build (or, warm, check) the network.

        Returns
        -------
        X : array of shape (n_samples, n_features), where and as the network takes it
        T : array of shape (n_samples,) or (n_samples, n_outputs), the engine's targets
        sw : array of shape (n_samples,) or None
        """
        name = type(self).__name__
        X, y = self._validate(X, y, reset=not warm)
        where = self._where(X)
        # Labels, their kind and classes_ are worked out on the host.
        y, kind = _targets.check_y(to_numpy(y), name)
        classes = _targets.fit_classes(y, kind)
        if warm:
            _targets.check_kind(kind, self._target_kind, name)
            if set(classes) != set(self.classes_):
                raise InputError("warm_start can only be used where `y` has the same classes as in "
                                 f"the previous call to fit. Previously got {self.classes_}, `y` has "
                                 f"{classes}")
        else:
            if len(classes) < 2:
                if not self._single_class_ok:
                    raise InputError(f"{name} needs samples of at least 2 classes in the data, but "
                                     f"the data contains only one class: {classes[0]!r}.")
                kind = "single"
            self._new_network(X.shape[1], classes, kind, self._model_dtype(numpy_dtype(X.dtype)),
                              self._preset_weights() if self.warm_start else None, where)
        X = self._to_network(X)
        # The one check scikit-learn's validation lacks: values whose square
        # overflows the dtype would diverge in the first step.
        check_features(X, dtype=numpy_dtype(self._model.dtype))
        return X, self._targets_to_network(self._encode(y)), self._check_sw(sample_weight, X)

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
            self._check_params()
            if classes is None:
                raise InputError("classes must be passed on the first call to partial_fit.")
        elif classes is not None and not np.array_equal(self.classes_, unique_labels(classes)):
            raise InputError(f"`classes={classes!r}` is not the same as on last call to "
                             f"partial_fit, was: {self.classes_!r}")
        if self.early_stopping:
            raise InputError("partial_fit does not support early_stopping=True")
        if self.class_weight == "balanced":
            raise InputError("class_weight='balanced' needs the whole training set, which partial_fit "
                             "never sees; pass class_weight=dict(zip(classes, compute_class_weight("
                             "'balanced', classes=classes, y=y_all))) instead.")
        X_raw, y_raw = X, y
        X, y = self._validate(X, y, reset=first)
        where = self._where(X) if first else None
        y, kind = _targets.check_y(to_numpy(y), name)
        if first:
            all_classes, kind = _targets.partial_fit_classes(classes, y, kind)
            if len(all_classes) < 2 and not self._single_class_ok:
                raise InputError(f"classes must hold at least 2 classes, got {all_classes!r}.")
            self._new_network(X.shape[1], all_classes, kind,
                              self._model_dtype(numpy_dtype(X.dtype)), self._preset_weights(),
                              where)
        else:
            _targets.check_kind(kind, self._target_kind, name)
            if kind == "multilabel" and y.shape[1] != len(self.classes_):
                raise InputError("`y` has classes not in `self.classes_`. `self.classes_` has "
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
