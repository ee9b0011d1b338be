"""The CLI peer: ``softmaxlab train --data fashion-mnist ...``, timed per epoch
from the ``seconds`` column of the ``history.csv`` it writes (the Trainer's
own per-epoch clock: training pass only, since ``--val-fraction 0``).

Peak memory is the CLI process's ``ru_maxrss``: the whole run, loading and
the report included, so it is not comparable with the other peers' training
increment.
"""
from __future__ import annotations

import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time


def _cli() -> list[str]:
    exe = os.path.join(os.path.dirname(sys.executable), "softmaxlab")
    return [exe] if os.path.exists(exe) else [sys.executable, "-m", "softmaxlab"]


def run_cli(spec: dict) -> dict:
    """Run the CLI on the workload, or say why it cannot be run."""
    probe = subprocess.run([*_cli(), "train", "--help"], capture_output=True, text=True)
    if probe.returncode != 0 or "--data" not in probe.stdout:
        return {"unavailable": "`softmaxlab train` does not exist in this checkout"}
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "run")
        cmd = [*_cli(), "train", "--data", "fashion-mnist",
               "--model", "softmax" if spec["model"] == "softmax" else "mlp",
               "--optimizer", spec["opt"], "--lr", str(spec["lr"]),
               "--batch-size", str(spec["batch"]), "--epochs", str(spec["epochs"]),
               "--val-fraction", "0", "--preprocess", "pixel", "--seed", str(spec["seed"]),
               "--out", out, "--quiet"]
        if spec["model"] != "softmax":
            cmd += ["--hidden", str(spec.get("hidden", 256))]
        # The workload's own settings, not the CLI's defaults (momentum 0.9
        # and a cosine schedule): plain SGD or Adam at a constant rate.
        cmd += ["--schedule", "constant"]
        if spec["opt"] == "sgd":
            cmd += ["--momentum", str(spec.get("momentum", 0.0))]
        t = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - t
        if proc.returncode != 0:
            return {"error": proc.stderr[-2000:]}
        with open(os.path.join(out, "history.csv")) as f:
            rows = list(csv.DictReader(f))
        with open(os.path.join(out, "metrics.json")) as f:
            metrics = json.load(f)
    secs = [float(r["seconds"]) for r in rows]
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"epoch_seconds": secs, "wall": sum(secs), "process_wall": wall, "rows": 60000,
            "data_mb": 60000 * 785 * 4 / 2**20, "rss_start_mb": float("nan"),
            "peak_rss_mb": peak, "train_extra_mb": float("nan"),
            "test_acc": metrics["test"]["accuracy"]}
