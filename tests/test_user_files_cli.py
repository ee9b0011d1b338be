"""The user's own files through the command line, as a new user meets them:
semicolons, byte-order marks and CRLF, no header, tabs, pipes, quotes,
categories, missing values, renamed and reordered columns. Every row builds
its file, runs the CLI and asserts the exit status, the row counts and the
message; nothing is ever guessed silently (no row lost, no column by position
unless asked)."""
from __future__ import annotations

import csv
import gzip
import io
import json

import numpy as np
import pytest

from softmaxlab.cli import main

SPECIES = ("setosa", "versicolor", "virginica")
COLUMNS = ["sepal length", "sepal width", "petal length"]
N = 60


# The HTML report has tests of its own; here it would only cost time.
pytestmark = pytest.mark.usefixtures("no_report")


def rows(n=N, *, color=False, missing=0, seed=0):
    """n rows [features..., (color), species] of three separable classes."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        k = i % 3
        row = [f"{v:.2f}" for v in rng.normal(3 * k, 0.4, size=3)]
        if color:  # no information about the class: the numbers decide
            row.append(["red", "green", "blue"][int(rng.integers(3))])
        row.append(SPECIES[k])
        out.append(row)
    for i in range(missing):  # spread over classes and columns
        out[5 + 7 * i][i % 3] = ""
    return out


def text(table, *, header=COLUMNS + ["species"], sep=",", newline="\n", quote=False,
         decimal="."):
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep, lineterminator=newline,
                   quoting=csv.QUOTE_ALL if quote else csv.QUOTE_MINIMAL)
    if header:
        w.writerow(header)
    for r in table:
        w.writerow([c.replace(".", decimal) if decimal != "." and c[:1].isdigit() else c
                    for c in r])
    return buf.getvalue()


def write(path, content):
    data = content.encode("utf-8") if isinstance(content, str) else content
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


def run(capsys, argv):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def named(args) -> list:
    """``args`` with ``--label-column species`` where a file with a header
    row needs its label named (it is never guessed)."""
    if "--no-header" in args or "--label-column" in args:
        return list(args)
    return [*args, "--label-column", "species"]


def train(tmp_path, capsys, name, content, *args, out="run"):
    path = write(tmp_path / name, content)
    code, stdout, err = run(capsys, ["train", "--data", str(path), "--epochs", "3",
                                     "--out", str(tmp_path / out), "--quiet", *named(args)])
    return code, stdout, err, tmp_path / out


def n_rows(run_dir) -> int:
    m = json.loads((run_dir / "metrics.json").read_text())
    return sum(m[s]["n_samples"] for s in ("train", "val", "test") if m[s])


# ---- train: each file format is read with every row --------------------------------------

COMMA = text(rows())
TRAIN_OK = [
    # id, file name, content, extra args, fragments of stdout's data line (non-quiet run)
    ("comma", "d.csv", COMMA, [], ["60 rows", "3 features", "delimiter ','"]),
    ("semicolon", "d.csv", text(rows(), sep=";"), [], ["60 rows", "delimiter ';'"]),
    ("semicolon-decimal-comma", "d.csv", text(rows(), sep=";", decimal=","),
     ["--decimal", ","], ["60 rows", "delimiter ';'"]),
    ("bom-crlf", "d.csv", "\ufeff" + text(rows(), newline="\r\n"), [], ["60 rows"]),
    ("tsv", "d.tsv", text(rows(), sep="\t"), [], ["60 rows", "delimiter '\\t'"]),
    ("tab-in-csv", "d.csv", text(rows(), sep="\t"), [], ["60 rows", "delimiter '\\t'"]),
    ("pipe", "d.csv", text(rows(), sep="|"), [], ["60 rows", "delimiter '|'"]),
    ("quoted", "d.csv", text(rows(), quote=True), [], ["60 rows"]),
    ("gzip", "d.csv.gz", COMMA, [], ["60 rows"]),
    ("excel-sep-line", "d.csv", "sep=;\n" + text(rows(), sep=";"), [], ["60 rows"]),
    ("utf16-excel-unicode-text", "d.csv", text(rows(), sep="\t", newline="\r\n").encode("utf-16"),
     [], ["60 rows"]),
    ("no-header", "d.csv", text(rows(), header=None), ["--no-header"],
     ["60 rows", "label column 3", "no header row"]),
    ("no-header-label-first", "d.csv",
     text([[r[-1], *r[:-1]] for r in rows()], header=None), ["--no-header", "--label-column", "0"],
     ["60 rows", "label column 0"]),
    ("categorical", "d.csv", text(rows(color=True), header=COLUMNS + ["color", "species"]), [],
     ["60 rows", "4 features (3 numeric, 1 categorical -> 3 one-hot columns)"]),
    ("missing-imputed", "d.csv", text(rows(missing=4)), ["--impute", "median"],
     ["60 rows", "missing values imputed (median)"]),
    ("spaces-around-values", "d.csv", COMMA.replace(",", " , "), [], ["60 rows"]),
    ("trailing-blank-lines", "d.csv", COMMA + "\n\n\n", [], ["60 rows"]),
    ("trailing-delimiter", "d.csv", COMMA.replace("\n", ",\n"), [], ["60 rows", "3 features"]),
    ("label-not-last", "d.csv", text([[r[-1], *r[:-1]] for r in rows()],
                                     header=["species", *COLUMNS]),
     ["--label-column", "species"], ["60 rows", "label column 'species'"]),
]


@pytest.mark.parametrize("name, content, args, parts", [c[1:] for c in TRAIN_OK],
                         ids=[c[0] for c in TRAIN_OK])
def test_train_reads_every_row(tmp_path, capsys, name, content, args, parts):
    path = write(tmp_path / name, content)
    code, out, err = run(capsys, ["train", "--data", str(path), "--epochs", "10",
                                  "--batch-size", "8", "--out", str(tmp_path / "run"),
                                  *named(args)])
    assert code == 0, err
    assert err == ""
    intro = out.splitlines()[0]
    for part in parts:
        assert part in intro, f"{part!r} missing from: {intro}"
    assert n_rows(tmp_path / "run") == N
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["test"]["accuracy"] > 0.8


def test_empty_rows_are_skipped_with_a_note(tmp_path, capsys):
    content = COMMA + ",,,\n,,,\n"
    code, _, err, out = train(tmp_path, capsys, "d.csv", content)
    assert code == 0
    assert err.strip() == (f"softmaxlab: note: {tmp_path / 'd.csv'}: skipped 2 rows with no "
                           "values (lines 62, 63)")
    assert n_rows(out) == N


# ---- train: refusals that name the fix ------------------------------------------------------

TRAIN_REFUSED = [
    # id, file name, content, extra args, exit status, fragments of the one stderr line
    ("header-less-without-flag", "d.csv",
     text([[*r[:-1], str(SPECIES.index(r[-1]))] for r in rows()], header=None), [], 1,
     ["first row", "all numbers", "--no-header"]),
    ("pandas-column-numbers", "d.csv", text(rows(), header=["0", "1", "2", "3"]), [], 1,
     ["header row (0, 1, 2, 3) numbers the columns", "give the columns names"]),
    ("pandas-column-numbers-no-header", "d.csv", text(rows(), header=["0", "1", "2", "3"]),
     ["--no-header"], 1, ["first row (0, 1, 2, 3) numbers the columns", "header, not data"]),
    ("header-less-text-label", "d.csv",
     text([[*r[:-1], r[-1]] for r in rows()], header=["1.5", "2.5", "3.5", "setosa"]), [], 1,
     ["'1.5'", "--no-header"]),
    ("decimal-comma-without-flag", "d.csv", text(rows(), sep=";", decimal=","), [], 1,
     ["'sepal length'", "decimal comma", "--decimal ,"]),
    ("missing-values", "d.csv", text(rows(missing=4)), [], 1,
     ["4 rows have missing feature values", "row 6, line 7", "--impute"]),
    ("missing-category", "d.csv",
     text([[*r[:3], "" if i in (3, 40) else r[3], r[4]] for i, r in enumerate(rows(color=True))],
          header=COLUMNS + ["color", "species"]), [], 1,
     ["2 rows have missing feature values", "row 4, line 5", "column 'color'", "--impute"]),
    ("categorical-error", "d.csv", text(rows(color=True), header=COLUMNS + ["color", "species"]),
     ["--categorical", "error"], 1, ["'color' is not numeric", "--categorical onehot"]),
    ("label-case", "d.csv", COMMA, ["--label-column", "Species"], 1,
     ["no label column 'Species'", "did you mean 'species'", "case-sensitive"]),
    ("label-typo", "d.csv", COMMA, ["--label-column", "specie"], 1,
     ["no label column 'specie'", "did you mean 'species'"]),
    ("label-position-without-no-header", "d.csv", COMMA, ["--label-column", "0"], 1,
     ["no column named '0'", "the file has a header row", "takes a column's name"]),
    ("label-not-named", "d.csv", COMMA, ["--label-column", None], 2,
     ["has a header row, so name its label column", "--label-column NAME",
      "'sepal length', 'sepal width', 'petal length', 'species'"]),
    ("no-header-on-a-file-with-a-header", "d.csv", COMMA, ["--no-header"], 1,
     ["the file has a header row", "drop --no-header"]),
    ("label-name-with-no-header", "d.csv", text(rows(), header=None),
     ["--no-header", "--label-column", "species"], 2, ["--no-header", "0-based column index"]),
    ("label-index-out-of-range", "d.csv", text(rows(), header=None),
     ["--no-header", "--label-column", "7"], 1, ["index 7 is out of range", "4 columns"]),
    ("duplicate-names", "d.csv", text(rows(), header=["a", "b", "a", "species"]), [], 1,
     ["columns 1 and 3", "'a'", "unique"]),
    ("pandas-index-column", "d.csv",
     text([[str(i), *r] for i, r in enumerate(rows())], header=["", *COLUMNS, "species"]), [],
     1, ["column 1", "no name", "index=False"]),
    ("thousands-separators", "d.csv",
     text([[f"{1000 + i} 000", *r[1:]] for i, r in enumerate(rows())]), [], 1,
     ["thousands separators", "'1000 000'"]),
    ("grouped-digits", "d.csv",
     text([[f"{1 + i % 9} {100 + i}", *r[1:]] for i, r in enumerate(rows())]), [], 1,
     ["thousands separators", "'1 100'"]),
    ("mixed-column", "d.csv", text([r if i != 9 else ["n/a?", *r[1:]]
                                    for i, r in enumerate(rows())]), [], 1,
     ["'sepal length' mixes numbers", "'n/a?'", "row 10, line 11"]),
    ("percent-signs", "d.csv", text([[f"{i}%", *r[1:]] for i, r in enumerate(rows())]), [], 1,
     ["unit or currency sign", "'0%'"]),
    ("ragged-row", "d.csv", COMMA + "1,2,3,4,setosa\n", [], 1,
     ["line 62 has 5 fields", "header has 4"]),
    ("ambiguous-delimiter", "d.csv", "a;b,c;d\n1;2,3;x\n4;5,6;y\n", [], 1,
     ["cannot tell the delimiter", "--delimiter"]),
    ("no-header-on-builtin", None, None, ["--data", "digits", "--no-header"], 2,
     ["--no-header applies only to CSV and TSV files"]),
    ("impute-on-builtin", None, None, ["--data", "digits", "--impute", "mean"], 2,
     ["--impute applies only to data files"]),
    ("latin1", "d.csv", "caf\xe9,b,species\n1,2,setosa\n3,4,virginica\n".encode("latin-1"), [], 1,
     ["not UTF-8", "--file-encoding cp1252", "save it as UTF-8"]),
]


@pytest.mark.parametrize("name, content, args, status, parts", [c[1:] for c in TRAIN_REFUSED],
                         ids=[c[0] for c in TRAIN_REFUSED])
def test_train_refuses_with_one_line(tmp_path, capsys, name, content, args, status, parts):
    argv = ["train", "--epochs", "2", "--quiet", "--out", str(tmp_path / "run"), *args]
    if name is not None:
        argv += ["--data", str(write(tmp_path / name, content))]
        argv = named(argv) if "--label-column" not in args else argv
    if None in argv:  # the label column left out on purpose
        k = argv.index(None)
        argv = argv[:k - 1] + argv[k + 1:]
    code, out, err = run(capsys, argv)
    assert code == status, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "error:" in lines[0] and "Traceback" not in err, err
    for part in parts:
        assert part in lines[0], f"{part!r} missing from: {lines[0]}"
    assert "np.float64" not in err and "(s)" not in err
    assert not (tmp_path / "run" / "metrics.json").exists()


# ---- predict and evaluate: columns by name -------------------------------------------------

@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Two runs: numeric columns only, and with a categorical column and imputation."""
    d = tmp_path_factory.mktemp("trained")
    write(d / "train.csv", COMMA)
    write(d / "cat.csv", text(rows(color=True, missing=3), header=COLUMNS + ["color", "species"]))
    import softmaxlab.runs.report

    keep = softmaxlab.runs.report.build_report
    softmaxlab.runs.report.build_report = lambda run_dir: run_dir
    try:
        for name, extra in (("plain", []), ("cat", ["--impute", "mean"])):
            data = d / ("train.csv" if name == "plain" else "cat.csv")
            assert main(["train", "--data", str(data), "--epochs", "30", "--batch-size", "8",
                         "--out", str(d / name), "--quiet", "--label-column", "species",
                         *extra]) == 0
    finally:
        softmaxlab.runs.report.build_report = keep
    return d


def _predictions(out: str) -> list:
    lines = out.strip().splitlines()
    assert lines[0] == "prediction"
    return lines[1:]


TRUTH = [r[-1] for r in rows(12, seed=5)]
NEW = rows(12, seed=5)
REORDERED = text([[r[2], r[-1], r[0], r[1]] for r in NEW],
                 header=["petal length", "species", "sepal length", "sepal width"])

PREDICT_CASES = [
    # id, run, content, extra args, exit status, expected predictions or None,
    # fragments of stderr (one note or one error line)
    ("same-columns", "plain", text(NEW), [], 0, TRUTH, []),
    ("reordered-with-label", "plain", REORDERED, [], 0, TRUTH, []),
    ("without-label", "plain", text([r[:-1] for r in NEW], header=COLUMNS), [], 0, TRUTH, []),
    ("extra-column", "plain", text([[*r[:-1], "x", r[-1]] for r in NEW],
                                   header=[*COLUMNS, "notes", "species"]), [], 0, TRUTH,
     ["note:", "ignored 1 column the model was not trained on: 'notes'"]),
    ("semicolon-bom-crlf", "plain", "\ufeff" + text(NEW, sep=";", newline="\r\n"), [], 0,
     TRUTH, []),
    ("no-header-positional", "plain", text([r[:-1] for r in NEW], header=None), ["--no-header"],
     0, TRUTH, []),
    ("no-header-with-label", "plain", text(NEW, header=None), ["--no-header"], 0, TRUTH, []),
    ("renamed", "plain", text(NEW, header=["Sepal Length", "sepal width", "petal length",
                                           "species"]), [], 1, None,
     ["column 'sepal length' is missing", "did you mean 'Sepal Length'"]),
    ("none-match", "plain", text(NEW, header=["a", "b", "c", "d"]), [], 1, None,
     ["none of the file's columns", "matched by name", "--no-header"]),
    ("header-less-without-flag", "plain", text([r[:-1] for r in NEW], header=None), [], 1, None,
     ["all numbers", "--no-header"]),
    ("no-header-wrong-count", "plain", text([r[:2] for r in NEW], header=None),
     ["--no-header"], 1, None, ["exactly 3 (the features) or 4", "it has 2"]),
    ("text-in-numeric-column", "plain",
     text([["abc" if i == 2 else c for i, c in enumerate(r)] for r in NEW]), [], 1, None,
     ["'petal length' holds text such as 'abc'", "trained on numbers"]),
    ("missing-without-imputer", "plain", text([["", *r[1:]] if i == 4 else r
                                               for i, r in enumerate(NEW)]), [], 1, None,
     ["line 6 has no value in column 'sepal length'", "trained without imputation",
      "--skip-invalid"]),
    ("categorical-reordered", "cat", text([[r[-1], "green", *r[:-1]] for r in NEW],
                                          header=["species", "color", *COLUMNS]), [], 0,
     TRUTH, []),
    # One row in 12 (under the 10 % that makes a column unlike training): a note only.
    ("categorical-unseen", "cat", text([[*r[:-1], "purple" if i < 1 else "red"]
                                        for i, r in enumerate(NEW)],
                                       header=[*COLUMNS, "color"]), [], 0, TRUTH,
     ["note:", "1 row has a category not seen in training", "'color' = 'purple' (1 row)"]),
    ("categorical-missing-imputed", "cat", text([[*r[:-1], "" if i == 0 else "red"]
                                                 for i, r in enumerate(NEW)],
                                                header=[*COLUMNS, "color"]), [], 0, TRUTH, []),
    ("categorical-column-absent", "cat", text(NEW), [], 1, None,
     ["column 'color' is missing"]),
]


@pytest.mark.parametrize("run_name, content, args, status, expected, parts",
                         [c[1:] for c in PREDICT_CASES], ids=[c[0] for c in PREDICT_CASES])
def test_predict(trained, tmp_path, capsys, run_name, content, args, status, expected, parts):
    path = write(tmp_path / "new.csv", content)
    code, out, err = run(capsys, ["predict", str(trained / run_name), str(path), *args])
    assert code == status, err
    if expected is not None:
        assert _predictions(out) == expected  # one prediction per data row, in order
    else:
        assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == (1 if parts else 0), err
    for part in parts:
        assert part in lines[0], f"{part!r} missing from: {lines[0]}"
    assert "--impute" not in err  # an option of train, which predict does not take
    assert "Traceback" not in err and "np.float64" not in err


def test_predict_proba_rows_and_output_file(trained, tmp_path, capsys):
    path = write(tmp_path / "new.csv", REORDERED)
    code, _, err = run(capsys, ["predict", str(trained / "cat" / "model.npz"), str(path),
                                "--proba", "--output", str(tmp_path / "p.csv")])
    assert code == 1 and "column 'color' is missing" in err
    code, _, err = run(capsys, ["predict", str(trained / "plain"), str(path), "--proba",
                                "--output", str(tmp_path / "p.csv")])
    assert code == 0 and err.strip() == f"wrote 12 predictions to {tmp_path / 'p.csv'}"
    got = list(csv.reader(open(tmp_path / "p.csv")))
    assert got[0] == list(SPECIES) and len(got) == 13
    assert all(abs(sum(map(float, r)) - 1) < 1e-5 for r in got[1:])


def test_predict_into_a_missing_folder_is_one_line_in_our_words(trained, tmp_path, capsys):
    path = write(tmp_path / "new.csv", REORDERED)
    code, out, err = run(capsys, ["predict", str(trained / "plain"), str(path),
                                  "--output", str(tmp_path / "nope" / "p.csv")])
    assert code == 1
    assert err.strip().endswith(f"the folder {tmp_path / 'nope'} does not exist; create it "
                                "first or choose another --output")
    assert "non-existent" not in err


EVALUATE_CASES = [
    ("own-test-split", "plain", None, [], 0, ["test split of", "train.csv", ": 9 samples"]),
    ("reordered", "plain", REORDERED, [], 0, ["all 12 rows of", ": 12 samples", "accuracy 1.0"]),
    ("no-header", "plain", text(NEW, header=None), ["--no-header"], 0, ["all 12 rows"]),
    ("no-header-label-first", "plain", text([[r[-1], *r[:-1]] for r in NEW], header=None),
     ["--no-header", "--label-column", "0"], 0, ["all 12 rows", "accuracy 1.0"]),
    ("label-absent", "plain", text([r[:-1] for r in NEW], header=COLUMNS), [], 1,
     ["no column 'species' (the model's label column)", "--label-column"]),
    ("other-label-name", "plain", text(NEW, header=[*COLUMNS, "kind"]),
     ["--label-column", "kind"], 0, ["all 12 rows"]),
    ("flags-without-data", "plain", None, ["--no-header"], 2, ["--no-header", "only with --data"]),
    ("categorical-own-split", "cat", None, [], 0, ["test split of", ": 9 samples"]),
]


@pytest.mark.parametrize("run_name, content, args, status, parts",
                         [c[1:] for c in EVALUATE_CASES], ids=[c[0] for c in EVALUATE_CASES])
def test_evaluate(trained, tmp_path, capsys, run_name, content, args, status, parts):
    argv = ["evaluate", str(trained / run_name), *args]
    if content is not None:
        argv += ["--data", str(write(tmp_path / "eval.csv", content))]
    code, out, err = run(capsys, argv)
    assert code == status, err
    where = out if status == 0 else err
    for part in parts:
        assert part in where, f"{part!r} missing from: {where}"
    if status:
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_header_less_training_is_by_position_everywhere(tmp_path, capsys):
    """A model trained with --no-header knows no names: predict needs --no-header too."""
    code, _, err, out = train(tmp_path, capsys, "d.csv", text(rows(), header=None),
                              "--no-header", "--epochs", "30", "--batch-size", "8")
    assert code == 0, err
    new = write(tmp_path / "new.csv", text([r[:-1] for r in NEW], header=COLUMNS))
    code, _, err = run(capsys, ["predict", str(out), str(new)])
    assert code == 1 and "without a header row" in err and "--no-header" in err
    new = write(tmp_path / "new.csv", text([r[:-1] for r in NEW], header=None))
    code, stdout, err = run(capsys, ["predict", str(out), str(new), "--no-header"])
    assert code == 0 and _predictions(stdout) == TRUTH
