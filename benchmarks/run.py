"""softmaxlab vs PyTorch vs scikit-learn on real Fashion-MNIST, side by side.

    .venv/bin/python benchmarks/run.py                  # everything (a-e), ~25 min on 2 cores
    .venv/bin/python benchmarks/run.py --quick          # 1 repeat, fewer epochs: a smoke run
    .venv/bin/python benchmarks/run.py --workloads a,b --repeats 5

Every (peer, workload, repeat) runs in a fresh subprocess with the same
thread count (OMP/OPENBLAS/MKL_NUM_THREADS before start, torch.set_num_threads);
peers alternate within each repeat (the order rotates every repeat) so that
background load hits all of them alike. Reported: median over repeats of the
per-run median epoch time, with the min-max spread, the ratio to
PyTorch-preloaded from the same run, test accuracy, and the peak resident
memory during training (high-water mark reset after loading the data).
Results go to benchmarks/results/latest.json.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import RESULTS, machine_info, thread_env  # noqa: E402

PY = sys.executable
HERE = Path(__file__).resolve().parent

SOFTMAX = dict(model="softmax", opt="sgd", lr=0.1, batch=256)
MLP_SGD = dict(model="mlp", opt="sgd", lr=0.1, batch=256)
MLP_ADAM = dict(model="mlp", opt="adam", lr=1e-3, batch=256)

WORKLOADS = {
    "a": ("softmax regression 784->10, SGD lr 0.1, batch 256, 5 epochs", dict(SOFTMAX, epochs=5),
          ["softmaxlab", "softmaxlab-estimator", "softmaxlab-reference", "softmaxlab-torch",
           "softmaxlab-cli", "torch", "torch-dataloader", "sklearn-mlp", "sklearn-sgd"]),
    "b": ("MLP 784-256-10 ReLU, SGD lr 0.1, batch 256, 10 epochs", dict(MLP_SGD, epochs=10),
          ["softmaxlab", "softmaxlab-estimator", "softmaxlab-reference", "softmaxlab-torch",
           "softmaxlab-cli", "torch", "torch-dataloader", "sklearn-mlp"]),
    "c": ("MLP 784-256-10 ReLU, Adam lr 1e-3, batch 256, 10 epochs", dict(MLP_ADAM, epochs=10),
          ["softmaxlab", "softmaxlab-estimator", "softmaxlab-reference", "softmaxlab-torch",
           "softmaxlab-cli", "torch", "torch-dataloader", "sklearn-mlp"]),
}
SCALING_ROWS = (15000, 60000, 240000)
SCALING_PEERS = ["softmaxlab", "torch"]  # plus softmaxlab-baseline with --baseline-src

# (e) Time to accuracy. "Best settings each peer offers": Adam lr 1e-3,
# batch 64 for every minibatch peer (SGD lr 0.5/batch 64 oscillated around
# 0.80-0.83 for softmax regression and never reached 0.84 in 30 epochs);
# LogisticRegression with lbfgs for scikit-learn's full-batch option.
TTA = {
    "softmax": (0.84, [
        ("softmaxlab", dict(model="softmax", opt="adam", lr=1e-3, batch=64)),
        ("torch", dict(model="softmax", opt="adam", lr=1e-3, batch=64)),
        ("sklearn-logreg", dict(model="softmax", lbfgs_iters=10)),
        ("sklearn-mlp", dict(model="softmax", opt="adam", lr=1e-3, batch=64)),
    ]),
    "mlp": (0.88, [
        ("softmaxlab", dict(model="mlp", opt="adam", lr=1e-3, batch=64)),
        ("torch", dict(model="mlp", opt="adam", lr=1e-3, batch=64)),
        ("sklearn-mlp", dict(model="mlp", opt="adam", lr=1e-3, batch=64)),
    ]),
}


EPOCHS = 0  # --epochs: override the workloads' epoch counts (a shorter run; seconds/epoch stay comparable)
BASELINE_SRC = ""  # --baseline-src: an older softmaxlab source tree, run as peer "softmaxlab-baseline"


def run_peer(spec: dict, threads: int, timeout: float = 1200) -> dict:
    """One subprocess, one peer, one workload; returns the worker's result dict."""
    spec = dict(spec, threads=threads)
    env = thread_env(threads)
    if spec["peer"].endswith("-baseline"):
        # the same library peer, importing the older tree first on sys.path
        env["PYTHONPATH"] = BASELINE_SRC
        spec["peer"] = spec["peer"][:-len("-baseline")]
    t = time.perf_counter()
    proc = subprocess.run([PY, str(HERE / "peers.py"), json.dumps(spec)], capture_output=True,
                          text=True, env=env, timeout=timeout, cwd=HERE.parent)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            res = json.loads(line[7:])
            res["process_s"] = time.perf_counter() - t
            return res
    return {"error": (proc.stderr or proc.stdout)[-2000:]}


def _summary(runs: list[dict]) -> dict:
    ok = [r for r in runs if "epoch_seconds" in r and r["epoch_seconds"]]
    if not ok:
        return {"error": next((r.get("error") or r.get("unavailable") for r in runs), "no runs")}
    per_run = [statistics.median(r["epoch_seconds"]) for r in ok]
    walls = [r["wall"] / len(r["epoch_seconds"]) for r in ok]
    return {
        "s_per_epoch": statistics.median(per_run),
        "s_per_epoch_min": min(per_run),
        "s_per_epoch_max": max(per_run),
        "wall_per_epoch": statistics.median(walls),
        "test_acc": statistics.median(r["test_acc"] for r in ok),
        "peak_rss_mb": statistics.median(r["peak_rss_mb"] for r in ok),
        "train_extra_mb": statistics.median(r["train_extra_mb"] for r in ok),
        "data_mb": ok[0]["data_mb"],
        "rows": ok[0]["rows"],
        "repeats": len(ok),
    }


def bench_workloads(keys, repeats, threads, quick, peers_filter, log):
    out = {}
    for key in keys:
        title, spec, peers = WORKLOADS[key]
        peers = [p for p in peers if not peers_filter or p in peers_filter]
        if BASELINE_SRC:  # the older tree beside each library peer it can run
            for base in ("softmaxlab-estimator", "softmaxlab"):
                if base in peers:
                    peers.insert(peers.index(base) + 1, f"{base}-baseline")
        spec = dict(spec, seed=0)
        if quick:
            spec["epochs"] = 2
        if EPOCHS:
            spec["epochs"] = EPOCHS
        runs = {p: [] for p in peers}
        for r in range(repeats):
            order = peers[r % len(peers):] + peers[:r % len(peers)]
            for p in order:
                res = run_peer(dict(spec, peer=p), threads)
                runs[p].append(res)
                if "unavailable" in res:
                    peers = [q for q in peers if q != p]
                log(f"  [{key}] repeat {r + 1} {p:18s} "
                    + (f"{statistics.median(res['epoch_seconds']):.4f} s/epoch acc {res['test_acc']:.4f}"
                       if "epoch_seconds" in res else str(res.get("unavailable") or res.get("error"))[-300:]))
        summ = {p: _summary(v) for p, v in runs.items()}
        ref = summ.get("torch", {}).get("s_per_epoch")
        for s in summ.values():
            if ref and "s_per_epoch" in s:
                s["ratio_to_torch"] = s["s_per_epoch"] / ref
        out[key] = {"title": title, "spec": spec, "peers": summ, "runs": runs}
    return out


def bench_scaling(repeats, threads, quick, log):
    spec = dict(MLP_SGD, epochs=2 if quick else 3, seed=0)
    peers = SCALING_PEERS + (["softmaxlab-baseline"] if BASELINE_SRC else [])
    runs = {(p, n): [] for p in peers for n in SCALING_ROWS}
    for r in range(repeats):
        for n in SCALING_ROWS:
            order = peers if r % 2 == 0 else peers[::-1]
            for p in order:
                res = run_peer(dict(spec, peer=p, rows=n), threads)
                runs[(p, n)].append(res)
                log(f"  [d] repeat {r + 1} {p:12s} rows {n:6d} "
                    + (f"{statistics.median(res['epoch_seconds']):.3f} s/epoch"
                       if "epoch_seconds" in res else str(res.get("error"))[-300:]))
    out = {}
    for p in peers:
        rows = {}
        for n in SCALING_ROWS:
            s = _summary(runs[(p, n)])
            if "s_per_epoch" in s:
                s["us_per_row"] = 1e6 * s["s_per_epoch"] / n
            rows[str(n)] = s
        per_row = [v["us_per_row"] for v in rows.values() if "us_per_row" in v]
        out[p] = {"sizes": rows,
                  "per_row_spread": (max(per_row) / min(per_row) - 1) if per_row else None}
    return {"title": "(b) on 15k / 60k / 240k rows (training set tiled)", "spec": spec, "peers": out}


def bench_tta(repeats, threads, quick, log, cap=90.0):
    out = {}
    for model, (target, peers) in TTA.items():
        runs = {p: [] for p, _ in peers}
        for r in range(repeats):
            order = peers[r % len(peers):] + peers[:r % len(peers)]
            for p, spec in order:
                res = run_peer(dict(spec, peer=p, seed=0, target=target, epochs=30, max_seconds=cap),
                               threads)
                runs[p].append(res)
                log(f"  [e] {model} repeat {r + 1} {p:15s} "
                    + (f"{res['time_to_target']} s, {res['epochs_to_target']} epochs, accs "
                       f"{[round(a, 4) for a in res['accs']]}" if "accs" in res else str(res.get("error"))[-300:]))
        summ = {}
        for p, spec in peers:
            ok = [x for x in runs[p] if x.get("time_to_target") is not None]
            summ[p] = {
                "settings": spec,
                "reached": f"{len(ok)}/{len(runs[p])}",
                "seconds": statistics.median(x["time_to_target"] for x in ok) if ok else None,
                "seconds_min": min((x["time_to_target"] for x in ok), default=None),
                "seconds_max": max((x["time_to_target"] for x in ok), default=None),
                "epochs": statistics.median(x["epochs_to_target"] for x in ok) if ok else None,
                "best_acc": max((max(x["accs"]) for x in runs[p] if x.get("accs")), default=None),
            }
        out[model] = {"target": target, "peers": summ, "runs": runs}
    return out


def _fmt(v, f="{:.3f}"):
    return "-" if v is None else f.format(v)


def print_tables(res, floor, log):
    for key in ("a", "b", "c"):
        if key not in res:
            continue
        w = res[key]
        fl = floor["floor"]["softmax" if w["spec"]["model"] == "softmax" else "mlp"]["floor_s"]
        log(f"\n({key}) {w['title']}   [floor {fl:.3f} s/epoch]")
        log(f"{'peer':18s} {'s/epoch':>8s} {'[min-max]':>17s} {'vs torch':>8s} {'x floor':>7s} "
            f"{'test acc':>8s} {'peak MB':>8s} {'train +MB':>9s}")
        for p, s in w["peers"].items():
            if "s_per_epoch" not in s:
                log(f"{p:18s} {s.get('error', '')[:100]}")
                continue
            log(f"{p:18s} {s['s_per_epoch']:8.4f} [{s['s_per_epoch_min']:7.4f}-{s['s_per_epoch_max']:7.4f}] "
                f"{s.get('ratio_to_torch', float('nan')):8.3f} {s['s_per_epoch'] / fl:7.1f} "
                f"{s['test_acc']:8.4f} {s['peak_rss_mb']:8.0f} {s['train_extra_mb']:9.1f}")
    if "d" in res:
        log(f"\n(d) {res['d']['title']}")
        log(f"{'peer':12s} {'rows':>7s} {'s/epoch':>8s} {'us/row':>7s} {'data MB':>8s} {'peak MB':>8s} {'train +MB':>9s}")
        for p, v in res["d"]["peers"].items():
            for n, s in v["sizes"].items():
                if "s_per_epoch" in s:
                    log(f"{p:12s} {n:>7s} {s['s_per_epoch']:8.3f} {s['us_per_row']:7.2f} "
                        f"{s['data_mb']:8.0f} {s['peak_rss_mb']:8.0f} {s['train_extra_mb']:9.1f}")
            log(f"{p:12s} time/row spread across sizes: {_fmt(v['per_row_spread'], '{:.1%}')}")
    if "e" in res:
        log("\n(e) time to test accuracy (wall, evaluation after every epoch included)")
        for model, v in res["e"].items():
            for p, s in v["peers"].items():
                log(f"{model:8s} >= {v['target']:.2f} {p:15s} {_fmt(s['seconds'])} s "
                    f"[{_fmt(s['seconds_min'])}-{_fmt(s['seconds_max'])}] epochs {_fmt(s['epochs'], '{:.0f}')} "
                    f"reached {s['reached']} best acc {_fmt(s['best_acc'], '{:.4f}')}  {s['settings']}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workloads", default="a,b,c,d,e")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--peers", default="", help="comma-separated subset of peers for a,b,c")
    ap.add_argument("--quick", action="store_true", help="1 repeat, 2 epochs: a smoke run")
    ap.add_argument("--out", default=str(RESULTS / "latest.json"))
    ap.add_argument("--epochs", type=int, default=0,
                    help="override the epochs of (a), (b), (c): accuracy is then not the full-run one")
    ap.add_argument("--tta-cap", type=float, default=90.0,
                    help="(e): give up on a peer after this many wall seconds")
    ap.add_argument("--baseline-src", default="",
                    help="a softmaxlab src/ tree (e.g. from `git archive <rev> src`) run alongside "
                         "as peer softmaxlab-baseline, for before/after in the same run")
    args = ap.parse_args(argv)
    global BASELINE_SRC, EPOCHS
    BASELINE_SRC = args.baseline_src
    EPOCHS = args.epochs
    repeats = 1 if args.quick else args.repeats
    keys = [k.strip() for k in args.workloads.split(",") if k.strip()]

    def log(msg):
        print(msg, flush=True)

    env = thread_env(args.threads)
    floor = json.loads(subprocess.run([PY, str(HERE / "floor.py")], capture_output=True, text=True,
                                      env=env, check=True).stdout)
    info = machine_info()
    info["threads_per_peer"] = args.threads
    kernels = ", ".join(f"{b.get('internal_api')} {b.get('architecture')}" for b in info.get("blas", []))
    log(f"machine: {info.get('lscpu Model name')} x{info.get('cpu_count')}, OPENBLAS_CORETYPE="
        f"{info['OPENBLAS_CORETYPE']}, BLAS kernels (threadpoolctl): {kernels}, numpy "
        f"{info['numpy']}, torch {info['torch']}, sklearn {info['sklearn']}, threads/peer {args.threads}")
    log(f"floor: GEMM {floor['floor']['mlp']['gemm_rate_gflops']:.0f} GFLOP/s at MLP shapes, "
        f"{floor['floor']['softmax']['gemm_rate_gflops']:.0f} at softmax-regression shapes; "
        f"read {floor['bandwidth']['read_GBps_best']:.1f} GB/s -> "
        f"softmax {floor['floor']['softmax']['floor_s'] * 1e3:.1f} ms/epoch, "
        f"MLP {floor['floor']['mlp']['floor_s'] * 1e3:.0f} ms/epoch")
    if "row_gather" in floor:  # what shuffled-row reads cost, beside the floor
        g = floor["row_gather"]
        log(f"row gather (one thread, 60k shuffled rows): {g['gather_s'] * 1e3:.1f} ms/epoch "
            f"({g['gather_GBps']:.1f} GB/s); the same bytes contiguous: {g['contiguous_s'] * 1e3:.1f} ms")
    t0 = time.time()
    res = {}
    peers_filter = [p for p in args.peers.split(",") if p]
    out = Path(args.out)

    def save():  # after every workload, so an interrupted run keeps what it measured
        doc = {"command": " ".join([Path(PY).name, "benchmarks/run.py", *(argv or sys.argv[1:])]),
               "started": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t0)),
               "minutes": (time.time() - t0) / 60, "machine": info, "floor": floor, "results": res}
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc, indent=1, default=str))
        tmp.replace(out)

    for k in keys:
        if k in WORKLOADS:
            res.update(bench_workloads([k], repeats, args.threads, args.quick, peers_filter, log))
        elif k == "d":
            res["d"] = bench_scaling(repeats, args.threads, args.quick, log)
        elif k == "e":
            res["e"] = bench_tta(repeats, args.threads, args.quick, log, cap=args.tta_cap)
        save()
    print_tables(res, floor, log)
    log(f"\nwritten {out}")


if __name__ == "__main__":
    main()
