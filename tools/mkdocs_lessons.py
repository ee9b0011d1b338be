"""mkdocs hook: the lessons, with their solutions, as notebooks for mkdocs-jupyter.

The lessons live in the package as percent scripts
(``src/softmaxlab/learn/lesson_scripts/``). At build time this hook writes
each one as ``lessons/NN_name.ipynb`` into a temporary folder and adds it to
the site's files, so the rendered pages always show the shipped lessons and
nothing generated is kept in ``docs/``. The notebooks are not executed.
"""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

_TMP = tempfile.TemporaryDirectory(prefix="softmaxlab-lessons-")
# The lessons of this checkout, as mkdocstrings reads its docstrings (paths: [src]),
# even when softmaxlab is not installed.
_SRC = str(Path(__file__).resolve().parents[1] / "src")


@event_priority(100)  # before mkdocs-jupyter's on_files, which turns notebooks into pages
def on_files(files, config):
    if _SRC not in sys.path:
        sys.path.insert(0, _SRC)
    from softmaxlab.learn.lessons import LESSON_NAMES, lesson_notebook

    folder = Path(_TMP.name) / "lessons"
    folder.mkdir(exist_ok=True)
    for name in LESSON_NAMES:
        (folder / f"{name}.ipynb").write_text(
            json.dumps(lesson_notebook(name, solutions=True), indent=1), encoding="utf-8")
        files.append(File(f"lessons/{name}.ipynb", _TMP.name, config["site_dir"],
                          config["use_directory_urls"]))
    return files
