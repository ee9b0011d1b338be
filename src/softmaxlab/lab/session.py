"""One browser tab's lab: its data, model, optimizer and Trainer, and the
driver that trains a few epochs and renders a frame. A bounded store holds the
sessions, one per tab, each behind its own lock, so tabs never share state.

Every method here is blocking (the training runs in it); the server calls
them from worker threads, never on its event loop.
"""
from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections import OrderedDict

import numpy as np

from softmaxlab.data import Preprocessor
from softmaxlab.lab import datasets, views
from softmaxlab.lab.onestep import gradient_check, inspect_point
from softmaxlab.lab.params import DATA_KEYS, LIVE_KEYS, RULES, SPEEDS, LabParamError, LabSettings, validate
from softmaxlab.nn import SoftmaxCrossEntropy, mlp, softmax_regression
from softmaxlab.optim import SGD, Adam
from softmaxlab.train import Trainer, TrainingDivergedError

__all__ = ["MAX_EPOCHS", "MAX_SESSIONS", "LabBusyError", "Session", "SessionStore"]

MAX_EPOCHS = 20_000  # per run: bounds the history a session keeps
MAX_SESSIONS = 8  # open tabs; the least recently used idle one makes room
MOMENTUM = 0.9


class LabBusyError(RuntimeError):
    """Every session slot is taken by a tab that is still connected."""


class Session:
    """The state of one tab. Attributes below are read by the views and the
    export; they are replaced (not mutated) when the session is rebuilt.

    Attributes
    ----------
    settings : LabSettings
    dataset : Dataset
        Raw points and labels (generated, or the upload).
    splits : Splits
        Training/validation split of ``dataset`` (labels as class indices).
    preprocessor : Preprocessor
        Standardisation fitted on the training points only.
    X_train, X_val : ndarray of shape (n, 2), the model's inputs (scaled)
    model, optimizer, trainer : the engine objects being trained
    start : dict
        Loss and accuracy of the untrained model (epoch 0).
    extent : list of float
        ``[x0, x1, y0, y1]`` of the drawn plane, raw units.
    """

    def __init__(self, sid: str, settings: LabSettings | None = None):
        self.id = sid
        self.lock = threading.RLock()
        self.settings = settings or LabSettings()
        self.upload = None  # Dataset read from the user's CSV
        self.playing = False
        self.speed = SPEEDS[0]
        self.data_version = 0
        self.message = None  # {"level": "error" | "info", "text": ...} for the page
        self.inspected = None  # index into the drawn points
        self.last_used = time.monotonic()
        self.viewers = 0  # open streams
        self.stream_generation = 0  # a newer stream replaces an older one
        self.wake = asyncio.Event()  # set on the event loop when a frame is due
        self._build()

    # ---- building ---------------------------------------------------------------
    def _build(self) -> None:
        """Data, split, scaling, model, optimizer and Trainer from the settings,
        all drawn from one Generator seeded by ``settings.seed``: Reset replays."""
        s = self.settings
        rng = np.random.default_rng(s.seed)
        ds = self.upload if s.dataset == "csv" else datasets.generate(s, rng)
        splits = datasets.split(ds, s.val_fraction, rng)
        pre = Preprocessor("standard").fit(splits.X_train)
        X_train = pre.transform(splits.X_train, np.float32)
        X_val = pre.transform(splits.X_val, np.float32)
        C = len(splits.classes)
        if s.model == "softmax":
            model = softmax_regression(2, C, rng=rng)
        else:
            model = mlp(2, s.hidden, C, activation=s.activation, dropout=s.dropout, rng=rng)
        if s.optimizer == "adam":
            opt = Adam(model.parameters(), lr=s.lr, weight_decay=s.l2)
        else:
            opt = SGD(model.parameters(), lr=s.lr, weight_decay=s.l2,
                      momentum=MOMENTUM if s.optimizer == "momentum" else 0.0)
        trainer = Trainer(model, opt, SoftmaxCrossEntropy(), batch_size=s.batch_size, rng=rng)
        tl, ta = trainer.evaluate(X_train, splits.y_train)
        vl, va = trainer.evaluate(X_val, splits.y_val)
        (self.dataset, self.splits, self.preprocessor, self.X_train, self.X_val, self.model,
         self.optimizer, self.trainer) = ds, splits, pre, X_train, X_val, model, opt, trainer
        self.start = {"train_loss": tl, "train_acc": ta, "val_loss": vl, "val_acc": va}
        self.points = np.concatenate([splits.X_train, splits.X_val]).astype(np.float64)
        self.labels = np.concatenate([splits.y_train, splits.y_val])
        self.n_train = len(splits.y_train)
        self.extent = views.plane(self.points)
        self.class_names = [str(c) for c in splits.classes]
        self.playing = False

    def update(self, changes: dict) -> dict:
        """Apply settings from the page. Learning rate, batch size and L2 take
        effect in the running optimizer; anything else rebuilds the session
        (paused at epoch 0). Returns ``{"reset": bool, "settings": dict}``."""
        with self.lock:
            new = validate(self.settings, changes)
            if new.dataset == "csv" and self.upload is None:
                raise LabParamError("dataset", "no CSV file uploaded yet; choose a file under "
                                    "'Your CSV' first")
            changed = {k for k in RULES if getattr(new, k) != getattr(self.settings, k)}
            if new.dataset == "csv":  # these describe the generators only
                changed -= {"n_points", "noise", "n_classes"}
            if not changed or changed <= LIVE_KEYS:
                self.settings = new
                self.optimizer.lr = new.lr
                self.optimizer.weight_decay = new.l2
                self.trainer.batch_size = new.batch_size
                self.message = None
                return {"reset": False, "settings": new.to_dict()}
            self._rebuild(new, data=bool(changed & DATA_KEYS))
            return {"reset": True, "settings": new.to_dict()}

    def _rebuild(self, settings: LabSettings, data: bool) -> None:
        """Rebuild from ``settings``; on failure keep the old state and settings
        (``_build`` assigns everything at its end)."""
        old, self.settings = self.settings, settings
        try:
            self._build()
        except ValueError as exc:  # e.g. a split the data cannot give
            self.settings = old
            raise LabParamError("dataset", str(exc)) from None
        self.message = None
        if data:
            self.data_version += 1
            self.inspected = None

    def set_upload(self, ds) -> dict:
        """Use an uploaded data set (already read and checked)."""
        with self.lock:
            previous = self.upload
            self.upload = ds
            try:
                self._rebuild(validate(self.settings, {"dataset": "csv"}), data=True)
            except LabParamError:
                self.upload = previous
                raise
            return {"reset": True, "settings": self.settings.to_dict()}

    # ---- driving ------------------------------------------------------------------
    def control(self, action: str, speed=None) -> None:
        """``play``, ``pause``, ``step`` (one epoch now), ``reset`` or ``speed``."""
        with self.lock:
            if action == "play":
                self.message = None
                self.playing = True  # the next frame says so if the epoch limit is reached
            elif action == "pause":
                self.playing = False
            elif action == "step":
                self.message = None
                self.playing = False
                self._train(1)
            elif action == "reset":
                self._rebuild(self.settings, data=False)
            elif action == "speed":
                if isinstance(speed, bool) or speed not in SPEEDS:
                    raise LabParamError("speed", f"speed must be one of {SPEEDS} epochs per "
                                        f"frame, got {speed!r}")
                self.speed = int(speed)
            else:
                raise LabParamError("action", f"unknown action {action!r}; use play, pause, "
                                    "step, reset or speed")

    def _train(self, epochs: int) -> None:
        epochs = min(epochs, MAX_EPOCHS - self.trainer.epoch)
        if epochs > 0:
            self._fit(epochs)
        if self.trainer.epoch >= MAX_EPOCHS:
            self.playing = False
            self.message = {"level": "info", "text": f"Stopped at {MAX_EPOCHS} epochs, the "
                            "lab's limit for one run; press Reset to train again."}

    def _fit(self, epochs: int) -> None:
        s = self.splits
        try:
            # Overflow on the way to divergence is reported once, by the
            # trainer's error, not as numpy warnings.
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                self.trainer.fit(self.X_train, s.y_train, epochs=epochs,
                                 X_val=self.X_val, y_val=s.y_val)
        except TrainingDivergedError as exc:
            self.playing = False
            self.message = {"level": "error", "text": str(exc)}

    def advance(self) -> dict:
        """Train ``speed`` epochs if playing, then render the frame."""
        with self.lock:
            if self.playing:
                self._train(self.speed)
            return self.frame()

    # ---- views ------------------------------------------------------------------
    def data_message(self) -> dict:
        """The points (raw units), their labels and split, and the plane."""
        with self.lock:
            return {"type": "data", "data_version": self.data_version,
                    "name": self.dataset.name, "classes": self.class_names,
                    "feature_names": list(self.dataset.feature_names), "extent": self.extent,
                    "x": self.points[:, 0].tolist(), "y": self.points[:, 1].tolist(),
                    "label": self.labels.tolist(), "n_train": self.n_train,
                    "n_val": len(self.labels) - self.n_train, "settings": self.settings.to_dict()}

    def frame(self) -> dict:
        """Epoch, latest metrics, curves, boundary, hidden maps, inspected point."""
        with self.lock:
            h = self.trainer.history
            stats = self.start if not len(h) else {
                c: getattr(h, c)[-1] for c in ("train_loss", "train_acc", "val_loss", "val_acc")}
            out = {"type": "frame", "epoch": self.trainer.epoch, "playing": self.playing,
                   "speed": self.speed, "data_version": self.data_version,
                   "stats": views.curves_row(stats), "curves": views.curves(h, self.start),
                   "message": self.message, "boundary": None, "hidden": [], "inspect": None}
            try:
                with np.errstate(over="ignore", invalid="ignore"):
                    out["boundary"] = views.boundary(self.model, self.preprocessor, self.extent)
                    out["hidden"] = views.hidden_maps(self.model, self.preprocessor, self.extent)
                    if self.inspected is not None:
                        out["inspect"] = self._inspect(self.inspected)
            except (FloatingPointError, ValueError) as exc:  # overflowing logits
                out["message"] = {"level": "error", "text": f"The model's outputs overflow "
                                  f"({exc}); lower the learning rate and press Reset."}
            return out

    def inspect(self, x: float, y: float) -> dict:
        """Select the drawn point nearest (x, y) (raw units) and inspect it."""
        with self.lock:
            d2 = (self.points[:, 0] - x) ** 2 + (self.points[:, 1] - y) ** 2
            self.inspected = int(np.argmin(d2))
            with np.errstate(over="ignore", invalid="ignore"):
                return self._inspect(self.inspected)

    def _inspect(self, i: int) -> dict:
        x = self.preprocessor.transform(self.points[i:i + 1], dtype=self.model.dtype)
        y = int(self.labels[i])
        info = inspect_point(self.model, x, y)
        info.update(index=i, split="train" if i < self.n_train else "validation",
                    point=self.points[i].tolist(), label=self.class_names[y], label_index=y,
                    predicted=int(np.argmax(info["logits"])), epoch=self.trainer.epoch)
        return views.finite(info)

    def gradcheck(self) -> dict:
        with self.lock:
            return gradient_check(self.model, self.X_train, self.splits.y_train)


class SessionStore:
    """At most ``max_sessions`` sessions, keyed by unguessable ids."""

    def __init__(self, max_sessions: int = MAX_SESSIONS):
        self.max_sessions = max_sessions
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()

    def create(self) -> Session:
        session = Session(secrets.token_urlsafe(12))
        with self._lock:
            while len(self._sessions) >= self.max_sessions:
                idle = next((k for k, s in self._sessions.items() if s.viewers == 0), None)
                if idle is None:
                    raise LabBusyError(f"the lab already has {self.max_sessions} open tabs; "
                                       "close one of them and reload this page")
                del self._sessions[idle]
            self._sessions[session.id] = session
        return session

    def get(self, sid: str) -> Session:
        """The session (marked as just used); KeyError if it is unknown."""
        with self._lock:
            session = self._sessions[sid]
            self._sessions.move_to_end(sid)
        session.last_used = time.monotonic()
        return session

    def close(self, sid: str) -> None:
        with self._lock:
            self._sessions.pop(sid, None)

    def __len__(self) -> int:
        return len(self._sessions)
