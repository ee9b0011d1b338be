"""The long end-to-end Fashion-MNIST training runs, moved out of the test suite.

The suite keeps one short Fashion-MNIST run (tests/test_cli_fashion.py:
softmax regression, 5 epochs) that proves the path; the runs here take
minutes on a busy machine, so they are measured, not tested:

* ``mlp20``: ``softmaxlab train --data fashion-mnist --model mlp --hidden 256
  --optimizer adam --lr 0.001 --epochs 20`` (the CLI's defaults otherwise:
  cosine schedule, 10 % validation split). Target: test accuracy >= 0.885.

    python benchmarks/fashion_long.py            # writes results/fashion_long.json

Reported: the test accuracy, whether it meets the target, the wall time of
the command and the per-epoch seconds from its history.csv.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUNS = {
    "mlp20": dict(args=["--model", "mlp", "--hidden", "256", "--optimizer", "adam",
                        "--lr", "0.001", "--epochs", "20"], target=0.885),
}


def run(name: str) -> dict:
    from softmaxlab.cli import main

    spec = RUNS[name]
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "run")
        t0 = time.perf_counter()
        code = main(["train", "--data", "fashion-mnist", "--out", out, "--quiet", *spec["args"]])
        wall = time.perf_counter() - t0
        if code != 0:
            return {"error": f"softmaxlab train exited with {code}"}
        metrics = json.loads(Path(out, "metrics.json").read_text())
        with open(os.path.join(out, "history.csv")) as f:
            secs = [float(r["seconds"]) for r in csv.DictReader(f)]
    acc = metrics["test"]["accuracy"]
    return {"command": "softmaxlab train --data fashion-mnist " + " ".join(spec["args"]),
            "test_accuracy": acc, "target": spec["target"], "meets_target": acc >= spec["target"],
            "wall_seconds": wall, "epoch_seconds": secs}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", default=",".join(RUNS))
    ap.add_argument("--out", default=str(HERE / "results" / "fashion_long.json"))
    args = ap.parse_args(argv)
    sys.path.insert(0, str(HERE))
    from common import machine_info

    results = {"machine": machine_info(), "runs": {}}
    for name in args.runs.split(","):
        results["runs"][name] = r = run(name)
        print(name, json.dumps({k: v for k, v in r.items() if k != "epoch_seconds"}), flush=True)
    with open("/proc/loadavg") as f:
        results["loadavg_at_end"] = f.read().strip()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
