"""The training loop: epochs of shuffled minibatches, history, early stopping,
a divergence guard and callback hooks. It never prints or draws. One epoch's
pass over its batches is in ``_epoch.py``, the checkpoint state in ``_state.py``."""
from __future__ import annotations

import functools
import math
import time
from collections.abc import Sequence

import numpy as np

from softmaxlab._validation import (
    check_batch_size,
    check_features,
    check_positive_int,
    check_sample_weight,
)
from softmaxlab.nn.outputs import make_loss
from softmaxlab.train import _epoch, _state
from softmaxlab.train.callbacks import Callback, EarlyStopping
from softmaxlab.train.hints import check_not_learning
from softmaxlab.train.history import COLUMNS, History

__all__ = ["Trainer", "TrainingDivergedError"]

# Rows per chunk when evaluating, so a large validation set never needs one
# (n, C) and (n, hidden) activation block at once.
_EVAL_CHUNK = 8192


class TrainingDivergedError(FloatingPointError):
    """The loss became NaN or infinite. ``epoch``, ``batch``, ``lr`` and the
    ``history`` up to the last finished epoch are attributes."""

    def __init__(self, message, epoch, batch, lr, history):
        super().__init__(message)
        self.epoch, self.batch, self.lr, self.history = epoch, batch, lr, history


class Trainer:
    """Minibatch training of a ``Sequential`` model.

    Parameters
    ----------
    model : Sequential
    optimizer : Optimizer
        Built on ``model.parameters()``.
    loss : SoftmaxCrossEntropy or SigmoidBinaryCrossEntropy, optional
        Default: the loss of ``model.output`` (``nn.make_loss``). The loss
        also validates the targets (``check_targets``: integer labels for
        softmax, a 0/1 matrix of shape (n, L) for sigmoid) and counts the
        correct rows for the accuracy (``count_correct``).
    batch_size : int or "full", default=256
        1 gives per-sample SGD (seed 004); "full" gives full-batch gradient
        descent (seeds 000, 001).
    schedule : Schedule, optional
        Stepped after every epoch.
    rng : numpy.random.Generator or int
        The run's single Generator (an int is a seed). Shuffling and dropout
        draw from it, so the same seed gives the same bits.
    shuffle : bool, default=True
        One fresh permutation per epoch (sampling without replacement).
    callbacks : sequence of Callback
    early_stopping : bool or EarlyStopping, default=False
        True: stop when validation loss (training loss if no validation set)
        has not improved for ``patience`` epochs, and restore the best weights.
    patience : int, default=10
    min_delta : float, default=0
    fuse : bool, default=True
        Let the optimizer fuse its update into each Linear layer's
        weight-gradient GEMM where it can (plain SGD, classical momentum;
        see ``Optimizer.gemm_update``): same maths, one pass less over the
        weights, and those ``grads["W"]`` are then not written. False keeps
        every gradient materialised each step (for a callback that reads them).
    prefetch : "auto" or bool, default="auto"
        Gather the shuffled rows of the next batches on a helper thread while
        BLAS runs one thread (``train/_prefetch.py``): faster for small models
        on wide rows (softmax regression on images) when two CPUs are free.
        Same batches in the same order; values can differ in the last bits,
        as OpenBLAS sums in another order at one thread. The one-thread limit
        is process-wide for the epoch and restored after it. "auto" decides
        per epoch (``_prefetch.worthwhile``); True forces it whenever the
        data is shuffled; False never.

    Attributes
    ----------
    history : History
    epoch : int
        Epochs completed so far (training can continue with another ``fit``).
    samples_seen : int
    stop_training : bool
        Set by a callback to stop after the current epoch.
    """

    def __init__(self, model, optimizer, loss=None, *, batch_size=256, schedule=None, rng=None,
                 shuffle=True, callbacks: Sequence[Callback] = (), early_stopping=False,
                 patience=10, min_delta=0.0, fuse=True, prefetch="auto"):
        self.model = model
        self.fuse = bool(fuse)
        if prefetch not in ("auto", True, False):
            raise ValueError(f"Trainer: prefetch must be 'auto', True or False, got {prefetch!r}.")
        self.prefetch = prefetch
        self.optimizer = optimizer
        self.loss = loss if loss is not None else make_loss(getattr(model, "output", "softmax"))
        if batch_size != "full" and batch_size is not None:
            check_positive_int(batch_size, "batch_size")
        self.batch_size = batch_size
        self.schedule = schedule
        if rng is None or isinstance(rng, (int, np.integer)):
            rng = np.random.default_rng(rng)
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator or an int seed, got {type(rng).__name__}.")
        self.rng = rng
        self.shuffle = shuffle
        self.callbacks = list(callbacks)
        if early_stopping is True:
            early_stopping = EarlyStopping(patience=patience, min_delta=min_delta)
        self.early_stopping = early_stopping or None
        if self.early_stopping is not None:
            self.callbacks.append(self.early_stopping)
        self.history = History()
        self.epoch = 0
        self.samples_seen = 0
        self.stop_training = False
        self._buf: dict[tuple, np.ndarray] = {}  # _epoch.gather_batch's work buffers
        self._ring: dict[tuple, list[np.ndarray]] = {}  # PrefetchedBatches' buffers
        # Start-of-epoch weights of the last finished epoch: the fallback when
        # the next epoch's own start weights already give a non-finite loss.
        self._epoch_start: list[np.ndarray] | None = None

    # ------------------------------------------------------------------
    def _prepare(self, X, y, sample_weight):
        X = check_features(X, self.model.n_features, dtype=self.model.dtype)
        y = self.loss.check_targets(y, X.shape[0], self.model.n_classes)
        # One cast of the whole set, only if the dtype differs: float32 in,
        # float32 maths; a float64 model gets float64 inputs.
        X = np.asarray(X, dtype=self.model.dtype)
        sw = check_sample_weight(sample_weight, X.shape[0], self.model.dtype)
        return X, y, sw

    def _order(self, n):
        """This epoch's row order: one fresh permutation (sampling without
        replacement), or None for the data's own order."""
        return self.rng.permutation(n) if self.shuffle else None

    def train_epoch(self, X, y, sample_weight=None, *, _prepared=False) -> tuple[float, float]:
        """One pass over the data. Returns (mean training loss, running accuracy).

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
        y : ndarray of shape (n_samples,), integer class indices (softmax), or
            of shape (n_samples, n_units), 0/1 targets (sigmoid)
        sample_weight : ndarray of shape (n_samples,), optional

        Raises
        ------
        TrainingDivergedError
            At the first non-finite batch loss; parameters are reset to those
            at the start of this epoch (the last ones known to give a finite loss).
        """
        if not _prepared:
            X, y, sample_weight = self._prepare(X, y, sample_weight)
        n = X.shape[0]
        bs = check_batch_size(self.batch_size, n)
        snapshot = self.model.get_weights()
        order = self._order(n)
        try:
            # Overflow on the way to divergence is expected and reported by
            # the loss guard below as one clear error, not as numpy warnings.
            with np.errstate(over="ignore", invalid="ignore"):
                result = _epoch.run_batches(self, X, y, sample_weight, order, bs,
                                            functools.partial(self._diverged, snapshot))
        except KeyboardInterrupt:
            # Ctrl-C mid-epoch: go back to the last finished epoch so the
            # model always matches its history.
            self.model.set_weights(snapshot)
            raise
        if not all(np.isfinite(p.value).all() for p in self.model.parameters()):
            # The loss guard sees each batch before its update, so the epoch's
            # last update (the only one in full-batch training) is checked here.
            self._diverged(snapshot, -(-n // bs), "the weights became NaN or infinite")
        self._epoch_start = snapshot
        return result

    def _diverged(self, snapshot, batch, what):
        """Restore the last weights known to give a finite loss and raise.

        ``snapshot`` (this epoch's start) gave a finite loss on batch 1, so it
        is safe after a failure in a later batch. A failure in batch 1 means
        the epoch's start weights (the previous epoch's last update) are the
        bad ones: go back to the previous epoch's start and drop that epoch
        from the history, so model and history still agree.
        """
        epoch, lr = self.epoch + 1, self.optimizer.lr
        if batch > 1 or self._epoch_start is None:
            self.model.set_weights(snapshot)
        else:
            self.model.set_weights(self._epoch_start)
            self.epoch -= 1
            for column in COLUMNS:
                del getattr(self.history, column)[self.epoch:]
        self._epoch_start = None
        kept = (f"The model keeps the parameters from the end of epoch {self.epoch}."
                if self.epoch else "The model keeps its initial parameters.")
        raise TrainingDivergedError(
            f"Training diverged in epoch {epoch} (batch {batch}): {what}. Likely causes: the "
            f"learning rate is too high (lr={lr:g}; try 10x lower) or the inputs are not scaled "
            f"(standardise features, or scale pixels to [0, 1]). {kept}",
            epoch=epoch, batch=batch, lr=lr, history=self.history)

    def evaluate(self, X, y, sample_weight=None) -> tuple[float, float]:
        """Loss and accuracy of the current model (cache-free, in chunks).

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
        y : ndarray of shape (n_samples,)
        sample_weight : ndarray of shape (n_samples,), optional

        Returns
        -------
        (loss, accuracy) : (float, float)
        """
        X = check_features(X, self.model.n_features, dtype=self.model.dtype)
        y = self.loss.check_targets(y, X.shape[0], self.model.n_classes)
        sw = check_sample_weight(sample_weight, X.shape[0], self.model.dtype)
        return self._evaluate(X, y, sw)

    def _evaluate(self, X, y, sample_weight):
        n = X.shape[0]
        loss_sum, w_sum, correct = 0.0, 0.0, 0
        for s in range(0, n, _EVAL_CHUNK):
            logits = self.model.predict_logits(X[s:s + _EVAL_CHUNK])
            yb = y[s:s + _EVAL_CHUNK]
            swb = None if sample_weight is None else sample_weight[s:s + _EVAL_CHUNK]
            w = len(yb) if swb is None else float(np.sum(swb))
            loss_sum += self.loss.value(logits, yb, swb) * w
            w_sum += w
            correct += self.loss.count_correct(logits, yb)
        return loss_sum / max(w_sum, 1e-300), correct / n

    def fit(self, X, y, *, epochs: int, X_val=None, y_val=None, sample_weight=None,
            val_sample_weight=None) -> History:
        """Train for ``epochs`` more epochs (or until a callback stops).

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
        y : ndarray of shape (n_samples,), integer class indices
        epochs : int >= 1
        X_val : ndarray of shape (n_val, n_features), optional
        y_val : ndarray of shape (n_val,), optional
        sample_weight, val_sample_weight : ndarray, optional

        Returns
        -------
        History (also ``self.history``)

        Raises
        ------
        TrainingDivergedError
            The history up to the last finished epoch is kept, as are the
            parameters at the end of that epoch.
        KeyboardInterrupt
            Re-raised after restoring the weights of the last finished epoch,
            so the model always matches its history.
        """
        epochs = check_positive_int(epochs, "epochs")
        X, y, sw = self._prepare(X, y, sample_weight)
        has_val = X_val is not None
        if has_val:
            X_val = check_features(X_val, self.model.n_features, dtype=self.model.dtype, name="X_val")
            X_val = np.asarray(X_val, dtype=self.model.dtype)
            y_val = self.loss.check_targets(y_val, X_val.shape[0], self.model.n_classes, name="y_val")
            val_sample_weight = check_sample_weight(val_sample_weight, X_val.shape[0],
                                                    self.model.dtype)
        self.model.set_rng(self.rng)
        self.stop_training = False
        self.history.stopped = None
        for cb in self.callbacks:
            cb.on_train_begin(self)
        try:
            for _ in range(epochs):
                for cb in self.callbacks:
                    cb.on_epoch_begin(self, self.epoch + 1)
                t0 = time.perf_counter()
                lr = self.optimizer.lr
                try:
                    train_loss, train_acc = self.train_epoch(X, y, sw, _prepared=True)
                except KeyboardInterrupt:
                    self.history.stopped = "interrupted"
                    raise
                except TrainingDivergedError:
                    self.history.stopped = "diverged"
                    raise
                try:
                    val_loss, val_acc = (self._evaluate(X_val, y_val, val_sample_weight)
                                         if has_val else (math.nan, math.nan))
                except KeyboardInterrupt:
                    # The epoch's updates are done but not yet in the history:
                    # go back to its start so model and history agree.
                    self.model.set_weights(self._epoch_start)
                    self.history.stopped = "interrupted"
                    raise
                self.epoch += 1
                if self.schedule is not None:
                    self.schedule.step(self.epoch, train_loss=train_loss,
                                       val_loss=val_loss if has_val else None,
                                       samples_seen=self.samples_seen)
                row = {"epoch": self.epoch, "train_loss": train_loss, "train_acc": train_acc,
                       "val_loss": val_loss, "val_acc": val_acc, "lr": lr,
                       "seconds": time.perf_counter() - t0}
                self.history.append(**row)
                check_not_learning(self.history, self._chance_classes(), lr)  # hints.py: warns once
                for cb in self.callbacks:
                    cb.on_epoch_end(self, self.epoch, row)
                if self.stop_training:
                    break
            if self.history.stopped is None:
                self.history.stopped = "completed"
        except KeyboardInterrupt:
            # Between epochs (a callback, the schedule): the model already
            # matches the history; just say why training ended.
            self.history.stopped = self.history.stopped or "interrupted"
            raise
        finally:
            for cb in self.callbacks:
                cb.on_train_end(self)
        return self.history

    def _chance_classes(self) -> int:
        """How many equally likely outcomes an untrained model spreads over:
        C classes for softmax; for L sigmoid units at one half each, the 2^L
        label combinations (its loss, L log 2, is log 2^L)."""
        n = self.model.n_classes
        return n if getattr(self.model, "output", "softmax") == "softmax" else 2 ** n

    # ------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Everything needed to resume bit-identically, as
        ``{"scalars": JSON-able dict, "arrays": {name: ndarray}}``: weights,
        optimizer buffers, schedule, the Generator's state, history, counters."""
        return _state.trainer_state(self)

    def load_state_dict(self, state: dict) -> None:
        """Restore from ``state_dict()`` output."""
        _state.load_trainer_state(self, state)
