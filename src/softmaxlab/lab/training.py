"""Training a lab session: Play's frames, Step (an epoch or one minibatch),
Pause, and how other requests interrupt a long frame.

Training runs through the session's Trainer, one epoch per ``fit`` call, and
the session's lock is released between epochs. A callback checks after every
minibatch whether the page paused or another request is waiting for the lock
and, if so, raises :class:`Preempted`, a ``KeyboardInterrupt``, which the
Trainer handles as it handles Ctrl-C: the unfinished epoch's weights are
rolled back, so the model always matches its history (the optimizer's state
is restored here). Pause therefore answers at once, and takes effect after
the current minibatch, at any speed and model size.
"""
from __future__ import annotations

import contextlib
import math
import threading
import time

import numpy as np

from softmaxlab.lab.params import MAX_EPOCHS, SPEEDS, LabParamError
from softmaxlab.train.batching import epoch_order
from softmaxlab.train import Trainer, TrainingDivergedError
from softmaxlab.train.callbacks import Callback

__all__ = ["Preempted", "TrainingMixin"]


class Preempted(KeyboardInterrupt):
    """Raised between minibatches to stop an epoch (Pause, or a waiting request)."""


class _Interrupter(Callback):
    """Stops training after the current minibatch when the session asks."""

    def __init__(self, session):
        self.session = session

    def on_batch_end(self, trainer, batch, logs):
        s = self.session
        # Pause stops any training; a waiting request stops Play's frames only
        # (a Step the user asked for is not thrown away for a click).
        if s.interrupt.is_set() or s.closed or (s.waiting and s.in_frame):
            raise Preempted


class TrainingMixin:
    """Training controls of :class:`~softmaxlab.lab.session.Session`."""

    def _init_training(self):
        self.interrupt = threading.Event()  # set by Pause: stop after this minibatch
        self.waiting = 0  # requests waiting for the lock to change the session
        self._waiting_lock = threading.Lock()
        self.batch_cycle = 0
        self.in_frame = False  # Play's frame is training (a waiting request may cut it short)

    @contextlib.contextmanager
    def exclusive(self):
        """The session's lock, taken ahead of Play: a training epoch in
        progress stops after its current minibatch."""
        with self._waiting_lock:
            self.waiting += 1
        with self.lock:
            with self._waiting_lock:
                self.waiting -= 1
            yield

    def _reset_batches(self) -> None:
        """Forget the minibatch steps (a new epoch, or a new batch size)."""
        self.batch_pos = 0  # the next minibatch Step trains, in this pass's order
        self.batch_steps = 0  # minibatch steps since the last whole epoch
        self.batch_stats = None

    # ---- controls -----------------------------------------------------------------
    def control(self, action, speed=None, unit=None) -> None:
        """``play``, ``pause``, ``step`` (``unit``: ``epoch`` or ``batch``),
        ``reset`` or ``speed``. Pause takes no lock: it answers at once."""
        if action == "pause":
            self.playing = False
            self.interrupt.set()
            return
        if action == "speed":
            if isinstance(speed, bool) or not isinstance(speed, (int, float)) or speed not in SPEEDS:
                raise LabParamError("speed", f"speed must be one of {SPEEDS} epochs per frame, "
                                    f"got {speed!r}"[:160], "bad_speed", speed=speed,
                                    values=list(SPEEDS))
            self.speed = int(speed)
            return
        if action == "step" and unit not in (None, "epoch", "batch"):
            raise LabParamError("unit", f"step unit must be 'epoch' or 'batch', got {unit!r}"[:160],
                                "bad_unit", unit=str(unit)[:40])
        if action not in ("play", "step", "reset"):
            raise LabParamError("action", f"unknown action {str(action)[:40]!r}; use play, pause, "
                                "step, reset or speed", "unknown_action", action=str(action)[:40])
        with self.exclusive():
            self.message = None
            if action == "play":
                self.interrupt.clear()
                self.playing = True  # the next frame says so if the epoch limit is reached
            elif action == "step":
                self.playing = False
                self.interrupt.clear()
                if unit == "batch":
                    self._step_batch()
                else:
                    self._train(1)
            else:
                self._rebuild(self.settings, data=False)

    def advance(self) -> dict:
        """Train ``speed`` epochs if playing, one at a time (others may take
        the lock in between), then render the frame."""
        for _ in range(self.speed):
            while self.waiting and not self.closed:
                time.sleep(0.002)  # let the waiting request in first
            with self.lock:
                self.in_frame = True
                try:
                    if not self.playing or self.closed or not self._train(1):
                        break
                finally:
                    self.in_frame = False
            time.sleep(0)
        return self.frame()

    # ---- epochs -------------------------------------------------------------------
    def _train(self, epochs: int) -> bool:
        """Train up to ``epochs`` whole epochs; False when training stopped
        (paused, interrupted, diverged, or the epoch limit)."""

        for _ in range(min(epochs, MAX_EPOCHS - self.trainer.epoch)):
            if not self._fit_epoch():
                return False
        if self.trainer.epoch >= MAX_EPOCHS:
            self.playing = False
            self.message = {"level": "info", "code": "epoch_limit", "params": {"max_epochs": MAX_EPOCHS},
                            "text": f"Stopped at {MAX_EPOCHS} epochs, the lab's limit for one "
                                    "run; press Reset to train again."}
            return False
        return True

    def _fit_epoch(self) -> bool:
        s, state = self.splits, self.optimizer.state_dict()
        if not any(isinstance(c, _Interrupter) for c in self.trainer.callbacks):
            self.trainer.callbacks.append(_Interrupter(self))
        try:
            # Overflow on the way to divergence is reported once, by the
            # trainer's error, not as numpy warnings.
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                self.trainer.fit(self.X_train, s.y_train, epochs=1, X_val=self.X_val, y_val=s.y_val)
        except Preempted:  # the Trainer rolled the weights back to the epoch's start
            self.optimizer.load_state_dict(state)
            return False
        except TrainingDivergedError as exc:
            self._diverged(exc)
            return False
        self._reset_batches()
        self.batch_cycle = 0
        return True

    def _diverged(self, exc) -> None:
        self.playing = False
        self.message = {"level": "error", "code": "diverged", "text": str(exc),
                        "params": {"epoch": exc.epoch, "lr": exc.lr, "detail": str(exc)}}

    # ---- one minibatch ----------------------------------------------------------------
    def batches_per_epoch(self) -> int:
        n = len(self.splits.y_train)
        return math.ceil(n / min(self.trainer.batch_size, n))

    def batch_rows(self) -> np.ndarray:
        """Training rows of the minibatch Step trains next: a shuffled pass
        over the training points, drawn from the seed, the epoch and the pass
        (not from the Trainer's Generator, so looking does not change training)."""
        n = len(self.splits.y_train)
        bs = min(self.trainer.batch_size, n)
        order = epoch_order(n, np.random.default_rng([self.settings.seed, self.trainer.epoch,
                                                      self.batch_cycle]))
        return order[self.batch_pos * bs:(self.batch_pos + 1) * bs]

    def _step_batch(self) -> None:
        """One optimizer step on the next minibatch: one pass of the Trainer's
        own loop over that batch alone. These steps do not count as epochs."""
        rows = self.batch_rows()
        one = Trainer(self.model, self.optimizer, self.trainer.loss, batch_size=len(rows),
                      rng=self.trainer.rng, shuffle=False)
        one.epoch = self.trainer.epoch  # a divergence message names the epoch under way
        self.model.set_rng(self.trainer.rng)
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                one.train_epoch(self.X_train[rows], self.splits.y_train[rows])
        except TrainingDivergedError as exc:
            self._diverged(exc)
            return
        self.batch_steps += 1
        self.batch_pos += 1
        if self.batch_pos >= self.batches_per_epoch():
            self.batch_pos, self.batch_cycle = 0, self.batch_cycle + 1
        tl, ta = self.trainer.evaluate(self.X_train, self.splits.y_train)
        vl, va = self.trainer.evaluate(self.X_val, self.splits.y_val)
        self.batch_stats = {"train_loss": tl, "train_acc": ta, "val_loss": vl, "val_acc": va}
