"""NPZ data files: arrays ``X`` and ``y`` (and optionally ``feature_names``),
read without pickle."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from .columns import NUMERIC
from .names import plural
from .table import Table, require_file
from softmaxlab.errors import InputError

__all__ = ["load_npz"]


def load_npz(path: str | os.PathLike, *, allow_missing: bool = False) -> Table:
    """Read features ``X`` and labels ``y`` from a ``.npz`` file (no pickle).

    Parameters
    ----------
    path : str or path-like
        Archive holding ``X`` (n_samples, n_features) numeric and ``y``
        (n_samples,) integer or string; optionally ``feature_names`` (n_features,).
    allow_missing : bool, default False
        Keep NaN in ``X`` for later imputation; otherwise refused.

    Returns
    -------
    table : Table
        ``X`` converted to float64 unless it is uint8 (kept for pixel data).

    Raises
    ------
    FileNotFoundError, ValueError
    """
    path = Path(path)
    arrays = _read_arrays(path)
    X = _features(path, arrays["X"], arrays["y"], allow_missing)
    y = _labels(path, arrays["y"])
    names = arrays.get("feature_names")
    if names is not None and names.shape == (X.shape[1],):
        feature_names = [str(n) for n in names]
    else:
        feature_names = [f"x{j}" for j in range(X.shape[1])]
    if len(set(feature_names)) != len(feature_names):
        raise InputError(f"{path}: feature_names are not unique; name every column once")
    return Table(X=X, y=y, feature_names=feature_names, label_column="y",
                 kinds=(NUMERIC,) * X.shape[1], info={"format": "npz", "header": True})


def _read_arrays(path: Path) -> dict:
    """The archive's arrays by name, read without pickle; ``X`` and ``y`` must be there."""
    require_file(path)
    with open(path, "rb") as f:
        magic = f.read(2)
    # np.load guesses the format from the content and would take a non-zip
    # file for a pickle, so check the zip signature first.
    if magic != b"PK":
        raise InputError(
            f"{path}: not a readable .npz archive (no zip signature, found {magic!r}); "
            "save with np.savez(path, X=features, y=labels)"
        )
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {k: archive[k] for k in archive.files}
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise InputError(f"{path}: not a readable .npz archive ({exc})") from None
    except ValueError as exc:
        raise InputError(
            f"{path}: holds object arrays, which need pickle and are refused; "
            f"save X and y as numeric/string arrays ({exc})"
        ) from None
    for key in ("X", "y"):
        if key not in arrays:
            raise InputError(
                f"{path}: no array {key!r}; found {sorted(arrays)}. "
                "Save with np.savez(path, X=features, y=labels)"
            )
    return arrays


def _features(path: Path, X: np.ndarray, y: np.ndarray, allow_missing: bool) -> np.ndarray:
    """``X`` checked against ``y``'s shape: float64, or uint8 kept for pixels."""
    if X.ndim == 2 and y.ndim == 2 and len(X) == len(y):
        raise InputError(
            f"{path}: y has shape {y.shape}, a label matrix (several labels per row); the "
            "command line reads multilabel data from CSV, TSV or Parquet files: one 0/1 column "
            "per label (--label-column a,b,c) or one column of label sets (--label-separator)")
    if X.ndim != 2 or y.ndim != 1 or len(X) != len(y):
        raise InputError(
            f"{path}: expected X of shape (n, d) and y of shape (n,), "
            f"found X {X.shape} and y {y.shape}"
        )
    if len(X) == 0:
        raise InputError(f"{path}: X and y have no rows; expected at least one sample")
    if X.dtype.kind not in "biuf":
        raise InputError(f"{path}: X must be numeric, found dtype {X.dtype}; convert it first")
    if X.dtype != np.uint8:
        X = X.astype(np.float64)
        bad_rows = (np.isinf(X) | (np.isnan(X) & (not allow_missing))).any(axis=1)
        if bad_rows.any():
            n = int(bad_rows.sum())
            fix = "" if allow_missing else ", or impute NaN (--impute mean, median or most_frequent)"
            raise InputError(
                f"{path}: {plural(n, 'row')} of X {'has' if n == 1 else 'have'} "
                f"{'infinite' if allow_missing else 'NaN or infinite'} values, first at row "
                f"{int(np.flatnonzero(bad_rows)[0]) + 1}; fill or drop those rows{fix}"
            )
    return X


def _labels(path: Path, y: np.ndarray) -> np.ndarray:
    """``y`` as int64 class ids or str labels; NaN, fractions and other dtypes refused."""
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
            raise InputError(
                f"{path}: y holds NaN or non-integer numbers; labels must be "
                "class names or integer class ids"
            )
        y = y.astype(np.int64)
    elif y.dtype.kind in "biu":
        y = y.astype(np.int64)
    elif y.dtype.kind not in "US":
        raise InputError(f"{path}: y must hold integers or strings, found dtype {y.dtype}")
    else:
        y = y.astype(str)
    return y
