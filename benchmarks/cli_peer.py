"""The CLI peer: ``softmaxlab train --data fashion-mnist ...`` timed per epoch
from the ``history.csv`` it writes.

The CLI is being written by another engineer; until ``softmaxlab train``
exists this peer reports itself unavailable instead of guessing its flags.
"""
from __future__ import annotations

import os
import subprocess
import sys


def _cli() -> list[str]:
    exe = os.path.join(os.path.dirname(sys.executable), "softmaxlab")
    return [exe] if os.path.exists(exe) else [sys.executable, "-m", "softmaxlab"]


def run_cli(spec: dict) -> dict:
    """Run the CLI on the workload, or say why it cannot be run."""
    probe = subprocess.run([*_cli(), "train", "--help"], capture_output=True, text=True)
    if probe.returncode != 0 or "--data" not in probe.stdout:
        return {"unavailable": "`softmaxlab train` does not exist yet in this checkout"}
    return {"unavailable": "`softmaxlab train` exists but this peer has not been wired to it yet"}
