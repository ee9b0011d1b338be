"""IDX reader/writer: round trips, every header check, and fuzzing."""

import gzip
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from softmaxlab.data.idx import IDXFormatError, read_idx, read_idx_header, write_idx

DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


def _header(code: int, dims) -> bytes:
    return bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("compress", [False, True])
def test_round_trip_every_dtype(tmp_path, dtype, compress):
    rng = np.random.default_rng(0)
    arr = (rng.normal(size=(3, 4, 5)) * 50).astype(dtype)
    path = write_idx(tmp_path / "a.idx", arr, compress=compress)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype)
    assert back.dtype.isnative
    np.testing.assert_array_equal(back, arr)
    back[0, 0, 0] = 1  # the result owns writable memory
    header = read_idx_header(path)
    assert header.shape == (3, 4, 5)
    assert header.compressed is compress


@pytest.mark.parametrize("shape", [(7,), (2, 3), (2, 3, 4), (1, 2, 3, 2), (0, 28, 28)])
def test_round_trip_shapes(tmp_path, shape):
    arr = np.arange(int(np.prod(shape)), dtype=np.int32).reshape(shape)
    np.testing.assert_array_equal(read_idx(write_idx(tmp_path / "x.gz", arr)), arr)


def test_header_bytes_are_big_endian_as_specified(tmp_path):
    path = write_idx(tmp_path / "raw", np.array([[1, 2, 3]], dtype=np.int16))
    # 00 00 | 0x0B short | 2 dims | 1 | 3 | payload 3 x 2 bytes, big-endian
    assert path.read_bytes() == _header(0x0B, (1, 3)) + b"\x00\x01\x00\x02\x00\x03"


def test_gzip_detected_by_magic_not_name(tmp_path):
    arr = np.arange(12, dtype=np.uint8).reshape(3, 4)
    gz_named_raw = write_idx(tmp_path / "looks.gz", arr, compress=False)
    raw_named_gz = write_idx(tmp_path / "plain-name", arr, compress=True)
    assert raw_named_gz.read_bytes()[:2] == b"\x1f\x8b"
    np.testing.assert_array_equal(read_idx(gz_named_raw), arr)
    np.testing.assert_array_equal(read_idx(raw_named_gz), arr)


def test_write_rejects_unsupported(tmp_path):
    with pytest.raises(TypeError, match="uint64"):
        write_idx(tmp_path / "a", np.zeros(3, dtype=np.uint64))
    with pytest.raises(ValueError, match="1 to 4 dimensions"):
        write_idx(tmp_path / "a", np.zeros((1, 1, 1, 1, 1), dtype=np.uint8))
    with pytest.raises(ValueError, match="1 to 4 dimensions"):
        write_idx(tmp_path / "a", np.uint8(3))


GOOD = _header(0x08, (2, 3)) + bytes(range(6))

# (bytes, substring the message must contain)
CORRUPT = {
    "empty": (b"", "empty or truncated"),
    "short header": (b"\x00\x00", "empty or truncated"),
    "wrong magic": (b"\x01\x00" + GOOD[2:], "magic 00 00"),
    "wrong dtype code": (GOOD[:2] + b"\x0a" + GOOD[3:], "found 0x0A"),
    "zero dims": (b"\x00\x00\x08\x00", "found 0"),
    "too many dims": (_header(0x08, (1, 1, 1, 1, 1)) + b"\x00", "1 to 4 dimensions, found 5"),
    "dims truncated": (b"\x00\x00\x08\x02\x00\x00\x00\x02", "dimension sizes"),
    "truncated payload": (GOOD[:-1], "found only 5; the file is truncated"),
    "extra bytes": (GOOD + b"\x00", "followed by extra bytes"),
    "wrong itemsize": (_header(0x0C, (2, 3)) + bytes(6), "expected exactly 24 payload bytes"),
    "huge dims": (_header(0x0E, (2**32 - 1,) * 4), "expected exactly"),
}


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("case", sorted(CORRUPT))
def test_corrupt_files_raise_idx_format_error(tmp_path, case, compress):
    data, fragment = CORRUPT[case]
    path = tmp_path / "bad.idx"
    path.write_bytes(gzip.compress(data) if compress else data)
    if compress and case == "huge dims":
        fragment = "header is corrupt"  # caught by the compression-ratio bound
    with pytest.raises(IDXFormatError) as info:
        read_idx(path)
    message = str(info.value)
    assert str(path) in message
    assert fragment in message


def test_idx_format_error_is_value_error():
    assert issubclass(IDXFormatError, ValueError)


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nope")


def test_corrupt_gzip_stream(tmp_path):
    data = bytearray(gzip.compress(GOOD))
    data[12:16] = b"\xff\xff\xff\xff"  # damage the deflate stream
    path = tmp_path / "bad.gz"
    path.write_bytes(bytes(data))
    with pytest.raises(IDXFormatError, match="gzip"):
        read_idx(path)


def test_truncated_gzip(tmp_path):
    path = tmp_path / "cut.gz"
    path.write_bytes(gzip.compress(GOOD)[:-6])
    with pytest.raises(IDXFormatError, match=str(path.name)):
        read_idx(path)


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=64), gz=st.booleans())
def test_fuzz_arbitrary_bytes(tmp_path, data, gz):
    path = tmp_path / "fuzz"
    path.write_bytes(gzip.compress(data) if gz else data)
    try:
        arr = read_idx(path)
    except IDXFormatError:
        return
    # Anything accepted must be exactly what its header declared.
    assert arr.shape == read_idx_header(path).shape


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(code=st.sampled_from([0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E]),
       dims=st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=4),
       tail=st.binary(max_size=32), gz=st.booleans())
def test_fuzz_valid_headers_with_random_payload(tmp_path, code, dims, tail, gz):
    # Valid headers with forged dimensions: must fail fast, never allocate.
    path = tmp_path / "fuzz"
    data = _header(code, dims) + tail
    path.write_bytes(gzip.compress(data) if gz else data)
    try:
        arr = read_idx(path)
    except IDXFormatError:
        return
    assert arr.shape == tuple(dims)
