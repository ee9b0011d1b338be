"""One output row per input row, always: ``predict`` writes exactly one line
per data row of its input, in order. A row it cannot predict is refused,
naming its line, or with ``--skip-invalid`` gets an empty prediction in its
place; ``--keep-columns`` copies input columns beside the predictions;
``evaluate`` counts the rows it leaves out. Files are made here, small: a
penguins-like table, a Titanic-like one with names and gaps, and a French
Excel file (cp1252, ';' and decimal commas)."""
from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from softmaxlab.cli import main

pytestmark = pytest.mark.usefixtures("no_report")

SPECIES = ("Adelie", "Chinstrap", "Gentoo")
FEATURES = ["island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm"]


def penguins(n=90, seed=0) -> list:
    """Rows [species, island, bill length, bill depth, flipper length, id]."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        k = i % 3
        out.append([SPECIES[k], ["Biscoe", "Dream", "Torgersen"][i % 3 if i % 5 else 0],
                    f"{[38.8, 48.8, 47.5][k] + rng.normal(0, 1.5):.1f}",
                    f"{[18.3, 18.4, 15.0][k] + rng.normal(0, 0.6):.1f}",
                    f"{[190, 196, 217][k] + rng.normal(0, 4):.0f}", f"P{i:03d}"])
    return out


HEAD = ["species", *FEATURES, "id"]


def write(path, rows, head=HEAD, sep=",", encoding="utf-8"):
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep, lineterminator="\n")
    if head:
        w.writerow(head)
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    d = tmp_path_factory.mktemp("rows")
    write(d / "penguins.csv", penguins())
    code = main(["train", "--data", str(d / "penguins.csv"), "--label-column", "species",
                 "--drop-columns", "id", "--epochs", "30", "--batch-size", "8",
                 "--out", str(d / "run"), "--quiet"])
    assert code == 0
    return d / "run"


def new_rows(n=14):
    return [r[1:] for r in penguins(n, seed=3)]


def with_gap(rows, at, gap):
    return rows[:at] + [gap] + rows[at:]


def test_a_row_with_no_values_is_refused_naming_its_line(run, tmp_path, cli):
    rows = new_rows()
    path = write(tmp_path / "new.csv", with_gap(rows, 6, [""] * 5), head=HEAD[1:])
    code, out, err = cli(["predict", run, path])
    assert code == 1 and out == ""
    assert "line 8 has no values" in err and "--skip-invalid" in err
    assert len(err.strip().splitlines()) == 1


def test_skip_invalid_keeps_every_line_in_place(run, tmp_path, cli):
    rows = new_rows()
    full = write(tmp_path / "full.csv", rows, head=HEAD[1:])
    code, out, _ = cli(["predict", run, full])
    assert code == 0
    expected = out.splitlines()[1:]
    assert len(expected) == 14
    # An empty row (line 8) and a row with text in a numeric column (line 12).
    gapped = with_gap(rows, 6, [""] * 5)
    gapped[9] = [gapped[9][0], "n/a?", *gapped[9][2:]]
    path = write(tmp_path / "gaps.csv", gapped, head=HEAD[1:])
    code, out, err = cli(["predict", run, path, "--skip-invalid"])
    assert code == 0, err
    got = out.splitlines()[1:]
    assert len(got) == 15  # one line per data row, in order
    # One column: an empty prediction is written "" (a blank line could be skipped).
    assert got[6] == '""' and got[9] == '""'
    assert got[:6] == expected[:6] and got[7:9] == expected[6:8] and got[10:] == expected[9:]
    assert "left the prediction empty for 2 rows" in err and "lines 8, 11" in err
    # --proba keeps the same alignment: empty cells on those lines.
    code, out, _ = cli(["predict", run, path, "--skip-invalid", "--proba"])
    lines = out.splitlines()
    assert code == 0 and len(lines) == 16
    assert lines[7] == ",," and lines[10] == ",," and lines[1].count(",") == 2


def test_keep_columns_copy_the_keys_beside_the_predictions(run, tmp_path, cli):
    rows = new_rows()
    path = write(tmp_path / "new.csv", with_gap(rows, 2, ["", "", "", "", "P999"]),
                 head=HEAD[1:])
    code, out, err = cli(["predict", run, path, "--keep-columns", "id,island",
                                  "--skip-invalid"])
    assert code == 0, err
    got = list(csv.reader(io.StringIO(out)))
    assert got[0] == ["id", "island", "prediction"]
    assert [r[0] for r in got[1:]] == [r[-1] for r in with_gap(rows, 2, ["P999"])]
    assert got[3] == ["P999", "", ""]
    assert all(r[2] in SPECIES for i, r in enumerate(got[1:]) if i != 2)


def test_keep_columns_by_index_without_a_header(cli, tmp_path, capsys):
    rows = penguins()
    write(tmp_path / "nh.csv", [r[:-1] for r in rows], head=None)
    assert main(["train", "--data", str(tmp_path / "nh.csv"), "--no-header", "--label-column",
                 "0", "--epochs", "5", "--out", str(tmp_path / "run"), "--quiet"]) == 0
    capsys.readouterr()
    new = write(tmp_path / "new.csv", [r[1:-1] for r in rows[:5]], head=None)
    code, out, err = cli(["predict", tmp_path / "run", new, "--no-header",
                                  "--keep-columns", "0"])
    assert code == 0, err
    got = list(csv.reader(io.StringIO(out)))
    assert got[0] == ["x0", "prediction"] and [r[0] for r in got[1:]] == [r[1] for r in rows[:5]]


def test_predict_accepts_files_with_or_without_the_dropped_columns(run, tmp_path, cli):
    rows = new_rows(6)
    with_id = write(tmp_path / "with.csv", rows, head=HEAD[1:])
    without = write(tmp_path / "without.csv", [r[:-1] for r in rows], head=HEAD[1:-1])
    code_a, out_a, err_a = cli(["predict", run, with_id])
    code_b, out_b, err_b = cli(["predict", run, without])
    assert code_a == code_b == 0 and out_a == out_b and len(out_a.splitlines()) == 7
    assert err_a == err_b == ""
    config = (run / "config.toml").read_text()
    assert 'drop_columns = ["id"]' in config


def test_evaluate_counts_the_rows_it_leaves_out(run, tmp_path, cli):
    rows = penguins(30, seed=4)
    path = write(tmp_path / "eval.csv", with_gap(rows, 4, [""] * 6))
    code, out, err = cli(["evaluate", run, "--data", path])
    assert code == 0, err
    assert out.splitlines()[0].startswith(f"30 rows of {path} (1 skipped: 1 row with no values)")
    code, out, _ = cli(["evaluate", run, "--data", path, "--json"])
    m = json.loads(out)
    assert m["n_samples"] == 30 and m["n_skipped"] == 1
    # A value that cannot be read: refused, or with --skip-invalid left out and counted.
    rows[7] = [rows[7][0], rows[7][1], "abc", *rows[7][3:]]
    path = write(tmp_path / "bad.csv", rows)
    code, _, err = cli(["evaluate", run, "--data", path])
    assert code == 1 and "line 9 holds 'abc'" in err and "--skip-invalid" in err
    code, out, err = cli(["evaluate", run, "--data", path, "--skip-invalid", "--json"])
    assert code == 0 and json.loads(out)["n_samples"] == 29 and json.loads(out)["n_skipped"] == 1


def test_an_unseen_label_names_the_file_the_row_and_the_label(run, tmp_path, cli):
    rows = penguins(30, seed=4)
    rows[5][0] = "Emperor"
    path = write(tmp_path / "eval.csv", rows)
    code, _, err = cli(["evaluate", run, "--data", path])
    assert code == 1
    assert f"{path}: the label 'Emperor' (row 6, line 7) is not one of the model's classes" in err


def titanic(n=120, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        survived = int(rng.random() < 0.4)
        sex = "female" if (rng.random() < (0.75 if survived else 0.15)) else "male"
        age = "" if i % 9 == 4 else f"{rng.normal(30, 10):.0f}"
        rows.append([str(i + 1), f"Passenger{i}, Mr. Name{i}", str(1 + i % 3), sex, age,
                     str(survived)])
    return rows


def test_titanic_like_names_are_dropped_and_imputed_cells_counted(tmp_path, cli):
    head = ["PassengerId", "Name", "Pclass", "Sex", "Age", "Survived"]
    path = write(tmp_path / "titanic.csv", titanic(), head=head)
    base = ["train", "--data", path, "--label-column", "Survived", "--impute", "median",
            "--epochs", "5", "--quiet"]
    code, out, err = cli([*base, "--out", tmp_path / "a"])
    assert code == 0 and "--drop-columns Name" in err  # the identifier note names the option
    assert out.startswith("test accuracy") and "label column 'Survived'" in out
    code, out, err = cli([*base, "--drop-columns", "Name,PassengerId",
                                  "--out", tmp_path / "b"])
    assert code == 0 and err == "", err
    m = json.loads((tmp_path / "b" / "metrics.json").read_text())
    assert m["inputs"]["imputed_cells"] == {"Age": 13}  # rows 4, 13, ..., 112
    assert set(m["inputs"]["rows_with_unseen_categories"]) == {"train", "val", "test"}
    m = json.loads((tmp_path / "a" / "metrics.json").read_text())
    assert m["inputs"]["rows_with_unseen_categories"]["test"] > 0  # names never repeat


def test_a_french_excel_file_is_read_and_written_back_as_excel_wrote_it(tmp_path, cli):
    rows = [[r[0], "Île" if r[1] == "Dream" else r[1], *(c.replace(".", ",") for c in r[2:5])]
            for r in penguins()]
    path = write(tmp_path / "manchots.csv", rows, head=["espèce", *FEATURES], sep=";",
                 encoding="cp1252")
    code, _, err = cli(["train", "--data", path, "--label-column", "espèce",
                                "--file-encoding", "cp1252", "--decimal", ",", "--epochs", "20",
                                "--out", tmp_path / "run", "--quiet"])
    assert code == 0, err
    new = write(tmp_path / "nouveaux.csv", [r[1:] for r in rows[:6]], head=FEATURES, sep=";",
                encoding="cp1252")
    out_path = tmp_path / "out.csv"
    code, _, err = cli(["predict", tmp_path / "run", new, "--output", out_path,
                                "--keep-columns", "island", "--proba"])
    assert code == 0, err
    assert "read with the run's settings --file-encoding cp1252, --decimal ," in err
    text = out_path.read_bytes().decode("cp1252")  # the input's encoding and delimiter
    lines = text.splitlines()
    assert lines[0] == "island;Adelie;Chinstrap;Gentoo" and len(lines) == 7
    assert "Île" in text and "," in lines[1] and "." not in lines[1]
    code, _, err = cli(["predict", tmp_path / "run", new, "--output", out_path,
                                "--output-encoding", "utf-8", "--output-delimiter", "tab"])
    assert code == 0, err
    assert out_path.read_text(encoding="utf-8").splitlines()[0] == "prediction"


def test_a_blank_line_among_the_rows_is_a_row_and_trailing_empty_rows_are_not(run, tmp_path,
                                                                              cli):
    rows = new_rows(4)
    lines = [",".join(HEAD[1:])] + [",".join(r) for r in rows]
    # A blank line between rows 2 and 3 shows as an empty row in a spreadsheet:
    # its prediction must keep its place. Blank lines and ",,,," rows after the
    # last row shift nothing: left out (the ",,,," ones with a note).
    path = tmp_path / "blank.csv"
    path.write_text("\r\n".join(lines[:3] + [""] + lines[3:] + [",,,,", ""]) + "\r\n\r\n")
    code, out, err = cli(["predict", run, path])
    assert code == 1 and "line 4 has no values" in err
    code, out, err = cli(["predict", run, path, "--skip-invalid"])
    assert code == 0, err
    got = out.splitlines()
    assert len(got) == 6 and got[3] == '""'
    assert "1 row with no values at the end of the file (from line 7)" in err
