"""Per-epoch bookkeeping of the estimators, as scikit-learn's ``_fit_stochastic``
does it: the early-stopping split, one pass of the engine's ``Trainer``, the
L2 penalty in ``loss_``, ``loss_curve_``/``validation_scores_``, the
``tol``/``n_iter_no_change`` counter and the ``adaptive`` learning rate.

Part of ``BaseSoftmaxEstimator`` (its private state is shared by the mixins
that make up that class, see ``_network.py``).
"""
from __future__ import annotations

import math
import time
import warnings

import numpy as np
from sklearn.model_selection import train_test_split

from softmaxlab.backend import array_namespace, device, to_numpy
from softmaxlab.estimators import _targets
from softmaxlab.nn import make_loss
from softmaxlab.nn.outputs import output_predict
from softmaxlab.train import TrainingData, TrainingDivergedError

__all__ = ["EpochMixin"]


def weighted_accuracy(logits, T, sample_weight, output) -> float:
    """Accuracy of logits against the engine's targets (class indices, or a
    0/1 matrix where a row counts only when every label is right), weighted
    as scikit-learn's ``accuracy_score``."""
    # On the host: one (n_val, units) transfer per epoch.
    pred = to_numpy(output_predict(logits, output))
    T = to_numpy(T)
    hits = pred == T if output == "softmax" else np.all(pred == T, axis=1)
    return float(np.average(hits, weights=None if sample_weight is None
                            else to_numpy(sample_weight)))


class EpochMixin:
    """Mixed into ``BaseSoftmaxEstimator``; uses its fitted state
    (``_model``, ``_opt``, ``_l2``, ``history_``, curves and counters)."""

    def _split(self, X, T, sw):
        """scikit-learn's early-stopping split: ``validation_fraction`` held
        out, stratified on the label-binarized targets (not for multilabel),
        so a class too rare to split gets scikit-learn's own error."""
        seed = int(self._rng.integers(np.iinfo(np.int32).max))
        stratify = _targets.stratify_labels(to_numpy(T), self._target_kind, self._model.output,
                                           len(self.classes_))
        # The split of the row indices (the same rows whatever library X is
        # in), then the rows taken where the data lives.
        rows_tr, rows_val = train_test_split(np.arange(X.shape[0]), random_state=seed,
                                             test_size=self.validation_fraction,
                                             stratify=stratify)
        if rows_val.shape[0] < 2:
            raise ValueError("The validation set is too small. Increase 'validation_fraction' "
                             "or the size of your dataset.")
        xp = array_namespace(X)
        take = [xp.asarray(r, device=device(X)) for r in (rows_tr, rows_val)]
        tr, va = ([None if a is None else xp.take(a, r, axis=0) for a in (X, T, sw)] for r in take)
        return tr[0], tr[1], tr[2], tuple(va)

    def _batch_size(self, n):
        if self.batch_size == "auto":
            return min(200, n)
        if self.batch_size > n:
            warnings.warn("Got `batch_size` less than 1 or larger than sample size. "
                          "It is going to be clipped", stacklevel=3)
        return int(np.clip(self.batch_size, 1, n))

    def _train_pass(self, trainer, data: TrainingData, bs) -> tuple[float, float]:
        """``trainer.train_epoch`` plus the L2 penalty; (loss_, accuracy).

        Raises ``TrainingDivergedError`` as ``Trainer.fit`` does, with
        ``history_.stopped = "diverged"`` and the weights of the last finished
        epoch, also when only ``loss_`` is non-finite: weights of ~1e160 are
        finite, but their penalty ``0.5 * alpha * ||W||^2`` is not (the
        trainer, which owns rollback, undoes that epoch).
        """
        n = data.X.shape[0]
        epochs_before = len(self.history_)
        self._l2.begin_epoch(trainer, n, bs)
        try:
            data_loss, acc = trainer.train_epoch(data)
        except TrainingDivergedError:
            self.history_.stopped = "diverged"
            if trainer.epoch < epochs_before:
                self._forget_last_epoch(n)
            raise
        except KeyboardInterrupt:
            self.history_.stopped = "interrupted"
            raise
        with np.errstate(over="ignore", invalid="ignore"):
            loss = data_loss + self._l2.penalty_sum / n
        if math.isfinite(loss):
            return loss, acc
        self.history_.stopped = "diverged"
        trainer.reject_last_epoch(
            f"loss_ (data loss {data_loss:g} plus the L2 penalty 0.5 * alpha * ||W||^2, "
            f"alpha={self.alpha:g}) became {loss}, the weights are huge")

    def _forget_last_epoch(self, n):
        """The trainer went back to the start of the previous epoch (its last
        update made the weights diverge): drop that epoch from our curves too,
        so they describe the weights the model keeps (the trainer already
        dropped it from ``history_``)."""
        self.n_iter_ = max(self.n_iter_ - 1, 0)
        self.t_ = max(self.t_ - n, 0)
        for curve in (self.loss_curve_, self.validation_loss_curve_,
                      getattr(self, "validation_scores_", None)):
            if curve:
                curve.pop()
        if self.loss_curve_:
            self.loss_ = self.loss_curve_[-1]

    def _epoch(self, trainer, data: TrainingData, val) -> bool:
        """Train one pass over ``data`` (``trainer.prepare``'s validated
        arrays); update curves, history, rate and stopping counter.
        Returns True when scikit-learn would stop."""
        n = data.X.shape[0]
        bs = self._batch_size(n)
        trainer.batch_size = bs
        lr = self._opt.lr
        t0 = time.perf_counter()
        self.loss_, acc = self._train_pass(trainer, data, bs)
        self.n_iter_ += 1
        epoch = len(self.history_) + 1
        trainer.epoch = epoch
        self.t_ += n
        self.loss_curve_.append(self.loss_)
        val_loss = val_acc = math.nan
        if val is not None:
            Xv, yv, swv = val
            logits = self._model.predict_logits(Xv)
            output = self._model.output
            with np.errstate(over="ignore", invalid="ignore"):
                val_loss = make_loss(output).value(logits, yv, swv)
                val_acc = weighted_accuracy(logits, yv, swv, output)
            self.validation_loss_curve_.append(val_loss)
        if self.verbose:
            print(f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}")
        self._update_no_improvement(val_acc)
        self.history_.append(epoch=epoch, train_loss=self.loss_, train_acc=acc,
                             val_loss=val_loss, val_acc=val_acc, lr=lr,
                             seconds=time.perf_counter() - t0)
        if self._schedule is not None:
            self._schedule.step(epoch, train_loss=self.loss_,
                                val_loss=None if val is None else val_loss, samples_seen=self.t_)
        if self._no_improvement_count > self.n_iter_no_change:
            what = "Validation score did not improve" if val is not None else "Training loss did not improve"
            msg = f"{what} more than tol={self.tol:f} for {self.n_iter_no_change} consecutive epochs."
            if self.solver == "sgd" and self.learning_rate == "adaptive" and self._opt.lr > 1e-6:
                # scikit-learn's 'adaptive': divide by 5 instead of stopping.
                self._opt.lr /= 5.0
                self._no_improvement_count = 0
                if self.verbose:
                    print(f"{msg} Setting learning rate to {self._opt.lr:f}")
                return False
            if self.verbose:
                print(f"{msg} Stopping.")
            return True
        return False

    def _update_no_improvement(self, val_score):
        if self.validation_scores_ is not None and not math.isnan(val_score):
            self.validation_scores_.append(val_score)
            if self.verbose:
                print(f"Validation score: {val_score:f}")
            if val_score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if val_score > self.best_validation_score_:
                self.best_validation_score_ = val_score
                self._best_weights = self._model.get_weights()
        else:
            if self.loss_curve_[-1] > self.best_loss_ - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            self.best_loss_ = min(self.best_loss_, self.loss_curve_[-1])
