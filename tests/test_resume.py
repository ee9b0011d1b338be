"""Checkpoints survive SIGKILL; --resume ends bit-identical to an uninterrupted
run; Ctrl-C still writes the run folder."""
import csv
import json
import signal
import subprocess
import sys
import time

import pytest

from softmaxlab.cli import main
from softmaxlab.io import load_model

# Dropout, Adam and a cosine schedule: resuming must restore the RNG, the
# optimizer's moments and the schedule, not only the weights. Five epochs are
# enough: the signal tests stop the run at a gate, not after a delay.
ARGS = ["--model", "mlp", "--hidden", "16", "--dropout", "0.1", "--optimizer", "adam",
        "--lr", "0.003", "--schedule", "cosine", "--batch-size", "16", "--epochs", "5",
        "--checkpoint-every", "1", "--quiet"]


# The training process of the signal tests: the real command, with one gate.
# After its first epoch (checkpoint and history written) it announces itself
# and waits in the next epoch's start until the test's signal arrives, so the
# signal lands at a known point however slow or busy the machine is (no race
# between the test's clock and the training's).
# It also restores Python's own Ctrl-C handler: a process started in the
# background of a non-interactive shell (some CI runners) inherits SIGINT
# ignored, and would never see the test's Ctrl-C.
GATED_TRAIN = """
import pathlib, signal, sys, time
from softmaxlab.cli import main
from softmaxlab.train import Trainer

signal.signal(signal.SIGINT, signal.default_int_handler)

gate, epoch = pathlib.Path(sys.argv[1]), Trainer.train_epoch

def gated_epoch(self, *args, **kwargs):
    if self.epoch == 1:
        gate.touch()
        deadline = time.monotonic() + 300  # the test sends its signal long before
        while time.monotonic() < deadline:
            time.sleep(0.01)
    return epoch(self, *args, **kwargs)

Trainer.train_epoch = gated_epoch
sys.exit(main(sys.argv[2:]))
"""


def _start(out, gate, *extra):
    return subprocess.Popen([sys.executable, "-c", GATED_TRAIN, str(gate), "train",
                             "--out", str(out), *ARGS, *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(path, proc, timeout=300.0):
    t0 = time.monotonic()
    while not path.exists():
        if proc.poll() is not None:
            pytest.fail(f"training ended before {path.name} appeared: {proc.stderr.read()}")
        if time.monotonic() - t0 > timeout:
            proc.kill()
            pytest.fail(f"{path.name} did not appear in {timeout:.0f} s")
        time.sleep(0.005)


def _history(run):
    rows = list(csv.DictReader(open(run / "history.csv")))
    return [{k: v for k, v in r.items() if k != "seconds"} for r in rows]


@pytest.mark.slow
def test_sigkill_then_resume_is_bit_identical(tmp_path, capsys, no_report):
    killed = tmp_path / "killed"
    proc = _start(killed, tmp_path / "gate")
    _wait_for(tmp_path / "gate", proc)  # epoch 1 checkpointed, epoch 2 not started
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=60) == -signal.SIGKILL
    assert not (killed / "metrics.json").exists()
    assert (killed / ".lock").exists()  # left behind by the dead process
    assert len(_history(killed)) == 1  # written with each checkpoint

    reference = tmp_path / "reference"
    assert main(["train", "--out", str(reference), *ARGS]) == 0
    capsys.readouterr()
    assert main(["train", "--resume", str(killed), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "stale lock" in err and "not running" in err

    a = load_model(reference / "model.npz").model.get_weights()
    b = load_model(killed / "model.npz").model.get_weights()
    assert len(a) == len(b) == 4
    for wa, wb in zip(a, b, strict=True):
        assert wa.dtype == wb.dtype and wa.tobytes() == wb.tobytes()
    assert _history(reference) == _history(killed)
    assert len(_history(killed)) == 5


@pytest.mark.slow
def test_ctrl_c_writes_the_run_folder(tmp_path):
    out = tmp_path / "int"
    proc = _start(out, tmp_path / "gate")
    _wait_for(tmp_path / "gate", proc)
    assert (out / "checkpoint.npz").is_file()
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    m = json.loads((out / "metrics.json").read_text())
    assert m["status"] == "interrupted" and m["epochs"] == 1
    assert len(_history(out)) == m["epochs"]
    assert "test accuracy" in stdout and "interrupted" in stdout
    assert (out / "report.html").is_file() and not (out / ".lock").exists()


def test_resume_of_a_finished_run_changes_nothing(tmp_path, no_report):
    out = tmp_path / "done"
    args = ["--epochs", "3", "--checkpoint-every", "1", "--quiet"]
    assert main(["train", "--out", str(out), *args]) == 0
    before = (out / "model.npz").read_bytes()
    assert main(["train", "--resume", str(out), "--quiet"]) == 0
    assert load_model(out / "model.npz").model.get_weights()[0].tobytes() == \
        load_model_bytes(before)


def load_model_bytes(blob):
    import io

    import numpy as np

    with np.load(io.BytesIO(blob)) as z:
        return z["param.0"].tobytes()
