"""Shared helpers for the benchmarks: data, thread settings, memory, machine info.

Nothing here is imported by the library or by the test suite.
"""
from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"

#: Thread count given to every peer (BLAS, OpenMP, torch intra-op).
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def thread_env(threads: int) -> dict:
    """The environment of a peer subprocess: the same thread count for every
    library, set before anything is imported. OPENBLAS_CORETYPE and everything
    else is inherited unchanged."""
    env = dict(os.environ)
    for k in THREAD_VARS:
        env[k] = str(threads)
    return env


def load_fashion(rows: int | None = None):
    """Fashion-MNIST as float32 pixels in [0, 1] and int64 labels.

    Parameters
    ----------
    rows : int, optional
        Training rows; a multiple of 60000 tiles the training set (workload d),
        fewer takes the first ``rows``.

    Returns
    -------
    X_train (rows, 784) float32, y_train (rows,) int64, X_test (10000, 784) float32, y_test.

    Notes
    -----
    The training array is allocated once at its final size and filled in
    place, so loading leaves no large temporary behind (the peak-memory figure
    is taken after a reset of the high-water mark anyway).
    """
    from softmaxlab.data import load_fashion_mnist

    d = load_fashion_mnist()
    n0 = d.X_train.shape[0]
    rows = n0 if rows is None else int(rows)
    X = np.empty((rows, d.X_train.shape[1]), dtype=np.float32)
    y = np.empty(rows, dtype=np.int64)
    for start in range(0, rows, n0):
        k = min(n0, rows - start)
        np.multiply(d.X_train[:k], np.float32(1 / 255), out=X[start:start + k], dtype=np.float32)
        y[start:start + k] = d.y_train[:k]
    Xt = d.X_test.astype(np.float32)
    Xt *= np.float32(1 / 255)
    return X, y, Xt, d.y_test.astype(np.int64)


def reset_peak_rss() -> None:
    """Reset the kernel's resident-set high-water mark (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def rss_mb() -> tuple[float, float]:
    """(current RSS, high-water RSS since the last reset) in MiB."""
    cur = hwm = float("nan")
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    cur = int(line.split()[1]) / 1024
                elif line.startswith("VmHWM:"):
                    hwm = int(line.split()[1]) / 1024
    except OSError:
        pass
    return cur, hwm


def machine_info() -> dict:
    """What the figures were measured on."""
    info = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "(unset)"),
        "numpy": np.__version__,
    }
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        for line in out.splitlines():
            k, _, v = line.partition(":")
            if k.strip() in ("Model name", "CPU(s)", "Thread(s) per core", "L2 cache", "L3 cache"):
                info["lscpu " + k.strip()] = v.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        import threadpoolctl

        info["blas"] = [
            {k: p.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
            for p in threadpoolctl.threadpool_info()
        ]
    except ImportError:
        pass
    for mod in ("torch", "sklearn"):
        try:
            info[mod] = __import__(mod).__version__
        except ImportError:
            info[mod] = None
    return info
