"""Several labels per row through the command line: 0/1 label columns
(``--label-column a,b,c``) or one column of label sets (``--label-separator``).
Every row builds its file, runs the CLI and asserts the exit status, the row
counts and the message; a file that could mean one label or several is
refused with the option that decides."""
from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from softmaxlab.cli import main

FEATURES = ["x0", "x1", "x2"]
LABELS = ["a", "b", "c"]
N = 90


# The HTML report has tests of its own; here it would only cost time.
pytestmark = pytest.mark.usefixtures("no_report")


def data(n=N, seed=0):
    """Features (n, 3) and a learnable 0/1 label matrix (n, 3): each label is
    a half-plane of the features, so per-label logistic units can learn it."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0.3, X[:, 0] + X[:, 2] > 0.5]).astype(int)
    return X, Y


def table(X, Y, *, layout="columns", sep="|", names=LABELS, true_false=False):
    """Rows of strings: features then the labels, as 0/1 columns or one set column."""
    out = []
    for x, y in zip(X, Y, strict=True):
        row = [f"{v:.3f}" for v in x]
        if layout == "columns":
            row += [("true" if v else "false") if true_false else str(v) for v in y]
        else:
            row.append(sep.join(n for n, v in zip(names, y, strict=True) if v))
        out.append(row)
    return out


def text(rows, header=(*FEATURES, *LABELS), delimiter=","):
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    if header:
        w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def _named(argv: list) -> list:
    """``train`` on a file with a header row names its label column (never
    guessed); these tests keep the label sets in the last column."""
    if argv[0] != "train" or "--data" not in argv or {"--label-column", "--no-header"} & set(argv):
        return argv
    path = argv[argv.index("--data") + 1]
    if path.endswith((".csv", ".tsv")):
        with open(path, encoding="utf-8") as f:
            first = f.readline()
        last = first.rstrip("\r\n").split("\t" if "\t" in first else ",")[-1]
    elif path.endswith(".parquet"):
        import pandas as pd

        last = str(pd.read_parquet(path).columns[-1])
    else:
        return argv
    return [*argv, "--label-column", last.strip('"')]


def run(capsys, argv):
    code = main(_named(argv))
    out, err = capsys.readouterr()
    return code, out, err


X0, Y0 = data()
COLUMNS_CSV = text(table(X0, Y0))
SETS_CSV = text(table(X0, Y0, layout="sets"), header=(*FEATURES, "tags"))
EPOCHS = ["--epochs", "40", "--batch-size", "16"]


# ---- train: both layouts, with and without a header -----------------------------------------

TRAIN_OK = [
    # id, content, extra args, fragments of the data line
    ("columns", COLUMNS_CSV, ["--label-column", "a,b,c"],
     ["90 rows", "multilabel: label columns 'a', 'b', 'c'", "3 labels"]),
    ("columns-spaces-any-order", COLUMNS_CSV, ["--label-column", "c, a ,b"],
     ["label columns 'c', 'a', 'b'"]),
    ("columns-true-false", text(table(X0, Y0, true_false=True)), ["--label-column", "a,b,c"],
     ["3 labels"]),
    ("columns-no-header", text(table(X0, Y0), header=None),
     ["--no-header", "--label-column", "3,4,5"], ["label columns 3, 4, 5", "no header row"]),
    ("columns-first", text([r[3:] + r[:3] for r in table(X0, Y0)], header=(*LABELS, *FEATURES)),
     ["--label-column", "a,b,c"], ["3 features"]),
    ("sets-pipe", SETS_CSV, ["--label-column", "tags", "--label-separator", "|"],
     ["multilabel: label column 'tags' split on '|'", "3 labels"]),
    ("sets-semicolon-in-tsv", text(table(X0, Y0, layout="sets", sep=";"),
                                   header=(*FEATURES, "tags"), delimiter="\t"),
     ["--label-separator", ";"], ["split on ';'", "delimiter '\\t'"]),
    ("sets-quoted-commas", text(table(X0, Y0, layout="sets", sep=", "),
                                header=(*FEATURES, "tags")),
     ["--label-separator", ","], ["split on ','", "3 labels"]),
    ("sets-no-header", text(table(X0, Y0, layout="sets"), header=None),
     ["--no-header", "--label-separator", "|"], ["label column 3 split on '|'"]),
    ("mlp-balanced", COLUMNS_CSV, ["--label-column", "a,b,c", "--model", "mlp", "--hidden", "16",
                                   "--class-weight", "balanced"], ["3 labels"]),
    ("early-stopping", COLUMNS_CSV, ["--label-column", "a,b,c", "--early-stopping",
                                     "--patience", "3"], ["3 labels"]),
]


@pytest.mark.parametrize("content, args, parts", [c[1:] for c in TRAIN_OK],
                         ids=[c[0] for c in TRAIN_OK])
def test_train_reads_every_row_and_learns(tmp_path, capsys, content, args, parts):
    path = tmp_path / ("d.tsv" if "\t" in content.splitlines()[0] else "d.csv")
    path.write_text(content)
    out_dir = tmp_path / "run"
    code, out, err = run(capsys, ["train", "--data", str(path), *EPOCHS, "--out", str(out_dir),
                                  *args])
    assert code == 0, err
    assert err == ""
    intro = out.splitlines()[0]
    for part in parts:
        assert part in intro, f"{part!r} missing from: {intro}"
    assert out.splitlines()[-1].startswith("test subset accuracy ")
    m = json.loads((out_dir / "metrics.json").read_text())
    assert m["task"] == "multilabel"
    assert sum(m[s]["n_samples"] for s in ("train", "val", "test")) == N
    test = m["test"]
    # Labels are named by their columns; header-less columns by the reader's x0, x1, ...
    names = ["x3", "x4", "x5"] if "3,4,5" in args else LABELS
    assert test["n_labels"] == 3 and set(test["per_label"]) == set(names)
    assert test["accuracy"] == test["subset_accuracy"]
    # Learned: most 0/1 cells right (a constant prediction gets about a third wrong).
    assert test["hamming_loss"] < 0.2 and test["f1_micro"] > 0.75, test


def test_label_separator_none_reads_a_pipe_as_part_of_a_class_name(tmp_path, capsys):
    rows = [[f"{3 * (i % 2) + 0.02 * i:.2f}", ["left|up", "right|down"][i % 2]] for i in range(40)]
    path = tmp_path / "d.csv"
    path.write_text(text(rows, header=("x", "direction")))
    argv = ["train", "--data", str(path), "--out", str(tmp_path / "run"), "--quiet"]
    code, _, err = run(capsys, argv)
    assert code == 1 and "--label-separator '|'" in err and "--label-separator none" in err
    code, out, err = run(capsys, [*argv, "--label-separator", "none"])
    assert code == 0, err
    m = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert m["task"] == "multiclass" and m["classes"] == ["left|up", "right|down"]
    # A single-label model file records no label layout, as every file written
    # before multilabel existed: it loads and predicts one class per row.
    from softmaxlab.io import load_model
    from softmaxlab.runs.predictor import load_predictor

    assert "labels" not in load_model(tmp_path / "run" / "model.npz").meta
    pred = load_predictor(tmp_path / "run" / "model.npz")
    assert not pred.multilabel
    assert pred.predict(np.array([[0.2], [3.4]])).tolist() == ["left|up", "right|down"]


def test_parquet_both_layouts_and_npz_label_matrix(tmp_path, capsys):
    """Parquet holds either layout (a missing label-set cell is a row with no
    labels); an NPZ label matrix is refused with the formats that hold one."""
    pytest.importorskip("pyarrow")
    import pandas as pd

    cols = pd.DataFrame(X0, columns=FEATURES).assign(**{n: Y0[:, j] for j, n in enumerate(LABELS)})
    cols.to_parquet(tmp_path / "cols.parquet")
    tags = [("|".join(n for n, v in zip(LABELS, y, strict=True) if v) or None) for y in Y0]
    pd.DataFrame(X0, columns=FEATURES).assign(tags=tags).to_parquet(tmp_path / "sets.parquet")
    for name, args in (("cols", ["--label-column", "a,b,c"]), ("sets", ["--label-separator", "|"])):
        code, out, err = run(capsys, ["train", "--data", str(tmp_path / f"{name}.parquet"),
                                      *EPOCHS, "--quiet", "--out", str(tmp_path / name), *args])
        assert code == 0, err
        m = json.loads((tmp_path / name / "metrics.json").read_text())
        assert m["task"] == "multilabel" and m["test"]["hamming_loss"] < 0.2
        code, out, err = run(capsys, ["predict", str(tmp_path / name),
                                      str(tmp_path / f"{name}.parquet")])
        assert code == 0 and len(_frame(out)) == N, err
        code, out, err = run(capsys, ["evaluate", str(tmp_path / name), "--data",
                                      str(tmp_path / f"{name}.parquet")])
        assert code == 0 and out.startswith(f"all {N} rows of"), err
    np.savez(tmp_path / "d.npz", X=X0, y=Y0)
    code, _, err = run(capsys, ["train", "--data", str(tmp_path / "d.npz"), "--quiet",
                                "--out", str(tmp_path / "npz")])
    assert code == 1 and "y has shape (90, 3), a label matrix" in err
    assert "--label-column a,b,c" in err and "--label-separator" in err


def test_torch_backend_trains_the_same_multilabel_model(tmp_path, capsys):
    pytest.importorskip("torch")
    path = tmp_path / "d.csv"
    path.write_text(COLUMNS_CSV)
    got = {}
    for backend in ("numpy", "torch"):
        code, _, err = run(capsys, ["train", "--data", str(path), "--label-column", "a,b,c",
                                    "--epochs", "5", "--backend", backend, "--quiet",
                                    "--out", str(tmp_path / backend)])
        assert code == 0, err
        got[backend] = json.loads((tmp_path / backend / "metrics.json").read_text())["test"]
    assert got["torch"]["log_loss"] == pytest.approx(got["numpy"]["log_loss"], rel=1e-5)
    assert got["torch"]["per_label"] == got["numpy"]["per_label"]


# ---- train: refusals that name the fix ------------------------------------------------------

def _with(rows, r, c, value):
    rows = [list(x) for x in rows]
    rows[r][c] = value
    return rows


COL_ROWS = table(X0, Y0)
SET_ROWS = table(X0, Y0, layout="sets")
SETS = ["--label-separator", "|"]
TRAIN_REFUSED = [
    # id, content, extra args, exit status, fragments of the one stderr line
    ("sets-without-separator", SETS_CSV, [], 1,
     [f"label column 'tags' holds {SET_ROWS[0][3]!r} (row 1, line 2)", "--label-separator '|'", "--label-separator none"]),
    ("quoted-commas-without-separator", text(table(X0, Y0, layout="sets", sep=","),
                                             header=(*FEATURES, "tags")), [], 1,
     ["--label-separator ','"]),
    ("separator-in-no-cell", text([[*r[:3], "ab"[i % 2]] for i, r in enumerate(COL_ROWS)],
                                  header=(*FEATURES, "kind")), SETS, 1,
     ["no cell of label column 'kind' holds the separator '|'", "drop --label-separator"]),
    ("one-label-only", text([[*r[:3], "a|" if i % 2 else ""] for i, r in enumerate(COL_ROWS)],
                            header=(*FEATURES, "tags")), SETS, 1,
     ["holds only the label 'a'", "at least two labels"]),
    ("na-cell-in-sets", text(_with(SET_ROWS, 6, 3, "NA"), header=(*FEATURES, "tags")), SETS, 1,
     ["holds 'NA' (row 7, line 8)", "missing value", "leave it empty"]),
    ("label-in-every-row", text([[*r[:3], "a|" + r[3] if r[3] else "a"] for r in SET_ROWS],
                                header=(*FEATURES, "tags")), SETS, 1,
     ["every row has the label 'a'", "cannot be learned", "drop that label from the cells"]),
    ("indicator-never-one", text([[*r[:5], "0"] for r in COL_ROWS]), ["--label-column", "a,b,c"],
     1, ["no row has the label 'c'", "cannot be learned", "drop that column from --label-column"]),
    ("indicator-two", text(_with(COL_ROWS, 4, 4, "2")), ["--label-column", "a,b,c"], 1,
     ["label column 'b' holds '2' (row 5, line 6, 1 cell in all)", "0 or 1"]),
    ("indicator-names", text(_with(COL_ROWS, 2, 3, "sports")), ["--label-column", "a,b,c"], 1,
     ["label column 'a' holds 'sports'", "--label-separator"]),
    ("indicator-empty", text(_with(COL_ROWS, 9, 5, "")), ["--label-column", "a,b,c"], 1,
     ["label column 'c' has 1 empty cell, first at row 10, line 11", "write 0"]),
    ("indicator-fraction", text(_with(COL_ROWS, 0, 3, "0.5")), ["--label-column", "a,b,c"], 1,
     ["label column 'a' holds '0.5'"]),
    ("unknown-label-column", COLUMNS_CSV, ["--label-column", "a,bb,c"], 1,
     ["no label column 'bb'", "did you mean 'b'"]),
    ("label-column-twice", COLUMNS_CSV, ["--label-column", "a,b,a"], 1,
     ["names column 'a' twice"]),
    ("separator-with-several-columns", COLUMNS_CSV, ["--label-column", "a,b", *SETS], 1,
     ["--label-separator reads label sets from one column", "2 columns"]),
    ("separator-with-several-indices", text(COL_ROWS, header=None),
     ["--no-header", "--label-column", "3,4", *SETS], 2,
     ["--label-separator reads label sets from one label column", "drop it"]),
    ("names-with-no-header", text(COL_ROWS, header=None),
     ["--no-header", "--label-column", "a,b"], 2, ["0-based column index", "3,4,5"]),
    ("no-features-left", text([r[3:] for r in COL_ROWS], header=LABELS),
     ["--label-column", "a,b,c"], 1, ["only the label columns 'a', 'b', 'c' were found"]),
    ("separator-on-builtin", None, ["--data", "digits", *SETS], 2,
     ["--label-separator applies only to CSV, TSV and Parquet files"]),
]


@pytest.mark.parametrize("content, args, status, parts", [c[1:] for c in TRAIN_REFUSED],
                         ids=[c[0] for c in TRAIN_REFUSED])
def test_train_refuses_with_one_line(tmp_path, capsys, content, args, status, parts):
    argv = ["train", "--epochs", "2", "--quiet", "--out", str(tmp_path / "run"), *args]
    if content is not None:
        path = tmp_path / "d.csv"
        path.write_text(content)
        argv += ["--data", str(path)]
    code, out, err = run(capsys, argv)
    assert code == status, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "error:" in lines[0] and "Traceback" not in err, err
    for part in parts:
        assert part in lines[0], f"{part!r} missing from: {lines[0]}"
    assert "np.str_" not in err and "np.float64" not in err
    assert not (tmp_path / "run" / "metrics.json").exists()


def test_a_label_the_training_split_lacks_is_a_note(tmp_path, capsys):
    """Two rows of 90 have 'rare': a seed that puts both outside the training
    split trains anyway, with a note naming the label and the fix."""
    from softmaxlab.data import load_dataset, split_dataset

    Y = np.column_stack([Y0, np.zeros(N, int)])
    Y[[10, 50], 3] = 1
    path = tmp_path / "d.csv"
    path.write_text(text(table(X0, Y, names=[*LABELS, "rare"], layout="sets"),
                         header=(*FEATURES, "tags")))
    ds = load_dataset(path, label_column="tags", label_separator="|")
    seed = next(s for s in range(50) if split_dataset(ds, 0.15, 0.15, np.random.default_rng(s))
                .y_train[:, ds.classes.index("rare")].sum() == 0)
    code, out, err = run(capsys, ["train", "--data", str(path), "--label-separator", "|",
                                  "--seed", str(seed), "--epochs", "2", "--quiet",
                                  "--out", str(tmp_path / "run")])
    assert code == 0, err
    assert err.strip() == (
        "softmaxlab: note: d.csv: no row of the training split (62 rows) has the label 'rare' "
        "(the validation and test splits have it in 2), so the model cannot learn it and will "
        "never predict it; add rows with it, or try another --seed")


# ---- the round trip: train -> predict -> evaluate -> softmaxlab.load ------------------------

X1, Y1 = data(12, seed=7)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Two runs on the same data: 0/1 columns, and one column of label sets."""
    import softmaxlab.runs.report

    d = tmp_path_factory.mktemp("multilabel")
    (d / "cols.csv").write_text(COLUMNS_CSV)
    (d / "sets.csv").write_text(SETS_CSV)
    keep = softmaxlab.runs.report.build_report
    softmaxlab.runs.report.build_report = lambda run_dir: run_dir
    try:
        for name, extra in (("cols", ["--label-column", "a,b,c"]),
                            ("sets", ["--label-column", "tags", "--label-separator", "|"])):
            assert main(["train", "--data", str(d / f"{name}.csv"), *EPOCHS, "--quiet",
                         "--out", str(d / name), *extra]) == 0
    finally:
        softmaxlab.runs.report.build_report = keep
    return d


NEW_COLS = text(table(X1, Y1))
NEW_SETS = text(table(X1, Y1, layout="sets"), header=(*FEATURES, "tags"))
FEATURES_ONLY = text([r[:3] for r in table(X1, Y1)], header=FEATURES)


def _frame(out):
    import pandas as pd

    return pd.read_csv(io.StringIO(out), keep_default_na=False)


@pytest.mark.parametrize("run_name", ["cols", "sets"])
def test_round_trip_predict_evaluate_load(trained, tmp_path, capsys, run_name):
    import pandas as pd

    import softmaxlab

    run_dir = trained / run_name
    new = tmp_path / "new.csv"
    new.write_text(FEATURES_ONLY)
    code, out, err = run(capsys, ["predict", str(run_dir), str(new)])
    assert code == 0 and err == "", err
    got = _frame(out)
    assert len(got) == 12  # one line per row, rows without labels included
    if run_name == "cols":
        assert list(got.columns) == LABELS  # as the training file held them
        Y_cli = got.to_numpy()
    else:
        assert list(got.columns) == ["tags"]
        sets = [set(filter(None, v.split("|"))) for v in got["tags"]]
        Y_cli = np.array([[n in s for n in LABELS] for s in sets], dtype=int)
    assert set(np.unique(Y_cli)) <= {0, 1}
    assert (Y_cli == Y1).mean() > 0.8  # the model learned the half-planes

    pipe = softmaxlab.load(run_dir / "model.npz")
    X_new = pd.read_csv(new)
    np.testing.assert_array_equal(pipe.predict(X_new), Y_cli)
    assert list(pipe.classes_) == LABELS

    code, out, err = run(capsys, ["predict", str(run_dir / "model.npz"), str(new), "--proba"])
    proba = _frame(out)
    assert code == 0 and list(proba.columns) == LABELS and len(proba) == 12
    np.testing.assert_allclose(proba.to_numpy(), pipe.predict_proba(X_new), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(proba.to_numpy() > 0.5, Y_cli == 1)

    # evaluate on the run's own test split equals the training's metrics.json
    code, out, err = run(capsys, ["evaluate", str(run_dir), "--json"])
    assert code == 0, err
    m, saved = json.loads(out), json.loads((run_dir / "metrics.json").read_text())["test"]
    assert m.pop("per_label") == saved.pop("per_label")
    assert m == pytest.approx(saved)
    # evaluate on a new file with labels: the numbers scikit-learn gives for the CLI's output
    labelled = tmp_path / "labelled.csv"
    labelled.write_text(NEW_COLS if run_name == "cols" else NEW_SETS)
    code, out, err = run(capsys, ["evaluate", str(run_dir), "--data", str(labelled)])
    assert code == 0, err
    from sklearn.metrics import accuracy_score, hamming_loss

    lines = out.splitlines()
    assert lines[0].startswith(f"all 12 rows of {labelled}: 12 samples, 3 labels")
    assert lines[1].startswith(f"subset accuracy {accuracy_score(Y1, Y_cli):.4f}  Hamming loss "
                               f"{hamming_loss(Y1, Y_cli):.4f}")
    assert lines[3].split() == ["label", "precision", "recall", "F1", "support"]
    assert [ln.split()[0] for ln in lines[4:]] == LABELS


EVALUATE_CASES = [
    # id, run, content, extra args, exit status, fragments of stdout or the error line
    ("cols-other-names", "cols", text(table(X1, Y1), header=(*FEATURES, "p", "q", "r")),
     ["--label-column", "p,q,r"], 0, ["all 12 rows", "3 labels"]),
    ("cols-absent", "cols", FEATURES_ONLY, [], 1,
     ["no column 'a', 'b', 'c' (the model's label columns)", "--label-column"]),
    ("cols-too-few", "cols", NEW_COLS, ["--label-column", "a,b"], 1,
     ["the model has 3 labels", "names 2 columns"]),
    ("cols-bad-value", "cols", text(_with(table(X1, Y1), 3, 4, "7")), [], 1,
     ["label column 'b' holds '7'"]),
    ("sets-one-label-per-row-is-fine", "sets",
     text([[*r[:3], "b" if i % 2 else ""] for i, r in enumerate(table(X1, Y1))],
          header=(*FEATURES, "tags")), [], 0, ["all 12 rows", "3 labels (0.50 per row"]),
    ("sets-unknown-label", "sets", text(_with(table(X1, Y1, layout="sets"), 2, 3, "a|zz"),
                                        header=(*FEATURES, "tags")), [], 1,
     ["holds the label 'zz' (row 3, line 4)", "not one of the model's labels ('a', 'b', 'c')"]),
    ("sets-absent", "sets", FEATURES_ONLY, [], 1,
     ["no column 'tags' (the model's label column)"]),
]


@pytest.mark.parametrize("run_name, content, args, status, parts",
                         [c[1:] for c in EVALUATE_CASES], ids=[c[0] for c in EVALUATE_CASES])
def test_evaluate_files(trained, tmp_path, capsys, run_name, content, args, status, parts):
    path = tmp_path / "eval.csv"
    path.write_text(content)
    code, out, err = run(capsys, ["evaluate", str(trained / run_name), "--data", str(path),
                                  *args])
    assert code == status, err
    where = out if status == 0 else err
    for part in parts:
        assert part in where, f"{part!r} missing from: {where}"
    if status:
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_predict_ignores_the_label_columns_and_records_the_layout(trained, tmp_path, capsys):
    from softmaxlab.io import load_model
    from softmaxlab.cli.config import read_toml

    new = tmp_path / "new.csv"
    new.write_text(NEW_COLS)
    code, out, err = run(capsys, ["predict", str(trained / "cols"), str(new)])
    assert code == 0 and err == "" and len(_frame(out)) == 12
    meta = load_model(trained / "cols" / "model.npz").meta
    assert meta["labels"] == {"kind": "columns", "columns": LABELS, "names": LABELS}
    assert load_model(trained / "sets" / "model.npz").meta["labels"] == {
        "kind": "separator", "column": "tags", "separator": "|", "names": LABELS}
    assert read_toml(trained / "sets" / "config.toml")["label_separator"] == "|"
    assert read_toml(trained / "cols" / "config.toml")["label_column"] == "a,b,c"
    code, out, _ = run(capsys, ["runs", str(trained)])
    assert code == 0 and "softmax, 3 labels" in out
    code, out, _ = run(capsys, ["runs", str(trained), "--json"])
    assert {r["task"] for r in json.loads(out)} == {"multilabel"}


def test_config_file_repeats_a_multilabel_run(trained, tmp_path, capsys):
    """config.toml holds the label settings: --config gives the same model."""
    code, _, err = run(capsys, ["train", "--config", str(trained / "sets" / "config.toml"),
                                "--data", str(trained / "sets.csv"), "--quiet",
                                "--out", str(tmp_path / "again")])
    assert code == 0, err
    a = json.loads((trained / "sets" / "metrics.json").read_text())["test"]
    b = json.loads((tmp_path / "again" / "metrics.json").read_text())["test"]
    assert a == b


# ---- realistic data, the report ---------------------------------------------------------------

def test_make_multilabel_classification_beats_the_trivial_baseline(tmp_path, capsys,
                                                                   monkeypatch):
    """scikit-learn's generator (20 count features, 5 labels); the report shows
    the per-label table and figures instead of a confusion matrix."""
    import pandas as pd
    from sklearn.datasets import make_multilabel_classification


    X, Y = make_multilabel_classification(n_samples=600, n_features=20, n_classes=5,
                                          n_labels=2, random_state=1)
    frame = pd.DataFrame(X, columns=[f"w{j}" for j in range(20)])
    names = [f"topic{j}" for j in range(5)]
    frame["topics"] = [";".join(n for n, v in zip(names, y, strict=True) if v) for y in Y]
    frame.to_csv(tmp_path / "topics.csv", index=False)
    out_dir = tmp_path / "run"
    code, out, err = run(capsys, ["train", "--data", str(tmp_path / "topics.csv"),
                                  "--label-separator", ";", "--epochs", "40", "--quiet",
                                  "--out", str(out_dir)])
    assert code == 0, err
    m = json.loads((out_dir / "metrics.json").read_text())
    assert m["status"] == "completed" and "diverged" not in out + err
    test_rows = np.load(out_dir / "predictions.npz")["test_y"]
    assert test_rows.shape == (90, 5)
    # The trivial baseline: every label's more frequent value, taken over the
    # whole file (a little stronger than the training split's, which it nearly is).
    majority = (Y.mean(axis=0) >= 0.5).astype(int)
    base_subset = np.mean(np.all(test_rows == majority, axis=1))
    base_hamming = np.mean(test_rows != majority)
    t = m["test"]
    assert t["subset_accuracy"] > base_subset + 0.15, (t["subset_accuracy"], base_subset)
    assert t["hamming_loss"] < base_hamming - 0.08, (t["hamming_loss"], base_hamming)
    assert t["f1_micro"] > 0.65 and 0 <= t["f1_samples"] <= 1
    assert t["log_loss"] < 5 * np.log(2)  # below chance: 5 labels at one half each

    monkeypatch.undo()  # the real report
    code, out, err = run(capsys, ["report", str(out_dir)])
    assert code == 0, err
    page = (out_dir / "report.html").read_text()
    assert "Test subset accuracy" in page and "Per-label metrics (test)" in page
    assert "Hamming loss" in page and "topic4" in page
    assert (out_dir / "per_label.png").is_file() and (out_dir / "label_confusion.png").is_file()
    assert not (out_dir / "confusion_matrix.png").exists()
