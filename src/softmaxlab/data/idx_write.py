"""Writing an array as an IDX file (raw or gzip; see :mod:`.idx` for the layout)."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

from .idx_format import CODE_TO_DTYPE, KIND_SIZE_TO_CODE, MAX_NDIM
from softmaxlab.errors import InputError, InputTypeError

__all__ = ["write_idx"]


def write_idx(path: str | os.PathLike, array, *, compress: bool | None = None) -> Path:
    """Write an array as an IDX file.

    Parameters
    ----------
    path : str or path-like
        Destination file; overwritten if it exists.
    array : array-like of 1 to 4 dimensions
        Element type uint8, int8, int16, int32, float32 or float64.
    compress : bool or None, default None
        Gzip the file. ``None`` means gzip when the name ends with ``.gz``.

    Returns
    -------
    path : pathlib.Path
        The file written.

    Raises
    ------
    TypeError
        If the element type has no IDX code.
    ValueError
        If the array has 0 or more than 4 dimensions, or a dimension does not
        fit in 32 bits.
    """
    path = Path(path)
    arr = np.asarray(array)
    code = KIND_SIZE_TO_CODE.get((arr.dtype.kind, arr.dtype.itemsize))
    if code is None:
        raise InputTypeError(
            f"write_idx({path}): dtype {arr.dtype} has no IDX code; convert the array to "
            "uint8, int8, int16, int32, float32 or float64 first"
        )
    if not 1 <= arr.ndim <= MAX_NDIM:
        raise InputError(
            f"write_idx({path}): expected an array with 1 to {MAX_NDIM} dimensions, "
            f"got shape {arr.shape}; reshape it first"
        )
    if any(d >= 2**32 for d in arr.shape):
        raise InputError(f"write_idx({path}): dimension in {arr.shape} does not fit in 32 bits")
    header = bytes([0, 0, code, arr.ndim]) + np.asarray(arr.shape, dtype=">u4").tobytes()
    payload = np.ascontiguousarray(arr, dtype=CODE_TO_DTYPE[code]).tobytes()
    if compress is None:
        compress = path.name.endswith(".gz")
    # mtime=0 makes the gzip output byte-for-byte reproducible.
    data = gzip.compress(header + payload, mtime=0) if compress else header + payload
    path.write_bytes(data)
    return path
