"""The run folder: its file names, a lock against concurrent writers, and
atomic writers for the history, metrics and checkpoints."""
from __future__ import annotations

from softmaxlab.errors import SoftmaxlabError

import contextlib
import csv
import errno
import io
import json
import math
import os
import re
import time
from pathlib import Path

from softmaxlab.io import atomic_write, load_bundle, save_bundle
from softmaxlab.train import Callback, History
from softmaxlab.train.history import COLUMNS

__all__ = ["CHECKPOINT", "CONFIG", "FIGURES", "HISTORY", "LOCK", "METRICS", "MODEL",
           "PREDICTIONS", "REPORT", "CheckpointWriter", "RunLock", "RunLockedError",
           "RunWriteError", "clear_run_files", "default_run_dir", "load_checkpoint",
           "os_error_words", "read_history", "read_status", "write_history", "write_json",
           "write_text", "writing"]

CONFIG, HISTORY, METRICS = "config.toml", "history.csv", "metrics.json"
MODEL, PREDICTIONS, REPORT = "model.npz", "predictions.npz", "report.html"
CHECKPOINT, LOCK = "checkpoint.npz", ".lock"
FIGURES = ("curves", "confusion_matrix", "per_class", "test_images", "worst_predictions",
           "probabilities", "decision_boundary")
# What a finished run holds, in the order it is written.
_RUN_FILES = (CONFIG, MODEL, HISTORY, METRICS, PREDICTIONS, REPORT)


class RunLockedError(SoftmaxlabError, RuntimeError):
    """Another live process is writing to the run folder."""


class RunExistsError(SoftmaxlabError, RuntimeError):
    """The run folder already holds a run (and overwriting was not asked for)."""


class RunWriteError(SoftmaxlabError, RuntimeError):
    """A file of the run folder could not be written (disk full, permissions...);
    the message names the folder, the file, the reason and the complete files."""


_OS_WORDS = {
    errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
    errno.EACCES: "permission denied", errno.EPERM: "permission denied",
    errno.EROFS: "the file system is read-only", errno.ENOENT: "a folder on the way is missing",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "a folder of that name is in the way", errno.ENAMETOOLONG: "the name is too long",
    errno.EIO: "an input/output error of the disk",
}


def os_error_words(exc: OSError) -> str:
    """The reason of an ``OSError`` in plain words ("the disk is full")."""
    return _OS_WORDS.get(exc.errno) or (exc.strerror or str(exc) or type(exc).__name__).lower()


def _complete_files(run_dir: Path) -> str:
    # Every file is written atomically, so one that exists is complete.
    done = [f for f in (*_RUN_FILES, CHECKPOINT) if (run_dir / f).is_file()]
    missing = [f for f in _RUN_FILES if f not in done]
    text = f"complete: {', '.join(done) if done else 'none'}"
    return text + (f"; not written: {', '.join(missing)}" if missing else "")


@contextlib.contextmanager
def writing(run_dir, name: str):
    """Turn an ``OSError`` while writing ``name`` into a :class:`RunWriteError`
    that says what happened in the user's terms and which files are complete."""
    try:
        yield
    except OSError as exc:
        run_dir = Path(run_dir)
        raise RunWriteError(f"could not write {name} in the run folder {run_dir}: "
                            f"{os_error_words(exc)}; {_complete_files(run_dir)}") from exc


def clear_run_files(run_dir) -> None:
    """Remove a previous run's files (for ``--overwrite``), so none is left to
    be mistaken for the new run's."""
    run_dir = Path(run_dir)
    for name in (*_RUN_FILES, CHECKPOINT, *(f"{f}.png" for f in FIGURES)):
        with contextlib.suppress(FileNotFoundError):
            (run_dir / name).unlink()


def read_status(run_dir) -> str | None:
    """``status`` from ``metrics.json`` (None when the run has not finished)."""
    try:
        return json.loads((Path(run_dir) / METRICS).read_text(encoding="utf-8")).get("status")
    except (OSError, ValueError, AttributeError):
        return None


def default_run_dir(data: str, model: str, root="runs") -> Path:
    """``runs/<YYYYmmdd-HHMMSS>-<data>-<model>``, made unique with a suffix."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", Path(data).stem if "/" in data or "." in data
                  else data).strip("-").lower() or "data"
    base = Path(root) / f"{time.strftime('%Y%m%d-%H%M%S')}-{slug}-{model}"
    path, i = base, 2
    while path.exists():
        path, i = base.with_name(f"{base.name}-{i}"), i + 1
    return path


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


class RunLock:
    """``<run>/.lock`` created with O_EXCL and holding the owner's pid.

    A lock whose pid is no longer running (a crashed or killed run) is taken
    over; ``stale_pid`` then says whose it was, so the caller can tell the user.
    """

    def __init__(self, run_dir):
        self.path = Path(run_dir) / LOCK
        self.stale_pid: int | None = None
        self._held = False

    def acquire(self) -> RunLock:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return self._acquire()
        except OSError as exc:
            raise RunWriteError(f"cannot create the run folder {self.path.parent}: "
                                f"{os_error_words(exc)}; choose another --out") from exc

    def _acquire(self) -> RunLock:
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                pid = self._owner()
                if pid is not None and _pid_alive(pid):
                    raise RunLockedError(
                        f"{self.path.parent} is in use by another softmaxlab run (pid {pid}); "
                        "wait for it to finish or choose another --out folder") from None
                self.stale_pid = pid if pid is not None else -1
                try:
                    self.path.unlink()
                except FileNotFoundError:
                    pass
                continue
            with os.fdopen(fd, "w") as f:
                f.write(f"{os.getpid()}\n")
            self._held = True
            return self
        raise RunLockedError(f"could not lock {self.path.parent}: another run took it just now")

    def _owner(self) -> int | None:
        try:
            return int(self.path.read_text().strip())
        except (OSError, ValueError):
            return None

    def release(self) -> None:
        if self._held and self._owner() == os.getpid():
            self.path.unlink(missing_ok=True)
        self._held = False

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


def write_text(path, text: str) -> Path:
    return atomic_write(path, lambda f: f.write(text), mode="w")


def _clean(obj):
    """NaN/inf become null: metrics.json must be valid JSON for any reader."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def write_json(path, obj) -> Path:
    return write_text(path, json.dumps(_clean(obj), indent=2) + "\n")


def write_history(path, history: History) -> Path:
    """``history.csv``: one row per epoch; empty validation cells when there is none."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for row in history.rows():
        w.writerow(["" if isinstance(row[c], float) and math.isnan(row[c]) else
                    (repr(row[c]) if isinstance(row[c], float) else row[c]) for c in COLUMNS])
    return write_text(path, buf.getvalue())


def read_history(path) -> History:
    """Inverse of :func:`write_history`."""
    h = History()
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            h.append(**{c: (int(row[c]) if c == "epoch" else
                            (float(row[c]) if row[c] != "" else math.nan)) for c in COLUMNS})
    return h


class CheckpointWriter(Callback):
    """Save ``trainer.state_dict()`` to ``<run>/checkpoint.npz`` every ``every``
    epochs, atomically (temp file, fsync, rename): a crash mid-write leaves the
    previous checkpoint intact; ``history.csv`` is rewritten alongside. Add it
    after early stopping so the saved early-stopping state includes the epoch."""

    def __init__(self, run_dir, every: int, extra: dict | None = None):
        self.path = Path(run_dir) / CHECKPOINT
        self.every, self.extra = every, extra or {}

    def on_epoch_end(self, trainer, epoch, row):
        if self.every > 0 and epoch % self.every == 0:
            self.save(trainer)

    def save(self, trainer):
        state = trainer.state_dict()
        with writing(self.path.parent, CHECKPOINT):
            save_bundle(self.path, "checkpoint", {"state": state["scalars"], **self.extra},
                        state["arrays"])
        # A run killed later still shows its history up to this checkpoint.
        with writing(self.path.parent, HISTORY):
            write_history(self.path.parent / HISTORY, trainer.history)


def load_checkpoint(run_dir) -> tuple[dict, dict]:
    """(trainer state for ``Trainer.load_state_dict``, extra header entries)."""
    header, arrays = load_bundle(Path(run_dir) / CHECKPOINT, "checkpoint")
    scalars = header.pop("state")
    return {"scalars": scalars, "arrays": arrays}, header
