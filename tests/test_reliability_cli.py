"""Reliability of the command line: every bad input ends with one
line on stderr, no traceback, and exit status 2 (usage: a bad option value)
or 1 (data, files, training).

Most rows call ``softmaxlab.cli.main`` in-process (fast); the few that check
what a user really sees on stderr (numpy's RuntimeWarnings, warnings shown as
hints) run the ``softmaxlab`` console script in a subprocess.
"""
from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

cli = pytest.importorskip("softmaxlab.cli")
if not hasattr(cli, "build_parser"):
    pytest.skip("the full CLI (softmaxlab.cli with train/predict/...) has not landed yet",
                allow_module_level=True)

from softmaxlab.data import write_idx  # noqa: E402


def _csv(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _rows(n=30, d=3, scale=1.0, seed=0, n_classes=3):
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((n, d)) * scale, np.arange(n) % n_classes
    head = ",".join(f"f{j}" for j in range(d)) + ",label\n"
    return head + "".join(",".join(f"{v:.6g}" for v in r) + f",{c}\n" for r, c in zip(X, y, strict=True))


@pytest.fixture
def files(tmp_path):
    """A folder of small good and bad inputs."""
    f = tmp_path
    _csv(f / "good.csv", _rows())
    _csv(f / "header.csv", "f0,f1,label\n")
    _csv(f / "nonnum.csv", "f0,f1,label\n1,x,0\n3,4,1\n")
    _csv(f / "ragged.csv", "f0,f1,label\n1,2,0\n3,4,5,1\n")
    _csv(f / "nolabel.csv", "f0,f1,y\n1,2,0\n3,4,1\n")
    _csv(f / "oneclass.csv", "f0,f1,label\n1,2,0\n3,4,0\n5,6,0\n4,4,0\n")
    _csv(f / "nan.csv", "f0,f1,label\n1,nan,0\n3,4,1\n5,6,0\n7,8,1\n")
    _csv(f / "huge.csv", _rows(scale=1e30))
    _csv(f / "wrongcols.csv", "a,b\n1,2\n")
    (f / "garbage.npz").write_bytes(b"garbage" * 20)
    (f / "pickled.npz").write_bytes(pickle.dumps({"W": [1, 2]}))
    fashion = f / "fashion"
    fashion.mkdir()
    write_idx(fashion / "train-images-idx3-ubyte", np.zeros((6, 28, 28), np.uint8))
    write_idx(fashion / "train-labels-idx1-ubyte", np.arange(6, dtype=np.uint8))
    write_idx(fashion / "t10k-images-idx3-ubyte", np.zeros((4, 28, 28), np.uint8))
    write_idx(fashion / "t10k-labels-idx1-ubyte", np.arange(4, dtype=np.uint8))
    images = fashion / "train-images-idx3-ubyte"
    images.write_bytes(images.read_bytes()[:-100])  # truncated payload
    return f


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One real run folder, to ruin copies of its model.npz."""
    d = tmp_path_factory.mktemp("run")
    _csv(d / "good.csv", _rows())
    assert cli.main(["train", "--data", str(d / "good.csv"), "--label-column", "label",
                     "--epochs", "1", "--quiet",
                     "--out", str(d / "run")]) == 0
    return d / "run"


def _ruined_model(trained, tmp_path, how):
    src = trained / "model.npz"
    dst = tmp_path / "model.npz"
    data = src.read_bytes()
    if how == "truncated":
        dst.write_bytes(data[: len(data) // 2])
    elif how == "future-version":
        with np.load(src) as z:
            arrays = {k: z[k] for k in z.files}
        header = json.loads(arrays["__header__"].tobytes())
        header["version"] = 99
        arrays["__header__"] = np.frombuffer(json.dumps(header).encode(), np.uint8)
        np.savez(dst, **arrays)
    elif how == "object-array":
        with zipfile.ZipFile(src) as z_in, zipfile.ZipFile(dst, "w") as z_out:
            for name in z_in.namelist():
                z_out.writestr(name, z_in.read(name))
        with np.load(src) as z:
            arrays = {k: z[k] for k in z.files}
        arrays["param.0"] = np.array([{"evil": True}], dtype=object)
        np.savez(dst, **arrays)
    return dst


def _run(argv, capsys):
    try:
        code = cli.main(argv)
    except SystemExit as exc:  # argparse's own exits
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def _assert_one_line(err, code, expected_code, parts):
    assert code == expected_code, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got: {err!r}"
    assert "error:" in lines[0]
    for part in parts:
        assert part in lines[0], f"{part!r} missing from: {lines[0]}"


USAGE_CASES = [
    # id, argv (files relative to the fixture folder as {f}), substrings
    ("lr-0", ["train", "--lr", "0"], ["lr", "got 0"]),
    ("lr-negative", ["train", "--lr", "-1"], ["lr", "got -1"]),
    ("lr-nan", ["train", "--lr", "nan"], ["lr", "nan"]),
    ("lr-inf", ["train", "--lr", "inf"], ["lr", "inf"]),
    ("lr-text", ["train", "--lr", "fast"], ["--lr", "'fast'"]),
    ("batch-0", ["train", "--batch-size", "0"], ["--batch-size", "'0'", "positive integer or 'full'"]),
    ("batch-negative", ["train", "--batch-size", "-4"], ["--batch-size", "'-4'"]),
    ("hidden-0", ["train", "--hidden", "0"], ["--hidden", "'0'", "positive widths"]),
    ("hidden-negative", ["train", "--hidden", "8,-1"], ["--hidden", "'8,-1'"]),
    ("activation", ["train", "--activation", "relu6"], ["'relu6'", "'relu'", "'tanh'", "'sigmoid'"]),
    ("optimizer", ["train", "--optimizer", "rmsprop"], ["'rmsprop'", "'sgd'", "'adam'"]),
    ("schedule", ["train", "--schedule", "linear"], ["'linear'", "'cosine'", "'step'"]),
    ("dropout-1", ["train", "--dropout", "1.0"], ["dropout", "[0, 1)", "1.0"]),
    ("dropout-negative", ["train", "--dropout", "-0.1"], ["dropout", "-0.1"]),
    ("momentum-above-1", ["train", "--momentum", "1.5"], ["momentum", "1.5"]),
    ("momentum-negative", ["train", "--momentum", "-0.1"], ["momentum", "-0.1"]),
    ("weight-decay-negative", ["train", "--weight-decay", "-1"], ["weight-decay", "-1"]),
    ("epochs-0", ["train", "--epochs", "0"], ["epochs", "positive integer", "got 0"]),
    ("epochs-negative", ["train", "--epochs", "-3"], ["epochs", "got -3"]),
    ("val-fraction", ["train", "--val-fraction", "1.5"], ["val-fraction", "1.5"]),
    ("patience-0", ["train", "--patience", "0"], ["patience", "got 0"]),
    ("unknown-dataset", ["train", "--data", "mnist-pro"],
     ["'mnist-pro'", "digits", "fashion-mnist", "CSV"]),
    ("missing-config", ["train", "--config", "{f}/nope.toml"], ["nope.toml"]),
    ("unknown-command", ["fly"], ["'fly'", "train", "predict"]),
]

DATA_CASES = [
    ("missing-csv", ["train", "--data", "{f}/nope.csv"], ["nope.csv", "no such file"]),
    ("header-only", ["train", "--data", "{f}/header.csv"], ["header.csv", "no data rows"]),
    ("non-numeric", ["train", "--data", "{f}/nonnum.csv", "--label-column", "label"], ["'f1'", "'x'", "mixes numbers"]),
    ("ragged", ["train", "--data", "{f}/ragged.csv"], ["line 3", "4 fields", "header has 3"]),
    ("missing-label-column", ["train", "--data", "{f}/nolabel.csv", "--label-column", "label"],
     ["no label column 'label'", "'y'", "--label-column"]),
    ("single-class", ["train", "--data", "{f}/oneclass.csv", "--label-column", "label"], ["two", "[0]"]),
    ("nan-cells", ["train", "--data", "{f}/nan.csv", "--label-column", "label"], ["1 row has missing", "--impute"]),
    ("huge-values", ["train", "--data", "{f}/huge.csv", "--label-column", "label", "--preprocess", "none", "--dtype", "float32"],
     ["e+30", "Scale the features"]),
    ("idx-truncated", ["train", "--data", "fashion-mnist", "--data-dir", "{f}/fashion"],
     ["train-images-idx3-ubyte", "truncated"]),
    ("predict-missing-model", ["predict", "{f}/nope.npz", "{f}/good.csv"], ["nope.npz"]),
    ("predict-garbage-model", ["predict", "{f}/garbage.npz", "{f}/good.csv"],
     ["garbage.npz", "not a softmaxlab model file"]),
    ("predict-pickled-model", ["predict", "{f}/pickled.npz", "{f}/good.csv"],
     ["pickled", "arbitrary code"]),
    ("evaluate-missing-run", ["evaluate", "{f}/no_run"], ["no_run"]),
    ("report-missing-run", ["report", "{f}/no_run"], ["no_run"]),
]


def _fill(argv, f, tmp_path):
    argv = [a.replace("{f}", str(f)) for a in argv]
    if argv[0] == "train":
        argv += ([] if "--epochs" in argv else ["--epochs", "2"])
        argv += ["--quiet", "--out", str(tmp_path / "out")]
    return argv


@pytest.mark.parametrize("argv, parts", [c[1:] for c in USAGE_CASES], ids=[c[0] for c in USAGE_CASES])
def test_usage_error_exits_2_with_one_line(files, tmp_path, capsys, argv, parts):
    code, _, err = _run(_fill(argv, files, tmp_path), capsys)
    _assert_one_line(err, code, 2, parts)


@pytest.mark.parametrize("argv, parts", [c[1:] for c in DATA_CASES], ids=[c[0] for c in DATA_CASES])
def test_data_error_exits_1_with_one_line(files, tmp_path, capsys, argv, parts):
    code, _, err = _run(_fill(argv, files, tmp_path), capsys)
    _assert_one_line(err, code, 1, parts)


@pytest.mark.parametrize("how, parts", [
    ("truncated", ["truncated or corrupt"]),
    ("future-version", ["version 99", "Upgrade softmaxlab"]),
    ("object-array", ["pickled", "arbitrary code"]),
])
def test_predict_with_ruined_model_exits_1(trained, files, tmp_path, capsys, how, parts):
    model = _ruined_model(trained, tmp_path, how)
    code, out, err = _run(["predict", str(model), str(files / "good.csv")], capsys)
    _assert_one_line(err, code, 1, parts)
    assert out == ""


def test_predict_with_wrong_columns_exits_1(trained, files, capsys):
    code, _, err = _run(["predict", str(trained), str(files / "wrongcols.csv")], capsys)
    _assert_one_line(err, code, 1, ["wrongcols.csv", "none of the file's columns", "--no-header"])


def test_debug_shows_the_traceback(files, tmp_path):
    with pytest.raises(FileNotFoundError):
        cli.main(["train", "--data", str(files / "nope.csv"), "--debug", "--quiet",
                  "--out", str(tmp_path / "out")])


# ---- what a user sees: the console script in a subprocess ---------------------------

def _console(args, cwd):
    exe = shutil.which("softmaxlab", path=str(Path(sys.executable).parent))
    cmd = [exe] if exe else [sys.executable, "-m", "softmaxlab"]
    env = {**os.environ, "PYTHONWARNINGS": ""}  # the user's default warning display
    return subprocess.run(cmd + args, cwd=cwd, capture_output=True, text=True, timeout=120,
                          env=env)


def _diverge_args(tmp_path):
    _csv(tmp_path / "unscaled.csv", _rows(n=90, d=5, scale=1e3, seed=1))
    return ["train", "--data", "unscaled.csv", "--label-column", "label", "--model", "mlp", "--hidden", "8",
            "--optimizer", "sgd", "--batch-size", "full", "--lr", "1e4", "--preprocess", "none",
            "--epochs", "20", "--quiet", "--out", "run"]


def test_divergence_writes_run_folder_and_exits_1_with_one_line(tmp_path):
    proc = _console(_diverge_args(tmp_path), tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "diverged in epoch" in lines[0] and "--lr" in lines[0], lines
    history = (tmp_path / "run" / "history.csv").read_text().splitlines()
    assert history[0].startswith("epoch,train_loss")


def test_not_learning_hint_is_one_line(tmp_path):
    _csv(tmp_path / "good.csv", _rows(n=200, d=4, n_classes=10))
    proc = _console(["train", "--data", "good.csv", "--label-column", "label", "--model", "softmax", "--optimizer", "sgd",
                     "--lr", "1e-7", "--epochs", "4", "--quiet", "--out", "run"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.strip().splitlines()
    hints = [line for line in lines if "not learning" in line]
    assert len(hints) == 1 and hints[0].startswith("softmaxlab"), lines
    assert len(lines) == 1, lines
