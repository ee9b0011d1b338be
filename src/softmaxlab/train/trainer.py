"""The training loop: epochs of shuffled minibatches, history, early stopping,
a divergence guard and callback hooks. It never prints or draws. One epoch's
pass over its batches is in ``_epoch.py`` (the reference engine) or in the
private NumPy fast path ``softmaxlab._kernels``; validating the data and
evaluating in chunks in ``data.py``; the checkpoint state in ``_state.py``."""
from __future__ import annotations

import functools
import math
import time
from collections.abc import Sequence

import numpy as np
from array_api_compat import array_namespace

from softmaxlab._kernels import FastPath, why_not
from softmaxlab._validation import check_batch_size, check_positive_int
from softmaxlab.nn.outputs import make_loss
from softmaxlab.train import _epoch, _state
from softmaxlab.train.callbacks import Callback, EarlyStopping, batch_end_hooks
from softmaxlab.train.data import TrainingData, evaluate_in_chunks, prepare_data
from softmaxlab.train.hints import check_not_learning
from softmaxlab.train.history import COLUMNS, History

__all__ = ["ENGINES", "Trainer", "TrainingData", "TrainingDivergedError"]

#: ``Trainer(engine=...)``: "auto" picks the fast path when it applies.
ENGINES = ("auto", "reference", "fast")


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
    loss : SoftmaxCrossEntropy, optional
    batch_size : int or "full", default=256
        1 gives per-sample SGD; "full" gives full-batch gradient descent
        (for tiny data sets such as the 16 four-bit numbers or the spiral).
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
    engine : {"auto", "reference", "fast"}, default="auto"
        Which implementation computes each step. "reference": the readable
        maths of ``softmaxlab.nn`` and ``softmaxlab.optim``, on any array
        library (NumPy, PyTorch, CuPy, array-api-strict) and device.
        "fast": the private NumPy fast path (``softmaxlab._kernels``), which
        computes the same numbers faster on NumPy float arrays, built-in
        layers, loss and optimizers (a ``ValueError`` says why when it
        cannot). "auto" uses the fast path whenever it applies and the
        reference engine otherwise (a custom layer, loss or optimizer,
        another array library, a callback with ``reads_gradients``).
        ``engine_used`` tells which one ran the last epoch.
    fuse : bool, default=True
        Fast path only: fuse plain/momentum SGD updates into each large
        Linear weight's gradient GEMM (same maths, one pass less over the
        weights; those ``grads["W"]`` are then not written).
    prefetch : "auto" or bool, default="auto"
        Fast path only: gather the shuffled rows of the next batches on a
        helper thread while BLAS runs one thread (``_kernels/prefetch.py``):
        faster for small models on wide rows (softmax regression on images)
        when two CPUs are free. Same batches in the same order; values can
        differ in the last bits, as OpenBLAS sums in another order at one
        thread. "auto" decides per epoch; True forces it whenever the data
        is shuffled; False never.

    Attributes
    ----------
    history : History
    epoch : int
        Epochs completed so far (training can continue with another ``fit``).
    samples_seen : int
    stop_training : bool
        Set by a callback to stop after the current epoch.
    engine_used : {"reference", "fast"} or None
        The engine that ran the last epoch.
    """

    def __init__(self, model, optimizer, loss=None, *, batch_size=256, schedule=None, rng=None,
                 shuffle=True, callbacks: Sequence[Callback] = (), early_stopping=False,
                 patience=10, min_delta=0.0, engine="auto", fuse=True, prefetch="auto"):
        self.model = model
        if engine not in ENGINES:
            raise ValueError(f"Trainer: engine must be one of {ENGINES}, got {engine!r}.")
        self.engine = engine
        self.fuse = bool(fuse)
        if prefetch not in ("auto", True, False):
            raise ValueError(f"Trainer: prefetch must be 'auto', True or False, got {prefetch!r}.")
        self.prefetch = prefetch
        self.optimizer = optimizer
        self.loss = loss if loss is not None else default_loss(model)
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
        self.engine_used = None
        self._fast: FastPath | None = None
        # Start-of-epoch weights of the last finished epoch: the fallback when
        # the next epoch's own start weights already give a non-finite loss.
        self._epoch_start: list | None = None

    # ------------------------------------------------------------------
    @property
    def fast_path(self) -> FastPath | None:
        """The fast path's state (work buffers, prefetch ring), or None if
        the fast path has not run."""
        return self._fast

    def prepare(self, X, y, sample_weight=None, *, name: str = "X") -> TrainingData:
        """Validate and cast training data once, for ``train_epoch``/``evaluate``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            NumPy or array-like input is cast to the model's dtype; an array
            of another array library must live where the model does.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            What the loss expects (``loss.check_targets``): class indices for
            softmax cross-entropy, 0/1 targets for a sigmoid loss.
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        TrainingData
        """
        return prepare_data(self.model, self.loss, X, y, sample_weight, name)

    def _prepare(self, X, y, sample_weight):
        if isinstance(X, TrainingData):
            return X
        return self.prepare(X, y, sample_weight)

    def _order(self, n):
        """This epoch's row order: one fresh permutation (sampling without
        replacement) drawn from the run's NumPy Generator, or None for the
        data's own order."""
        return self.rng.permutation(n) if self.shuffle else None

    def _fast_path_for(self, X):
        """The fast path when it runs this epoch, else None (see ``engine``)."""
        if self.engine == "reference":
            return None
        reason = why_not(self.model, self.optimizer, self.loss, self.callbacks, X)
        if reason is not None:
            if self.engine == "fast":
                raise ValueError(f"Trainer(engine='fast') cannot run this training: {reason}. "
                                 "Use engine='auto' (the fast path where it applies) or "
                                 "engine='reference'.")
            return None
        if self._fast is None or not self._fast.matches(self.model, self.optimizer, self.loss):
            self._fast = FastPath(self.model, self.optimizer, self.loss)
        self._fast.fuse, self._fast.prefetch = self.fuse, self.prefetch
        return self._fast

    def train_epoch(self, X, y=None, sample_weight=None) -> tuple[float, float]:
        """One pass over the data. Returns (mean training loss, accuracy).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or ``TrainingData``
            from ``prepare`` (then ``y`` and ``sample_weight`` are not given):
            validated once, not at every epoch.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), optional

        Raises
        ------
        TrainingDivergedError
            At the first non-finite batch loss; parameters are reset to those
            at the start of this epoch (the last ones known to give a finite loss).
        """
        X, y, sample_weight = self._prepare(X, y, sample_weight)
        n = X.shape[0]
        bs = check_batch_size(self.batch_size, n)
        snapshot = self.model.get_weights()
        order = self._order(n)
        fast = self._fast_path_for(X)
        hooks = batch_end_hooks(self.callbacks)
        on_bad_loss = functools.partial(self._diverged, snapshot)
        try:
            # Overflow on the way to divergence is expected and reported by
            # the loss guard below as one clear error, not as numpy warnings.
            with np.errstate(over="ignore", invalid="ignore"):
                if fast is not None:
                    result = fast.run_epoch(self, X, y, sample_weight, order, bs, on_bad_loss, hooks)
                else:
                    result = _epoch.run_batches(self, X, y, sample_weight, order, bs, on_bad_loss,
                                                hooks)
        except KeyboardInterrupt:
            # Ctrl-C mid-epoch: go back to the last finished epoch so the
            # model always matches its history.
            self.model.set_weights(snapshot)
            raise
        self.engine_used = "reference" if fast is None else "fast"
        if not self._weights_finite():
            # The loss guard sees each batch before its update, so the epoch's
            # last update (the only one in full-batch training) is checked here.
            self._diverged(snapshot, -(-n // bs), "the weights became NaN or infinite")
        self._epoch_start = snapshot
        return result

    def _weights_finite(self) -> bool:
        for p in self.model.parameters():
            xp = array_namespace(p.value)
            if not bool(xp.all(xp.isfinite(p.value))):
                return False
        return True

    def reject_last_epoch(self, what: str):
        """Undo the epoch ``train_epoch`` just finished and raise.

        For a caller that finds the finished epoch unusable by a measure of
        its own (the estimators' L2 penalty overflowing, say): the weights go
        back to the start of that epoch and ``TrainingDivergedError`` names
        it. The caller's history is its own to correct.

        Parameters
        ----------
        what : str
            What went wrong, for the message (``"loss_ became inf"``).
        """
        if self._epoch_start is None:
            raise RuntimeError("reject_last_epoch: no epoch has finished since the last rollback.")
        snapshot, self._epoch_start = self._epoch_start, None
        self.model.set_weights(snapshot)
        epoch, lr = self.epoch + 1, self.optimizer.lr
        raise TrainingDivergedError(
            f"Training diverged in epoch {epoch}: {what}. Likely causes: the learning rate is too "
            f"high (lr={lr:g}; try 10x lower) or the inputs are not scaled (standardise features, "
            f"or scale pixels to [0, 1]). The model keeps the parameters from the end of epoch "
            f"{epoch - 1}.", epoch=epoch, batch=None, lr=lr, history=self.history)

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
        X : array of shape (n_samples, n_features), or ``TrainingData``
        y : array of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array of shape (n_samples,), optional

        Returns
        -------
        (loss, accuracy) : (float, float)
        """
        return self._evaluate(*self._prepare(X, y, sample_weight))

    def _evaluate(self, X, y, sample_weight):
        return evaluate_in_chunks(self.model, self.loss, X, y, sample_weight)

    def fit(self, X, y, *, epochs: int, X_val=None, y_val=None, sample_weight=None,
            val_sample_weight=None) -> History:
        """Train for ``epochs`` more epochs (or until a callback stops).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or ``TrainingData``
        y : array-like of shape (n_samples,) (class indices) or (n_samples,
            n_outputs) (0/1 targets of a sigmoid model)
        epochs : int >= 1
        X_val : array-like of shape (n_val, n_features), optional
        y_val : array-like of shape (n_val,) or (n_val, n_outputs), optional
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
        data = self._prepare(X, y, sample_weight)
        has_val = X_val is not None
        if has_val:
            X_val, y_val, val_sample_weight = self.prepare(X_val, y_val, val_sample_weight,
                                                           name="X_val")
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
                    train_loss, train_acc = self.train_epoch(data)
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
                if has_val and not math.isfinite(val_loss):
                    # The training loss stayed finite but the weights grew until
                    # the validation logits overflowed: divergence too.
                    self.history.stopped = "diverged"
                    self.reject_last_epoch(f"the validation loss became {val_loss}")
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
        n = self.model.n_outputs
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


def default_loss(model):
    """The loss that goes with the model's output: softmax cross-entropy
    for ``output="softmax"``, sigmoid binary cross-entropy for ``"sigmoid"``."""
    return make_loss(getattr(model, "output", "softmax"))
