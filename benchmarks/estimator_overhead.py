"""The estimator layer's cost: ``MLPClassifier``/``SoftmaxRegression.fit``
against the engine's own ``Trainer.fit`` on the same data, and (optionally)
the same against an older source tree, alternating in one run.

    .venv/bin/python benchmarks/estimator_overhead.py --rounds 5 --epochs 3 \\
        [--workloads a,b,c] [--baseline-src /tmp/base/src] [--json out.json]

Workloads (Fashion-MNIST, 60 000 rows, float32 pixels / 255, batch 256):
(a) softmax regression, SGD 0.1; (b) MLP 784-256-10, SGD 0.1; (c) the same
MLP with Adam 1e-3. The estimator runs with ``alpha=0``, momentum 0,
``tol=0`` (no early stop), shuffling, as ``benchmarks/peers.py`` does.

Each (tree, workload, peer, round) is its own subprocess; within a round the
order of the runs rotates, so a change in the machine's load hits every peer
alike. Timed: from right before the ``fit`` call to each epoch's end (a
callback's stamps), so a per-fit cost (input validation, the first cast)
lands in epoch 1. Reported: per run the mean over its epochs (``per_epoch``)
and the median of epochs 2.. (``steady``), in wall-clock and in the
process's CPU seconds (``cpu_*``); per peer the median over rounds, and the
median of each round's ratio estimator / engine (and new / base),
measured side by side.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
#: Wall-clock seconds per epoch, and the process's CPU seconds: on a machine
#: shared with other busy processes, one BLAS thread (OPENBLAS_NUM_THREADS=1)
#: and CPU time measure the work done, not the wait for a core.
METRICS = ("per_epoch", "steady", "cpu_per_epoch", "cpu_steady")
SPECS = {"a": ("softmax", "sgd", 0.1), "b": ("mlp", "sgd", 0.1), "c": ("mlp", "adam", 1e-3)}


def _worker(workload, peer, epochs):
    sys.path.insert(0, HERE)
    import numpy as np
    from common import load_fashion

    from softmaxlab.train import Callback

    X, y, _, _ = load_fashion()
    model_kind, opt, lr = SPECS[workload]
    stamps = []

    class Stamp(Callback):
        def on_epoch_end(self, trainer, epoch, row):
            stamps.append((time.perf_counter(), time.process_time()))

    if peer == "engine":
        from softmaxlab.nn import mlp, softmax_regression
        from softmaxlab.optim import SGD, Adam
        from softmaxlab.train import Trainer

        rng = np.random.default_rng(0)
        model = (softmax_regression(784, 10, init="normal", rng=rng) if model_kind == "softmax"
                 else mlp(784, [256], 10, rng=rng))
        params = model.parameters()
        optimizer = SGD(params, lr=lr) if opt == "sgd" else Adam(params, lr=lr)
        trainer = Trainer(model, optimizer, batch_size=256, rng=1, callbacks=[Stamp()])
        t0 = (time.perf_counter(), time.process_time())
        trainer.fit(X, y, epochs=epochs)
    else:
        import softmaxlab as sl

        kw = dict(batch_size=256, learning_rate_init=lr, alpha=0.0, random_state=0, tol=0.0,
                  n_iter_no_change=10**6, max_iter=epochs, solver=opt)
        if opt == "sgd":
            kw.update(momentum=0.0, nesterovs_momentum=False, learning_rate="constant")
        clf = (sl.SoftmaxRegression(**kw) if model_kind == "softmax"
               else sl.MLPClassifier(hidden_layer_sizes=(256,), **kw))
        clf.set_callbacks(Stamp())
        t0 = (time.perf_counter(), time.process_time())
        clf.fit(X, y)
    wall, cpu = np.diff(np.array([t0, *stamps]), axis=0).T
    return {"per_epoch": float(wall.mean()), "steady": float(np.median(wall[1:])),
            "cpu_per_epoch": float(cpu.mean()), "cpu_steady": float(np.median(cpu[1:])),
            "epochs": wall.tolist(), "cpu_epochs": cpu.tolist()}


def _blas():
    import numpy  # noqa: F401  (loads the BLAS that threadpoolctl reports)
    from threadpoolctl import threadpool_info

    return [{k: d.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
            for d in threadpool_info() if d.get("user_api") == "blas"]


def _run(src, workload, peer, epochs):
    env = dict(os.environ, PYTHONPATH=src)
    out = subprocess.run([sys.executable, __file__, "--worker", workload, peer, str(epochs)],
                         env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--workloads", default="a,b,c")
    ap.add_argument("--src", default=os.path.join(os.path.dirname(HERE), "src"))
    ap.add_argument("--baseline-src", default=None, help="an older tree's src/, timed alternately")
    ap.add_argument("--peers", default="engine,estimator", help="engine, estimator or both")
    ap.add_argument("--json", default=None)
    ap.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        w, peer, epochs = args.worker
        print(json.dumps(_worker(w, peer, int(epochs))))
        return
    trees = {"new": args.src} | ({"base": args.baseline_src} if args.baseline_src else {})
    peer_names = args.peers.split(",")
    runs = [(t, p) for t in trees for p in peer_names]
    results = {}
    for w in args.workloads.split(","):
        for r in range(args.rounds):
            order = runs[r % len(runs):] + runs[:r % len(runs)]
            for tree, peer in order:
                res = _run(trees[tree], w, peer, args.epochs)
                results.setdefault(w, {}).setdefault(f"{tree}/{peer}", []).append(res)
                print(f"({w}) round {r + 1} {tree:4s} {peer:9s} "
                      + " ".join(f"{m} {res[m]:.3f}" for m in METRICS), flush=True)
    summary = {}
    for w, peers in results.items():
        s = summary[w] = {}
        for key, rs in peers.items():
            s[key] = {m: statistics.median(x[m] for x in rs) for m in METRICS}
        for tree in trees if len(peer_names) == 2 else ():
            est, eng = peers[f"{tree}/estimator"], peers[f"{tree}/engine"]
            s[f"{tree}: estimator/engine"] = {
                m: statistics.median(a[m] / b[m] for a, b in zip(est, eng, strict=True)) for m in METRICS}
        if "base" in trees:
            for peer in peer_names:
                new, base = peers[f"new/{peer}"], peers[f"base/{peer}"]
                s[f"{peer}: new/base"] = {m: statistics.median(a[m] / b[m] for a, b in zip(new, base, strict=True))
                                          for m in METRICS}
    for w, s in summary.items():
        for key, v in s.items():
            print(f"({w}) {key:24s} " + "  ".join(f"{m} {v[m]:.3f}" for m in METRICS))
    info = {"blas": _blas(), "load_before": os.getloadavg(), "rounds": args.rounds,
            "epochs": args.epochs, "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE")}
    print(json.dumps(info))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"info": info, "summary": summary, "runs": results}, f, indent=1)


if __name__ == "__main__":
    main()
