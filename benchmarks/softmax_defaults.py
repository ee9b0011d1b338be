"""``SoftmaxRegression()`` with its defaults against ``LogisticRegression()``.

    python benchmarks/softmax_defaults.py [--splits 10] [--fashion] [--data-dir DIR]

Small data sets (digits, wine, breast cancer, iris): ``--splits`` random
stratified 70/30 splits, features standardised on the training part; for
each model the mean and spread of the test accuracy, the mean fit time, and
how many fits raised a warning (any category). ``--fashion`` adds
Fashion-MNIST (60 000 training rows, pixels scaled to [0, 1], the official
10 000 test rows), one fit of each model.
"""
from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from softmaxlab import SoftmaxRegression

SMALL = {"digits": load_digits, "wine": load_wine, "breast_cancer": load_breast_cancer,
         "iris": load_iris}
MODELS = {"LogisticRegression()": LogisticRegression, "SoftmaxRegression()": SoftmaxRegression}


def fit_score(make, Xtr, ytr, Xte, yte):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t0 = time.perf_counter()
        est = make().fit(Xtr, ytr)
        seconds = time.perf_counter() - t0
    return est.score(Xte, yte), seconds, len(caught), est


def small(splits: int) -> None:
    print(f"{'data':14s} {'model':22s} {'accuracy (mean +- sd)':>22s} {'fit s':>7s} "
          f"{'warned':>7s}")
    for name, load in SMALL.items():
        X, y = load(return_X_y=True)
        means = {}
        for label, make in MODELS.items():
            acc, secs, warned = [], [], 0
            for seed in range(splits):
                Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, stratify=y,
                                                      random_state=seed)
                sc = StandardScaler().fit(Xtr)
                a, s, w, _ = fit_score(make, sc.transform(Xtr), ytr, sc.transform(Xte), yte)
                acc.append(a)
                secs.append(s)
                warned += w > 0
            means[label] = np.mean(acc)
            print(f"{name:14s} {label:22s} {np.mean(acc):10.4f} +- {np.std(acc):.4f} "
                  f"{np.mean(secs):7.3f} {warned:4d}/{splits}")
        diff = means["SoftmaxRegression()"] - means["LogisticRegression()"]
        print(f"{'':14s} {'difference':22s} {diff * 100:+10.2f} points")


def fashion(data_dir) -> None:
    from softmaxlab.data.fashion_mnist import load_fashion_mnist
    data = load_fashion_mnist(data_dir)
    Xtr, ytr = data.X_train.astype(np.float32) / 255, data.y_train
    Xte, yte = data.X_test.astype(np.float32) / 255, data.y_test
    print(f"Fashion-MNIST: {Xtr.shape[0]} training rows x {Xtr.shape[1]} pixels in [0, 1], "
          f"{Xte.shape[0]} test rows")
    for label, make in MODELS.items():
        a, s, w, est = fit_score(make, Xtr, ytr, Xte, yte)
        print(f"  {label:22s} test accuracy {a:.4f}  fit {s:6.1f} s  n_iter_ {int(np.max(est.n_iter_))}"
              f"  warnings {w}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--splits", type=int, default=10)
    ap.add_argument("--fashion", action="store_true")
    ap.add_argument("--data-dir", default=None)
    args = ap.parse_args()
    small(args.splits)
    if args.fashion:
        fashion(args.data_dir)


if __name__ == "__main__":
    main()
