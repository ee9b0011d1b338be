"""One browser tab's lab: its data, model, optimizer and Trainer. A bounded
store holds the sessions, one per tab, each behind its own lock, so tabs never
share state. Training and its interruption are in ``training.py``; what a
frame shows is assembled in ``frames.py``.

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
from softmaxlab.lab.errors import LabError
from softmaxlab.lab.features import expand
from softmaxlab.lab.frames import FramesMixin
from softmaxlab.lab.jobs import Job
from softmaxlab.lab.params import (
    DATA_KEYS,
    LIVE_KEYS,
    MAX_EPOCHS,
    RULES,
    SPEEDS,
    LabParamError,
    LabSettings,
    validate,
)
from softmaxlab.lab.training import TrainingMixin
from softmaxlab.nn import SoftmaxCrossEntropy, mlp, softmax_regression
from softmaxlab.optim import make_optimizer
from softmaxlab.train import Trainer

__all__ = ["MAX_EPOCHS", "MAX_SESSIONS", "LabBusyError", "Session", "SessionStore"]

MAX_SESSIONS = 8  # open tabs; the least recently used idle one makes room
MOMENTUM = 0.9


class LabBusyError(LabError):
    """Every session slot is taken by a tab that is still connected."""

    def __init__(self, limit: int):
        super().__init__("too_many_sessions", f"the lab already has {limit} open tabs; close one "
                         "of them and reload this page", status=503, limit=limit)


def make_lab_optimizer(settings: LabSettings, params):
    """The optimizer the settings name, from the one optimizer factory."""
    name = "adam" if settings.optimizer == "adam" else "sgd"
    extra = {"momentum": MOMENTUM} if settings.optimizer == "momentum" else {}
    return make_optimizer(name, params, lr=settings.lr, weight_decay=settings.l2, **extra)


class Session(TrainingMixin, FramesMixin):
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
    X_train, X_val : ndarray of shape (n, n_inputs), the model's inputs
        (standardised, then the chosen features)
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
        self.message = None  # {"level", "code", "text", "params"} for the page
        self.inspected = None  # index into the drawn points
        self.last_used = time.monotonic()
        self.viewers = 0  # open streams
        self.stream_generation = 0  # a newer stream replaces an older one
        self.wake = asyncio.Event()  # set on the event loop when a frame is due
        self.job = Job()  # the running long operation, if any
        self.closed = False
        self.run_folders = 0
        self.gradcheck_result = None  # the last verdict, until the model is rebuilt
        self._init_training()
        self._build()

    # ---- building ---------------------------------------------------------------
    def inputs(self, raw: np.ndarray) -> np.ndarray:
        """The model's inputs for raw points (n, 2): standardised, then the features."""
        return expand(self.preprocessor.transform(raw, dtype=np.float32), self.settings.features)

    def _build(self) -> None:
        """Data, split, scaling, model, optimizer and Trainer from the settings,
        all drawn from one Generator seeded by ``settings.seed``: Reset replays."""
        s = self.settings
        rng = np.random.default_rng(s.seed)
        ds = self.upload if s.dataset == "csv" else datasets.generate(s, rng)
        splits = datasets.split(ds, s.val_fraction, rng)
        pre = Preprocessor("standard").fit(splits.X_train)
        X_train = expand(pre.transform(splits.X_train, np.float32), s.features)
        X_val = expand(pre.transform(splits.X_val, np.float32), s.features)
        C, d = len(splits.classes), len(s.features)
        if s.model == "softmax":
            model = softmax_regression(d, C, rng=rng)
        else:
            model = mlp(d, s.hidden, C, activation=s.activation, dropout=s.dropout, rng=rng)
        opt = make_lab_optimizer(s, model.parameters())
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
        self.gradcheck_result = None
        self._reset_batches()

    def update(self, changes: dict) -> dict:
        """Apply settings from the page, all or nothing. Learning rate, batch
        size and L2 take effect in the running optimizer; anything else
        rebuilds the session (paused at epoch 0).
        Returns ``{"reset": bool, "settings": dict}``."""
        with self.exclusive():
            new = validate(self.settings, changes)
            if new.dataset == "csv" and self.upload is None:
                raise LabParamError("dataset", "no CSV file uploaded yet; choose a file under "
                                    "'Your CSV' first", "no_upload", value="csv",
                                    kept=self.settings.dataset)
            changed = {k for k in RULES if getattr(new, k) != getattr(self.settings, k)}
            if new.dataset == "csv":  # these describe the generators only
                changed -= {"n_points", "noise", "n_classes"}
            if not changed or changed <= LIVE_KEYS:
                self.settings = new
                self.optimizer.lr = new.lr
                self.optimizer.weight_decay = new.l2
                if new.batch_size != self.trainer.batch_size:
                    self.trainer.batch_size = new.batch_size
                    self._reset_batches()
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
            raise LabParamError("dataset", str(exc), "bad_split", detail=str(exc)) from None
        self.message = None
        if data:
            self.data_version += 1
            self.inspected = None

    def set_upload(self, ds) -> dict:
        """Use an uploaded data set (already read and checked)."""
        with self.exclusive():
            previous = self.upload
            self.upload = ds
            try:
                self._rebuild(validate(self.settings, {"dataset": "csv"}), data=True)
            except LabParamError:
                self.upload = previous
                raise
            return {"reset": True, "settings": self.settings.to_dict()}

    def close(self) -> None:
        """Stop everything this session runs (its page went away)."""
        self.closed = True
        self.playing = False
        self.job.stop()
        self.interrupt.set()


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
                    raise LabBusyError(self.max_sessions)
                self._sessions.pop(idle).close()
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
            session = self._sessions.pop(sid, None)
        if session is not None:
            session.close()

    def __len__(self) -> int:
        return len(self._sessions)
