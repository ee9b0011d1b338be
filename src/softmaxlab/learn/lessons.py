"""Write the lessons as Jupyter notebooks: ``softmaxlab lessons`` and :func:`write_lessons`.

The lessons are stored in the package as percent scripts
(``softmaxlab/learn/lesson_scripts/NN_name.py``, the format jupytext calls
``py:percent``), because a script diffs well and a notebook does not:

- ``# %%`` starts a code cell, ``# %% [markdown]`` a text cell whose lines
  are comments (``# `` is stripped);
- in a code cell, the lines from ``# BEGIN SOLUTION`` to ``# END SOLUTION``
  are the worked answer. The *exercise* notebook replaces them with
  ``raise NotImplementedError("your code here")`` at the same indentation;
  the *solutions* notebook keeps the answer and drops the two marker lines.

The conversion is the small subset of jupytext's percent format written out
here (``tests/test_lessons.py`` checks that jupytext reads the same cells),
so that writing the lessons needs nothing beyond softmaxlab itself; running
them needs JupyterLab and ipykernel (``pip install "softmaxlab[lessons]"``).
Existing files are never overwritten: a learner's edits are theirs.
"""
from __future__ import annotations

import json
import os
import re
import shlex
from collections.abc import Callable
from importlib import resources
from pathlib import Path

__all__ = ["LESSON_NAMES", "lesson_cells", "lesson_notebook", "write_lessons"]

EXTRA_HINT = 'pip install "softmaxlab[lessons]"'
_SCRIPTS = "lesson_scripts"
_CELL = re.compile(r"^# %%(?: \[(markdown)\])?\s*$")
_BEGIN, _END = "# BEGIN SOLUTION", "# END SOLUTION"
_TODO = 'raise NotImplementedError("your code here")'


def _script_dir():
    return resources.files("softmaxlab.learn").joinpath(_SCRIPTS)


def _lesson_names() -> tuple[str, ...]:
    names = [p.name[:-3] for p in _script_dir().iterdir()
             if p.name.endswith(".py") and p.name[:2].isdigit()]
    return tuple(sorted(names))


LESSON_NAMES = _lesson_names()


def _strip_solutions(lines: list[str], solutions: bool, where: str) -> list[str]:
    """Keep or replace each ``# BEGIN SOLUTION`` ... ``# END SOLUTION`` block."""
    out, inside = [], False
    for number, line in enumerate(lines, 1):
        mark = line.strip()
        if mark == _BEGIN:
            if inside:
                raise ValueError(f"{where}, line {number}: {_BEGIN} inside another one")
            inside = True
            if not solutions:
                out.append(line[: len(line) - len(line.lstrip())] + _TODO)
        elif mark == _END:
            if not inside:
                raise ValueError(f"{where}, line {number}: {_END} without {_BEGIN}")
            inside = False
        elif solutions or not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{where}: {_BEGIN} is never closed by {_END}")
    return out


def _trim(lines: list[str]) -> list[str]:
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


def lesson_cells(text: str, solutions: bool, where: str = "lesson") -> list[tuple[str, str]]:
    """Split a percent script into cells.

    Parameters
    ----------
    text : str
        The script; it must start with a ``# %%`` line.
    solutions : bool
        Keep the worked answers (True) or replace them by
        ``raise NotImplementedError`` (False).
    where : str
        Name used in error messages.

    Returns
    -------
    cells : list of (kind, source)
        ``kind`` is ``"code"`` or ``"markdown"``; ``source`` has no trailing newline.
    """
    cells: list[tuple[str, list[str]]] = []
    for number, line in enumerate(text.splitlines(), 1):
        m = _CELL.match(line)
        if m:
            cells.append(("markdown" if m.group(1) else "code", []))
        elif not cells:
            if line.strip():
                raise ValueError(f"{where}, line {number}: text before the first '# %%' line")
        else:
            cells[-1][1].append(line)
    out = []
    for kind, lines in cells:
        if kind == "markdown":
            lines = [ln[2:] if ln.startswith("# ") else ln.lstrip("#") for ln in lines]
        else:
            lines = _strip_solutions(lines, solutions, where)
        out.append((kind, "\n".join(_trim(lines))))
    return out


def lesson_notebook(name: str, solutions: bool) -> dict:
    """One lesson as an nbformat 4.5 notebook (a JSON-able dict, no outputs).

    Parameters
    ----------
    name : str
        One of :data:`LESSON_NAMES`, such as ``"01_softmax_by_hand"``.
    solutions : bool
        With the worked answers, or with ``raise NotImplementedError`` in their place.
    """
    if name not in LESSON_NAMES:
        raise ValueError(f"unknown lesson {name!r}; the lessons are {', '.join(LESSON_NAMES)}")
    text = _script_dir().joinpath(name + ".py").read_text(encoding="utf-8")
    cells = []
    for i, (kind, source) in enumerate(lesson_cells(text, solutions, name)):
        cell = {"cell_type": kind, "id": f"{name[:2]}-{i:03d}", "metadata": {},
                "source": source.splitlines(keepends=True)}
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        cells.append(cell)
    metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                       "name": "python3"},
        "language_info": {"name": "python"},
    }
    return {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}


def _file_name(name: str, solutions: bool) -> str:
    return f"{name}{'_solutions' if solutions else ''}.ipynb"


def write_lessons(out_dir: str | os.PathLike, solutions: bool = False, *,
                  echo: Callable[[str], object] | None = print) -> list[Path]:
    """Write every lesson as a notebook into ``out_dir``; never overwrite a file.

    Parameters
    ----------
    out_dir : str or path-like
        Created if missing (with its parents).
    solutions : bool, default=False
        Write ``NN_name_solutions.ipynb`` with the worked answers instead of
        the exercises ``NN_name.ipynb``. Both can live in one folder.
    echo : callable or None, default=print
        Receives the lines that say what was written, what was kept and how
        to open the notebooks; None keeps quiet.

    Returns
    -------
    written : list of pathlib.Path
        The files written now. A file that already exists is left as it is:
        skipped silently when it equals the fresh lesson, and named in a
        message when it differs (the learner may have edited it).
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"{out} is a file; choose a folder for the lessons")
    out.mkdir(parents=True, exist_ok=True)
    written, kept = [], []
    for name in LESSON_NAMES:
        path = out / _file_name(name, solutions)
        text = json.dumps(lesson_notebook(name, solutions), indent=1, ensure_ascii=False) + "\n"
        if path.exists():
            if path.read_text(encoding="utf-8", errors="replace") != text:
                kept.append(path)
            continue
        path.write_text(text, encoding="utf-8")
        written.append(path)
    if echo is not None:
        for line in _summary(out, written, kept, solutions):
            echo(line)
    return written


def _summary(out: Path, written: list[Path], kept: list[Path], solutions: bool) -> list[str]:
    what = "with solutions" if solutions else "exercises"
    lines = []
    if written:
        lines.append(f"wrote {len(written)} lesson notebook{'s' * (len(written) != 1)} "
                     f"({what}) to {out}: {', '.join(p.name for p in written)}")
    if kept:
        lines.append(f"kept {len(kept)} existing file{'s' * (len(kept) != 1)} that differ "
                     f"from the fresh lessons (your edits stay): "
                     f"{', '.join(p.name for p in kept)}; for a fresh copy, delete or rename "
                     "them, or write into another folder")
    if not written and not kept:
        lines.append(f"the lessons in {out} are already up to date ({what})")
    lines.append(f"open them with:  jupyter lab {shlex.quote(str(out))}")
    lines.append(f"(JupyterLab and the Python kernel come with:  {EXTRA_HINT})")
    return lines
