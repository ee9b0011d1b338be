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


FASHION_HELP = (
    "This example needs the Fashion-MNIST IDX files. Install them with\n"
    "    sudo apt-get install dataset-fashion-mnist\n"
    "(they land in /usr/share/datasets/fashion-mnist/), or put the four files\n"
    "train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and\n"
    "t10k-labels-idx1-ubyte (optionally .gz) in a folder and set SOFTMAXLAB_DATA to it."
)

#: Exit status of an example whose data are missing (argparse uses 2 for usage errors).
EXIT_NO_DATA = 3


def run_cli(name: str, main, description: str, argv=None) -> dict:
    """Parse ``--fast``/``--out``, run ``main``, turn missing data into a clear exit."""
    import sys

    from softmaxlab.data import DatasetNotFoundError

    args = parse_args(name, description, argv)
    try:
        return main(fast=args.fast, out_dir=args.out)
    except DatasetNotFoundError as exc:
        print(f"error: {exc}\n\n{FASHION_HELP}", file=sys.stderr)
        raise SystemExit(EXIT_NO_DATA) from None


def plot_image_row(images, true_names, pred_names, path: Path, shape=(28, 28)):
    """One row of images titled with the true and the predicted label."""
    import matplotlib.pyplot as plt

    n = len(images)
    fig, axes = plt.subplots(1, n, figsize=(1.45 * n, 2.1))
    for ax, img, t, p in zip(axes, images, true_names, pred_names, strict=True):
        ax.imshow(img.reshape(shape), cmap="gray_r", interpolation="nearest")
        ax.set_title(f"{t}\n{p}", fontsize=8, color="k" if t == p else "tab:red")
        ax.axis("off")
    fig.suptitle("true label (top) / predicted label (bottom; red when wrong)", fontsize=9)
    fig.tight_layout()
    return save(fig, path)
