"""``softmaxlab runs``, and failures of the file system told in our words:
the run folder, the file, the reason, and which files are complete."""
from __future__ import annotations

import errno
import json

import pytest

import softmaxlab.io
import softmaxlab.runs.folder
from softmaxlab.cli import main


# The HTML report has tests of its own; here it would only cost time.
pytestmark = pytest.mark.usefixtures("no_report")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    assert main(["train", "--data", "spiral", "--epochs", "2", "--out", str(root / "a"),
                 "--quiet"]) == 0
    assert main(["train", "--data", "binary-mod", "--model", "mlp", "--hidden", "8",
                 "--test-fraction", "0.4", "--val-fraction", "0", "--epochs", "3",
                 "--checkpoint-every", "1", "--out", str(root / "b"), "--quiet"]) == 0
    (root / "b" / "metrics.json").unlink()  # as if killed after its checkpoints
    (root / "not-a-run").mkdir()
    return root


def test_runs_table(runs, cli):
    code, out, err = cli(["runs", str(runs)])
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].split() == ["created", "data", "label", "model", "status", "test", "acc",
                                "epochs", "time", "run"]
    assert len(lines) == 3  # not-a-run is not listed
    a, b = (next(line for line in lines if line.endswith(name)) for name in ("/a", "/b"))
    assert "spiral" in a and "softmax" in a and "completed" in a and " 2 " in a
    assert "binary-mod" in b and "mlp 8" in b and "stopped (resumable)" in b and " 3 " in b


def test_runs_json(runs, cli):
    code, out, _ = cli(["runs", str(runs), "--json"])
    assert code == 0
    got = {r["run"].rsplit("/", 1)[-1]: r for r in json.loads(out)}
    assert set(got) == {"a", "b"}
    a = got["a"]
    assert set(a) == {"created", "data", "label", "model", "task", "status", "test_accuracy",
                      "epochs", "seconds", "run"}
    assert a["label"] is None  # a built-in dataset
    assert a["task"] == "multiclass"
    assert a["status"] == "completed" and a["epochs"] == 2 and 0 <= a["test_accuracy"] <= 1
    assert a["seconds"] > 0 and a["created"][:2] == "20"
    assert got["b"]["test_accuracy"] is None and got["b"]["epochs"] == 3


def test_runs_of_one_run_folder_and_of_a_missing_folder(runs, tmp_path, cli):
    code, out, _ = cli(["runs", str(runs / "a")])
    assert code == 0 and len(out.splitlines()) == 2
    code, _, err = cli(["runs", str(tmp_path / "nope")])
    assert code == 1 and "no such folder" in err and len(err.strip().splitlines()) == 1
    code, out, err = cli(["runs", str(runs / "not-a-run")])
    assert code == 0 and out == "" and "no run folders in" in err


# ---- the file system fails ---------------------------------------------------------------------

def _failing_write(monkeypatch, name, err=errno.ENOSPC):
    """Make the atomic write of run file ``name`` fail as a full disk does."""
    real = softmaxlab.io.atomic_write

    def write(path, *args, **kwargs):
        if getattr(path, "name", str(path)).endswith(name):
            raise OSError(err, "simulated")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(softmaxlab.io, "atomic_write", write)
    monkeypatch.setattr(softmaxlab.runs.folder, "atomic_write", write)


@pytest.mark.parametrize("name, err, words, complete, missing", [
    ("metrics.json", errno.ENOSPC, "the disk is full", "config.toml, model.npz, history.csv",
     "metrics.json, predictions.npz, report.html"),
    ("model.npz", errno.EDQUOT, "the disk quota is used up",
     "config.toml, history.csv, checkpoint.npz", "not written: model.npz, metrics.json"),
    ("config.toml", errno.EROFS, "the file system is read-only", "none", "config.toml"),
    ("checkpoint.npz", errno.EIO, "an input/output error of the disk", "config.toml",
     "model.npz"),
])
def test_a_failing_write_names_the_folder_and_the_complete_files(tmp_path, cli, monkeypatch,
                                                                  name, err, words, complete,
                                                                  missing):
    _failing_write(monkeypatch, name, err)
    run = tmp_path / "run"
    code, _, stderr = cli(["train", "--data", "spiral", "--epochs", "2", "--quiet",
                                    "--checkpoint-every", "1", "--out", str(run)])
    assert code == 1
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"softmaxlab train: error: could not write {name} in the run "
                               f"folder {run}: {words}; complete: {complete}")
    assert missing in lines[0] and "Errno" not in lines[0] and "simulated" not in lines[0]
    assert not (run / ".lock").exists()


def test_a_run_folder_that_cannot_be_created(tmp_path, cli, monkeypatch):
    from pathlib import Path

    def refuse(self, *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(self))

    monkeypatch.setattr(Path, "mkdir", refuse)
    code, _, err = cli(["train", "--data", "spiral", "--out", str(tmp_path / "x" / "r"),
                                 "--quiet"])
    assert code == 1
    assert err.strip() == (f"softmaxlab train: error: cannot create the run folder "
                           f"{tmp_path / 'x' / 'r'}: permission denied; choose another --out")


def test_predict_output_that_cannot_be_written(cli, tmp_path, capsys, monkeypatch):
    assert main(["train", "--data", "spiral", "--epochs", "1", "--out", str(tmp_path / "r"),
                 "--quiet"]) == 0
    (tmp_path / "new.csv").write_text("x1,x2\n0.1,0.2\n")
    import pandas as pd

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    capsys.readouterr()
    code, _, err = cli(["predict", str(tmp_path / "r"), str(tmp_path / "new.csv"),
                                 "--output", str(tmp_path / "p.csv")])
    assert code == 1
    assert err.strip() == (f"softmaxlab predict: error: cannot write {tmp_path / 'p.csv'}: "
                           "the disk is full")


def test_interrupted_run_says_how_to_go_on(tmp_path, cli, monkeypatch):
    from softmaxlab.train import Trainer

    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Trainer, "fit", interrupted)
    code, _, err = cli(["train", "--data", "spiral", "--out", str(tmp_path / "r"),
                                 "--quiet"])
    assert code == 130
    assert "this run has no checkpoint, so it cannot be resumed" in err
    assert "--checkpoint-every N" in err
    code, _, err = cli(["train", "--data", "spiral", "--out", str(tmp_path / "c"),
                                 "--checkpoint-every", "1", "--quiet"])
    assert code == 130  # no checkpoint was written before the interruption either
    assert "--resume" not in err
