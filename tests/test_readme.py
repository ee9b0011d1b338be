"""The README says what is true: its Python snippets run as written, its
front-door commands are the ones CI runs, and its command-line transcripts
replay (up to timings and timestamps). And the repository stands alone: no
code, test or document points at issue numbers, outside teaching documents
or development sessions."""
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


# Pointers to things outside the repository. Each pattern is built from parts
# so that this file does not match itself.
_OUTSIDE = {
    "an issue number": "iss" + r"ue\s*#\s*\d",
    "a numbered teaching document": r"\bse" + r"eds?[ _-]?0\d\d(?!\d)",
    "a development session": r"\bses" + r"sions?[ -]\d",
    "the teaching documents' folder": "shared/" + "seeds",
    "the team's own design and style notes": r"\b(?:DES" + r"IGN|STY" + r"LE)\.md\b",
    "a textbook by its short name": r"\bd" + r"2l\b",
    "a course by name": "made " + r"with\s+ml",
}
_OUTSIDE_RE = re.compile("|".join(f"(?:{p})" for p in _OUTSIDE.values()), re.IGNORECASE)
# Where the project speaks: code, tests, docs, examples, the benchmark scripts
# and the two READMEs. benchmarks/results/ holds recorded outputs, left as written.
_SCANNED = ("src/", "tests/", "docs/", "examples/")
_SCANNED_FILES = ("README.md", "benchmarks/README.md")


def _tracked_text_files() -> list[Path]:
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True,
                             check=True, timeout=60).stdout.decode()
        names = [n for n in out.split("\0") if n]
    except (OSError, subprocess.SubprocessError):
        pytest.skip("not a git checkout: the tracked files are unknown")
    picked = [n for n in names
              if n.startswith(_SCANNED) or n in _SCANNED_FILES
              or (n.startswith("benchmarks/") and n.count("/") == 1 and n.endswith(".py"))]
    files = []
    for name in picked:
        path = ROOT / name
        if not path.is_file():  # deleted in the work tree, not yet committed
            continue
        data = path.read_bytes()
        if b"\0" in data:
            continue  # binary (images, model files)
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        files.append(path)
    return files


def test_the_repository_points_at_nothing_outside_it():
    files = _tracked_text_files()
    assert any(f.name == "README.md" for f in files) and len(files) > 50, len(files)
    hits = []
    for path in files:
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            m = _OUTSIDE_RE.search(line)
            if m:
                hits.append(f"{path.relative_to(ROOT)}:{lineno}: {m.group(0)!r}")
    assert not hits, "describe the thing itself instead:\n" + "\n".join(hits)


@pytest.mark.parametrize("text, refused", [
    ("fixed in iss" + "ue #6", True),
    ("see Issue " + "# 12", True),
    ("as in se" + "ed 004's setting", True),
    ("Se" + "eds 002/003, part one", True),
    ("examples/se" + "ed000_softmax_by_hand.py", True),
    ("the ses" + "sion-2 engine", True),
    ("Ses" + "sions 1 and 2 ran with it unset", True),
    ("/".join(["..", "shared", "seeds", "000_x.txt"]), True),
    ("Contract (DES" + "IGN.md): a layer has", True),
    ("see docs/ENGINE_API.md", False),
    ("as D" + "2L reports it", True),
    ("the Made " + "With ML example", True),
    ("--seed 0", False),
    ("seeds 0-3", False),
    ("an int random_state seeds the Generator", False),
    ("/api/sessions/ID/frame", False),
    ("results/profile_session3.json", False),
    ("default_rng(seed=1024)", False),
])
def test_the_outside_pointer_check_can_fail(text, refused):
    assert bool(_OUTSIDE_RE.search(text)) is refused, text
