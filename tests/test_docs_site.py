"""The documentation site builds with ``mkdocs build --strict`` (no broken
link, no missing page, every docstring page renders) and lists every guide."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _nav_pages() -> set[str]:
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = text[text.index("\nnav:"):text.index("\nplugins:")]
    return set(re.findall(r":\s+([\w/.-]+\.(?:md|ipynb))\s*$", nav, flags=re.M))


def test_every_guide_and_api_page_is_in_the_nav():
    pages = _nav_pages()
    guides = {p.name for p in (ROOT / "docs").glob("*.md")}
    assert guides <= pages, guides - pages
    api = {f"api/{p.name}" for p in (ROOT / "docs" / "api").glob("*.md")}
    assert api and api <= pages, api - pages
    from softmaxlab.learn.lessons import LESSON_NAMES
    assert {f"lessons/{n}.ipynb" for n in LESSON_NAMES} <= pages


@pytest.mark.slow
def test_mkdocs_build_strict_passes(tmp_path):
    for module in ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python",
                   "mkdocs_jupyter"):
        pytest.importorskip(module, reason=f'{module} is not installed: pip install -e ".[docs]"')
    src = str(ROOT / "src")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1",
           "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    site = tmp_path / "site"
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    lesson = (site / "lessons" / "03_spiral_mlp" / "index.html").read_text(encoding="utf-8")
    assert "mlp_loss_and_grads" in lesson and "BEGIN SOLUTION" not in lesson
    api = (site / "api" / "learn" / "index.html").read_text(encoding="utf-8")
    assert "check_mlp_gradients" in api
