"""Hooks into the training loop. The loop itself never prints or draws; a
progress bar, a checkpoint writer or a logger is a callback."""
from __future__ import annotations

import math

import numpy as np

from softmaxlab._validation import Interval, Options, Types, validate_params


class Callback:
    """Base class; override what you need. ``trainer.stop_training = True``
    ends training after the current epoch."""

    def on_train_begin(self, trainer) -> None: ...

    def on_epoch_begin(self, trainer, epoch: int) -> None: ...

    def on_batch_end(self, trainer, batch: int, logs: dict) -> None:
        """After each batch's update. ``logs``: ``loss`` (batch mean),
        ``size`` (rows), ``correct``, ``epoch``. Every parameter's gradient
        (``layer.grads``, ``Parameter.grad``) holds this batch's; a change
        to the optimizer's hyperparameters takes effect at the next batch."""

    def on_epoch_end(self, trainer, epoch: int, logs: dict) -> None:
        """``logs``: the History row just appended."""

    def on_train_end(self, trainer) -> None: ...


class EarlyStopping(Callback):
    """Stop when the monitored loss has not improved by ``min_delta`` for
    ``patience`` epochs, then (by default) restore the best weights.

    Parameters
    ----------
    monitor : {"val_loss", "train_loss"}, default="val_loss"
        Falls back to ``train_loss`` when there is no validation set.
    patience : int >= 1
    min_delta : float >= 0
    restore_best : bool, default=True
    """

    _constraints = {"monitor": [Options("val_loss", "train_loss")],
                    "patience": [Interval(int, 1)], "min_delta": [Interval(float, 0)],
                    "restore_best": [Types(bool, np.bool_, what="True or False")]}

    def __init__(self, monitor="val_loss", patience=10, min_delta=0.0, restore_best=True):
        validate_params("EarlyStopping", self._constraints, {
            "monitor": monitor, "patience": patience, "min_delta": min_delta,
            "restore_best": restore_best})
        self.monitor, self.patience, self.min_delta = monitor, patience, float(min_delta)
        self.restore_best = restore_best
        self.best = math.inf
        self.best_epoch = None
        self.wait = 0

    def on_epoch_end(self, trainer, epoch, logs):
        value = logs.get(self.monitor)
        if value is None or math.isnan(value):
            value = logs["train_loss"]
        if value < self.best - self.min_delta:
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best:
                trainer.keep_best()
        else:
            self.wait += 1
            if self.wait >= self.patience:
                trainer.stop_training = True
                trainer.history.stopped = "early_stopping"

    def on_train_end(self, trainer):
        trainer.history.best_epoch = self.best_epoch
        if self.restore_best:
            trainer.restore_best()

    def state_dict(self) -> dict:
        """Scalars (JSON-able) for checkpoints (the best weights are the
        trainer's)."""
        return {"scalars": {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait}}

    def load_state_dict(self, state: dict) -> None:
        sc = state["scalars"]
        self.best, self.best_epoch, self.wait = float(sc["best"]), sc["best_epoch"], int(sc["wait"])

