"""Prediction latency of one 784-256-10 ReLU MLP, the same weights in five
runtimes: the ONNX export in onnxruntime, softmaxlab's estimator
(``MLPClassifier.predict_proba``), softmaxlab's engine
(``Sequential.predict_proba``), scikit-learn's ``MLPClassifier`` and PyTorch.

Measures, never asserts. Every runtime keeps its default thread settings
(recorded), and onnxruntime runs a second time with one intra-op thread; the BLAS kernel is whatever threadpoolctl reports, and
OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are taken from the environment as they
are (never set here).

    .venv/bin/python benchmarks/onnx_latency.py [--label NAME] [--rounds 5]

Every runtime is timed once per round, the order rotating from round to
round; per round 1000 calls of one row and 10 calls of 10 000 rows, after a
warm-up. Writes benchmarks/results/onnx_latency_<label>.json and prints the
median over all calls (microseconds at batch 1, milliseconds at batch
10 000), the 10th-90th percentiles and the range of the rounds' medians.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, machine_info  # noqa: E402

N_IN, N_HIDDEN, N_OUT = 784, 256, 10


def weights(rng):
    """He-normal hidden layer, Glorot-uniform output layer, small biases (float32)."""
    W1 = rng.normal(0, np.sqrt(2 / N_IN), (N_IN, N_HIDDEN)).astype(np.float32)
    a = np.sqrt(6 / (N_HIDDEN + N_OUT))
    W2 = rng.uniform(-a, a, (N_HIDDEN, N_OUT)).astype(np.float32)
    b1 = rng.normal(0, 0.01, N_HIDDEN).astype(np.float32)
    b2 = rng.normal(0, 0.01, N_OUT).astype(np.float32)
    return W1, b1, W2, b2


def rows(n, rng):
    """Fashion-MNIST test images / 255 when installed, else uniform [0, 1) pixels."""
    try:
        from common import load_fashion

        Xt = load_fashion(rows=1)[2]
        return np.ascontiguousarray(np.resize(Xt, (n, N_IN)), dtype=np.float32), "fashion-mnist test"
    except Exception:
        return rng.random((n, N_IN), dtype=np.float32), "uniform random"


def peers(W1, b1, W2, b2):
    """{name: predict_proba callable on a float32 (n, 784) array}."""
    import onnxruntime as ort
    import torch
    from sklearn.neural_network import MLPClassifier as SkMLP

    import softmaxlab as sl
    from softmaxlab.export import to_onnx

    net = sl.from_weights([(W1, b1), (W2, b2)], activation="relu", dtype=np.float32)
    model_bytes = to_onnx(net).SerializeToString()
    sess = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    one = ort.SessionOptions()
    one.intra_op_num_threads = 1  # the usual setting for single-row serving
    sess1 = ort.InferenceSession(model_bytes, one, providers=["CPUExecutionProvider"])

    fit_rng = np.random.default_rng(1)
    Xf = fit_rng.random((20, N_IN), dtype=np.float32)
    yf = np.arange(20) % N_OUT
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = sl.MLPClassifier((N_HIDDEN,), max_iter=1, dtype="float32").fit(Xf, yf)
        sk = SkMLP((N_HIDDEN,), max_iter=1).fit(Xf, yf)
    # coefs_/intercepts_ are the network's own arrays: set them in place.
    for dst, src in zip(est.coefs_ + est.intercepts_, (W1, W2, b1, b2), strict=True):
        dst[...] = src
    sk.coefs_, sk.intercepts_ = [W1.copy(), W2.copy()], [b1.copy(), b2.copy()]

    tm = torch.nn.Sequential(torch.nn.Linear(N_IN, N_HIDDEN), torch.nn.ReLU(),
                             torch.nn.Linear(N_HIDDEN, N_OUT)).eval()
    with torch.no_grad():
        tm[0].weight.copy_(torch.from_numpy(W1.T.copy()))
        tm[0].bias.copy_(torch.from_numpy(b1))
        tm[2].weight.copy_(torch.from_numpy(W2.T.copy()))
        tm[2].bias.copy_(torch.from_numpy(b2))

    def torch_proba(X):
        with torch.inference_mode():
            return torch.softmax(tm(torch.from_numpy(X)), dim=1).numpy()

    return {
        "onnxruntime": lambda X: sess.run(None, {"X": X})[1],
        "onnxruntime, 1 thread": lambda X: sess1.run(None, {"X": X})[1],
        "softmaxlab estimator": est.predict_proba,
        "softmaxlab engine": net.predict_proba,
        "scikit-learn MLPClassifier": sk.predict_proba,
        "PyTorch": torch_proba,
    }, {"onnxruntime_intra_op_threads": sess.get_session_options().intra_op_num_threads,
        "onnxruntime": ort.__version__, "torch_threads": torch.get_num_threads()}


def timed_calls(fn, X, calls: int, warmup: int) -> np.ndarray:
    """Seconds of each of ``calls`` calls, after ``warmup`` untimed ones."""
    for _ in range(warmup):
        fn(X)
    t = np.empty(calls)
    clock = time.perf_counter
    for i in range(calls):
        t0 = clock()
        fn(X)
        t[i] = clock() - t0
    return t


def summary(times: list, scale: float) -> dict:
    """Median of every call, 10th/90th percentiles, and the spread of the rounds' medians."""
    pooled = np.concatenate(times) * scale
    rounds = [float(np.median(t)) * scale for t in times]
    return {"median": float(np.median(pooled)), "p10": float(np.percentile(pooled, 10)),
            "p90": float(np.percentile(pooled, 90)), "round_medians": rounds}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--label", default="latest", help="results/onnx_latency_<label>.json")
    ap.add_argument("--rounds", type=int, default=5,
                    help="rounds; every runtime is timed once per round, in a rotating order")
    ap.add_argument("--calls", type=int, default=1000, help="timed calls per round at batch 1")
    ap.add_argument("--big-calls", type=int, default=10, help="timed calls per round at batch 10 000")
    args = ap.parse_args(argv)

    rng = np.random.default_rng(0)
    W1, b1, W2, b2 = weights(rng)
    X_big, data = rows(10_000, rng)
    X_one = X_big[:1].copy()
    fns, threads = peers(W1, b1, W2, b2)

    # The same weights everywhere: each runtime's probabilities against a float64 forward.
    h = np.maximum(X_big.astype(np.float64) @ W1 + b1, 0) @ W2 + b2
    ref = np.exp(h - h.max(1, keepdims=True))
    ref /= ref.sum(1, keepdims=True)
    agree = {k: float(np.abs(f(X_big) - ref).max()) for k, f in fns.items()}

    # Alternating rounds: a slow phase of a shared machine hits every runtime.
    names = list(fns)
    one = {k: [] for k in names}
    big = {k: [] for k in names}
    for r in range(args.rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            one[name].append(timed_calls(fns[name], X_one, args.calls, warmup=100))
            big[name].append(timed_calls(fns[name], X_big, args.big_calls, warmup=1))
        print(f"  round {r + 1}/{args.rounds} done", file=sys.stderr)
    results = {k: {"batch1_us": summary(one[k], 1e6), "batch10000_ms": summary(big[k], 1e3),
                   "max_abs_diff_vs_float64": agree[k]} for k in names}

    info = machine_info()
    info.update(threads)
    info["OPENBLAS_L2_SIZE"] = os.environ.get("OPENBLAS_L2_SIZE", "(unset)")
    info["load_average_1_5_15min_at_end"] = list(os.getloadavg())
    out = {"label": args.label, "data": data,
           "rounds_calls_bigcalls": [args.rounds, args.calls, args.big_calls],
           "machine": info, "results": results}
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"onnx_latency_{args.label}.json"
    path.write_text(json.dumps(out, indent=2))

    blas = "; ".join(f"{b['internal_api']} {b['version']} {b['architecture']} x{b['num_threads']}"
                     for b in info.get("blas", []))
    print(f"784-256-10 ReLU MLP, float32, {data} rows; BLAS: {blas}; "
          f"OPENBLAS_CORETYPE={info['OPENBLAS_CORETYPE']} OPENBLAS_L2_SIZE={info['OPENBLAS_L2_SIZE']}; "
          f"onnxruntime {threads['onnxruntime']} (intra-op threads "
          f"{threads['onnxruntime_intra_op_threads'] or 'default'}), torch threads "
          f"{threads['torch_threads']}; load average {info['load_average_1_5_15min_at_end'][0]:.1f}")
    print("| runtime | batch 1: median us [p10-p90] (round medians min-max) "
          "| batch 10 000: median ms [p10-p90] (round medians min-max) | max abs diff vs float64 |")
    print("|---|---|---|---|")

    def cell(d, fmt):
        lo, hi = min(d["round_medians"]), max(d["round_medians"])
        return (f"{d['median']:{fmt}} [{d['p10']:{fmt}}-{d['p90']:{fmt}}] "
                f"({lo:{fmt}}-{hi:{fmt}})")

    for name, r in results.items():
        print(f"| {name} | {cell(r['batch1_us'], '.1f')} | {cell(r['batch10000_ms'], '.1f')} "
              f"| {r['max_abs_diff_vs_float64']:.1e} |")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
