"""Reader and writer for the IDX format used by MNIST and Fashion-MNIST.

An IDX file is a header followed by a payload of big-endian numbers::

    bytes 0-1   zero
    byte  2     dtype code (0x08 ubyte, 0x09 byte, 0x0B short, 0x0C int,
                0x0D float, 0x0E double)
    byte  3     number of dimensions, ndim
    4*ndim      the dimensions, each a big-endian uint32
    payload     prod(dims) * itemsize bytes, C order

Files may be gzip-compressed; compression is detected from the magic bytes
``1f 8b``, not from the file name, because downloaded files are often renamed.

The reader checks every header field and the exact payload length *before*
it allocates or reshapes anything, so a corrupt or hostile file gives an
:class:`IDXFormatError` instead of a crash, a hang or a huge allocation.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import zlib
from pathlib import Path

import numpy as np

from .idx_format import CODE_TO_DTYPE, MAX_NDIM, IDXFormatError, IDXHeader
from .idx_write import write_idx

__all__ = ["IDXFormatError", "IDXHeader", "read_idx", "read_idx_header", "write_idx"]

_GZIP_MAGIC = b"\x1f\x8b"
# Deflate cannot compress better than about 1032:1, so a gzip file of s bytes
# cannot hold more than ~1032*s bytes. Checking the declared size against this
# bound stops a forged header from making us read (and buffer) gigabytes.
_MAX_DEFLATE_RATIO = 1100
_CHUNK = 1 << 20


@contextlib.contextmanager
def _open_stream(path: Path):
    """Yield ``(stream, compressed)``, unwrapping gzip when the magic bytes say so.

    Decompression errors inside the block become :class:`IDXFormatError`.
    """
    with open(path, "rb") as raw:
        compressed = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        if not compressed:
            yield raw, False
            return
        # GzipFile does not close a file object it was given, hence the nesting.
        with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
            try:
                yield stream, True
            except (OSError, EOFError, zlib.error) as exc:
                raise IDXFormatError(
                    f"{path}: expected a readable gzip stream (the file starts with 1f 8b), "
                    f"found corrupt compressed data ({type(exc).__name__}: {exc})"
                ) from exc


def _read_exact(stream, n: int) -> bytes:
    """Read up to ``n`` bytes in chunks (a short read means end of data)."""
    parts = []
    left = n
    while left > 0:
        chunk = stream.read(min(left, _CHUNK))
        if not chunk:
            break
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def _parse_header(stream, path: Path, compressed: bool) -> IDXHeader:
    head = _read_exact(stream, 4)
    if len(head) < 4:
        raise IDXFormatError(
            f"{path}: expected a 4-byte IDX header (00 00 <dtype> <ndim>), "
            f"found only {len(head)} byte{'' if len(head) == 1 else 's'}; the file is empty or "
            "truncated"
        )
    if head[0] != 0 or head[1] != 0:
        raise IDXFormatError(
            f"{path}: expected the IDX magic 00 00 in the first two bytes, "
            f"found {head[:2].hex(' ')}; this is not an IDX file"
            + ("" if compressed else " (nor a gzip file)")
        )
    code, ndim = head[2], head[3]
    if code not in CODE_TO_DTYPE:
        valid = ", ".join(f"0x{c:02X}" for c in CODE_TO_DTYPE)
        raise IDXFormatError(
            f"{path}: expected an IDX dtype code in {{{valid}}}, found 0x{code:02X}"
        )
    if not 1 <= ndim <= MAX_NDIM:
        raise IDXFormatError(
            f"{path}: expected 1 to {MAX_NDIM} dimensions, found {ndim}"
        )
    dims_raw = _read_exact(stream, 4 * ndim)
    if len(dims_raw) < 4 * ndim:
        raise IDXFormatError(
            f"{path}: expected {ndim} dimension sizes ({4 * ndim} bytes) after the header, "
            f"found {len(dims_raw)} bytes; the file is truncated"
        )
    shape = tuple(int(d) for d in np.frombuffer(dims_raw, dtype=">u4"))
    return IDXHeader(CODE_TO_DTYPE[code], shape, 4 + 4 * ndim, compressed)


def read_idx_header(path: str | os.PathLike) -> IDXHeader:
    """Read and check only the header of an IDX file.

    Cheap even for large files: only the first few bytes are decompressed.

    Parameters
    ----------
    path : str or path-like
        IDX file, raw or gzip-compressed.

    Returns
    -------
    header : IDXHeader
        Declared dtype and shape.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    IDXFormatError
        If the header is malformed.
    """
    path = Path(path)
    with _open_stream(path) as (stream, compressed):
        return _parse_header(stream, path, compressed)


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file into a numpy array.

    Parameters
    ----------
    path : str or path-like
        IDX file, raw or gzip-compressed (detected from its first two bytes).

    Returns
    -------
    array : ndarray of shape ``dims`` declared in the header
        In native byte order with the declared element type (uint8, int8,
        int16, int32, float32 or float64). Writable and owning its memory.
        For example ``(60000, 28, 28)`` uint8 for Fashion-MNIST training
        images and ``(60000,)`` uint8 for its labels.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    IDXFormatError
        If the magic, dtype code or number of dimensions is invalid, or the
        payload is not exactly ``prod(dims) * itemsize`` bytes long.
    """
    path = Path(path)
    with _open_stream(path) as (stream, compressed):
        header = _parse_header(stream, path, compressed)
        expected = header.payload_bytes
        # Bound the declared size by what the file on disk could hold before
        # reading anything, so a forged dimension cannot trigger a huge
        # allocation or a long decompression.
        disk_size = os.fstat(stream.fileno()).st_size
        if compressed:
            ceiling = disk_size * _MAX_DEFLATE_RATIO
            if expected > ceiling:
                raise IDXFormatError(
                    f"{path}: header declares shape {header.shape} "
                    f"({expected} payload bytes) but a {disk_size}-byte gzip file can hold "
                    f"at most about {ceiling} bytes; the header is corrupt"
                )
        else:
            found = disk_size - header.header_bytes
            if found != expected:
                raise _length_error(path, header, found)
        # Read one byte more than promised: getting it means extra data.
        payload = _read_exact(stream, expected + 1)
    if len(payload) != expected:
        raise _length_error(path, header, len(payload))
    native = header.dtype.newbyteorder("=")
    try:
        return np.frombuffer(payload, dtype=header.dtype).astype(native).reshape(header.shape)
    except ValueError:
        # A zero dimension beside huge ones passes the length check (0 bytes)
        # but no array of that shape can exist.
        raise IDXFormatError(
            f"{path}: header declares shape {header.shape}, which no array can have; "
            "the header is corrupt"
        ) from None


def _length_error(path: Path, header: IDXHeader, found: int) -> IDXFormatError:
    expected = header.payload_bytes
    if found < expected:
        what = f"found only {found}; the file is truncated"
    elif header.compressed and found == expected + 1:
        # We stop reading one byte past the promise rather than decompress
        # an unbounded tail just to count it.
        what = "found more; the payload is followed by extra bytes"
    else:
        what = f"found {found}; the payload is followed by extra bytes"
    return IDXFormatError(
        f"{path}: header declares shape {header.shape} of {header.dtype.name}, "
        f"so expected exactly {expected} payload bytes, {what}"
    )
