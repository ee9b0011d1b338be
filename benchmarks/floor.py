"""The hardware floor, measured with NumPy on the machine the benchmark runs on.

* GEMM rate: float32 ``matmul`` at exactly the shapes one training step uses
  (batch 256), so the floor is what this BLAS can do for *these* products,
  not a vendor peak.
* Memory bandwidth: streaming read (BLAS ``sdot`` of a 256 MiB vector with
  itself, 4 bytes read per element) and copy (``np.copyto``, read + write).
* Row gather: one epoch of shuffled 784-float rows copied batch by batch
  into a reused buffer (``np.take``, one thread), beside a contiguous copy of
  the same bytes. Not part of the floor (the floor assumes every image is
  streamed once); it shows what random-row reads cost on this machine, the
  part of a shuffled epoch that no code layout removes.

``floor_seconds`` turns them into seconds per epoch: FLOPs / GEMM rate, and
bytes of the training images / read bandwidth (every image has to come from
memory at least once per epoch); the floor is the larger of the two.

    python benchmarks/floor.py
"""
from __future__ import annotations

import json
import statistics
import sys
import time

import numpy as np


def _time(fn, repeats=30, inner=5):
    """Median seconds of one call (``inner`` calls per sample)."""
    fn()
    samples = []
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - t) / inner)
    return statistics.median(samples), min(samples)


def gemm_rates(batch=256, n_in=784, hidden=256, n_classes=10):
    """GFLOP/s (median and best) of each product of one training step."""
    rng = np.random.default_rng(0)
    f32 = np.float32
    X = rng.random((batch, n_in), dtype=f32)
    W1 = rng.random((n_in, hidden), dtype=f32)
    H = rng.random((batch, hidden), dtype=f32)
    W2 = rng.random((hidden, n_classes), dtype=f32)
    D = rng.random((batch, n_classes), dtype=f32)
    Wr = rng.random((n_in, n_classes), dtype=f32)
    o_bh, o_ih = np.empty((batch, hidden), f32), np.empty((n_in, hidden), f32)
    o_bc, o_ic = np.empty((batch, n_classes), f32), np.empty((n_in, n_classes), f32)
    shapes = {
        "mlp fwd X@W1 (256x784x256)": (lambda: np.matmul(X, W1, out=o_bh),
                                       2 * batch * n_in * hidden),
        "mlp dW1 X.T@dH (784x256x256)": (lambda: np.matmul(X.T, H, out=o_ih),
                                         2 * batch * n_in * hidden),
        "mlp fwd H@W2 (256x256x10)": (lambda: np.matmul(H, W2, out=o_bc),
                                      2 * batch * hidden * n_classes),
        "softreg fwd X@W (256x784x10)": (lambda: np.matmul(X, Wr, out=o_bc),
                                         2 * batch * n_in * n_classes),
        "softreg dW X.T@D (784x256x10)": (lambda: np.matmul(X.T, D, out=o_ic),
                                          2 * batch * n_in * n_classes),
    }
    big = rng.random((2048, 2048), dtype=f32)
    out = {}
    for name, (fn, flops) in shapes.items():
        med, best = _time(fn)
        out[name] = {"gflops_median": flops / med / 1e9, "gflops_best": flops / best / 1e9}
    o_big = np.empty_like(big)
    med, best = _time(lambda: np.matmul(big, big, out=o_big), repeats=5, inner=2)
    out["square 2048 (peak-ish)"] = {"gflops_median": 2 * 2048**3 / med / 1e9,
                                     "gflops_best": 2 * 2048**3 / best / 1e9}
    return out


def bandwidth(mib=256):
    """GB/s of a streaming read and of a copy over ``mib`` MiB of float32."""
    n = mib * 2**20 // 4
    a = np.ones(n, dtype=np.float32)
    b = np.empty_like(a)
    med_r, best_r = _time(lambda: np.dot(a, a), repeats=7, inner=1)
    med_c, best_c = _time(lambda: np.copyto(b, a), repeats=7, inner=1)
    return {"read_GBps_median": a.nbytes / med_r / 1e9, "read_GBps_best": a.nbytes / best_r / 1e9,
            "copy_GBps_median": 2 * a.nbytes / med_c / 1e9, "copy_GBps_best": 2 * a.nbytes / best_c / 1e9}


def row_gather(rows=60000, n_in=784, batch=256, repeats=5):
    """Seconds for one epoch's row gathers in a fresh random order, and for a
    contiguous copy of the same bytes (best of ``repeats``; one thread)."""
    rng = np.random.default_rng(0)
    X = rng.random((rows, n_in), dtype=np.float32)
    buf = np.empty((batch, n_in), dtype=np.float32)
    full = rows - rows % batch

    def gather():
        order = rng.permutation(rows)
        t = time.perf_counter()
        for s in range(0, full, batch):
            np.take(X, order[s:s + batch], axis=0, out=buf, mode="clip")
        return time.perf_counter() - t

    def contiguous():
        t = time.perf_counter()
        for s in range(0, full, batch):
            np.copyto(buf, X[s:s + batch])
        return time.perf_counter() - t

    g = min(gather() for _ in range(repeats))
    c = min(contiguous() for _ in range(repeats))
    nbytes = full * n_in * 4
    return {"gather_s": g, "contiguous_s": c, "gather_GBps": nbytes / g / 1e9,
            "contiguous_GBps": nbytes / c / 1e9, "rows": full}


def epoch_flops(model: str, rows: int, n_in=784, hidden=256, n_classes=10) -> float:
    """FLOPs of one epoch: forward GEMMs, weight-gradient GEMMs, and the
    input-gradient GEMM of every layer but the first (which needs none)."""
    if model == "softmax":
        return 2 * (2 * rows * n_in * n_classes)
    return 2 * (2 * rows * n_in * hidden) + 3 * (2 * rows * hidden * n_classes)


def floor_seconds(model: str, rows: int, rates: dict, bw: dict) -> dict:
    """Floor per epoch from the measured rates (best samples: a floor, not a typical)."""
    image_bytes = rows * 784 * 4
    if model == "softmax":
        rate = statistics.mean([rates["softreg fwd X@W (256x784x10)"]["gflops_best"],
                                rates["softreg dW X.T@D (784x256x10)"]["gflops_best"]])
    else:
        rate = statistics.mean([rates["mlp fwd X@W1 (256x784x256)"]["gflops_best"],
                                rates["mlp dW1 X.T@dH (784x256x256)"]["gflops_best"]])
    t_gemm = epoch_flops(model, rows) / (rate * 1e9)
    t_mem = image_bytes / (bw["read_GBps_best"] * 1e9)
    return {"gemm_s": t_gemm, "memory_s": t_mem, "floor_s": max(t_gemm, t_mem),
            "gflop_per_epoch": epoch_flops(model, rows) / 1e9, "gemm_rate_gflops": rate,
            "image_mb": image_bytes / 2**20}


def measure() -> dict:
    rates = gemm_rates()
    bw = bandwidth()
    return {"gemm": rates, "bandwidth": bw, "row_gather": row_gather(),
            "floor": {m: floor_seconds(m, 60000, rates, bw) for m in ("softmax", "mlp")}}


if __name__ == "__main__":
    json.dump(measure(), sys.stdout, indent=2)
    print()
