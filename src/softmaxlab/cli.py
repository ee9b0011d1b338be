"""Command-line interface (placeholder until the full CLI lands)."""
from __future__ import annotations

import argparse

from softmaxlab import __version__


def main(argv=None) -> int:
    """Entry point of the ``softmaxlab`` command; returns the exit status."""
    parser = argparse.ArgumentParser(prog="softmaxlab", description=__doc__)
    parser.add_argument("--version", action="version", version=f"softmaxlab {__version__}")
    parser.parse_args(argv)
    parser.print_help()
    return 0
