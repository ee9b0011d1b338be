"""Locate and load the four Fashion-MNIST IDX files.

The files are never downloaded here. They are looked for, in order, in

1. the explicit ``data_dir`` argument (the CLI's ``--data-dir``),
2. ``$SOFTMAXLAB_DATA`` and ``$SOFTMAXLAB_DATA/fashion-mnist``,
3. ``/usr/share/datasets/fashion-mnist/``, where the Debian package
   ``dataset-fashion-mnist`` installs them.

Each file may be raw or gzip-compressed (``.gz``). The first directory that
holds all four files wins; when none does, :class:`DatasetNotFoundError` lists
every directory tried and how to install the data.
"""

from __future__ import annotations

from softmaxlab.errors import SoftmaxlabError

import os
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .idx import IDXFormatError, read_idx, read_idx_header

__all__ = [
    "CLASS_NAMES",
    "ENV_VAR",
    "FILE_STEMS",
    "IMAGE_SHAPE",
    "INSTALL_COMMAND",
    "SYSTEM_DIR",
    "DatasetNotFoundError",
    "FashionMNIST",
    "candidate_dirs",
    "fashion_mnist_shapes",
    "find_fashion_mnist",
    "load_fashion_mnist",
]

CLASS_NAMES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]
IMAGE_SHAPE = (28, 28)
FILE_STEMS = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
ENV_VAR = "SOFTMAXLAB_DATA"
SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")
INSTALL_COMMAND = "sudo apt-get install dataset-fashion-mnist"


class DatasetNotFoundError(SoftmaxlabError, FileNotFoundError):
    """The data files of a dataset are in none of the places searched."""


class FashionMNIST(NamedTuple):
    """The official Fashion-MNIST split.

    Attributes
    ----------
    X_train : ndarray of shape (60000, 784), uint8
    y_train : ndarray of shape (60000,), int64, values 0..9
    X_test : ndarray of shape (10000, 784), uint8
    y_test : ndarray of shape (10000,), int64, values 0..9
    directory : pathlib.Path
        Where the files were found.
    files : dict of str to pathlib.Path
        The four files read, keyed like :data:`FILE_STEMS`.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    directory: Path
    files: dict


def candidate_dirs(data_dir: str | os.PathLike | None = None) -> list[Path]:
    """Directories searched for the files, in search order.

    Parameters
    ----------
    data_dir : str or path-like, optional
        Explicit directory; it and its ``fashion-mnist`` subfolder come first.

    Returns
    -------
    dirs : list of pathlib.Path
        Without duplicates; directories need not exist.
    """
    dirs: list[Path] = []
    if data_dir is not None:
        dirs += [Path(data_dir), Path(data_dir) / "fashion-mnist"]
    env = os.environ.get(ENV_VAR)
    if env:
        dirs += [Path(env), Path(env) / "fashion-mnist"]
    dirs.append(SYSTEM_DIR)
    unique: list[Path] = []
    for d in dirs:
        if d not in unique:
            unique.append(d)
    return unique


def _files_in(directory: Path) -> tuple[dict[str, Path], list[str]]:
    """Map each file role to an existing file in ``directory``; list the missing."""
    found, missing = {}, []
    for role, stem in FILE_STEMS.items():
        for name in (stem, stem + ".gz"):
            if (directory / name).is_file():
                found[role] = directory / name
                break
        else:
            missing.append(stem)
    return found, missing


def find_fashion_mnist(data_dir: str | os.PathLike | None = None) -> dict[str, Path]:
    """Find the four Fashion-MNIST files without reading them.

    Parameters
    ----------
    data_dir : str or path-like, optional
        Directory searched first (see the module docstring for the order).

    Returns
    -------
    files : dict of str to pathlib.Path
        Keys ``train_images``, ``train_labels``, ``test_images``,
        ``test_labels``; all in the same directory.

    Raises
    ------
    DatasetNotFoundError
        If no searched directory holds all four files. The message lists each
        directory and what it lacked, and how to install the data.
    """
    report = []
    for directory in candidate_dirs(data_dir):
        if not directory.is_dir():
            report.append(f"  {directory}: no such directory")
            continue
        found, missing = _files_in(directory)
        if not missing:
            return found
        report.append(f"  {directory}: missing {', '.join(missing)} (or .gz)")
    raise DatasetNotFoundError(
        "Fashion-MNIST not found. Looked in:\n"
        + "\n".join(report)
        + f"\nInstall it with `{INSTALL_COMMAND}`, or put the four IDX files "
        "(train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, "
        "t10k-labels-idx1-ubyte, optionally .gz) in a directory and pass it with "
        f"--data-dir (data_dir=...) or set {ENV_VAR}."
    )


def _check_pair(images: np.ndarray, labels: np.ndarray, files: dict, part: str) -> None:
    img_path, lab_path = files[f"{part}_images"], files[f"{part}_labels"]
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE:
        raise IDXFormatError(
            f"{img_path}: expected uint8 images of shape (n, 28, 28), "
            f"found {images.dtype} of shape {images.shape}"
        )
    if labels.dtype != np.uint8 or labels.ndim != 1 or len(labels) != len(images):
        raise IDXFormatError(
            f"{lab_path}: expected {len(images)} uint8 labels to match {img_path.name}, "
            f"found {labels.dtype} of shape {labels.shape}"
        )
    if labels.size and labels.max() >= len(CLASS_NAMES):
        raise IDXFormatError(
            f"{lab_path}: expected labels 0..{len(CLASS_NAMES) - 1}, found {int(labels.max())}"
        )


def load_fashion_mnist(data_dir: str | os.PathLike | None = None) -> FashionMNIST:
    """Load the official 60k/10k Fashion-MNIST split.

    Parameters
    ----------
    data_dir : str or path-like, optional
        Directory searched first (see the module docstring for the order).

    Returns
    -------
    data : FashionMNIST
        ``X_train`` (60000, 784) and ``X_test`` (10000, 784) uint8 pixel rows
        (reshape to :data:`IMAGE_SHAPE` to view), integer labels 0..9 indexing
        :data:`CLASS_NAMES`, and where the files were found.

    Raises
    ------
    DatasetNotFoundError
        If the files are not found.
    IDXFormatError
        If a file is corrupt or the images and labels do not match.
    """
    files = find_fashion_mnist(data_dir)
    arrays = {role: read_idx(path) for role, path in files.items()}
    for part in ("train", "test"):
        _check_pair(arrays[f"{part}_images"], arrays[f"{part}_labels"], files, part)
    n_pixels = IMAGE_SHAPE[0] * IMAGE_SHAPE[1]
    return FashionMNIST(
        X_train=arrays["train_images"].reshape(-1, n_pixels),
        y_train=arrays["train_labels"].astype(np.int64),
        X_test=arrays["test_images"].reshape(-1, n_pixels),
        y_test=arrays["test_labels"].astype(np.int64),
        directory=files["train_images"].parent,
        files=files,
    )


def fashion_mnist_shapes(files: dict[str, Path]) -> dict[str, tuple[int, ...]]:
    """Declared shapes of the four files, read from their headers only.

    Parameters
    ----------
    files : dict of str to pathlib.Path
        As returned by :func:`find_fashion_mnist`.

    Returns
    -------
    shapes : dict of str to tuple of int
        E.g. ``{"train_images": (60000, 28, 28), ...}``.
    """
    return {role: read_idx_header(path).shape for role, path in files.items()}
