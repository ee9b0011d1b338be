"""Small helpers shared by the example scripts (not part of softmaxlab).

Each example exposes ``main(fast=False, out_dir=None) -> dict`` and runs from
the command line as ``python examples/NAME.py [--fast] [--out DIR]``; this
module holds the bits of plumbing they share so that each script can stay
about the learning material.
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

import matplotlib

# Plots are written to files, never shown: Agg works without a display.
matplotlib.use("Agg")

EXAMPLES_DIR = Path(__file__).resolve().parent

#: Setting this environment variable to 1 has the same effect as ``--fast``.
FAST_ENV = "SOFTMAXLAB_EXAMPLES_FAST"


def output_dir(name: str, out_dir=None) -> Path:
    """The folder an example writes its figures to, created if needed.

    Default: ``examples/out/<name>/`` (git-ignored).
    """
    path = Path(out_dir) if out_dir is not None else EXAMPLES_DIR / "out" / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def fast_from_env() -> bool:
    return os.environ.get(FAST_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def parse_args(name: str, description: str, argv=None) -> argparse.Namespace:
    """``--fast`` and ``--out DIR``, shared by every example."""
    parser = argparse.ArgumentParser(prog=f"python examples/{name}.py", description=description)
    parser.add_argument(
        "--fast", action="store_true",
        help=f"fewer epochs/samples, for tests and a quick look (or set {FAST_ENV}=1)",
    )
    parser.add_argument(
        "--out", default=None, metavar="DIR",
        help=f"where to write the figures (default: examples/out/{name}/)",
    )
    args = parser.parse_args(argv)
    args.fast = args.fast or fast_from_env()
    return args


def save(fig, path: Path) -> Path:
    """Save a figure as PNG, close it, and say where it went."""
    fig.savefig(path, dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    print(f"  saved {path}")
    return path
