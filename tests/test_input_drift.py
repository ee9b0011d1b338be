"""Inputs unlike the training data are flagged, never silently predicted:
the model file records each input column's training range, mean, standard
deviation, missing share and categories; ``predict`` and ``evaluate`` print
one warning naming the columns where more than 10 % of the rows lie more than
one training standard deviation outside the training range (or hold unseen
categories); ``--strict-inputs`` makes it an error; the predictions never
change. The same check is ``Predictor.check_inputs`` in the library."""
from __future__ import annotations

import csv
import io

import numpy as np
import pytest

from softmaxlab.cli import main
from softmaxlab.runs.inputs import check_inputs, input_statistics
from softmaxlab.runs.predictor import load_predictor

pytestmark = pytest.mark.usefixtures("no_report")


def penguins(n=120, seed=0) -> list:
    """[bill length, bill depth, flipper length, species]: bill length and
    depth have ranges that do not overlap, as in palmerpenguins."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        k = i % 3
        out.append([f"{[38.8, 48.8, 47.5][k] + rng.normal(0, 2):.1f}",
                    f"{[18.3, 18.4, 15.0][k] + rng.normal(0, 0.7):.1f}",
                    f"{[190, 196, 217][k] + rng.normal(0, 5):.0f}",
                    ["Adelie", "Chinstrap", "Gentoo"][k]])
    return out


def write(path, rows, head=None):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    if head:
        w.writerow(head)
    w.writerows(rows)
    path.write_text(buf.getvalue())
    return path


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    d = tmp_path_factory.mktemp("drift")
    write(d / "train.csv", penguins(), head=None)
    assert main(["train", "--data", str(d / "train.csv"), "--no-header", "--epochs", "20",
                 "--out", str(d / "run"), "--quiet"]) == 0
    return d / "run"


def test_the_model_file_records_the_training_inputs(run):
    stats = load_predictor(run / "model.npz").input_stats
    col = stats["columns"]["x0"]
    assert set(col) == {"kind", "min", "max", "mean", "std", "missing"}
    assert 30 < col["min"] < col["mean"] < col["max"] < 60 and col["missing"] == 0


def test_swapped_header_less_columns_are_warned_about_once(run, tmp_path, cli):
    new = [r[:3] for r in penguins(30, seed=7)]
    good = write(tmp_path / "good.csv", new)
    swapped = write(tmp_path / "swapped.csv", [[r[1], r[0], r[2]] for r in new])
    code, out_good, err = cli(["predict", run, good, "--no-header"])
    assert code == 0 and err == ""
    code, out, err = cli(["predict", run, swapped, "--no-header"])
    assert code == 0 and len(out.splitlines()) == 31
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("softmaxlab: warning: ")
    assert "'x0' (100% of rows far outside" in lines[0] and "'x1' (100%" in lines[0]
    assert "'x2'" not in lines[0]
    assert "may be out of order" in lines[0] and "--strict-inputs" in lines[0]
    # --strict-inputs refuses the file; the good file passes it.
    code, out, err = cli(["predict", run, swapped, "--no-header", "--strict-inputs"])
    assert code == 1 and out == "" and "--strict-inputs" in err
    code, out, _ = cli(["predict", run, good, "--no-header", "--strict-inputs"])
    assert code == 0 and out == out_good


def test_evaluate_warns_too(run, tmp_path, cli):
    rows = penguins(30, seed=8)
    path = write(tmp_path / "eval.csv", [[r[1], r[0], r[2], r[3]] for r in rows])
    code, out, err = cli(["evaluate", run, "--data", path, "--no-header"])
    assert code == 0 and "unlike the training data" in err and "out of order" in err
    code, _, err = cli(["evaluate", run, "--data", path, "--no-header",
                                "--strict-inputs"])
    assert code == 1 and "--strict-inputs" in err


def test_the_check_never_changes_a_prediction(run, tmp_path, cli):
    rows = [r[:3] for r in penguins(30, seed=7)]
    rows = [[r[1], r[0], r[2]] for r in rows]
    path = write(tmp_path / "swapped.csv", rows)
    code, out, _ = cli(["predict", run, path, "--no-header", "--proba"])
    assert code == 0
    pred = load_predictor(run / "model.npz")
    proba = pred.predict_proba(np.asarray(rows, dtype=np.float64))
    got = np.loadtxt(io.StringIO(out), delimiter=",", skiprows=1)
    np.testing.assert_allclose(got, proba, rtol=1e-5)


def test_the_library_check_on_the_loaded_model(run):
    from softmaxlab.runs.predictor import load_run

    pred = load_run(run)
    X = np.asarray([r[:3] for r in penguins(40, seed=2)], dtype=np.float64)
    report = pred.check_inputs(X)
    assert report.checked and report.ok and report.message() is None
    report = pred.check_inputs(X[:, [1, 0, 2]])
    assert not report.ok and [c.name for c in report.flagged] == ["x0", "x1"]
    assert report.by_position and "out of order" in report.message()
    # A few rows outside (under 10 %) are not flagged; more are.
    X2 = X.copy()
    X2[:3, 2] = 1000.0
    assert pred.check_inputs(X2).ok
    X2[:5, 2] = 1000.0
    assert [c.name for c in pred.check_inputs(X2).flagged] == ["x2"]


def test_the_rule_is_one_standard_deviation_beyond_the_range():
    train = np.array([[0.0], [10.0], [5.0], [5.0]])  # std 3.54
    stats = input_statistics(train, ["a"], ["numeric"])
    inside = np.array([[13.0]] * 10)  # beyond the max, but by less than one std
    assert check_inputs(stats, inside, ["a"]).ok
    far = np.array([[14.0]] * 10)
    assert not check_inputs(stats, far, ["a"]).ok


def test_unseen_categories_count_as_unlike_training():
    import pandas as pd

    train = pd.DataFrame({"island": ["Biscoe", "Dream"] * 10})
    stats = input_statistics(train, ["island"], ["categorical"])
    assert stats["columns"]["island"]["categories"] == ["Biscoe", "Dream"]
    new = pd.DataFrame({"island": ["Biscoe"] * 8 + ["Torgersen"] * 2})
    report = check_inputs(stats, new, ["island"])
    assert [c.name for c in report.flagged] == ["island"] and "Torgersen" in report.message()


def test_an_older_model_file_without_statistics_still_predicts_with_one_note(run, tmp_path,
                                                                            cli):
    from softmaxlab.io import load_model

    pred = load_predictor(run / "model.npz")
    del pred.info["inputs"]
    pred.save(tmp_path / "old.npz")
    assert "inputs" not in load_model(tmp_path / "old.npz").meta
    path = write(tmp_path / "new.csv", [r[:3] for r in penguins(6)])
    code, out, err = cli(["predict", tmp_path / "old.npz", path, "--no-header"])
    assert code == 0 and len(out.splitlines()) == 7
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "no statistics of its training inputs" in lines[0]
    assert not pred.check_inputs(np.zeros((2, 3))).checked
