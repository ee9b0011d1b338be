"""Hooks into the training loop. The loop itself never prints or draws; a
progress bar, a checkpoint writer or a logger is a callback."""
from __future__ import annotations

import math

import numpy as np


class Callback:
    """Base class; override what you need. ``trainer.stop_training = True``
    ends training after the current epoch.

    A callback that reads ``layer.grads`` or ``Parameter.grad`` (in
    ``on_batch_end``) sets ``reads_gradients = True``: the trainer then runs
    the reference engine, which fills every gradient. (The NumPy fast path
    may fold a weight's update into the product that computes its gradient
    and never write that gradient.)
    """

    reads_gradients = False

    def on_train_begin(self, trainer) -> None: ...

    def on_epoch_begin(self, trainer, epoch: int) -> None: ...

    def on_batch_end(self, trainer, batch: int, logs: dict) -> None:
        """``logs``: ``loss`` (batch mean), ``size`` (rows), ``correct``, ``epoch``."""

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

    def __init__(self, monitor="val_loss", patience=10, min_delta=0.0, restore_best=True):
        if monitor not in ("val_loss", "train_loss"):
            raise ValueError(f"EarlyStopping: monitor must be 'val_loss' or 'train_loss', got {monitor!r}.")
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 1:
            raise ValueError(f"EarlyStopping: patience must be an integer >= 1, got {patience!r}.")
        if not (math.isfinite(min_delta) and min_delta >= 0):
            raise ValueError(f"EarlyStopping: min_delta must be >= 0, got {min_delta!r}.")
        self.monitor, self.patience, self.min_delta = monitor, patience, float(min_delta)
        self.restore_best = restore_best
        self.best = math.inf
        self.best_epoch = None
        self.best_weights = None
        self.wait = 0

    def on_epoch_end(self, trainer, epoch, logs):
        value = logs.get(self.monitor)
        if value is None or math.isnan(value):
            value = logs["train_loss"]
        if value < self.best - self.min_delta:
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best:
                self.best_weights = trainer.model.get_weights()
        else:
            self.wait += 1
            if self.wait >= self.patience:
                trainer.stop_training = True
                trainer.history.stopped = "early_stopping"

    def on_train_end(self, trainer):
        trainer.history.best_epoch = self.best_epoch
        if self.restore_best and self.best_weights is not None:
            trainer.model.set_weights(self.best_weights)

    def state_dict(self) -> dict:
        """Scalars (JSON-able) and the best weights (arrays) for checkpoints."""
        return {"scalars": {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait},
                "arrays": list(self.best_weights) if self.best_weights is not None else []}

    def load_state_dict(self, state: dict) -> None:
        sc = state["scalars"]
        self.best, self.best_epoch, self.wait = float(sc["best"]), sc["best_epoch"], int(sc["wait"])
        self.best_weights = [np.array(a, copy=True) for a in state["arrays"]] or None


def batch_end_hooks(callbacks):
    """The ``on_batch_end`` methods that do something: the base class's is a
    no-op, and building its ``logs`` dict for every batch is not free."""
    hooks = []
    for cb in callbacks:
        hook = getattr(cb, "on_batch_end", None)
        if hook is not None and getattr(hook, "__func__", None) is not Callback.on_batch_end:
            hooks.append(hook)
    return hooks
