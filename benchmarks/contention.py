"""Per-epoch time idle and beside two busy processes, and GridSearchCV n_jobs 1 vs 2.

Workloads on Fashion-MNIST (60 000 rows, pixels / 255, float32), batch 256:
(a) softmax regression, SGD; (b) MLP 784-256-10, SGD; (c) the same MLP, Adam.
Paths: the estimator (``SoftmaxRegression`` / ``MLPClassifier``, its
``history_.seconds``) and the CLI (``softmaxlab train``, its history.csv).

Conditions alternate within each round: *idle* (whatever else the machine
runs: say what it was) and *loaded* (two ``python -c "while True: pass"``
processes started before the run and killed right after it, whatever
happens). Every measurement is its own subprocess; the thread settings are
inherited unchanged (no OMP/OPENBLAS_NUM_THREADS set here, so the BLAS runs
its default: one thread per core). ``--src DIR`` adds a second tree (an
older checkout's ``src``) measured in the same rounds, so before and after
see the same machine. Reported: the median over rounds of each run's median
epoch, and loaded / idle.

    python benchmarks/contention.py --epochs 3 --rounds 2 --src-before /tmp/base/src
    python benchmarks/contention.py --gridsearch-only
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import RESULTS, machine_info  # noqa: E402

WORKLOADS = {
    "a": dict(model="softmax", opt="sgd", lr=0.1, batch=256),
    "b": dict(model="mlp", opt="sgd", lr=0.01, batch=256, hidden=256),
    "c": dict(model="mlp", opt="adam", lr=0.001, batch=256, hidden=256),
}


@contextlib.contextmanager
def busy(n: int):
    """``n`` CPU-bound processes for the duration of the block, always ended."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]
    try:
        time.sleep(0.2)  # let them reach the scheduler
        yield
    finally:
        for p in procs:
            p.kill()
        for p in procs:
            p.wait()


def _child_env(src: str) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = src + os.pathsep + str(HERE)
    return env


def _run_child(args: list[str], src: str, timeout: float) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=_child_env(src),
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    if proc.returncode != 0:
        return {"error": proc.stderr[-1500:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def child_estimator(workload: str, epochs: int) -> dict:
    """One estimator fit in this process; its per-epoch seconds."""
    import warnings

    import softmaxlab as sl
    from common import load_fashion
    from threadpoolctl import threadpool_info

    spec = WORKLOADS[workload]
    X, y, _, _ = load_fashion()
    kw = dict(batch_size=spec["batch"], learning_rate_init=spec["lr"], alpha=0.0,
              random_state=0, tol=0.0, n_iter_no_change=10**6, max_iter=epochs)
    if spec["opt"] == "sgd":
        kw.update(solver="sgd", momentum=0.0, nesterovs_momentum=False)
    else:
        kw.update(solver="adam")
    clf = (sl.SoftmaxRegression(**kw) if spec["model"] == "softmax"
           else sl.MLPClassifier(hidden_layer_sizes=(spec["hidden"],), **kw))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter reached: expected
        clf.fit(X, y)
    kernels = sorted({f"{i['internal_api']} {i.get('architecture')}" for i in threadpool_info()
                      if i["user_api"] == "blas"})
    return {"epoch_seconds": list(clf.history_.seconds), "blas": kernels}


def child_cli(workload: str, epochs: int) -> dict:
    from cli_peer import run_cli

    spec = dict(WORKLOADS[workload], epochs=epochs, seed=0)
    out = run_cli(spec)
    return {"epoch_seconds": out["epoch_seconds"]} if "epoch_seconds" in out else out


def child_gridsearch(n_jobs: int, rows: int, epochs: int) -> dict:
    """GridSearchCV over 8 fits (4 rates x 2 folds) of a 128-unit MLP, timed
    from a fresh process (the workers' start included, as a user meets it)."""
    import warnings

    from common import load_fashion
    from sklearn.model_selection import GridSearchCV

    import softmaxlab as sl

    X, y, _, _ = load_fashion(rows)
    gs = GridSearchCV(sl.MLPClassifier(hidden_layer_sizes=(128,), max_iter=epochs, batch_size=256,
                                       random_state=0, tol=0.0, n_iter_no_change=10**6),
                      {"learning_rate_init": [1e-3, 3e-3, 1e-2, 3e-2]}, cv=2, n_jobs=n_jobs,
                      refit=False)
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gs.fit(X, y)
    return {"seconds": time.perf_counter() - t}


def _median_epoch(res: dict) -> float | None:
    secs = res.get("epoch_seconds")
    return statistics.median(secs) if secs else None


def measure(args) -> dict:
    trees = {"after": args.src}
    if args.src_before:
        trees["before"] = args.src_before
    results: dict = {"runs": []}
    for rnd in range(args.rounds):
        for w in args.workloads.split(","):
            for path in args.paths.split(","):
                for tree, src in trees.items():
                    for cond in ("idle", "loaded"):
                        child = ["--child", path, "--workload", w, "--epochs", str(args.epochs)]
                        with busy(2 if cond == "loaded" else 0):
                            res = _run_child(child, src, args.timeout)
                        res.update(round=rnd, workload=w, path=path, tree=tree, cond=cond,
                                   median_epoch=_median_epoch(res))
                        print(json.dumps({k: res.get(k) for k in
                                          ("round", "workload", "path", "tree", "cond",
                                           "median_epoch", "blas", "error")}), flush=True)
                        results["runs"].append(res)
    return results


def gridsearch(args) -> list[dict]:
    out = []
    trees = {"after": args.src} | ({"before": args.src_before} if args.src_before else {})
    for rnd in range(args.rounds):
        for tree, src in trees.items():
            for n_jobs in (1, 2):
                child = ["--child", "gridsearch", "--n-jobs", str(n_jobs), "--rows",
                         str(args.gs_rows), "--epochs", str(args.gs_epochs)]
                res = _run_child(child, src, args.timeout)
                res.update(round=rnd, tree=tree, n_jobs=n_jobs)
                print(json.dumps(res), flush=True)
                out.append(res)
    return out


def summary(results: dict) -> list[str]:
    """Markdown rows: workload, path, tree, idle, loaded, ratio (medians over rounds)."""
    rows = []
    keys = sorted({(r["workload"], r["path"], r["tree"]) for r in results.get("runs", [])})
    for w, path, tree in keys:
        med = {}
        for cond in ("idle", "loaded"):
            vals = [r["median_epoch"] for r in results["runs"]
                    if (r["workload"], r["path"], r["tree"], r["cond"]) == (w, path, tree, cond)
                    and r["median_epoch"] is not None]
            med[cond] = statistics.median(vals) if vals else float("nan")
        rows.append(f"| ({w}) | {path} | {tree} | {med['idle']:.3f} | {med['loaded']:.3f} | "
                    f"{med['loaded'] / med['idle']:.1f}x |")
    gs = results.get("gridsearch", [])
    for tree in sorted({g["tree"] for g in gs}):
        t = {n: statistics.median([g["seconds"] for g in gs if g["tree"] == tree
                                   and g["n_jobs"] == n and "seconds" in g] or [float("nan")])
             for n in (1, 2)}
        rows.append(f"| GridSearchCV | {tree} | n_jobs=1 {t[1]:.2f} s | n_jobs=2 {t[2]:.2f} s |")
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workloads", default="a,b,c")
    ap.add_argument("--paths", default="estimator,cli")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--src", default=str(HERE.parent / "src"))
    ap.add_argument("--src-before", default=None, help="an older tree's src, measured alongside")
    ap.add_argument("--gridsearch", action="store_true", help="also time GridSearchCV n_jobs 1/2")
    ap.add_argument("--gridsearch-only", action="store_true")
    ap.add_argument("--gs-rows", type=int, default=20000)
    ap.add_argument("--gs-epochs", type=int, default=10)
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--out", default=str(RESULTS / "contention.json"))
    ap.add_argument("--child", choices=("estimator", "cli", "gridsearch"), help=argparse.SUPPRESS)
    ap.add_argument("--workload", help=argparse.SUPPRESS)
    ap.add_argument("--n-jobs", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--rows", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child == "estimator":
        print(json.dumps(child_estimator(args.workload, args.epochs)))
        return
    if args.child == "cli":
        print(json.dumps(child_cli(args.workload, args.epochs)))
        return
    if args.child == "gridsearch":
        print(json.dumps(child_gridsearch(args.n_jobs, args.rows, args.epochs)))
        return
    results = {} if args.gridsearch_only else measure(args)
    if args.gridsearch or args.gridsearch_only:
        results["gridsearch"] = gridsearch(args)
    results["machine"] = machine_info()
    with open("/proc/loadavg") as f:
        results["loadavg_at_end"] = f.read().strip()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1))
    print("\n".join(summary(results)))


if __name__ == "__main__":
    main()
