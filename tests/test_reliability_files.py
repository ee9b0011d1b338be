"""Reliability with missing and ruined files of every kind: model
files, checkpoints, IDX files, CSV and NPZ data. Each row: how the file is
ruined -> the exception type -> substrings naming the problem and the fix.

A model file that carries a pickle must be refused without being unpickled:
the pickles here would create a marker file if anything ever ran them.
"""
from __future__ import annotations

import gzip
import json
import pickle
import zipfile

import numpy as np
import pytest

from softmaxlab.data import IDXFormatError, load_csv, load_npz, load_table, read_idx, write_idx
from softmaxlab.io import (
    FORMAT_VERSION,
    ModelFormatError,
    load_bundle,
    load_model,
    save_bundle,
    save_model,
)
from softmaxlab.nn import mlp

# ---- model files ---------------------------------------------------------------


class _Evil:
    """Unpickling this creates the file ``marker``: proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _good_model(tmp_path):
    model = mlp(4, [5], 3, rng=np.random.default_rng(0))
    return save_model(tmp_path / "model.npz", model, meta={"classes": ["a", "b", "c"]})


def _rewrite(tmp_path, header_update=None, arrays_update=None, drop=()):
    """The good model file with its header and/or arrays changed."""
    path = _good_model(tmp_path)
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    header = json.loads(arrays["__header__"].tobytes())
    header.update(header_update or {})
    arrays["__header__"] = np.frombuffer(json.dumps(header).encode(), np.uint8)
    for k in drop:
        del arrays[k]
    arrays.update(arrays_update or {})
    out = tmp_path / "ruined.npz"
    np.savez(out, **arrays)
    return out


def _bytes(data):
    def make(tmp_path):
        path = tmp_path / "ruined.npz"
        path.write_bytes(data(tmp_path) if callable(data) else data)
        return path
    return make


def _truncated(fraction):
    return _bytes(lambda t: (lambda b: b[:int(len(b) * fraction)])(_good_model(t).read_bytes()))


def _flipped(t):
    b = bytearray(_good_model(t).read_bytes())
    b[len(b) // 2] ^= 0xFF  # inside a stored array: the zip CRC catches it
    return bytes(b)


def _pickle_file(t):
    return pickle.dumps(_Evil(t / "PWNED"))


def _npz_with_object_array(tmp_path):
    header = {"format": "softmaxlab", "kind": "model", "version": 1}
    out = tmp_path / "ruined.npz"
    np.savez(out, __header__=np.frombuffer(json.dumps(header).encode(), np.uint8),
             **{"param.0": np.array([_Evil(tmp_path / "PWNED")], dtype=object)})
    return out


def _npz_with_raw_member(tmp_path):
    good = zipfile.ZipFile(_good_model(tmp_path))
    out = tmp_path / "ruined.npz"
    with zipfile.ZipFile(out, "w") as z:
        for name in good.namelist():
            z.writestr(name, pickle.dumps(_Evil(tmp_path / "PWNED"))
                       if name == "param.0.npy" else good.read(name))
    return out


def _bad_json(tmp_path):
    return _rewrite(tmp_path, arrays_update={"__header__": np.frombuffer(b"{not json", np.uint8)})


def _deep_json(tmp_path):
    return _rewrite(tmp_path, arrays_update={"__header__": np.frombuffer(b"[" * 100_000, np.uint8)})


def _bare_npy(tmp_path):
    out = tmp_path / "ruined.npy"
    np.save(out, np.ones(3))
    return out


W0 = (4, 5)
MODEL_CASES = [
    # id, make(tmp_path) -> path, exception, substrings
    ("missing", lambda t: t / "nope.npz", FileNotFoundError, ["nope.npz"]),
    ("directory", lambda t: (_good_model(t), t)[1], IsADirectoryError,
     ["is a directory", "model.npz"]),
    ("empty", _bytes(b""), ModelFormatError, ["empty", "0 bytes"]),
    ("truncated-10%", _truncated(0.1), ModelFormatError, ["truncated or corrupt"]),
    ("truncated-50%", _truncated(0.5), ModelFormatError, ["truncated or corrupt"]),
    ("truncated-last-byte", _truncated(0.999), ModelFormatError, ["truncated or corrupt"]),
    ("bit-flip", _bytes(_flipped), ModelFormatError, ["corrupt", "CRC"]),
    ("random-bytes", _bytes(np.random.default_rng(0).bytes(500).replace(b"PK", b"QQ")),
     ModelFormatError, ["expected a .npz (zip) archive"]),
    ("text", _bytes(b"W,b\n1,2\n"), ModelFormatError, ["not a softmaxlab model file", "b'W,b"]),
    ("bare-npy", _bare_npy, ModelFormatError, ["bare .npy"]),
    ("pickle-file", _bytes(_pickle_file), ModelFormatError, ["pickled", "arbitrary code"]),
    ("npz-object-array", _npz_with_object_array, ModelFormatError, ["pickled", "arbitrary code"]),
    ("npz-raw-member", _npz_with_raw_member, ModelFormatError, ["'param.0'", "not a NumPy array"]),
    ("future-version", lambda t: _rewrite(t, {"version": FORMAT_VERSION + 1}), ModelFormatError,
     [f"version {FORMAT_VERSION + 1}", "Upgrade softmaxlab"]),
    ("version-0", lambda t: _rewrite(t, {"version": 0}), ModelFormatError, ["version 0"]),
    ("version-string", lambda t: _rewrite(t, {"version": "1"}), ModelFormatError, ["version '1'"]),
    ("version-missing", lambda t: _rewrite(t, {"version": None}), ModelFormatError,
     ["version None"]),
    ("other-format", lambda t: _rewrite(t, {"format": "keras"}), ModelFormatError,
     ["not written by softmaxlab"]),
    ("checkpoint-as-model", lambda t: _rewrite(t, {"kind": "checkpoint"}), ModelFormatError,
     ["'checkpoint' file, not a model file"]),
    ("no-header", lambda t: _rewrite(t, drop=("__header__",)), ModelFormatError, ["no softmaxlab header"]),
    ("header-not-json", _bad_json, ModelFormatError, ["corrupt header"]),
    ("header-deeply-nested", _deep_json, ModelFormatError, ["corrupt header"]),
    ("unknown-layer", lambda t: _rewrite(t, {"architecture": [{"type": "Conv2d"}]}),
     ModelFormatError, ["'Conv2d'", "Linear"]),
    ("architecture-not-list", lambda t: _rewrite(t, {"architecture": "mlp"}), ModelFormatError,
     ["architecture", "'mlp'"]),
    ("weights-shape-mismatch", lambda t: _rewrite(t, arrays_update={"param.0": np.zeros((4, 6))}),
     ModelFormatError, ["param.0", "(4, 5)", "(4, 6)"]),
    ("weights-missing", lambda t: _rewrite(t, drop=("param.3",)), ModelFormatError,
     ["param.3", "found nothing"]),
    ("forged-huge-layer", lambda t: _rewrite(t, {"architecture": [
        {"type": "Linear", "n_in": 10**9, "n_out": 10**9}]}), ModelFormatError,
     ["(1000000000, 1000000000)", "(4, 5)"]),
    ("nan-weights", lambda t: _rewrite(t, arrays_update={"param.0": np.full(W0, np.nan, np.float32)}),
     ModelFormatError, ["0.W", "NaN or infinite", "diverged"]),
    ("string-weights", lambda t: _rewrite(t, arrays_update={"param.0": np.full(W0, "x")}),
     ModelFormatError, ["0.W", "<U1"]),
    ("object-dtype", lambda t: _rewrite(t, {"dtype": "object"}), ModelFormatError,
     ["'object'", "float32"]),
    ("meta-not-dict", lambda t: _rewrite(t, {"meta": [1, 2]}), ModelFormatError, ["metadata"]),
]


@pytest.mark.parametrize("make, exc, parts", [c[1:] for c in MODEL_CASES],
                         ids=[c[0] for c in MODEL_CASES])
def test_ruined_model_file(tmp_path, make, exc, parts):
    path = make(tmp_path)
    with pytest.raises(exc) as info:
        load_model(path)
    for part in parts:
        assert part in str(info.value), f"{part!r} missing from: {info.value}"
    assert not (tmp_path / "PWNED").exists(), "a pickle was executed"


def test_model_errors_are_value_errors():
    assert issubclass(ModelFormatError, ValueError)


def test_good_model_file_round_trips(tmp_path):
    loaded = load_model(_good_model(tmp_path))
    assert loaded.meta == {"classes": ["a", "b", "c"]} and loaded.model.n_features == 4


def test_truncated_checkpoint(tmp_path):
    path = save_bundle(tmp_path / "checkpoint.npz", "checkpoint", {"epoch": 3},
                       {"weights.0": np.ones((50, 50))})
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(ModelFormatError, match="truncated or corrupt.*checkpoint"):
        load_bundle(path, "checkpoint")


def test_save_refuses_object_arrays(tmp_path):
    with pytest.raises(ValueError, match="not a plain numeric array"):
        save_bundle(tmp_path / "x.npz", "model", {}, {"a": np.array([{}], dtype=object)})
    assert not (tmp_path / "x.npz").exists()


# ---- IDX files -------------------------------------------------------------------

def _idx(tmp_path, raw=b"", name="f.idx"):
    path = tmp_path / name
    path.write_bytes(raw)
    return path


GOOD = bytes([0, 0, 0x08, 2]) + np.array([3, 4], ">u4").tobytes() + bytes(range(12))

IDX_CASES = [
    ("empty", b"", ["4-byte IDX header", "0 byte"]),
    ("wrong-magic", b"\x01\x02" + GOOD[2:], ["magic 00 00", "01 02", "not an IDX file"]),
    ("png", b"\x89PNG\r\n\x1a\n" + bytes(20), ["magic 00 00", "89 50"]),
    ("wrong-dtype-code", GOOD[:2] + b"\x07" + GOOD[3:], ["dtype code", "0x07", "0x08"]),
    ("ndim-0", GOOD[:3] + b"\x00" + GOOD[4:], ["1 to 4 dimensions", "found 0"]),
    ("ndim-9", GOOD[:3] + b"\x09" + GOOD[4:], ["found 9"]),
    ("truncated-dims", GOOD[:7], ["dimension sizes", "truncated"]),
    ("truncated-payload", GOOD[:-5], ["expected exactly 12 payload bytes", "found only 7", "truncated"]),
    ("extra-bytes", GOOD + b"\x00\x00", ["found 14", "extra bytes"]),
    ("forged-huge-dims", GOOD[:4] + np.array([2**31, 2**31], ">u4").tobytes() + bytes(12),
     ["(2147483648, 2147483648)"]),
]


@pytest.mark.parametrize("raw, parts", [c[1:] for c in IDX_CASES], ids=[c[0] for c in IDX_CASES])
@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gzip"])
def test_ruined_idx_file(tmp_path, raw, parts, gz):
    path = _idx(tmp_path, gzip.compress(raw, mtime=0) if gz else raw)
    with pytest.raises(IDXFormatError) as info:
        read_idx(path)
    msg = str(info.value)
    assert str(path) in msg
    for part in parts:
        if gz and part in ("not an IDX file", "found 14"):
            continue  # the gzip reader stops one byte past the promise
        assert part in msg, f"{part!r} missing from: {msg}"


def test_idx_good_file_reads(tmp_path):
    np.testing.assert_array_equal(read_idx(_idx(tmp_path, GOOD)), np.arange(12).reshape(3, 4))


def test_idx_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.idx"):
        read_idx(tmp_path / "nope.idx")


@pytest.mark.parametrize("cut", [5, 20, -8])
def test_idx_corrupt_gzip_stream(tmp_path, cut):
    data = gzip.compress(GOOD * 50, mtime=0)
    data = data[:cut] if cut > 0 else data[:cut] + b"\xff" * 8  # truncated, or ruined trailer
    with pytest.raises(IDXFormatError, match="gzip|truncated"):
        read_idx(_idx(tmp_path, data, "f.idx.gz"))


def test_idx_gzip_bomb_header_is_refused_before_reading(tmp_path):
    raw = GOOD[:4] + np.array([60000, 60000], ">u4").tobytes() + bytes(1000)
    with pytest.raises(IDXFormatError, match="can hold at most"):
        read_idx(_idx(tmp_path, gzip.compress(raw, mtime=0)))


def test_write_idx_refuses_unsupported_dtype(tmp_path):
    with pytest.raises(TypeError, match="no IDX code"):
        write_idx(tmp_path / "x.idx", np.zeros(3, dtype=np.uint64))


# ---- CSV and NPZ data --------------------------------------------------------------

def _csv(text, name="data.csv"):
    def make(tmp_path):
        path = tmp_path / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        return path
    return make


CSV_CASES = [
    # id, make, label_column, exception, substrings
    ("missing", lambda t: t / "nope.csv", None, FileNotFoundError, ["nope.csv", "no such file"]),
    ("directory", lambda t: t, None, ValueError, ["directory"]),
    ("empty", _csv(""), None, ValueError, ["empty", "header"]),
    ("header-only", _csv("a,b,label\n"), None, ValueError, ["no data rows", "a, b, label"]),
    ("missing-label-column", _csv("a,b,y\n1,2,0\n"), "label", ValueError,
     ["no label column 'label'", "'a', 'b', 'y'", "--label-column"]),
    ("only-label-column", _csv("y\n0\n1\n"), None, ValueError, ["at least one feature column"]),
    ("non-numeric-feature", _csv("a,b,y\n1,2,0\n3,cat,1\n"), None, ValueError,
     ["'b'", "mixes numbers", "'cat'", "row 2, line 3"]),
    ("ragged-long-row", _csv("a,b,y\n1,2,0\n3,4,5,1\n"), None, ValueError,
     ["line 3", "4 fields", "header has 3"]),
    ("ragged-short-row", _csv("a,b,y\n1,2,0\n3,1\n"), None, ValueError,
     ["line 3", "2 fields", "header has 3"]),
    ("empty-cell", _csv("a,b,y\n1,,0\n3,4,1\n"), None, ValueError,
     ["1 row has missing", "row 1", "--impute"]),
    ("nan-feature", _csv("a,b,y\n1,nan,0\n3,4,1\n"), None, ValueError, ["1 row has missing"]),
    ("inf-feature", _csv("a,b,y\n1,2,0\n3,inf,1\n"), None, ValueError,
     ["column 'b'", "1 infinite value", "row 2, line 3"]),
    ("empty-label", _csv("a,b,y\n1,2,\n3,4,1\n"), None, ValueError, ["empty label", "'y'"]),
    ("continuous-label", _csv("a,b,y\n1,2,0.5\n3,4,1\n"), None, ValueError,
     ["non-integer", "0.5", "label column"]),
    ("not-utf8", _csv(b"a,b,y\n1,2,\xff\xfe\n"), None, ValueError, ["UTF-8"]),
    ("binary-garbage", _csv(b"\x00\x01\x02\xff" * 50), None, ValueError, ["data.csv"]),
    ("unsupported-extension", _csv("a,y\n1,0\n", name="data.xlsx"), None, ValueError,
     ["unsupported file type", ".csv"]),
]


@pytest.mark.parametrize("make, label, exc, parts", [c[1:] for c in CSV_CASES],
                         ids=[c[0] for c in CSV_CASES])
def test_ruined_csv(tmp_path, make, label, exc, parts):
    path = make(tmp_path)
    with pytest.raises(exc) as info:
        load_table(path, label_column=label)
    for part in parts:
        assert part in str(info.value), f"{part!r} missing from: {info.value}"


def test_good_csv_reads(tmp_path):
    table = load_csv(_csv("a,b,y\n1,2,cat\n3,4,dog\n")(tmp_path))
    assert table.X.shape == (2, 2) and list(table.y) == ["cat", "dog"]


def _npz(**arrays):
    def make(tmp_path):
        path = tmp_path / "data.npz"
        np.savez(path, **arrays)
        return path
    return make


NPZ_CASES = [
    ("pickled-object", lambda t: _npz(X=np.array([[_Evil(t / "PWNED")]], dtype=object),
                                      y=np.array([0]))(t), ["object arrays", "pickle"]),
    ("no-X", _npz(y=np.array([0, 1])), ["no array 'X'", "np.savez"]),
    ("length-mismatch", _npz(X=np.ones((3, 2)), y=np.array([0, 1])), ["(3, 2)", "(2,)"]),
    ("nan-rows", _npz(X=np.array([[1.0, np.nan], [0, 1]]), y=np.array([0, 1])), ["1 row of X", "NaN"]),
    ("not-a-zip", lambda t: _csv("a,y\n1,0\n", name="data.npz")(t), ["no zip signature"]),
]


@pytest.mark.parametrize("make, parts", [c[1:] for c in NPZ_CASES], ids=[c[0] for c in NPZ_CASES])
def test_ruined_npz_data(tmp_path, make, parts):
    path = make(tmp_path)
    with pytest.raises(ValueError) as info:
        load_npz(path)
    for part in parts:
        assert part in str(info.value), f"{part!r} missing from: {info.value}"
    assert not (tmp_path / "PWNED").exists(), "a pickle was executed"
