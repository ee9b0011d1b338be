"""What the BLAS thread team costs on an idle machine.

    .venv/bin/python benchmarks/team_cost.py [--workloads a,b,c] [--epochs 5] [--rounds 3]

The team (``softmaxlab/_kernels/threads.py``) probes one BLAS thread every
so often (a scratch GEMM timed on one thread and on the full team); on an
idle machine each probe costs a few milliseconds and no batch runs on one
thread. Wall-clock comparisons of ``auto`` against a fixed team cannot show a
1-3 % cost on a shared VM whose runs spread 20-40 %, so this measures the
cost directly: every probe is timed, and every batch of an engine fit
(``Trainer.fit``, Fashion-MNIST, batch 256) is timed together with the team
size it ran on; the cost is the probes' time plus the time any batch on
fewer threads took beyond the median batch of the full team, as a share of
the whole fit. The wall time of ``SOFTMAXLAB_BLAS_THREADS=auto``
against a fixed full team is reported beside it (rounds alternate).

Workloads: (a) softmax regression, SGD 0.1; (b) MLP 784-256-10, SGD 0.1;
(c) the same MLP, Adam 1e-3.
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

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def child(workload: str, epochs: int) -> dict:
    """One fit in this process: per batch (team size, seconds), and the wall time."""
    import numpy as np
    from common import load_fashion

    from softmaxlab._kernels import threads
    from softmaxlab.nn import mlp
    from softmaxlab.optim import SGD, Adam
    from softmaxlab.train import Trainer

    batches, probes = [], []
    real_tick = threads.ThreadTeam.tick
    real_probe = threads.ThreadTeam._probe_one_thread
    last = [time.perf_counter()]

    def tick(self, rows):
        now = time.perf_counter()
        batches.append((self.threads, now - last[0]))
        real_tick(self, rows)
        last[0] = time.perf_counter()  # a probe inside tick is timed on its own

    def probe(self):
        t = time.perf_counter()
        real_probe(self)
        probes.append(time.perf_counter() - t)

    threads.ThreadTeam.tick = tick
    threads.ThreadTeam._probe_one_thread = probe
    X, y, _, _ = load_fashion()
    rng = np.random.default_rng(0)
    model = mlp(784, () if workload == "a" else (256,), 10, rng=rng)
    opt = (Adam(model.parameters(), lr=1e-3) if workload == "c"
           else SGD(model.parameters(), lr=0.1))
    trainer = Trainer(model, opt, batch_size=256, rng=np.random.default_rng(1))
    t = time.perf_counter()
    trainer.fit(X, y, epochs=epochs)
    wall = time.perf_counter() - t
    return {"wall": wall, "batches": batches, "probes": probes,
            "team_at_end": trainer.fast_path.team.threads,
            "cap": getattr(trainer.fast_path.team, "cap", None)}


def _run(workload: str, epochs: int, setting: str) -> dict:
    env = dict(os.environ, SOFTMAXLAB_BLAS_THREADS=setting,
               PYTHONPATH=str(HERE.parent / "src") + os.pathsep + str(HERE))
    out = subprocess.run([sys.executable, __file__, "--child", workload, "--epochs", str(epochs)],
                         capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def summarise(res: dict) -> dict:
    """The team's share of the fit: the probes' time, plus the time of any
    batch run on fewer threads beyond a full-team batch."""
    full = max(n for n, _ in res["batches"]) if res["batches"] else 0
    times_full = [dt for n, dt in res["batches"] if n == full]
    typical = statistics.median(times_full) if times_full else 0.0
    tries = [dt for n, dt in res["batches"] if n != full]
    probe_s = sum(res.get("probes", []))
    extra = sum(max(dt - typical, 0.0) for dt in tries) + probe_s
    total = sum(dt for _, dt in res["batches"]) + probe_s
    return {"batches": len(res["batches"]), "on_fewer_threads": len(tries),
            "probes": len(res.get("probes", [])), "probe_s": probe_s,
            "extra_s": extra, "cost_share": extra / total if total else 0.0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workloads", default="a,b,c")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", default=None)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.epochs)))
        return
    from common import machine_info

    report = {"machine": machine_info(), "command": " ".join(sys.argv), "workloads": {}}
    for w in args.workloads.split(","):
        rows = []
        for r in range(args.rounds):
            order = ("auto", "fixed") if r % 2 == 0 else ("fixed", "auto")
            got = {}
            for which in order:
                got[which] = _run(w, args.epochs, "auto" if which == "auto" else "2")
            s = summarise(got["auto"])
            s.update(wall_auto=got["auto"]["wall"], wall_fixed=got["fixed"]["wall"],
                     ratio=got["auto"]["wall"] / got["fixed"]["wall"])
            rows.append(s)
            print(f"({w}) round {r}: {s['on_fewer_threads']}/{s['batches']} batches on fewer "
                  f"threads, {s['probes']} probes ({s['probe_s'] * 1e3:.1f} ms), "
                  f"extra {s['extra_s'] * 1e3:.1f} ms = {100 * s['cost_share']:.2f} % "
                  f"of the fit; wall auto/fixed {s['ratio']:.3f} "
                  f"({s['wall_auto']:.2f} / {s['wall_fixed']:.2f} s)", flush=True)
        report["workloads"][w] = {
            "rounds": rows,
            "median_cost_share": statistics.median(x["cost_share"] for x in rows),
            "median_wall_ratio": statistics.median(x["ratio"] for x in rows)}
        print(f"({w}) median: the team costs {100 * report['workloads'][w]['median_cost_share']:.2f} %"
              f" of the fit; wall auto/fixed {report['workloads'][w]['median_wall_ratio']:.3f}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
