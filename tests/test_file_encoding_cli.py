"""Files that are not UTF-8 (Excel's "CSV" on Windows is cp1252), accented
column names, and output cut short by a pipe, through the command line."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from softmaxlab.cli import main

N = 60


# The HTML report has tests of its own; here it would only cost time.
pytestmark = pytest.mark.usefixtures("no_report")


def table(n=N, seed=0) -> str:
    """CSV text: two numeric columns, an accented text column and its header,
    and three separable classes."""
    rng = np.random.default_rng(seed)
    lines = ["longueur,largeur,région,espèce"]
    for i in range(n):
        k = i % 3
        a, b = rng.normal(3 * k, 0.3, size=2)
        lines.append(f"{a:.2f},{b:.2f},{['Québec', 'Genève', 'Liège'][i % 3]},"
                     f"{['été', 'hiver', 'printemps'][k]}")
    return "\n".join(lines) + "\n"


def train(tmp_path, data, *extra):
    return main(["train", "--data", str(data), "--label-column", "espèce", "--epochs", "5",
                 "--batch-size", "8", "--lr", "0.1", "--out", str(tmp_path / "run"), "--quiet",
                 *extra])


def test_a_cp1252_file_is_refused_naming_the_option_then_read_with_it(tmp_path, capsys):
    data = tmp_path / "excel.csv"
    data.write_bytes(table().encode("cp1252"))
    assert train(tmp_path, data) == 1
    err = capsys.readouterr().err
    assert "excel.csv: not UTF-8 text (a byte 0xE9" in err
    assert "--file-encoding cp1252" in err and err.count("\n") == 1

    assert train(tmp_path, data, "--file-encoding", "cp1252") == 0
    capsys.readouterr()
    config = (tmp_path / "run" / "config.toml").read_text(encoding="utf-8")
    assert 'file_encoding = "cp1252"' in config
    assert '"région" = ["Genève", "Liège", "Québec"]' in config

    # predict and evaluate read the file with the option too, every row kept.
    assert main(["predict", str(tmp_path / "run"), str(data), "--file-encoding", "cp1252"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "prediction" and len(out) == N + 1
    assert set(out[1:]) <= {"été", "hiver", "printemps"}
    # Without the option the run's setting is the default, and a note says so.
    assert main(["predict", str(tmp_path / "run"), str(data)]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines() == out
    assert "read with the run's settings --file-encoding cp1252" in captured.err
    # An option given here overrides the run's setting.
    assert main(["predict", str(tmp_path / "run"), str(data), "--file-encoding", "utf-8"]) == 1
    assert "not utf-8 text" in capsys.readouterr().err.lower()
    # A file that says its encoding (a UTF-8 byte-order mark) is read as it says.
    marked = tmp_path / "marked.csv"
    marked.write_bytes(table().encode("utf-8-sig"))
    assert main(["predict", str(tmp_path / "run"), str(marked)]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines() == out and "run's settings" not in captured.err
    assert main(["evaluate", str(tmp_path / "run"), "--data", str(data),
                 "--file-encoding", "cp1252"]) == 0
    assert f"all {N} rows of {data}: {N} samples" in capsys.readouterr().out
    # The run's own test split is re-read with the recorded encoding.
    assert main(["evaluate", str(tmp_path / "run")]) == 0


def test_the_config_of_a_run_with_accented_names_repeats_it_bit_for_bit(tmp_path, capsys):
    data = tmp_path / "utf8.csv"
    data.write_text(table(), encoding="utf-8")
    assert train(tmp_path, data) == 0
    first = tmp_path / "run"
    again = tmp_path / "again"
    assert main(["train", "--config", str(first / "config.toml"), "--out", str(again),
                 "--quiet"]) == 0
    import softmaxlab

    a, b = softmaxlab.load(first / "model.npz"), softmaxlab.load(again / "model.npz")
    for u, v in zip(a[-1].coefs_, b[-1].coefs_, strict=True):
        np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize("argv, message", [
    (["--file-encoding", "no-such-codec"], "'no-such-codec' is not a text encoding"),
    (["--file-encoding", "base64"], "'base64' is not a text encoding"),
])
def test_a_bad_encoding_name_is_a_usage_error(tmp_path, capsys, argv, message):
    data = tmp_path / "utf8.csv"
    data.write_text(table(), encoding="utf-8")
    assert train(tmp_path, data, *argv) == 2
    assert message in capsys.readouterr().err


def test_file_encoding_does_not_apply_to_built_in_data_or_npz(tmp_path, capsys):
    assert main(["train", "--file-encoding", "cp1252", "--quiet",
                 "--out", str(tmp_path / "d")]) == 2
    assert "--file-encoding applies only to CSV and TSV files" in capsys.readouterr().err


def test_predict_into_a_closed_pipe_is_quiet(tmp_path):
    data = tmp_path / "utf8.csv"
    data.write_text(table(6000), encoding="utf-8")
    assert train(tmp_path, data) == 0
    # `softmaxlab predict ... --proba | head -1`: the reader leaves after one
    # line, long before the 6000 rows (more than a pipe's buffer) are written.
    proc = subprocess.run(
        f'"{sys.executable}" -m softmaxlab predict "{tmp_path / "run"}" "{data}" --proba '
        '| head -1',
        shell=True, capture_output=True, text=True, timeout=120)
    assert proc.stdout == "hiver,printemps,été\n"  # classes in sorted order
    assert "Broken pipe" not in proc.stderr and "Traceback" not in proc.stderr
