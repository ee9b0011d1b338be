"""Prediction latency of one 784-256-10 ReLU MLP, the same weights in five
runtimes: the ONNX export in onnxruntime, softmaxlab's estimator
(``MLPClassifier.predict_proba``), softmaxlab's engine
(``Sequential.predict_proba``), scikit-learn's ``MLPClassifier`` and PyTorch.

Measures, never asserts. Every runtime keeps its default thread settings
(recorded), and onnxruntime runs a second time with one intra-op thread; the BLAS kernel is whatever threadpoolctl reports, and
OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are taken from the environment as they
are (never set here).

    .venv/bin/python benchmarks/onnx_latency.py [--label NAME] [--calls 3000]

Writes benchmarks/results/onnx_latency_<label>.json and prints a table of
median microseconds per call (batch 1) and milliseconds per call (batch 10 000).
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


def median_seconds(fn, X, calls: int, warmup: int) -> tuple[float, float, float]:
    """(median, 10th, 90th percentile) seconds per call over ``calls`` timed calls."""
    for _ in range(warmup):
        fn(X)
    t = np.empty(calls)
    clock = time.perf_counter
    for i in range(calls):
        t0 = clock()
        fn(X)
        t[i] = clock() - t0
    return float(np.median(t)), float(np.percentile(t, 10)), float(np.percentile(t, 90))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--label", default="latest", help="results/onnx_latency_<label>.json")
    ap.add_argument("--calls", type=int, default=3000, help="timed calls at batch 1")
    ap.add_argument("--big-calls", type=int, default=40, help="timed calls at batch 10 000")
    args = ap.parse_args(argv)

    rng = np.random.default_rng(0)
    W1, b1, W2, b2 = weights(rng)
    X_big, data = rows(10_000, rng)
    fns, threads = peers(W1, b1, W2, b2)

    # The same weights everywhere: each runtime's probabilities against a float64 forward.
    h = np.maximum(X_big.astype(np.float64) @ W1 + b1, 0) @ W2 + b2
    ref = np.exp(h - h.max(1, keepdims=True))
    ref /= ref.sum(1, keepdims=True)
    agree = {k: float(np.abs(f(X_big) - ref).max()) for k, f in fns.items()}

    results = {}
    for name, fn in fns.items():
        one = median_seconds(fn, X_big[:1].copy(), args.calls, warmup=200)
        big = median_seconds(fn, X_big, args.big_calls, warmup=3)
        results[name] = {"batch1_us": [v * 1e6 for v in one], "batch10000_ms": [v * 1e3 for v in big],
                         "max_abs_diff_vs_float64": agree[name]}
        print(f"  measured {name}", file=sys.stderr)

    info = machine_info()
    info.update(threads)
    info["OPENBLAS_L2_SIZE"] = os.environ.get("OPENBLAS_L2_SIZE", "(unset)")
    info["load_average_1_5_15min_at_end"] = list(os.getloadavg())
    out = {"label": args.label, "data": data, "calls": [args.calls, args.big_calls],
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
    print("| runtime | batch 1: median us [p10-p90] | batch 10 000: median ms [p10-p90] "
          "| max abs diff vs float64 |")
    print("|---|---|---|---|")
    for name, r in results.items():
        a, b = r["batch1_us"], r["batch10000_ms"]
        print(f"| {name} | {a[0]:.1f} [{a[1]:.1f}-{a[2]:.1f}] | {b[0]:.2f} [{b[1]:.2f}-{b[2]:.2f}] "
              f"| {r['max_abs_diff_vs_float64']:.1e} |")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
