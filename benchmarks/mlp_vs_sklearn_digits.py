"""``MLPClassifier`` against scikit-learn's on standardised digits.

    python benchmarks/mlp_vs_sklearn_digits.py [--seeds 10]

70/30 stratified split (random_state=0), ``hidden_layer_sizes=(32,)``, 40
epochs; mean test accuracy over random_state 0..seeds-1 and the mean time
per fit, for SGD (lr 0.05, Nesterov momentum 0.9) and Adam (lr 0.003).
"""
from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SkMLP
from sklearn.preprocessing import StandardScaler

from softmaxlab import MLPClassifier

SETTINGS = {"sgd, lr 0.05, momentum 0.9 (Nesterov)": dict(solver="sgd", learning_rate_init=0.05,
                                                          momentum=0.9),
            "adam, lr 0.003": dict(solver="adam", learning_rate_init=0.003)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    args = ap.parse_args()
    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    sc = StandardScaler().fit(Xtr)
    Xtr, Xte = sc.transform(Xtr), sc.transform(Xte)
    print("| solver | scikit-learn | softmaxlab | time per fit (sklearn / softmaxlab) |")
    print("|---|---|---|---|")
    for label, kw in SETTINGS.items():
        acc, secs = {}, {}
        for cls in (SkMLP, MLPClassifier):
            a, s = [], []
            for seed in range(args.seeds):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    t0 = time.perf_counter()
                    est = cls(hidden_layer_sizes=(32,), max_iter=40, random_state=seed, **kw)
                    est.fit(Xtr, ytr)
                    s.append(time.perf_counter() - t0)
                a.append(est.score(Xte, yte))
            acc[cls], secs[cls] = np.mean(a), np.mean(s)
        print(f"| {label} | {acc[SkMLP] * 100:.2f} % | {acc[MLPClassifier] * 100:.2f} % | "
              f"{secs[SkMLP]:.2f} s / {secs[MLPClassifier]:.2f} s |")


if __name__ == "__main__":
    main()
