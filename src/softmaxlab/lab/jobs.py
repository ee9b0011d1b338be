"""Long operations (the gradient check, saving a run folder): at most one per
session, a few across all sessions, each cancellable.

The work runs in a worker thread and calls ``check()`` between small pieces
(a parameter's entry, a minibatch, a file); ``check`` raises
:class:`LabError` ``cancelled`` once the session's cancellation flag is set
(Cancel, the session closing, the client going away), and sleeps for zero
seconds, which hands the GIL to the other threads: pure-Python loops would
otherwise hold it for their whole 5 ms switch interval at a time.
"""
from __future__ import annotations

import collections
import math
import threading
import time

from softmaxlab.lab.errors import LabError

__all__ = ["MAX_RUN_FOLDERS", "RUN_FOLDERS_PER_MINUTE", "Job", "RunFolderQuota"]

MAX_RUN_FOLDERS = 20  # per session
RUN_FOLDERS_PER_MINUTE = 10  # for the whole server


class Job:
    """One session's slot for a long operation."""

    def __init__(self):
        self._lock = threading.Lock()
        self.name: str | None = None
        self.cancel = threading.Event()
        self.done, self.total = 0, None  # progress: pieces done, of how many (None: unknown)

    def begin(self, name: str) -> threading.Event:
        """Take the slot for ``name``; its cancellation flag is returned.

        Raises
        ------
        LabError
            ``busy`` (409) while another operation holds the slot.
        """
        with self._lock:
            if self.name is not None:
                raise LabError("busy", f"this session is already running {self.name.replace('_', ' ')}; "
                               "wait for it to finish or cancel it", status=409,
                               operation=self.name)
            self.name, self.cancel = name, threading.Event()
            self.done, self.total = 0, None
            return self.cancel

    def ensure_free(self) -> None:
        """Raise ``busy`` (409) while an operation runs."""
        with self._lock:
            if self.name is not None:
                raise LabError("busy", f"this session is already running "
                               f"{self.name.replace('_', ' ')}; wait for it to finish or cancel "
                               "it", status=409, operation=self.name)

    def end(self) -> None:
        with self._lock:
            self.name = None

    def status(self) -> dict | None:
        """``{"kind", "done", "total"}`` of the running operation, or None."""
        name = self.name
        return None if name is None else {"kind": name, "done": self.done, "total": self.total}

    def checker(self, cancel: threading.Event, operation: str):
        """The ``check()`` a long operation calls between its pieces: raises
        ``cancelled`` once ``cancel`` is set, counts progress, and yields the GIL."""
        def check():
            if cancel.is_set():
                raise LabError("cancelled", f"{operation.replace('_', ' ')} was cancelled",
                               status=409, operation=operation)
            self.done += 1
            time.sleep(0)
        return check

    def stop(self) -> str | None:
        """Cancel the running operation; its name, or None."""
        with self._lock:
            self.cancel.set()
            return self.name


class RunFolderQuota:
    """At most ``per_minute`` run folders a minute on this server, and
    ``per_session`` for one session."""

    def __init__(self, per_minute: int = RUN_FOLDERS_PER_MINUTE,
                 per_session: int = MAX_RUN_FOLDERS):
        self.per_minute, self.per_session = per_minute, per_session
        self._times: collections.deque = collections.deque()
        self._lock = threading.Lock()

    def take(self, session) -> None:
        """Count one run folder for ``session``, or raise LabError 429."""
        with self._lock:
            if session.run_folders >= self.per_session:
                raise LabError("run_folder_limit", f"this session has saved {self.per_session} run "
                               "folders, the lab's limit for one session; reload the page for a "
                               "new session", status=429, limit=self.per_session)
            now = time.monotonic()
            while self._times and now - self._times[0] > 60:
                self._times.popleft()
            if len(self._times) >= self.per_minute:
                wait = max(1, math.ceil(60 - (now - self._times[0])))
                raise LabError("rate_limited", f"the lab saves at most {self.per_minute} run folders "
                               f"a minute; try again in {wait} s", status=429,
                               limit=self.per_minute, seconds=60, retry_after=wait)
            self._times.append(now)
            session.run_folders += 1
