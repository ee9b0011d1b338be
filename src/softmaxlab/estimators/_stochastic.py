"""How a stochastic fit ("sgd", "adam") is configured: the ``Trainer`` it
runs, with scikit-learn's stopping rules, L2 penalty and callbacks, the
early-stopping split and the batch size. The training loop is the
Trainer's; nothing here runs an epoch.

Part of ``BaseSoftmaxEstimator`` (its private state is shared by the mixins
that make up that class, see ``_network.py``).
"""
from __future__ import annotations

import warnings

import numpy as np
from sklearn.model_selection import train_test_split

from softmaxlab.backend import array_namespace, device, to_numpy
from softmaxlab.estimators import _targets
from softmaxlab.estimators._callbacks import SklearnTasks
from softmaxlab.train import Trainer, TrainingData
from softmaxlab.train.penalty import L2Penalty
from softmaxlab.train.stopping import SklearnStopping
from softmaxlab.errors import InputError

__all__ = ["StochasticMixin"]


class StochasticMixin:
    """Mixed into ``BaseSoftmaxEstimator``; uses its fitted state
    (``_model``, ``_opt``, ``_schedule``, ``_rng``, ``history_``, curves)."""

    def _train(self, loss, X, T, sw, *, epochs, val=None, ctx=None, raw=None) -> Trainer:
        """Run up to ``epochs`` epochs through a ``Trainer`` and return it.

        The Trainer gets this estimator's network, optimizer, schedule and
        Generator; it continues the estimator's record (``history_``,
        ``t_``) and trains with this call's loss (class weights), the
        ``alpha`` penalty, scikit-learn's stopping rules, the user's
        softmaxlab callbacks and (``fit``) the scikit-learn callbacks'
        per-epoch tasks.

        Parameters
        ----------
        loss : the fused loss with this call's class weights
        X : array of shape (n_samples, n_features), validated
        T : array of shape (n_samples,) or (n_samples, n_outputs), the targets
        sw : array of shape (n_samples,) or None
        epochs : int
        val : TrainingData, optional
            The early-stopping split.
        ctx, raw : the scikit-learn callback context of ``fit`` and its
            (X, y, metadata), for the per-epoch tasks
        """
        if self._opt is None:
            self._make_optimizer()
        stopping = SklearnStopping(
            self, tol=self.tol, n_iter_no_change=self.n_iter_no_change,
            validation=val is not None,
            adaptive=self.solver == "sgd" and self.learning_rate == "adaptive",
            no_improvement_count=self._no_improvement_count, verbose=self.verbose)
        callbacks = [stopping, *self._epoch_callbacks()]
        if ctx is not None and getattr(self, "_skl_callbacks", None):
            callbacks.append(SklearnTasks(self, ctx, raw, self._snapshot))
        penalty = (L2Penalty(self.alpha, self._l2_denominator(loss, T, sw))
                   if self.alpha else None)
        trainer = Trainer(self._model, self._opt, loss, batch_size=self._batch_size(X.shape[0]),
                          schedule=self._schedule, rng=self._rng, shuffle=self.shuffle,
                          callbacks=callbacks, penalty=penalty, history=self.history_,
                          samples_seen=self.t_)
        try:
            # Already validated (``_validate``, ``_encode``, ``_check_sw``):
            # as TrainingData the Trainer does not check the arrays again.
            trainer.fit(TrainingData(X, T, sw), epochs=epochs, X_val=val)
        finally:
            self._no_improvement_count = stopping.no_improvement_count
        return trainer

    def _split(self, X, T, sw):
        """scikit-learn's early-stopping split: ``validation_fraction`` held
        out, stratified on the label-binarized targets (not for multilabel),
        so a class too rare to split gets scikit-learn's own error.

        Returns
        -------
        X, T, sw : the training part; val : TrainingData, the held-out part
        """
        seed = int(self._rng.integers(np.iinfo(np.int32).max))
        stratify = _targets.stratify_labels(to_numpy(T), self._target_kind, self._model.output,
                                           len(self.classes_))
        # The split of the row indices (the same rows whatever library X is
        # in), then the rows taken where the data lives.
        rows_tr, rows_val = train_test_split(np.arange(X.shape[0]), random_state=seed,
                                             test_size=self.validation_fraction,
                                             stratify=stratify)
        if rows_val.shape[0] < 2:
            raise InputError("The validation set is too small. Increase 'validation_fraction' "
                             "or the size of your dataset.")
        xp = array_namespace(X)
        take = [xp.asarray(r, device=device(X)) for r in (rows_tr, rows_val)]
        tr, va = ([None if a is None else xp.take(a, r, axis=0) for a in (X, T, sw)] for r in take)
        return tr[0], tr[1], tr[2], TrainingData(*va)

    def _batch_size(self, n):
        """scikit-learn's batch size for ``n`` rows: "auto" is min(200, n); a
        larger one is clipped to n, with its warning."""
        if self.batch_size == "auto":
            return min(200, n)
        if self.batch_size > n:
            warnings.warn("Got `batch_size` less than 1 or larger than sample size. "
                          "It is going to be clipped", stacklevel=4)
        return int(np.clip(self.batch_size, 1, n))
