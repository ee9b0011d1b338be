"""Every subcommand on small data, into temporary folders, asserting on files."""
import csv
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from softmaxlab.cli import main
from softmaxlab.io import load_model
from softmaxlab.runs.folder import LOCK

FAST = ["--epochs", "3", "--quiet"]


def _train(tmp_path, *args, name="run"):
    out = tmp_path / name
    assert main(["train", "--out", str(out), *args]) == 0
    return out


def _weights(run):
    return [w for w in load_model(run / "model.npz").model.get_weights()]


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("digits")
    return _train(tmp, "--epochs", "4", "--quiet")


def test_run_folder_files(digits_run):
    names = {p.name for p in digits_run.iterdir()}
    assert {"config.toml", "history.csv", "metrics.json", "model.npz", "predictions.npz",
            "report.html", "curves.png", "confusion_matrix.png", "per_class.png",
            "test_images.png", "worst_predictions.png", "probabilities.png"} <= names
    assert LOCK not in names  # released at the end


def test_history_has_one_row_per_epoch(digits_run):
    rows = list(csv.DictReader(open(digits_run / "history.csv")))
    assert [r["epoch"] for r in rows] == ["1", "2", "3", "4"]
    assert set(rows[0]) == {"epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr",
                            "seconds"}
    assert float(rows[-1]["train_loss"]) < float(rows[0]["train_loss"])
    assert float(rows[0]["lr"]) == 0.1


def test_metrics_json(digits_run):
    m = json.loads((digits_run / "metrics.json").read_text())
    for split in ("train", "val", "test"):
        s = m[split]
        assert set(s) >= {"accuracy", "log_loss", "precision", "recall", "f1", "per_class",
                          "confusion_matrix", "n_samples"}
        assert list(s["per_class"]) == [str(d) for d in range(10)]
        assert sum(v["support"] for v in s["per_class"].values()) == s["n_samples"]
        assert np.asarray(s["confusion_matrix"]).sum() == s["n_samples"]
    # 1797 digits, stratified 70/15/15.
    assert (m["train"]["n_samples"], m["val"]["n_samples"], m["test"]["n_samples"]) == (
        1257, 270, 270)
    assert m["test"]["accuracy"] > 0.9
    assert m["epochs"] == 4 and m["status"] == "completed" and m["training_seconds"] > 0


def test_default_train_reaches_095_on_digits(tmp_path, capsys):
    out = _train(tmp_path)
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith("test accuracy ") and str(out) in line and "20 epochs" in line
    assert json.loads((out / "metrics.json").read_text())["test"]["accuracy"] >= 0.95


def test_plain_progress_lines_when_not_a_tty(tmp_path, capsys):
    _train(tmp_path, "--epochs", "2")
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "digits: 1797 rows, 64 features, 10 classes; train 1257 / val 270 / test 270"
    assert lines[1].startswith("epoch 1/2  loss ") and "val_acc" in lines[1]
    assert lines[2].startswith("epoch 2/2") and lines[3].startswith("test accuracy")


def test_config_file_reproduces_the_run_bit_for_bit(tmp_path, digits_run):
    again = _train(tmp_path, "--config", str(digits_run / "config.toml"), "--quiet")
    for a, b in zip(_weights(digits_run), _weights(again), strict=True):
        assert a.tobytes() == b.tobytes()
    # and flags override the file
    other = _train(tmp_path, "--config", str(digits_run / "config.toml"), "--seed", "1",
                   "--quiet", name="other")
    assert "seed = 1" in (other / "config.toml").read_text()
    assert not np.array_equal(_weights(digits_run)[0], _weights(other)[0])


def test_mlp_spiral_full_batch_and_decision_boundary(tmp_path):
    out = _train(tmp_path, "--data", "spiral", "--model", "mlp", "--hidden", "16,8",
                 "--activation", "tanh", "--batch-size", "full", "--optimizer", "adam",
                 "--lr", "0.01", "--schedule", "cosine", "--class-weight", "balanced",
                 "--dtype", "float64", *FAST)
    assert (out / "decision_boundary.png").stat().st_size > 1000
    m = json.loads((out / "metrics.json").read_text())
    assert list(m["test"]["per_class"]) == ["c1", "c2", "c3"]
    arch = load_model(out / "model.npz")
    assert arch.model.dtype == np.float64 and len(arch.model.linear_layers) == 3


def test_early_stopping_and_checkpoint(tmp_path):
    out = _train(tmp_path, "--data", "binary-mod", "--val-fraction", "0", "--test-fraction",
                 "0.4", "--early-stopping", "--patience", "2", "--lr", "1e-9", "--epochs", "50",
                 "--checkpoint-every", "1", "--quiet")
    m = json.loads((out / "metrics.json").read_text())
    assert m["status"] == "early_stopping" and m["epochs"] < 50 and m["val"] is None
    assert (out / "checkpoint.npz").is_file()


@pytest.fixture()
def string_label_csv(tmp_path):
    rng = np.random.default_rng(0)
    names = ["setosa", "versicolor", "virginica"]
    path = tmp_path / "flowers.csv"
    with open(path, "w") as f:
        f.write("a,b,species,c\n")
        for i in range(90):
            k = i % 3
            a, b, c = rng.normal(4 * k, 0.3, size=3)
            f.write(f"{a:.3f},{b:.3f},{names[k]},{c:.3f}\n")
    return path


def test_csv_train_predict_round_trip(tmp_path, string_label_csv, capsys):
    out = _train(tmp_path, "--data", str(string_label_csv), "--label-column", "species",
                 "--epochs", "30", "--batch-size", "8", "--quiet")
    m = json.loads((out / "metrics.json").read_text())
    assert list(m["test"]["per_class"]) == ["setosa", "versicolor", "virginica"]
    assert m["test"]["accuracy"] == 1.0
    # Predict on the training file itself (label column present, so it is dropped)...
    pred_csv = tmp_path / "pred.csv"
    assert main(["predict", str(out / "model.npz"), str(string_label_csv),
                 "--output", str(pred_csv)]) == 0
    rows = list(csv.DictReader(open(pred_csv)))
    truth = [r["species"] for r in csv.DictReader(open(string_label_csv))]
    assert [r["prediction"] for r in rows] == truth
    # ...and on rows without a label column, columns in another order, to stdout.
    new = tmp_path / "new.csv"
    new.write_text("c,b,a\n0,0,0\n6,6,6\n")
    capsys.readouterr()
    assert main(["predict", str(out), str(new)]) == 0
    assert capsys.readouterr().out.split() == ["prediction", "setosa", "virginica"]
    assert main(["predict", str(out), str(new), "--proba"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "setosa,versicolor,virginica"
    assert all(abs(sum(map(float, line.split(","))) - 1) < 1e-6 for line in lines[1:])


def test_evaluate_run_dir_matches_metrics(digits_run, capsys):
    assert main(["evaluate", str(digits_run), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    want = json.loads((digits_run / "metrics.json").read_text())["test"]
    assert got["accuracy"] == want["accuracy"]
    assert got["confusion_matrix"] == want["confusion_matrix"]
    assert main(["evaluate", str(digits_run / "model.npz"), "--data", "digits"]) == 0
    assert "all 1797 rows of digits" in capsys.readouterr().out


def test_report_rebuild(digits_run, capsys):
    (digits_run / "report.html").unlink()
    assert main(["report", str(digits_run)]) == 0
    page = (digits_run / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 6
    assert "http://" not in page and "https://" not in page


def test_gradcheck(capsys):
    assert main(["gradcheck", "--model", "mlp", "--hidden", "8,8", "--activation", "tanh"]) == 0
    out = capsys.readouterr().out
    assert "0.W" in out and "4.b" in out and "PASS" in out
    assert main(["gradcheck", "--model", "softmax"]) == 0


def test_datasets(capsys):
    assert main(["datasets", "--data-dir", "/nonexistent"]) == 0
    out = capsys.readouterr().out
    for name in ("digits", "fashion-mnist", "spiral", "binary-mod"):
        assert name in out
    assert "1797x64" in out and "c1, c2, c3" in out
    # Aligned columns: every column starts at the same offset on every line.
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["dataset", "shape", "classes"]
    for word in ("shape", "class names", "source"):
        col = lines[0].index(word)
        assert all(line[col - 2:col] == "  " and line[col] != " " for line in lines[1:]), word


@pytest.mark.parametrize("args, status, fragment", [
    (["train", "--data", "nope"], 2, "unknown dataset 'nope'"),
    (["train", "--lr", "abc"], 2, "argument --lr: invalid float value"),
    (["train", "--lr", "-1"], 2, "lr must be a finite number > 0"),
    (["train", "--model", "cnn"], 2, "invalid choice: 'cnn'"),
    (["train", "--batch-size", "0"], 2, "positive integer or 'full'"),
    (["train", "--hidden", "a,b"], 2, "widths such as 256,128"),
    (["train", "--data", "/nonexistent/x.csv"], 1, "no such file"),
    (["evaluate", "/nonexistent"], 1, "no such run folder"),
    (["predict", "/nonexistent/model.npz", "x.csv"], 1, "no such run folder"),
    (["report", "/nonexistent"], 1, "no such run folder"),
])
def test_user_errors_one_line_no_traceback(tmp_path, capsys, args, status, fragment):
    if args[0] == "train":
        args = [*args, "--out", str(tmp_path / "o")]
    assert main(args) == status
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("content, fragment", [
    ("", "empty"),
    ("a,b,label\n1,x,p\n2,3,q\n", "mixes numbers"),
])
def test_bad_csv(tmp_path, capsys, content, fragment):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    assert main(["train", "--data", str(path), "--label-column", "label", "--out",
                 str(tmp_path / "o"), *FAST]) == 1
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err


def test_missing_label_column(tmp_path, capsys, string_label_csv):
    assert main(["train", "--data", str(string_label_csv), "--label-column", "kind",
                 "--out", str(tmp_path / "o"), *FAST]) == 1
    assert "kind" in capsys.readouterr().err


def test_debug_shows_traceback(tmp_path):
    with pytest.raises(FileNotFoundError):
        main(["train", "--data", "/nonexistent/x.csv", "--debug"])


def test_divergence_writes_the_run_and_exits_1(tmp_path, capsys):
    out = tmp_path / "div"
    status = main(["train", "--model", "mlp", "--hidden", "32", "--preprocess", "none",
                   "--lr", "1e6", "--epochs", "5", "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert status == 1
    assert "diverged in epoch" in err and "--lr" in err and "Traceback" not in err
    m = json.loads((out / "metrics.json").read_text())
    assert m["status"] == "diverged"
    rows = list(csv.DictReader(open(out / "history.csv")))
    assert len(rows) == m["epochs"] < 5
    assert (out / "report.html").is_file()


def test_busy_out_folder_is_refused_and_stale_lock_taken_over(tmp_path, capsys):
    out = tmp_path / "busy"
    out.mkdir()
    (out / LOCK).write_text(f"{os.getppid()}\n")  # a live process owns it
    assert main(["train", "--out", str(out), *FAST]) == 1
    assert "in use by another softmaxlab run" in capsys.readouterr().err
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (out / LOCK).write_text(f"{dead.pid}\n")
    assert main(["train", "--out", str(out), *FAST]) == 0
    assert f"stale lock in {out} left by pid {dead.pid}" in capsys.readouterr().err
    assert not (out / LOCK).exists()


def test_resume_refuses_other_settings(tmp_path, capsys):
    assert main(["train", "--resume", str(tmp_path), "--lr", "0.5"]) == 2
    assert "drop --lr" in capsys.readouterr().err


def test_python_dash_m_entry_point(tmp_path):
    res = subprocess.run([sys.executable, "-m", "softmaxlab", "train", "--data", "binary-mod",
                          "--test-fraction", "0.4", "--val-fraction", "0", "--epochs", "2",
                          "--out", str(tmp_path / "m")], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines()[-1].startswith("test accuracy")


def test_progress_bar_mode_shows_live_loss_and_accuracy(tmp_path):
    import io

    from softmaxlab.cli.config import TrainConfig
    from softmaxlab.cli.runner import run_training

    buf = io.StringIO()
    run_training(TrainConfig(epochs=2), run_dir=tmp_path / "bar", progress_mode="bar",
                 stream=buf, report=False)
    text = buf.getvalue()
    assert "epochs: 100%" in text and "2/2" in text
    assert "loss=" in text and "acc=" in text and "val_acc=" in text


def test_finished_run_folder_is_refused_unless_overwrite(tmp_path, capsys):
    run = _train(tmp_path, "--data", "spiral", "--epochs", "2", "--quiet")
    before = (run / "metrics.json").read_text()
    capsys.readouterr()
    assert main(["train", "--out", str(run), "--data", "spiral", "--epochs", "1", "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "already holds a run" in err[0] and "--overwrite" in err[0]
    assert (run / "metrics.json").read_text() == before  # nothing lost
    assert main(["train", "--out", str(run), "--data", "spiral", "--epochs", "1", "--quiet",
                 "--overwrite"]) == 0
    assert json.loads((run / "metrics.json").read_text())["epochs"] == 1
