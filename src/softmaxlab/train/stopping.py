"""scikit-learn's stopping rules as a policy for the ``Trainer``.

scikit-learn's ``MLPClassifier`` stops when the training loss (or, with
``early_stopping``, the validation score) has not improved by ``tol`` for
more than ``n_iter_no_change`` epochs in a row; with
``learning_rate="adaptive"`` it divides the SGD rate by 5 instead, until the
rate falls to 1e-6. With a validation score it keeps the weights of the best
epoch and restores them at the end. ``SklearnStopping`` is that policy, a
callback given to the Trainer: the Trainer runs the epochs, validates and
keeps the best weights; this class decides.

It also keeps scikit-learn's record of the run on the estimator it serves:
``n_iter_``, ``t_``, ``loss_``, ``loss_curve_``, ``validation_scores_``,
``validation_loss_curve_``, ``best_loss_`` and ``best_validation_score_``
(scikit-learn's public fitted attributes), after every epoch, so a
scikit-learn callback looking at the estimator mid-fit sees them current.
"""
from __future__ import annotations

import math

import numpy as np

from softmaxlab._validation import Interval, Options, validate_params
from softmaxlab.train.callbacks import Callback

__all__ = ["SklearnStopping"]

#: scikit-learn's 'adaptive' rate: divide by this on a plateau ...
ADAPTIVE_FACTOR = 5.0
#: ... until the rate is no more than this; then stop.
ADAPTIVE_MIN_LR = 1e-6


class SklearnStopping(Callback):
    """Stop (or lower the rate) as scikit-learn's MLP does.

    Parameters
    ----------
    record : estimator
        Holds scikit-learn's fitted attributes (see the module docstring),
        updated in place after every epoch.
    tol : float >= 0
    n_iter_no_change : int >= 1 or inf
    validation : bool
        Judge by the validation score (``row["val_acc"]``), keep the best
        weights and restore them at the end; else judge by the training loss.
    adaptive : bool
        scikit-learn's ``learning_rate="adaptive"`` (SGD only).
    no_improvement_count : int, default=0
        The counter carried over from an earlier fit (warm start, partial_fit).
    verbose : bool
        Print scikit-learn's per-epoch lines.

    Attributes
    ----------
    no_improvement_count : int
    """

    _constraints = {"tol": [Interval(float, 0)],
                    "n_iter_no_change": [Interval(int, 1), Options(math.inf)],
                    "no_improvement_count": [Interval(int, 0)]}

    def __init__(self, record, *, tol, n_iter_no_change, validation=False, adaptive=False,
                 no_improvement_count=0, verbose=False):
        validate_params("SklearnStopping", self._constraints, {
            "tol": tol, "n_iter_no_change": n_iter_no_change,
            "no_improvement_count": no_improvement_count})
        self.record, self.tol, self.n_iter_no_change = record, tol, n_iter_no_change
        self.validation, self.adaptive, self.verbose = validation, adaptive, verbose
        self.no_improvement_count = no_improvement_count
        self._curves_at_start = 0
        self._history_at_start = 0

    def on_train_begin(self, trainer):
        self._curves_at_start = len(self.record.loss_curve_)
        self._history_at_start = len(trainer.history)
        if self.validation:
            # Restored at the end if no epoch of this fit beats the best score.
            trainer.keep_best()

    def on_epoch_end(self, trainer, epoch, row):
        rec = self.record
        rec.n_iter_ += 1
        rec.t_ = trainer.samples_seen
        rec.loss_ = row["train_loss"]
        rec.loss_curve_.append(rec.loss_)
        if self.validation:
            rec.validation_loss_curve_.append(row["val_loss"])
        if self.verbose:
            print(f"Iteration {rec.n_iter_}, loss = {rec.loss_:.8f}")
        self._count_no_improvement(trainer, row["val_acc"])
        if self.no_improvement_count > self.n_iter_no_change:
            self._plateau(trainer)

    def _count_no_improvement(self, trainer, val_score):
        rec = self.record
        if self.validation and not math.isnan(val_score):
            rec.validation_scores_.append(val_score)
            if self.verbose:
                print(f"Validation score: {val_score:f}")
            if val_score < rec.best_validation_score_ + self.tol:
                self.no_improvement_count += 1
            else:
                self.no_improvement_count = 0
            if val_score > rec.best_validation_score_:
                rec.best_validation_score_ = val_score
                trainer.keep_best()
        else:
            if rec.loss_curve_[-1] > rec.best_loss_ - self.tol:
                self.no_improvement_count += 1
            else:
                self.no_improvement_count = 0
            rec.best_loss_ = min(rec.best_loss_, rec.loss_curve_[-1])

    def _plateau(self, trainer):
        """No improvement for too long: lower the rate ('adaptive') or stop."""
        what = ("Validation score did not improve" if self.validation
                else "Training loss did not improve")
        msg = f"{what} more than tol={self.tol:f} for {self.n_iter_no_change} consecutive epochs."
        opt = trainer.optimizer
        if self.adaptive and opt.lr > ADAPTIVE_MIN_LR:
            opt.lr /= ADAPTIVE_FACTOR
            self.no_improvement_count = 0
            if self.verbose:
                print(f"{msg} Setting learning rate to {opt.lr:f}")
            return
        if self.verbose:
            print(f"{msg} Stopping.")
        trainer.stop_training = True
        trainer.history.stopped = "early_stopping"

    def on_train_end(self, trainer):
        self._forget_dropped_epochs(trainer)
        if self.validation and trainer.history.stopped not in ("diverged", "interrupted"):
            trainer.restore_best()
            scores = self.record.validation_scores_
            trainer.history.best_epoch = int(np.argmax(scores)) + 1 if scores else None

    def _forget_dropped_epochs(self, trainer):
        """The trainer dropped an epoch from its history (its last update
        made the weights diverge): drop it from the curves too, so they
        describe the weights the model keeps."""
        rec = self.record
        extra = ((len(rec.loss_curve_) - self._curves_at_start)
                 - (len(trainer.history) - self._history_at_start))
        for _ in range(max(extra, 0)):
            rec.n_iter_ = max(rec.n_iter_ - 1, 0)
            for curve in (rec.loss_curve_, rec.validation_loss_curve_, rec.validation_scores_):
                if curve:
                    curve.pop()
        if extra > 0:
            rec.t_ = trainer.samples_seen
            if rec.loss_curve_:
                rec.loss_ = rec.loss_curve_[-1]

