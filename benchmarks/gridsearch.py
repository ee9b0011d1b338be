"""GridSearchCV with n_jobs 1 and 2: softmaxlab's MLPClassifier beside
scikit-learn's and beside a DummyClassifier (which measures only the cost of
starting joblib's worker processes). 8 fits (4 rates x 2 folds) of a
128-unit MLP, 10 epochs, on the first 20 000 Fashion-MNIST rows.

    python benchmarks/gridsearch.py --rounds 2

Each measurement is a fresh process, so the workers' start is included, as
a user meets it.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent


def child(which: str, n_jobs: int) -> float:
    sys.path.insert(0, str(HERE))
    import sklearn.neural_network as sknn
    from common import load_fashion
    from sklearn.dummy import DummyClassifier
    from sklearn.model_selection import GridSearchCV

    import softmaxlab as sl

    X, y, _, _ = load_fashion(20000)
    mlp = dict(hidden_layer_sizes=(128,), max_iter=10, batch_size=256, random_state=0, tol=0.0,
               n_iter_no_change=10**6)
    rates = {"learning_rate_init": [1e-3, 3e-3, 1e-2, 3e-2]}
    est, grid = {"softmaxlab": (sl.MLPClassifier(**mlp), rates),
                 "sklearn": (sknn.MLPClassifier(**mlp), rates),
                 "dummy": (DummyClassifier(), {"strategy": ["prior", "uniform", "most_frequent",
                                                            "stratified"]})}[which]
    gs = GridSearchCV(est, grid, cv=2, n_jobs=n_jobs, refit=False)
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gs.fit(X, y)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(child(args.child[0], int(args.child[1])))
        return
    rows = []
    for r in range(args.rounds):
        for which in ("dummy", "softmaxlab", "sklearn"):
            for n_jobs in (1, 2):
                out = subprocess.run([sys.executable, __file__, "--child", which, str(n_jobs)],
                                     capture_output=True, text=True, check=True)
                rows.append((r, which, n_jobs, float(out.stdout.split()[-1])))
                print(f"round {r}  {which:<10}  n_jobs={n_jobs}  {rows[-1][3]:.2f} s", flush=True)


if __name__ == "__main__":
    main()
