"""The scikit-learn estimator shared by ``MLPClassifier`` and ``SoftmaxRegression``.

It validates input, encodes labels, builds the engine's model, optimizer and
``Trainer``, and reproduces scikit-learn's epoch bookkeeping (``loss_curve_``,
``tol``/``n_iter_no_change``, ``adaptive``/``invscaling`` rates, early stopping
on the validation score). The maths is the engine's.
"""
from __future__ import annotations

import warnings

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from softmaxlab._validation import check_logits, check_sample_weight
from softmaxlab.nn import SoftmaxCrossEntropy
from softmaxlab.optim import SGD, Adam, make_schedule
from softmaxlab.train import History, Trainer
from softmaxlab.train.hints import check_not_learning
from softmaxlab.estimators._epochs import EpochMixin
from softmaxlab.estimators._training import (
    SklearnL2,
    check_hyperparameters,
    resolve_dtype,
)

__all__ = ["BaseSoftmaxEstimator"]


def _stochastic(est) -> bool:
    if est.solver not in ("sgd", "adam"):
        raise AttributeError(
            f"partial_fit is only available for stochastic optimizers. {est.solver} is not stochastic.")
    return True


class BaseSoftmaxEstimator(EpochMixin, ClassifierMixin, BaseEstimator):
    """Shared implementation; use ``MLPClassifier`` or ``SoftmaxRegression``."""

    # ---- what subclasses define ------------------------------------------
    def _hidden(self) -> list[int]:
        return []

    def _build_model(self, n_features, n_classes, rng, dtype):
        raise NotImplementedError

    # ---- input -------------------------------------------------------------
    def _model_dtype(self, X_dtype):
        dt = resolve_dtype(self.dtype)
        if dt is not None:
            return dt
        return np.dtype(np.float32) if X_dtype == np.float32 else np.dtype(np.float64)

    def _check_X(self, X, reset: bool, y=None):
        """Validate X (and y); sparse input is densified (documented limit)."""
        dtype = (np.float64, np.float32) if reset or not hasattr(self, "_model") else self._model.dtype
        if y is None:
            X = validate_data(self, X, accept_sparse=["csr", "csc"], dtype=dtype, reset=reset)
        else:
            X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], dtype=dtype, reset=reset)
        if sparse.issparse(X):
            X = X.toarray()
        if not reset and hasattr(self, "_model"):
            X = np.ascontiguousarray(X, dtype=self._model.dtype)
        return X, y

    def _check_y(self, y):
        check_classification_targets(y)
        kind = type_of_target(y)
        if kind not in ("binary", "multiclass"):
            raise ValueError(f"{type(self).__name__} supports binary and multiclass targets, got {kind!r} "
                             "(multilabel/multioutput targets are not supported).")
        return y

    def _encode(self, y):
        idx = np.searchsorted(self.classes_, y)
        idx = np.clip(idx, 0, len(self.classes_) - 1)
        bad = self.classes_[idx] != y
        if np.any(bad):
            unseen = np.unique(np.asarray(y)[bad])
            raise ValueError(f"`y` has classes not in `self.classes_`. `self.classes_` has "
                             f"{self.classes_}. 'y' has {unseen}.")
        return idx.astype(np.intp)

    def _check_sw(self, sample_weight, X):
        sw = check_sample_weight(sample_weight, X.shape[0], self._model.dtype)
        if sw is not None and not np.any(sw > 0):
            raise ValueError("Sample weights must contain at least one non-zero number: with all "
                             "weights zero there is nothing to learn from.")
        return sw

    def _class_weight_vector(self, y_idx):
        cw = self.class_weight
        if cw is None:
            return None
        if isinstance(cw, str):
            present = np.unique(y_idx)
            w = np.ones(len(self.classes_))
            w[present] = compute_class_weight("balanced", classes=present, y=y_idx)
            return w
        w = np.ones(len(self.classes_))
        for label, value in cw.items():
            hits = np.flatnonzero(self.classes_ == label)
            if hits.size == 0:
                raise ValueError(f"class_weight has label {label!r}, which is not among the classes "
                                 f"{list(self.classes_)}.")
            w[hits[0]] = value
        return w

    # ---- state ----------------------------------------------------------------
    def _make_rng(self):
        rs = self.random_state
        if rs is None or isinstance(rs, (int, np.integer)):
            return np.random.default_rng(rs)
        return np.random.default_rng(int(check_random_state(rs).randint(np.iinfo(np.int32).max)))

    def _init_fitted_state(self, n_features, dtype):
        self._rng = self._make_rng()
        self._model = self._build_model(n_features, len(self.classes_), self._rng, dtype)
        self._model.set_rng(self._rng)
        lin = self._model.linear_layers
        # The very arrays the optimizer updates in place: always current.
        self.coefs_ = [layer.params["W"] for layer in lin]
        self.intercepts_ = [layer.params["b"] for layer in lin]
        self.n_layers_ = len(lin) + 1
        self.n_outputs_ = len(self.classes_)
        self.out_activation_ = "softmax"
        self.n_iter_ = 0
        self.t_ = 0
        self.loss_curve_ = []
        self.validation_loss_curve_ = [] if self.early_stopping else None
        self.history_ = History()
        self._no_improvement_count = 0
        self._epochs_done = 0
        if self.early_stopping:
            self.validation_scores_ = []
            self.best_validation_score_ = -np.inf
            self.best_loss_ = None
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None
            self.best_loss_ = np.inf
        self._opt = None

    def _make_optimizer(self):
        params = self._model.parameters()
        if self.solver == "sgd":
            self._opt = SGD(params, lr=self.learning_rate_init, momentum=self.momentum,
                            nesterov=bool(self.nesterovs_momentum and self.momentum > 0))
        else:
            self._opt = Adam(params, lr=self.learning_rate_init, betas=(self.beta_1, self.beta_2),
                             eps=self.epsilon)
        self._schedule = None
        spec = self.lr_schedule
        if spec is not None:
            opts = dict(spec) if isinstance(spec, dict) else {"name": spec}
            name = opts.pop("name")
            if name == "cosine":
                opts.setdefault("total_epochs", self.max_iter)
            self._schedule = make_schedule(name, self._opt, **opts)
        elif self.solver == "sgd" and self.learning_rate == "invscaling":
            self._schedule = make_schedule("invscaling", self._opt, power_t=self.power_t, unit="sample")
        self._trainer = None

    def _get_trainer(self, y_idx):
        if self._opt is None:
            self._make_optimizer()
        if getattr(self, "_trainer", None) is None:
            self._l2 = SklearnL2(self.alpha)
            self._trainer = Trainer(self._model, self._opt, batch_size=1, rng=self._rng,
                                    shuffle=self.shuffle, callbacks=[self._l2])
            # The trainer counts epochs on from the estimator's own (warm_start,
            # partial_fit, unpickling), so a divergence names the real epoch,
            # and records into history_ itself.
            self._trainer.epoch = self._epochs_done
            self._trainer.samples_seen = self.t_
            self._trainer.history = self.history_
        # An all-zero-weight minibatch contributes loss 0 and no gradient
        # (SoftmaxCrossEntropy handles it); the L2 step still applies.
        self._trainer.loss = SoftmaxCrossEntropy(self._class_weight_vector(y_idx))
        self._trainer.shuffle = self.shuffle
        return self._trainer

    def __getstate__(self):
        # The trainer holds a shuffled copy of the last training set: never
        # pickle it. It is rebuilt from model, optimizer and RNG when needed.
        state = super().__getstate__()
        state.pop("_trainer", None)
        state.pop("_l2", None)
        return state

    # ---- public API --------------------------------------------------------------
    def fit(self, X, y, sample_weight=None):
        """Fit the model to ``X`` of shape (n_samples, n_features) and labels ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self
        """
        check_hyperparameters(self)
        first = not hasattr(self, "_model") or not self.warm_start
        X, y = self._check_X(X, reset=first, y=y)
        y = self._check_y(y)
        classes = np.unique(y)
        if first:
            if len(classes) < 2:
                raise ValueError(f"{type(self).__name__} needs samples of at least 2 classes in the "
                                 f"data, but the data contains only one class: {classes[0]!r}.")
            self.classes_ = classes
            self._init_fitted_state(X.shape[1], self._model_dtype(X.dtype))
        elif set(classes) != set(self.classes_):
            raise ValueError("warm_start can only be used where `y` has the same classes as in the "
                             f"previous call to fit. Previously got {self.classes_}, `y` has {classes}")
        X = np.ascontiguousarray(X, dtype=self._model.dtype)
        y_idx = self._encode(y)
        sw = self._check_sw(sample_weight, X)
        if self.solver == "lbfgs":
            from softmaxlab.estimators._lbfgs import fit_lbfgs
            return fit_lbfgs(self, X, y_idx, sw)
        self._make_optimizer()
        self._rng = self._make_rng() if not first else self._rng
        self._model.set_rng(self._rng)
        self._trainer = None
        val = None
        if self.early_stopping:
            X, y_idx, sw, val = self._split(X, y_idx, sw)
            self._best_weights = self._model.get_weights()
        trainer = self._get_trainer(y_idx)
        self.n_iter_ = 0
        self.history_.stopped = None
        for _ in range(self.max_iter):
            stop = self._epoch(trainer, X, y_idx, sw, val)
            # As Trainer.fit: warns once, after epoch 3 of the run (history_ spans
            # warm_start and partial_fit). Called here, not in _epoch, so that
            # the warning points at the caller of fit.
            check_not_learning(self.history_, len(self.classes_), self.history_.lr[-1])
            if stop:
                self.history_.stopped = "early_stopping"
                break
            if self.n_iter_ == self.max_iter:
                warnings.warn(f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached "
                              "and the optimization hasn't converged yet.", ConvergenceWarning,
                              stacklevel=2)
        if self.history_.stopped is None:
            self.history_.stopped = "completed"
        if self.early_stopping:
            self._model.set_weights(self._best_weights)
            self.history_.best_epoch = int(np.argmax(self.validation_scores_)) + 1 \
                if self.validation_scores_ else None
        return self

    def _split(self, X, y_idx, sw):
        seed = int(self._rng.integers(np.iinfo(np.int32).max))
        parts = train_test_split(X, y_idx, *([sw] if sw is not None else []), random_state=seed,
                                 test_size=self.validation_fraction, stratify=y_idx)
        X_tr, X_val, y_tr, y_val = parts[:4]
        sw_tr, sw_val = (parts[4], parts[5]) if sw is not None else (None, None)
        if X_val.shape[0] < 2:
            raise ValueError("The validation set is too small. Increase 'validation_fraction' "
                             "or the size of your dataset.")
        return X_tr, y_tr, sw_tr, (X_val, y_val, sw_val)

    @available_if(_stochastic)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch over the given data (scikit-learn semantics).

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,)
            Every class of the whole stream; required on the first call.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self
        """
        first = not hasattr(self, "classes_")
        if first:
            check_hyperparameters(self)
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit.")
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(f"`classes={np.unique(classes)}` is not the same as on last call to "
                             f"partial_fit, was: {self.classes_}")
        if self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")
        if self.class_weight == "balanced":
            raise ValueError("class_weight='balanced' needs the whole training set, which partial_fit "
                             "never sees; pass class_weight=dict(zip(classes, compute_class_weight("
                             "'balanced', classes=classes, y=y_all))) instead.")
        X, y = self._check_X(X, reset=first, y=y)
        y = self._check_y(y)
        if first:
            classes = np.unique(classes)
            if len(classes) < 2:
                raise ValueError(f"classes must hold at least 2 classes, got {classes!r}.")
            self.classes_ = classes
            self._init_fitted_state(X.shape[1], self._model_dtype(X.dtype))
        X = np.ascontiguousarray(X, dtype=self._model.dtype)
        y_idx = self._encode(y)
        sw = self._check_sw(sample_weight, X)
        self.history_.stopped = None
        self._epoch(self._get_trainer(y_idx), X, y_idx, sw, None)
        check_not_learning(self.history_, len(self.classes_), self.history_.lr[-1])
        # One call is one epoch: like Trainer.fit(epochs=1), it completes (the
        # n_iter_no_change counter only matters to fit).
        self.history_.stopped = "completed"
        return self

    def _logits(self, X):
        """Validated logits of shape (n_samples, n_classes): the engine's
        prediction guard raises ``NumericalOverflowError`` where softmax of
        them would be NaN (huge weights or inputs far off the training scale)."""
        check_is_fitted(self)
        X, _ = self._check_X(X, reset=False)
        return check_logits(self._model.predict_logits(X))

    def predict(self, X):
        """Predicted labels of shape (n_samples,), taken from ``classes_``."""
        logits = self._logits(X)
        return self.classes_[np.argmax(logits, axis=1)]

    def predict_proba(self, X):
        """Class probabilities of shape (n_samples, n_classes), columns in ``classes_`` order.

        Never exactly 0: a probability that underflows is reported as the
        dtype's smallest normal number (1e-308 in float64), so that
        ``log(predict_proba)`` stays finite like ``predict_log_proba``. Rows
        still sum to 1 within rounding.
        """
        from softmaxlab.nn import softmax
        p = softmax(self._logits(X))
        return np.maximum(p, np.finfo(p.dtype).tiny, out=p)

    def predict_log_proba(self, X):
        """Log-probabilities of shape (n_samples, n_classes); finite for finite input
        (computed as ``log_softmax``, never ``log(predict_proba)``)."""
        from softmaxlab.nn import log_softmax
        return log_softmax(self._logits(X))

    def save(self, path):
        """Save to a pickle-free ``.npz`` readable by ``softmaxlab.load``."""
        from softmaxlab.estimators._persist import save_estimator
        return save_estimator(self, path)

    def __sklearn_is_fitted__(self):
        return hasattr(self, "_model")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
