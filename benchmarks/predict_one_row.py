"""One-row ``predict_proba`` latency: softmaxlab's estimators against
scikit-learn's ``MLPClassifier`` on the same data and architecture.

    python benchmarks/predict_one_row.py [--repeat 7] [--number 2000] [--hidden 100]

Prints microseconds per call (the minimum over ``--repeat`` timings of
``--number`` calls each: the least disturbed by other load) for

- scikit-learn's ``MLPClassifier.predict_proba``;
- ours on a float64 NumPy row (the fast path: the array already has the
  dtype and width that validation would give it, so only the finiteness
  check runs before the forward pass);
- ours on a float32 row (scikit-learn's full validation, which casts it);
- the engine's bare forward pass (``network_.predict_logits``);

and the ratio ours / scikit-learn. The candidates are timed in turn within
each round, so a machine shared with other jobs slows them alike. Every bad-input check stays: the fast path
refuses NaN, a wrong width or dtype and hands those to full validation.
"""
from __future__ import annotations

import argparse
import timeit
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.neural_network import MLPClassifier as SkMLP
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info

from softmaxlab import MLPClassifier, SoftmaxRegression


def per_call_us(fns: dict, repeat, number) -> dict:
    """Microseconds per call of each function: the minimum over ``repeat``
    rounds, the functions timed in turn within each round, so that every one
    meets the same background load."""
    best = {name: float("inf") for name in fns}
    for fn in fns.values():
        fn()  # warm caches
    for _ in range(repeat):
        for name, fn in fns.items():
            best[name] = min(best[name], timeit.timeit(fn, number=number) / number * 1e6)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--number", type=int, default=2000)
    ap.add_argument("--hidden", type=int, default=100)
    args = ap.parse_args()
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    row = np.ascontiguousarray(X[:1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk = SkMLP(hidden_layer_sizes=(args.hidden,), max_iter=5, random_state=0).fit(X, y)
        ours = MLPClassifier(hidden_layer_sizes=(args.hidden,), max_iter=5, random_state=0).fit(X, y)
        lin = SoftmaxRegression(max_iter=50).fit(X, y)
    r, n = args.repeat, args.number
    row32 = row.astype(np.float32)
    t = per_call_us({
        "sklearn MLPClassifier": lambda: sk.predict_proba(row),
        "softmaxlab MLPClassifier (float64 row)": lambda: ours.predict_proba(row),
        "softmaxlab MLPClassifier (float32 row)": lambda: ours.predict_proba(row32),
        "softmaxlab SoftmaxRegression (float64 row)": lambda: lin.predict_proba(row),
        "engine forward pass (network_.predict_logits)": lambda: ours.network_.predict_logits(row),
    }, r, n)
    blas = ", ".join(sorted({f"{i['internal_api']} {i.get('architecture')} x{i['num_threads']}"
                             for i in threadpool_info()}))
    print(f"one-row predict_proba, digits (64 features), hidden ({args.hidden},), "
          f"min of {r} x {n} calls; BLAS: {blas}")
    base = t["sklearn MLPClassifier"]
    for name, us in t.items():
        print(f"{name:48s} {us:8.1f} us   {us / base:5.2f}x sklearn")


if __name__ == "__main__":
    main()
