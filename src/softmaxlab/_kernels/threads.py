"""How many BLAS threads the fast path's GEMMs run, chosen batch by batch.

Why this exists: OpenBLAS splits each GEMM over its threads, and the threads
meet at a barrier where they *spin* until the slowest one arrives. When
another process takes a core, the thread that lost its core finishes a
scheduler time slice (milliseconds) later, while the others burn the CPU the
descheduled one needed; with Adam the idle workers also spin through the
element-wise updates between GEMMs. On 2 cores with two busy processes
beside it, an MLP epoch (784-256-10, SGD) went from 0.62 s to 17 s. With
one BLAS thread there is no barrier and the same fit takes about 2.4x its
idle time: its fair share of a machine it now shares with two others.

So the fast path runs a *team* of BLAS threads:

* at most as many as the BLAS already runs (the user's ``threadpool_limits``,
  ``OPENBLAS_NUM_THREADS``/``OMP_NUM_THREADS``, or the limit joblib puts on
  each ``GridSearchCV(n_jobs=...)`` worker), and at most as many as the CPUs
  this process may use (its affinity mask and its cgroup's ``cpu.max`` quota);
* at run time it times every batch. Right after its first measurement (a
  twentieth of a second: a fit that starts beside busy processes must not
  spend its first epochs on the collapsing team), then every so often (a
  quarter of a second, doubling to 4 s while the team keeps winning) it
  *probes*: it times the forward GEMM of the model's largest layer on the
  last batch, written to a scratch array, on one thread and on the full
  team, and moves to one thread only when that ran far faster. When the full team suddenly
  runs 1.5x slower (another process started), it probes at once. On an
  idle machine the probes cost well under 1 % of an epoch;
* on one thread, it tries the full team for a few training batches every so
  often and keeps whichever ran faster per sample (a loser is abandoned
  after one batch), so the speed comes back when the load leaves.

Why a probe and not a few training batches on one thread: OpenBLAS sums a
GEMM in a different order with one thread than with two, so a batch run on
another thread count changes the weights in the last bits, and Adam or a
long fit carries that on. A probe leaves the training untouched: on an idle
machine every batch runs on the BLAS's own thread count, and the same seed
gives the same weights, bit for bit. Only when the probe finds the cores
busy does training move to one thread (then a run is as reproducible as
the machine's load; a fixed ``SOFTMAXLAB_BLAS_THREADS`` makes it so always).

``SOFTMAXLAB_BLAS_THREADS`` sets it: ``auto`` (the default, as above) or a
whole number, a fixed team size (still never above the BLAS's own limit).
The count is process-wide (a BLAS has one thread pool); overlapping epochs
of several trainers share it (:data:`BLAS_THREADS`), and the BLAS's own
setting is back in place between epochs.
"""
from __future__ import annotations

import contextlib
import functools
import math
import os
import threading
import time
from softmaxlab.errors import InputError

__all__ = ["BLAS_THREADS", "ThreadTeam", "available_cpus", "team_setting"]

ENV_VAR = "SOFTMAXLAB_BLAS_THREADS"
#: Seconds of batches per measurement window of the current team.
WINDOW_S = 0.05
#: Seconds between tries of the other team size: the first, and the most.
FIRST_TRY_S, MAX_TRY_S = 0.25, 4.0
#: A try runs at least this many measured batches and this many seconds.
TRY_BATCHES, TRY_S = 2, 0.01
#: A try wins when it is this much faster per sample ...
MARGIN = 0.9
#: ... and a try of fewer threads than the current team only when it is this
#: much faster. Idle machines are the common case: there a 2-batch sample of
#: one thread can look 10 % faster by chance and then keep the team small
#: for epochs (one thread runs (c) about 1.7x slower than two), while the
#: contention this guards against makes one thread 4-10x faster.
DOWN_MARGIN = 0.6
#: ... and is abandoned as soon as it is this much slower.
GIVE_UP = 1.5
#: A try this much slower per sample (counting its first batch) is hopeless.
HOPELESS = 3.0
#: The full team running this much slower than before means new contention.
SLOWDOWN = 1.5
#: Timed runs of the probe GEMM at each team size, summed: beside busy
#: processes the full team's runs are fast only while every one of its
#: threads holds a core, so one lucky run must not decide.
PROBE_RUNS = 3


@functools.lru_cache(maxsize=1)
def blas_controller():
    """threadpoolctl's view of the BLAS libraries loaded in this process
    (built once: scanning the loaded libraries costs about 1 ms)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController().select(user_api="blas")


def blas_threads_now() -> int:
    """The BLAS's current thread count (the smallest over loaded BLAS
    libraries; 1 when none is found)."""
    libs = blas_controller().lib_controllers
    return min((lib.num_threads for lib in libs), default=1)


def _cgroup_cpus() -> float:
    """CPUs granted by the cgroup quota (v2 ``cpu.max``, v1 ``cfs_quota``);
    inf when there is no quota or no cgroup file."""
    for quota_file, period_file in (("/sys/fs/cgroup/cpu.max", None),
                                    ("/sys/fs/cgroup/cpu/cpu.cfs_quota_us",
                                     "/sys/fs/cgroup/cpu/cpu.cfs_period_us")):
        try:
            with open(quota_file) as f:
                fields = f.read().split()
            if period_file is not None:
                with open(period_file) as f:
                    fields.append(f.read().strip())
            quota, period = fields[0], fields[1]
            if quota in ("max", "-1"):
                return math.inf
            return max(int(quota) / int(period), 1.0)
        except (OSError, ValueError, IndexError):
            continue
    return math.inf


def available_cpus() -> int:
    """CPUs this process may run on: its affinity mask (all CPUs where the
    platform has none), lowered to the cgroup quota rounded up."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        cpus = os.cpu_count() or 1
    quota = _cgroup_cpus()
    return max(1, min(cpus, math.ceil(quota) if quota != math.inf else cpus))


def team_setting() -> int | None:
    """``SOFTMAXLAB_BLAS_THREADS`` read: None for "auto" (or unset), else the
    fixed team size. Raises ValueError naming the value and the fix."""
    raw = os.environ.get(ENV_VAR, "auto").strip().lower()
    if raw in ("", "auto"):
        return None
    try:
        n = int(raw)
    except ValueError:
        n = 0
    if n < 1:
        raise InputError(f"{ENV_VAR}={os.environ[ENV_VAR]!r} is not valid: use 'auto' "
                         "or a whole number of threads >= 1 (e.g. 1).")
    return n


class _BlasThreads:
    """The process-wide BLAS thread count while fast-path epochs run.

    Each running epoch holds a wish (a thread count); the BLAS runs the
    smallest wish. The first holder saves the BLAS's own counts, the last to
    leave restores them: saving and restoring per holder would let a second
    epoch save the first one's wish and put it back after the first ended.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._wishes: dict[int, int] = {}
        self._saved: list | None = None
        self._applied: int | None = None

    def hold(self, key: int, threads: int):
        """Add or change the wish of holder ``key``."""
        with self._lock:
            if self._saved is None:
                libs = blas_controller().lib_controllers
                self._saved = [(lib, lib.num_threads) for lib in libs]
            self._wishes[key] = threads
            self._apply(min(self._wishes.values()))

    def release(self, key: int):
        """Drop the wish of ``key``; the last one out restores the BLAS."""
        with self._lock:
            self._wishes.pop(key, None)
            if self._wishes:
                self._apply(min(self._wishes.values()))
            elif self._saved is not None:
                for lib, n in self._saved:
                    lib.set_num_threads(n)
                self._saved = self._applied = None

    def _apply(self, threads: int):
        if threads != self._applied:
            for lib, _ in self._saved:
                lib.set_num_threads(threads)
            self._applied = threads


BLAS_THREADS = _BlasThreads()


class ThreadTeam:
    """Picks the BLAS team size of one fast path from measured batch times.

    Keeps what it learned between epochs. Use per epoch::

        with team.epoch(probe) as tick:
            for batch in batches:
                ...             # one training step
                tick(n_rows)    # after each batch

    ``probe``, a callable: one representative GEMM whose result nobody reads
    (``FastPath.probe``); the team times it on one thread and on the full
    team to decide whether to leave the full team. Without one it tries one
    thread on training batches instead (which changes their last bits).

    Attributes
    ----------
    threads : int
        The team size the last batch ran with.
    switches : int
        How often the size changed after a try or probe (for tests and benchmarks).
    probes : int
        How many probes ran (for tests and benchmarks).
    """

    def __init__(self):
        self.threads = 0
        self.switches = 0
        self._best = 0          # the size in use between tries
        self._try_every = FIRST_TRY_S
        self._trying = False
        self._ref = None        # seconds per sample of the size in use
        self._t, self._n, self._batches = 0.0, 0, 0
        self._since_try = 0.0
        self._tried = False     # the first try comes after the first window
        self._skip = 1          # the first batch after a change wakes or parks threads
        self._probe = None
        self.probes = 0

    @contextlib.contextmanager
    def epoch(self, probe=None):
        """Hold the team size for one epoch; yields ``tick(rows)``."""
        fixed = team_setting()
        cap = min(blas_threads_now(), available_cpus())
        if fixed is not None:
            cap = min(cap, fixed)
        if cap <= 1 and blas_threads_now() <= 1:  # nothing to choose, nothing to set
            self.threads = 1
            yield _no_tick
            return
        key = id(self)
        if fixed is not None or cap <= 1 or self._best not in (1, cap):
            self._best, self._ref = cap, None
        # A try unfinished at the last epoch's end is dropped (the time
        # between epochs is not a batch's).
        self._trying = False
        self._t, self._n, self._batches = 0.0, 0, 0
        self.cap, self.adaptive = cap, fixed is None and cap > 1
        self.threads = self._best
        self._probe = probe
        BLAS_THREADS.hold(key, self.threads)
        self._last = time.perf_counter()
        self._skip = 1
        try:
            yield self.tick if self.adaptive else _no_tick
        finally:
            self._probe = None
            BLAS_THREADS.release(key)

    @contextlib.contextmanager
    def holding(self):
        """Run a block that is not a training epoch (the validation pass
        after one) at the size the team last settled on, without timing it.

        Between epochs the BLAS is back at its own setting; beside busy
        processes that is the collapsing full team, and a CLI epoch's
        validation forward then took longer than its training. Before the
        first epoch (nothing learned yet) the block runs as it is.
        """
        if self._best < 1 or (self.threads <= 1 and blas_threads_now() <= 1):
            yield
            return
        key = id(self)
        BLAS_THREADS.hold(key, self._best)
        try:
            yield
        finally:
            BLAS_THREADS.release(key)

    def tick(self, rows: int):
        """Record that a batch of ``rows`` rows just finished."""
        now = time.perf_counter()
        dt, self._last = now - self._last, now
        if self._skip:
            self._skip -= 1
            # A try whose first batch alone runs far slower (a bigger team
            # meeting busy cores: 10x here) is abandoned without a second one.
            if self._trying and self._ref is not None and dt > 2 * HOPELESS * self._ref * rows:
                self._end_try(won=False, rate=dt / rows)
            return
        self._t += dt
        self._n += rows
        self._batches += 1
        if self._trying:
            self._try_step()
        elif self._t >= WINDOW_S:
            self._window_done()

    def _window_done(self):
        rate = self._t / self._n
        self._since_try += self._t
        slowed = self._ref is not None and self._best > 1 and rate > SLOWDOWN * self._ref
        if self._ref is None or not slowed:
            self._ref = rate if self._ref is None else 0.7 * self._ref + 0.3 * rate
        self._t, self._n, self._batches = 0.0, 0, 0
        if slowed or not self._tried or self._since_try >= self._try_every:
            if slowed:
                self._ref, self._try_every = rate, FIRST_TRY_S
            self._start_try()

    def _start_try(self):
        self._tried = True
        if self._best > 1 and self._probe is not None:
            self._probe_one_thread()
            return
        self._trying = True
        self._set(1 if self._best > 1 else self.cap)

    def _probe_one_thread(self):
        """Time the probe on one thread and on the full team; move the
        training to one thread only when it ran the probe far faster. The
        training batches keep the team's size throughout."""
        self.probes += 1
        took = {}
        # The full team first: its threads are awake from the last batch.
        for n in (self._best, 1):
            BLAS_THREADS.hold(id(self), n)
            t = time.perf_counter()
            for _ in range(PROBE_RUNS):
                self._probe()
            took[n] = time.perf_counter() - t
        # One thread's rate per sample (the new reference) comes from the next window.
        self._settle(won=took[1] < DOWN_MARGIN * took[self._best], best=1, ref=None,
                     hopeless=took[1] > HOPELESS * took[self._best])
        # The probe's own time is not the next batch's.
        self._last = time.perf_counter()

    def _try_step(self):
        rate = self._t / self._n
        done = self._batches >= TRY_BATCHES and self._t >= TRY_S
        if rate > GIVE_UP * self._ref:
            won = False
        elif done:
            won = rate < (DOWN_MARGIN if self.threads < self._best else MARGIN) * self._ref
        else:
            return
        self._end_try(won, rate)

    def _end_try(self, won: bool, rate: float):
        self._trying = False
        self._settle(won, best=self.threads, ref=rate, hopeless=rate > HOPELESS * self._ref)

    def _settle(self, won: bool, best: int, ref, hopeless: bool):
        """After a try or probe: keep ``best`` (with reference rate ``ref``)
        if it won, else wait longer before the next one (much longer when it
        lost by far); the size in use goes back to the BLAS."""
        if won:
            self._best, self._ref = best, ref
            self._try_every = FIRST_TRY_S
            self.switches += 1
        else:
            self._try_every = min((4 if hopeless else 2) * self._try_every, MAX_TRY_S)
        self._set(self._best)
        self._since_try = 0.0

    def _set(self, threads: int):
        self.threads = threads
        self._skip = 1
        self._t, self._n, self._batches = 0.0, 0, 0
        BLAS_THREADS.hold(id(self), threads)


def _no_tick(rows: int):
    """tick() of an epoch whose team size is fixed."""
