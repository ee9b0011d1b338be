"""The IDX format's element types, its limits, its header and its error;
:mod:`.idx` reads the format and :mod:`.idx_write` writes it (the layout is
described in :mod:`.idx`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from softmaxlab.errors import SoftmaxlabError

__all__ = ["CODE_TO_DTYPE", "KIND_SIZE_TO_CODE", "MAX_NDIM", "IDXFormatError", "IDXHeader"]

# dtype code -> big-endian numpy dtype, as in the format description.
CODE_TO_DTYPE = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
KIND_SIZE_TO_CODE = {(dt.kind, dt.itemsize): code for code, dt in CODE_TO_DTYPE.items()}
MAX_NDIM = 4


class IDXFormatError(SoftmaxlabError, ValueError):
    """A file is not a valid IDX file; the message names the file, what was
    expected and what was found."""


@dataclass(frozen=True)
class IDXHeader:
    """The parsed header of an IDX file.

    Attributes
    ----------
    dtype : numpy.dtype
        Big-endian element type declared by the file.
    shape : tuple of int
        Declared dimensions, length 1 to 4.
    header_bytes : int
        Size of the header, ``4 + 4 * len(shape)``.
    compressed : bool
        Whether the file is gzip-compressed.
    """

    dtype: np.dtype
    shape: tuple[int, ...]
    header_bytes: int
    compressed: bool

    @property
    def payload_bytes(self) -> int:
        """Number of payload bytes the header promises."""
        return int(np.prod(self.shape, dtype=object)) * self.dtype.itemsize
