"""Training that explodes without producing NaN ends like divergence: exit 1
and one line naming the epoch; the runs the README shows never trip the guard."""
from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest

from softmaxlab.cli import main
from softmaxlab.train import History
from softmaxlab.train.guards import ExplosionGuard, TrainingExplodedError, explosion


def _history(losses, accs):
    h = History()
    for e, (loss, acc) in enumerate(zip(losses, accs, strict=True), start=1):
        h.append(epoch=e, train_loss=loss, train_acc=acc, val_loss=math.nan, val_acc=math.nan,
                 lr=0.1, seconds=0.01)
    return h


@pytest.mark.parametrize("losses, accs, n_classes, chance, fragment", [
    ([2.5e34], [0.106], 10, None, "far above the chance level log(10) = 2.30"),
    ([1.9, 0.5, 40.0], [0.4, 0.8, 0.5], 10, None, "more than 10 times its first-epoch value 1.9"),
    ([9.0], [0.52], 2, None, "far above the chance level log(2) = 0.69"),
    # imbalanced: always predicting the majority class is chance
    ([8.0], [0.9], 2, 0.9, "with the accuracy at chance (0.900)"),
])
def test_explosions_are_caught(losses, accs, n_classes, chance, fragment):
    why = explosion(_history(losses, accs), n_classes, chance)
    assert why is not None and fragment in why


@pytest.mark.parametrize("losses, accs, n_classes", [
    ([2.3, 0.5, 0.2], [0.3, 0.9, 0.95], 10),          # learning
    ([2.31, 2.30, 2.30], [0.1, 0.1, 0.1], 10),        # stuck at chance: a hint, not divergence
    ([40.0, 12.0, 3.0], [0.6, 0.8, 0.9], 10),         # unscaled start, then learning
    ([0.1, 0.05, 0.9], [0.97, 0.99, 0.8], 10),        # a bad epoch, far from exploding
    ([30.0], [0.5], 10),                              # high but learning in epoch 1
    ([math.nan], [0.1], 10),                          # NaN is the trainer's own guard
])
def test_ordinary_runs_are_not_explosions(losses, accs, n_classes):
    assert explosion(_history(losses, accs), n_classes) is None


@pytest.mark.parametrize("losses, accs, n_labels, chance, exploded, fragment", [
    # 4 labels: chance is 4 log 2 = 2.77 (each unit at one half), not log 4
    ([2.0e5], [0.05], 4, 0.1, True, "far above the chance level 4 log(2) = 2.77, with the "
                                    "subset accuracy at chance (0.050)"),
    ([2.0, 1.0, 40.0], [0.3, 0.5, 0.4], 4, 0.1, True, "more than 10 times its first-epoch"),
    ([1.0e4], [0.5], 1, 0.6, True, "far above the chance level log(2) = 0.69, with the "
                                   "accuracy at chance"),
    # 20 labels start near 20 log 2 = 13.9 and rarely get a whole row right: a
    # first epoch at 35 with subset accuracy 0 is learning, though 35 > 10 log(20)
    ([35.0], [0.0], 20, 0.0, False, None),
    ([14.0, 9.0, 6.0], [0.0, 0.05, 0.1], 20, 0.0, False, None),
])
def test_sigmoid_outputs_use_their_own_chance_level(losses, accs, n_labels, chance, exploded,
                                                    fragment):
    why = explosion(_history(losses, accs), n_labels, chance, output="sigmoid")
    assert (why is not None) == exploded, why
    if fragment:
        assert fragment in why
    if not exploded and losses[0] > 10 * math.log(n_labels):
        # the softmax reading of the same numbers would have called it divergence
        assert explosion(_history(losses[:1], accs[:1]), n_labels, chance) is not None


def test_a_multilabel_run_that_explodes_exits_1_with_one_line(tmp_path, capsys, monkeypatch):
    import softmaxlab.runs.report

    monkeypatch.setattr(softmaxlab.runs.report, "build_report", lambda run_dir: run_dir)
    rng = np.random.default_rng(0)
    X = rng.normal(50, 30, size=(120, 4))
    path = tmp_path / "tags.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["f0", "f1", "f2", "f3", "a", "b", "c"])
        for x in X:
            w.writerow([*(f"{v:.2f}" for v in x), int(x[0] > 50), int(x[1] > 40), int(x[2] > 60)])
    code = main(["train", "--data", str(path), "--label-column", "a,b,c", "--model", "mlp",
                 "--preprocess", "none", "--lr", "1e6", "--out", str(tmp_path / "div"),
                 "--quiet"])
    captured = capsys.readouterr()
    assert code == 1
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "training diverged in epoch 1" in lines[0], lines
    assert "far above the chance level 3 log(2) = 2.08" in lines[0]
    assert "test subset accuracy" in captured.out and "| diverged |" in captured.out
    m = json.loads((tmp_path / "div" / "metrics.json").read_text())
    assert m["status"] == "diverged" and m["task"] == "multilabel"


def test_the_guard_raises_a_divergence_error_with_the_epoch():
    class _T:
        history = _history([1.0, 1e9], [0.5, 0.1])

        class model:
            n_classes = 10

    with pytest.raises(TrainingExplodedError) as info:
        ExplosionGuard().on_epoch_end(_T, 2, {"lr": 5.0})
    err = info.value
    assert isinstance(err, FloatingPointError) and err.epoch == 2 and err.loss == 1e9
    assert "Training diverged in epoch 2" in str(err) and "lr=5" in str(err)


def test_readme_divergence_example_exits_1_with_one_line(tmp_path, capsys):
    out = tmp_path / "div"
    code = main(["train", "--model", "mlp", "--preprocess", "none", "--lr", "1e6",
                 "--out", str(out), "--quiet"])
    captured = capsys.readouterr()
    assert code == 1
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0] == (
        "softmaxlab train: error: training diverged in epoch 1: the training loss reached "
        "2.52e+34, far above the chance level log(10) = 2.30, with the accuracy at chance "
        "(0.106); lower the learning rate (--lr 1e+06; try 1e+05) or scale the inputs "
        "(--preprocess auto)")
    assert "| 1 epoch |" in captured.out and "| diverged |" in captured.out
    m = json.loads((out / "metrics.json").read_text())
    assert m["status"] == "diverged" and m["epochs"] == 1 and "diverged in epoch 1" in m["error"]
    rows = list(csv.DictReader(open(out / "history.csv")))
    assert len(rows) == 1 and float(rows[0]["train_loss"]) > 1e30  # the loss that stopped it
    assert (out / "report.html").is_file()


def test_scaling_is_suggested_only_when_it_would_help(tmp_path, capsys, monkeypatch):
    import softmaxlab.runs.report

    monkeypatch.setattr(softmaxlab.runs.report, "build_report", lambda run_dir: run_dir)
    code = main(["train", "--data", "spiral", "--model", "mlp", "--lr", "1e6", "--epochs", "3",
                 "--out", str(tmp_path / "div"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 1 and "diverged in epoch" in err and "--lr 1e+06" in err
    assert "--preprocess" not in err  # the inputs are already standardised


# The README's runs (and the usual ones) end as they say: the guard stays quiet.
LEGIT = [
    ("digits-softmax-default", []),
    ("digits-mlp-default", ["--model", "mlp"]),
    ("digits-mlp-adam", ["--model", "mlp", "--optimizer", "adam", "--lr", "0.001",
                         "--epochs", "8"]),
    ("digits-pixels-unscaled", ["--preprocess", "none", "--lr", "0.01"]),
    ("spiral-mlp", ["--data", "spiral", "--model", "mlp", "--hidden", "100", "--lr", "0.5",
                    "--epochs", "50"]),
    ("spiral-softmax", ["--data", "spiral", "--epochs", "30"]),
    ("binary-mod-full-batch", ["--data", "binary-mod", "--batch-size", "full",
                               "--test-fraction", "0.4", "--val-fraction", "0", "--lr", "1.0",
                               "--epochs", "100"]),
]


@pytest.mark.parametrize("args", [c[1] for c in LEGIT], ids=[c[0] for c in LEGIT])
def test_legitimate_runs_never_trip_the_guard(tmp_path, capsys, monkeypatch, args):
    import softmaxlab.runs.report

    monkeypatch.setattr(softmaxlab.runs.report, "build_report", lambda run_dir: run_dir)
    code = main(["train", *args, "--out", str(tmp_path / "run"), "--quiet"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "diverged" not in captured.out + captured.err


@pytest.mark.parametrize("dataset", ["iris", "wine", "breast_cancer"])
def test_legitimate_csv_runs_never_trip_the_guard(tmp_path, capsys, monkeypatch, dataset):
    from sklearn import datasets

    import softmaxlab.runs.report

    monkeypatch.setattr(softmaxlab.runs.report, "build_report", lambda run_dir: run_dir)
    frame = getattr(datasets, f"load_{dataset}")(as_frame=True).frame
    frame.to_csv(tmp_path / f"{dataset}.csv", index=False)
    for extra in ([], ["--model", "mlp", "--epochs", "30", "--batch-size", "16"]):
        code = main(["train", "--data", str(tmp_path / f"{dataset}.csv"), "--label-column",
                     "target", "--quiet",
                     "--out", str(tmp_path / f"run{len(extra)}"), *extra])
        captured = capsys.readouterr()
        assert code == 0, captured.err
        m = json.loads((tmp_path / f"run{len(extra)}" / "metrics.json").read_text())
        assert m["status"] == "completed" and m["test"]["accuracy"] > 0.85


def test_synthetic_images_like_fashion_settings_never_trip_the_guard(tmp_path, capsys,
                                                                    monkeypatch):
    """Fashion-MNIST's README settings (uint8 pixels, batch 256, lr 0.1) on a
    small generated stand-in: the real files are checked in test_cli_fashion.py."""
    import softmaxlab.runs.report

    monkeypatch.setattr(softmaxlab.runs.report, "build_report", lambda run_dir: run_dir)
    rng = np.random.default_rng(0)
    y = np.arange(1000) % 10
    proto = rng.integers(0, 256, size=(10, 784))
    X = np.clip(proto[y] + rng.normal(0, 60, size=(1000, 784)), 0, 255).astype(np.uint8)
    np.savez(tmp_path / "images.npz", X=X, y=y)
    for extra in (["--lr", "0.1"], ["--model", "mlp", "--hidden", "256", "--optimizer", "adam",
                                    "--lr", "0.001"]):
        code = main(["train", "--data", str(tmp_path / "images.npz"), "--epochs", "3",
                     "--batch-size", "256", "--quiet", "--out", str(tmp_path / extra[-1]), *extra])
        captured = capsys.readouterr()
        assert code == 0, captured.err
