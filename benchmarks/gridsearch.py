"""GridSearchCV with n_jobs 1 and 2: softmaxlab's MLPClassifier beside
scikit-learn's and beside a DummyClassifier (which measures only the cost of
starting joblib's worker processes). 8 fits (4 rates x 2 folds; ``--rates``
changes the count) of a 128-unit MLP, 10 epochs, on the first 20 000
Fashion-MNIST rows.

    python benchmarks/gridsearch.py --rounds 2 [--estimators softmaxlab]

Each measurement is a fresh process, so the workers' start is included, as
a user meets it.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent


def child(which: str, n_jobs: int, n_rates: int = 4) -> float:
    sys.path.insert(0, str(HERE))
    import numpy as np
    import sklearn.neural_network as sknn
    from common import load_fashion
    from sklearn.dummy import DummyClassifier
    from sklearn.model_selection import GridSearchCV

    import softmaxlab as sl

    X, y, _, _ = load_fashion(20000)
    mlp = dict(hidden_layer_sizes=(128,), max_iter=10, batch_size=256, random_state=0, tol=0.0,
               n_iter_no_change=10**6)
    rates = {"learning_rate_init": ([1e-3, 3e-3, 1e-2, 3e-2] if n_rates == 4
                                    else np.geomspace(1e-3, 3e-2, n_rates).tolist())}
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
    ap.add_argument("--estimators", default="dummy,softmaxlab,sklearn",
                    help="comma-separated subset of dummy, softmaxlab, sklearn")
    ap.add_argument("--out", default=None, help="also write the rounds to this JSON file")
    ap.add_argument("--rates", type=int, default=4,
                    help="learning rates in the grid (2 folds each: 2 x RATES fits)")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(child(args.child[0], int(args.child[1]), int(args.child[2])))
        return
    rows = []
    for r in range(args.rounds):
        for which in args.estimators.split(","):
            # n_jobs alternates its order between rounds, so a drift in the
            # machine's speed does not favour one of them.
            for n_jobs in ((1, 2) if r % 2 == 0 else (2, 1)):
                out = subprocess.run([sys.executable, __file__, "--child", which, str(n_jobs),
                                      str(args.rates)],
                                     capture_output=True, text=True, check=True)
                rows.append((r, which, n_jobs, float(out.stdout.split()[-1])))
                print(f"round {r}  {which:<10}  n_jobs={n_jobs}  {rows[-1][3]:.2f} s", flush=True)
    for which in args.estimators.split(","):
        t = {(r, n): s for r, w, n, s in rows if w == which}
        ratios = [t[r, 2] / t[r, 1] for r in range(args.rounds)]
        print(f"{which:<10}  n_jobs=2 / n_jobs=1 per round: "
              + ", ".join(f"{x:.2f}" for x in ratios)
              + f"  (median {statistics.median(ratios):.2f})")
    if args.out:
        sys.path.insert(0, str(HERE))
        from common import machine_info
        keys = ("round", "estimator", "n_jobs", "seconds")
        Path(args.out).write_text(json.dumps(
            {"machine": machine_info(), "fits": 2 * args.rates,
             "rounds": [dict(zip(keys, row, strict=True)) for row in rows]}, indent=1))


if __name__ == "__main__":
    main()
