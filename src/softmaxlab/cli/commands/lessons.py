"""``softmaxlab lessons [--out DIR] [--solutions]``: write the lessons as notebooks.

The options are declared in ``softmaxlab.cli.args.add_lessons``; the work is in
:mod:`softmaxlab.learn.lessons`, which prints what it wrote, what it kept
and how to open the notebooks.
"""
from __future__ import annotations

from pathlib import Path

__all__ = ["lessons"]


def lessons(out: str, solutions: bool) -> list[Path]:
    """Write the lessons into ``out``; return the files written now."""
    from softmaxlab.learn.lessons import write_lessons

    return write_lessons(out, solutions=solutions)
