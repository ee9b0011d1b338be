"""The README says what is true: its Python snippets run as written, its
front-door commands are the ones CI runs, and its command-line transcripts
replay (up to timings and timestamps)."""
from __future__ import annotations

import contextlib
import io
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


def _section(title: str) -> str:
    start = README.index(f"\n## {title}")
    end = README.find("\n## ", start + 1)
    return README[start:end if end > 0 else None]


@pytest.mark.parametrize("title, says", [
    ("The library: the engine", "It prints `{}`"),
    ("scikit-learn estimators", "{}      # "),
])
def test_python_snippets_run_as_written_and_print_what_the_readme_says(tmp_path, monkeypatch,
                                                                       title, says):
    (code,) = _blocks(_section(title), "python")
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, f"README {title}", "exec"), {"__name__": "readme"})
    printed = out.getvalue().strip()
    assert re.fullmatch(r"(\d+ epochs, )?test accuracy 0\.9\d\d", printed), printed
    if title.startswith("scikit"):
        assert f"{printed[-5:]}" in code  # the comment beside the print
    else:
        assert says.format(printed) in README


def test_front_door_commands_match_ci():
    bash = _blocks(_section("Quick start"), "bash")
    assert len(bash) == 2
    assert bash[0] == ("python3 -m venv .venv && . .venv/bin/activate && pip install . && "
                       "softmaxlab train\n")
    m = re.fullmatch(r'python3 -m venv \.venv && \. \.venv/bin/activate && pip install -e '
                     r'"\.\[([a-z,]+)\]" && python -m pytest\n', bash[1])
    assert m, bash[1]
    extras = m.group(1)
    assert {"test", "dask", "torch"} <= set(extras.split(","))
    ci = (ROOT / ".ci" / "run").read_text()
    assert f'pip install -q -e ".[{extras}]"' in ci and "python -m pytest -q" in ci


def _normalise(text: str) -> str:
    text = re.sub(r"\d+(\.\d+)?(e-\d+)? s\b", "<t> s", text)  # durations
    return re.sub(r"runs/\d{8}-\d{6}-", "runs/<time>-", text)


def _replay(block: str, cwd: Path, monkeypatch) -> list[tuple[str, str, str]]:
    """Run each ``$ command`` of a console block; (command, expected, got)."""
    from softmaxlab.cli import main

    steps, current = [], None
    for line in block.splitlines():
        if line.startswith("$ "):
            current = [line[2:], []]
            steps.append(current)
        elif current is not None:
            current[1].append(line)
    results = []
    monkeypatch.chdir(cwd)
    for command, expected in steps:
        argv = shlex.split(command)
        if argv[0] == "cat":  # the transcript shows the file: write it
            (cwd / argv[1]).write_text("\n".join(expected) + "\n")
            continue
        if argv[0] == "softmaxlab":
            both = io.StringIO()  # stdout and stderr in the order a terminal shows them
            with contextlib.redirect_stdout(both), contextlib.redirect_stderr(both):
                main(argv[1:])
            got = both.getvalue()
        else:
            shell = re.sub(r"^python ", shlex.quote(sys.executable) + " ", command)
            got = subprocess.run(shell, shell=True, cwd=cwd, capture_output=True,
                                 text=True).stdout
        results.append((command, "\n".join(expected), got.strip()))
    return results


def test_the_own_files_transcript_replays(tmp_path, monkeypatch):
    block = _blocks(_section("The command line"), "console")[1]
    assert "iris.csv" in block
    for command, expected, got in _replay(block, tmp_path, monkeypatch):
        assert _normalise(got) == _normalise(expected), command


def test_the_divergence_transcript_replays(tmp_path, monkeypatch):
    (block,) = [b for b in _blocks(_section("The command line"), "console") if "1e6" in b]
    block = "\n".join(line.strip() for line in block.splitlines())
    for command, expected, got in _replay(block, tmp_path, monkeypatch):
        assert _normalise(got) == _normalise(expected), command


def test_no_issue_numbers_in_the_documents():
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        assert not re.search(r"issue #\d", path.read_text(encoding="utf-8")), path
