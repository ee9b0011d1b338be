"""Where an epoch of softmaxlab's Trainer spends its time, stage by stage.

    .venv/bin/python benchmarks/profile_stages.py [--epochs 3] [--json out.json]

Runs the real ``Trainer.fit`` on Fashion-MNIST for workloads (a), (b), (c)
with a thin timer wrapped around each stage's method on the live objects:

* gather    -- the row gathering of each batch (``FastPath.gather``)
* Linear fwd / bwd -- the fast path's Linear ops (GEMM + bias / GEMMs, bias sum)
* act fwd / bwd -- the activation ops
* loss      -- the fast path's fused softmax cross-entropy (softmax, loss value, dlogits)
* update    -- the fast optimizer step
* loop      -- everything else in the epoch: the accuracy count, the
  divergence guard, bookkeeping, Python overhead (total minus the stages)

The wrappers cost about a microsecond per call, a few percent of a
softmax-regression epoch; the total is reported beside the unwrapped epoch
time so the overhead is visible.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import defaultdict

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import load_fashion, machine_info  # noqa: E402

from softmaxlab._kernels.options import fast_path_options  # noqa: E402
from softmaxlab._kernels.prefetch import PrefetchedBatches  # noqa: E402
from softmaxlab.nn import Linear, mlp, softmax_regression  # noqa: E402
from softmaxlab.optim import SGD, Adam  # noqa: E402
from softmaxlab.train import Callback, Trainer  # noqa: E402


def _wrap(obj, name, bucket, acc):
    fn = getattr(obj, name, None)
    if fn is None:
        return
    perf = time.perf_counter

    def timed(*a, **k):
        t = perf()
        try:
            return fn(*a, **k)
        finally:
            acc[bucket] += perf() - t

    timed.__wrapped_original__ = fn
    setattr(obj, name, timed)


def build(workload, seed=0):
    rng = np.random.default_rng(seed)
    if workload == "a":
        model = softmax_regression(784, 10, init="normal", rng=rng)
        opt = SGD(model.parameters(), lr=0.1)
    else:
        model = mlp(784, [256], 10, rng=rng)
        opt = SGD(model.parameters(), lr=0.1) if workload == "b" else Adam(model.parameters(), lr=1e-3)
    return Trainer(model, opt, batch_size=256, rng=np.random.default_rng(seed + 1))


class _Stamp(Callback):
    def __init__(self):
        self.t = []

    def on_epoch_begin(self, trainer, epoch):
        self.t.append(["begin", time.perf_counter()])

    def on_epoch_end(self, trainer, epoch, row):
        self.t.append(["end", time.perf_counter()])


def profile(workload, X, y, epochs):
    """Per-epoch seconds by stage (median over epochs after the first).

    The first epoch builds the fast path (``softmaxlab._kernels``) and runs
    unwrapped; the stages of the later epochs are timed on its live objects.
    With the gather on a helper thread (``_kernels/prefetch.py``), "gather"
    is the time the training thread waits for it, and "gather (helper)" the
    helper's own copying time, overlapped and not part of the sum."""
    tr = build(workload)
    stamp = _Stamp()
    tr.callbacks.append(stamp)
    tr.fit(X, y, epochs=1)
    fast = tr.fast_path
    if fast is None:
        raise SystemExit(f"({workload}) did not run on the fast path")
    acc = defaultdict(float)
    for layer, op in zip(fast.network.layers, fast.network.ops, strict=True):
        kind = "Linear" if isinstance(layer, Linear) else "act"
        _wrap(op, "forward", f"{kind} fwd", acc)
        _wrap(op, "backward", f"{kind} bwd", acc)
    fast.loss_fn = _Timed(fast.loss_fn, "loss", acc)
    _wrap(fast.optimizer_step, "step", "update", acc)
    _wrap(fast, "gather", "gather", acc)
    helper = defaultdict(float)
    _wrap(PrefetchedBatches, "_wait", "gather", acc)
    _wrap(PrefetchedBatches, "_gather", "gather (helper)", helper)
    rows = []
    try:
        for _ in range(epochs - 1):
            acc.clear()
            helper.clear()
            tr.fit(X, y, epochs=1)
            (_, t0), (_, t1) = stamp.t[-2:]
            total = t1 - t0
            row = dict(acc)
            row["loop"] = total - sum(acc.values())
            row["total"] = total
            row.update(helper)
            rows.append(row)
    finally:
        for name in ("_wait", "_gather"):
            setattr(PrefetchedBatches, name, getattr(PrefetchedBatches, name).__wrapped_original__)
    keys = ["gather", "Linear fwd", "act fwd", "loss", "Linear bwd", "act bwd", "update", "loop", "total"]
    if any("gather (helper)" in r for r in rows):
        keys.insert(-1, "gather (helper)")
    return {k: statistics.median(r.get(k, 0.0) for r in rows) for k in keys}


class _Timed:
    """A callable object (the fast loss) with a timer around ``__call__``."""

    def __init__(self, fn, bucket, acc):
        self.fn, self.bucket, self.acc = fn, bucket, acc

    def __getattr__(self, name):  # count_correct and the rest: the loss's own
        return getattr(self.fn, name)

    def __call__(self, *a, **k):
        t = time.perf_counter()
        try:
            return self.fn(*a, **k)
        finally:
            self.acc[self.bucket] += time.perf_counter() - t


def unwrapped_epoch(workload, X, y, epochs):
    tr = build(workload)
    tr.fit(X, y, epochs=epochs)
    return statistics.median(tr.history.seconds[1:] or tr.history.seconds)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=4, help="epochs per workload (>= 2; the first is not timed)")
    ap.add_argument("--workloads", default="a,b,c")
    ap.add_argument("--json", default="")
    ap.add_argument("--prefetch", choices=("auto", "on", "off"), default="auto",
                    help="the fast path's prefetch option: the gather on a helper thread")
    args = ap.parse_args(argv)
    X, y, _, _ = load_fashion()
    out = {"machine": machine_info(), "stages": {}}
    for w in args.workloads.split(","):
        pf = {"auto": "auto", "on": True, "off": False}[args.prefetch]
        with fast_path_options(prefetch=pf):
            prof = profile(w, X, y, args.epochs)
            prof["unwrapped_total"] = unwrapped_epoch(w, X, y, args.epochs)
        out["stages"][w] = prof
        tot = prof["total"]
        print(f"({w}) epoch {tot * 1e3:.1f} ms wrapped, {prof['unwrapped_total'] * 1e3:.1f} ms unwrapped")
        for k, v in prof.items():
            if k not in ("total", "unwrapped_total"):
                note = "  (overlapped, not in the sum)" if k == "gather (helper)" else ""
                print(f"    {k:11s} {v * 1e3:8.1f} ms  {v / tot:6.1%}{note}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
