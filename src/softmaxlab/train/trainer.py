"""The training loop: epochs of shuffled minibatches, validation, history,
callbacks, stopping, best weights, and rollback when training diverges or is
interrupted. It never prints or draws.

Where the pieces are:

* ``_epoch.py``: one pass over the batches and its bookkeeping (running
  loss, accuracy, samples seen, batch hooks), the same for both engines;
* ``_engines.py``: which engine computes each batch's step (the readable
  reference maths in ``_reference.py``, or the private NumPy fast path);
* ``data.py``: validating the data once and evaluating it in chunks;
* ``divergence.py``: the error, and the way back to the last good epoch;
* ``callbacks.py`` and ``stopping.py``: what decides when to stop;
* ``penalty.py``: an L2 penalty reported in the loss; ``_state.py``: checkpoints.
"""
from __future__ import annotations

import functools
import math
import time
from collections.abc import Sequence

import numpy as np

from softmaxlab._validation import Interval, Options, Types, check_batch_size, validate_params
from softmaxlab.train.batching import epoch_order
from softmaxlab.nn.outputs import make_loss
from softmaxlab.train import _state
from softmaxlab.train._engines import ENGINES, choose_engine
from softmaxlab.train._epoch import run_epoch
from softmaxlab.train.callbacks import Callback, EarlyStopping
from softmaxlab.train.data import TrainingData, evaluate_in_chunks, prepare_data
from softmaxlab.train.divergence import Rollback, TrainingDivergedError, weights_finite
from softmaxlab.train.hints import chance_classes, check_not_learning
from softmaxlab.train.history import History

__all__ = ["ENGINES", "Trainer", "TrainingData", "TrainingDivergedError"]

# What the Trainer's arguments may be (one table; see softmaxlab._validation.params).
_CONSTRAINTS = {
    "batch_size": [Interval(int, 1), Options("full", None)],
    "rng": [Options(None), Interval(int, 0),
            Types(np.random.Generator, what="a numpy.random.Generator")],
    "shuffle": [Types(bool, np.bool_, what="True or False")],
    "early_stopping": [Types(bool, np.bool_, EarlyStopping, what="True, False or an EarlyStopping")],
    "patience": [Interval(int, 1)],
    "min_delta": [Interval(float, 0)],
    "engine": [Options(*ENGINES)],
    "samples_seen": [Interval(int, 0)],
    "epochs": [Interval(int, 1)],
}


def _rng_hint(rng) -> str | None:
    # A wrong type is usually a seed passed as text: say what was given.
    if isinstance(rng, (int, np.integer)):
        return None
    return f"Pass a seed or np.random.default_rng(seed), not a {type(rng).__name__}."


class Trainer:
    """Minibatch training of a ``Sequential`` model.

    Parameters
    ----------
    model : Sequential
    optimizer : Optimizer
        Built on ``model.parameters()``. Its hyperparameters (``lr``,
        ``weight_decay``, ...) are read at every step, so a change made
        between batches (by a callback, say) takes effect at the next step.
    loss : SoftmaxCrossEntropy, optional
    batch_size : int or "full", default=256
        1 gives per-sample SGD; "full" gives full-batch gradient descent
        (for tiny data sets such as the 16 four-bit numbers or the spiral).
        A batch larger than the data set is the whole set.
    schedule : Schedule, optional
        Stepped after every epoch.
    rng : numpy.random.Generator, int >= 0 or None
        The run's single Generator (an int is a seed; None, fresh entropy).
        Shuffling and dropout draw from it, so the same seed gives the same
        bits.
    shuffle : bool, default=True
        One fresh permutation per epoch (sampling without replacement).
    callbacks : sequence of Callback
        Called around every epoch (and batch); a stopping policy such as
        ``EarlyStopping`` or ``SklearnStopping`` is one of them.
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
        another array library). ``engine_used`` tells which one ran the
        last epoch.
    penalty : L2Penalty, optional
        An L2 penalty applied through the optimizer's weight decay and
        included in the reported training loss (scikit-learn's ``alpha``).
    history : History, optional
        The record of earlier training to continue (a warm start): epochs
        are numbered on from its length and appended to it.
    samples_seen : int, default=0
        Samples seen by that earlier training (for sample-based schedules).

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
    best_weights : list of arrays or None
        The weights a stopping policy kept (``keep_best``).
    """

    def __init__(self, model, optimizer, loss=None, *, batch_size=256, schedule=None, rng=None,
                 shuffle=True, callbacks: Sequence[Callback] = (), early_stopping=False,
                 patience=10, min_delta=0.0, engine="auto", penalty=None, history=None,
                 samples_seen=0):
        validate_params("Trainer", _CONSTRAINTS, {
            "batch_size": batch_size, "rng": rng, "shuffle": shuffle,
            "early_stopping": early_stopping, "patience": patience, "min_delta": min_delta,
            "engine": engine, "samples_seen": samples_seen},
            hints={"rng": _rng_hint(rng)})
        if not isinstance(rng, np.random.Generator):
            rng = np.random.default_rng(rng)
        self.model, self.optimizer = model, optimizer
        self.loss = loss if loss is not None else default_loss(model)
        self.batch_size, self.schedule, self.rng, self.shuffle = batch_size, schedule, rng, shuffle
        self.engine, self.penalty = engine, penalty
        self.callbacks = list(callbacks)
        if isinstance(early_stopping, (bool, np.bool_)):
            early_stopping = (EarlyStopping(patience=patience, min_delta=min_delta)
                              if early_stopping else None)
        self.early_stopping = early_stopping or None
        if self.early_stopping is not None:
            self.callbacks.append(self.early_stopping)
        self.history = history if history is not None else History()
        self.epoch = len(self.history)
        self.samples_seen = int(samples_seen)
        self.stop_training = False
        self.engine_used = None
        self.best_weights = None
        self._engine = None
        self._rollback = Rollback()

    # ---- data ------------------------------------------------------------
    @property
    def fast_path(self):
        """The fast path's state (work buffers, prefetch ring), or None if
        the fast path did not run the last epoch."""
        return self._engine if self.engine_used == "fast" else None

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

    def _prepare(self, X, y, sample_weight, name="X"):
        if isinstance(X, TrainingData):
            return X
        return self.prepare(X, y, sample_weight, name=name)

    # ---- one epoch ---------------------------------------------------------
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
            At the first non-finite batch loss, or when the weights or the
            penalised loss end the epoch non-finite; parameters are reset to
            those at the start of this epoch (the last ones known to give a
            finite loss).
        """
        X, y, sample_weight = self._prepare(X, y, sample_weight)
        n = X.shape[0]
        bs = check_batch_size(self.batch_size, n)
        rollback = self._rollback
        start = rollback.snapshot(self)
        order = epoch_order(n, self.rng, self.shuffle)
        self._engine = choose_engine(self.engine, self.model, self.optimizer, self.loss, X,
                                     self._engine)
        hooks = self._batch_hooks()
        try:
            # Overflow on the way to divergence is expected and reported by
            # the loss guard as one clear error, not as numpy warnings.
            with np.errstate(over="ignore", invalid="ignore"):
                result = run_epoch(self, self._engine, X, y, sample_weight, order, bs,
                                   on_bad_loss=functools.partial(rollback.diverged, self, start),
                                   hooks=hooks, penalty=self.penalty, keep_gradients=bool(hooks))
        except KeyboardInterrupt:
            # Ctrl-C mid-epoch: go back to the last finished epoch so the
            # model always matches its history.
            rollback.restore(self, start)
            raise
        self.engine_used = self._engine.name
        if not weights_finite(self.model):
            # The loss guard sees each batch before its update, so the epoch's
            # last update (the only one in full-batch training) is checked here.
            rollback.diverged(self, start, -(-n // bs), "the weights became NaN or infinite")
        rollback.last_epoch_start = start
        loss = result.data_loss + result.penalty
        if not math.isfinite(loss):
            rollback.reject_last_epoch(
                self, f"the training loss (data loss {result.data_loss:g} plus the L2 penalty "
                f"0.5 * alpha * ||W||^2, alpha={self.penalty.alpha:g}) became {loss}, "
                "the weights are huge")
        return loss, result.accuracy

    def _batch_hooks(self):
        """The callbacks' ``on_batch_end`` methods that do something (the base
        class's is a no-op, and building its ``logs`` for every batch is not
        free). One may read the gradients, so while there is one, every
        gradient is written: the fast path then fuses no update into a GEMM.
        This is the one place that decides it."""
        hooks = []
        for cb in self.callbacks:
            hook = getattr(cb, "on_batch_end", None)
            if hook is not None and getattr(hook, "__func__", None) is not Callback.on_batch_end:
                hooks.append(hook)
        return hooks

    # ---- best weights ----------------------------------------------------------
    def keep_best(self) -> None:
        """Remember the current weights as the best (a stopping policy calls it)."""
        self.best_weights = self.model.get_weights()

    def restore_best(self) -> None:
        """Go back to the weights ``keep_best`` remembered, if any."""
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)

    # ---- evaluation ------------------------------------------------------------
    def evaluate(self, X, y, sample_weight=None) -> tuple[float, float]:
        """Loss and accuracy of the current model (cache-free, in chunks),
        both weighted by ``sample_weight`` where given.

        Parameters
        ----------
        X : array of shape (n_samples, n_features), or ``TrainingData``
        y : array of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array of shape (n_samples,), optional

        Returns
        -------
        (loss, accuracy) : (float, float)
        """
        return evaluate_in_chunks(self.model, self.loss, *self._prepare(X, y, sample_weight))

    # ---- training ----------------------------------------------------------------
    def fit(self, X, y=None, *, epochs: int, X_val=None, y_val=None, sample_weight=None,
            val_sample_weight=None) -> History:
        """Train for ``epochs`` more epochs (or until a callback stops).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or ``TrainingData``
        y : array-like of shape (n_samples,) (class indices) or (n_samples,
            n_outputs) (0/1 targets of a sigmoid model)
        epochs : int >= 1
        X_val : array-like of shape (n_val, n_features), or ``TrainingData``, optional
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
        validate_params("Trainer.fit", _CONSTRAINTS, {"epochs": epochs})
        data = self._prepare(X, y, sample_weight)
        val = None if X_val is None else self._prepare(X_val, y_val, val_sample_weight, "X_val")
        self.model.set_rng(self.rng)
        self.stop_training = False
        self.history.stopped = None
        for cb in self.callbacks:
            cb.on_train_begin(self)
        try:
            for _ in range(epochs):
                self._fit_epoch(data, val)
                if self.stop_training:
                    break
            if self.history.stopped is None:
                self.history.stopped = "completed"
        except KeyboardInterrupt:
            self.history.stopped = self.history.stopped or "interrupted"
            raise
        finally:
            for cb in self.callbacks:
                cb.on_train_end(self)
        return self.history

    def _fit_epoch(self, data: TrainingData, val: TrainingData | None) -> None:
        """One epoch of ``fit``: train, validate, step the schedule, append
        the history row, and call the callbacks around it."""
        for cb in self.callbacks:
            cb.on_epoch_begin(self, self.epoch + 1)
        t0 = time.perf_counter()
        lr = self.optimizer.lr
        train_loss, train_acc = self.train_epoch(data)
        val_loss, val_acc = self._validate(val)
        self.epoch += 1
        if self.schedule is not None:
            self.schedule.step(self.epoch, train_loss=train_loss,
                               val_loss=val_loss if val is not None else None,
                               samples_seen=self.samples_seen)
        row = {"epoch": self.epoch, "train_loss": train_loss, "train_acc": train_acc,
               "val_loss": val_loss, "val_acc": val_acc, "lr": lr,
               "seconds": time.perf_counter() - t0}
        self.history.append(**row)
        check_not_learning(self.history, chance_classes(self.model), lr)  # hints.py: warns once
        for cb in self.callbacks:
            cb.on_epoch_end(self, self.epoch, row)

    def _validate(self, val: TrainingData | None) -> tuple[float, float]:
        """(loss, accuracy) on the validation set after an epoch (NaN, NaN
        without one); a non-finite loss rejects the epoch as divergence."""
        if val is None:
            return math.nan, math.nan
        try:
            # After train_epoch, so the engine is set; the fast path runs the
            # pass with the BLAS threads its last epoch chose.
            with self._engine.evaluating():
                val_loss, val_acc = evaluate_in_chunks(self.model, self.loss, *val)
        except KeyboardInterrupt:
            # The epoch's updates are done but not yet in the history: go
            # back to its start so model and history agree.
            self._rollback.restore(self, self._rollback.last_epoch_start)
            raise
        if not math.isfinite(val_loss):
            # The training loss stayed finite but the weights grew until the
            # validation logits overflowed: divergence too.
            self._rollback.reject_last_epoch(self, f"the validation loss became {val_loss}")
        return val_loss, val_acc

    # ---- checkpoints ---------------------------------------------------------------
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
