"""The user's own CSV / NPZ / Parquet files: good files load, bad files give
one clear error each."""

import builtins
import gzip

import numpy as np
import pytest

from softmaxlab.data import load_dataset
from softmaxlab.data.tabular import load_csv, load_npz, load_parquet, load_table


def test_csv_string_labels_default_last_column(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("x1,x2,color\n0.5,1,c2\n-1,2.5,c1\n3,4,c2\n")
    t = load_csv(path)
    np.testing.assert_array_equal(t.X, [[0.5, 1], [-1, 2.5], [3, 4]])
    assert t.X.dtype == np.float64
    assert t.y.tolist() == ["c2", "c1", "c2"]
    assert t.feature_names == ["x1", "x2"] and t.label_column == "color"


def test_csv_named_integer_label_column_first(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("label,a,b\n3,1,2\n1,3,4\n")
    t = load_csv(path, label_column="label")
    assert t.y.dtype == np.int64 and t.y.tolist() == [3, 1]
    assert t.feature_names == ["a", "b"]
    np.testing.assert_array_equal(t.X, [[1, 2], [3, 4]])


def test_csv_float_labels_that_are_integers(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,y\n1,1.0\n2,0.0\n")
    assert load_csv(path).y.tolist() == [1, 0]


def test_csv_trailing_delimiter_and_blank_lines_are_fine(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,b,y\n1,2,x,\n\n3,4,z\n\n")
    t = load_csv(path)
    assert t.y.tolist() == ["x", "z"]


def test_csv_gz(tmp_path):
    path = tmp_path / "d.csv.gz"
    path.write_bytes(gzip.compress(b"a,y\n1,p\n2,q\n"))
    assert load_table(path).y.tolist() == ["p", "q"]


# name -> (file content, label_column, exception type, message fragments)
BAD_CSV = {
    "empty": ("", None, ValueError, ["is empty", "header line"]),
    "whitespace only": ("\n\n  \n", None, ValueError, ["is empty"]),
    "header only": ("a,b,y\n", None, ValueError, ["no data rows", "a, b, y"]),
    "missing label column": ("a,b,y\n1,2,3\n", "target", ValueError,
                             ["no label column 'target'", "'a', 'b', 'y'", "--label-column"]),
    "only label column": ("y\n1\n2\n", None, ValueError, ["at least one feature column"]),
    "non-numeric feature": ("a,b,y\n1,2,u\n3,oops,v\n", None, ValueError,
                            ["'b'", "mixes numbers", "'oops'", "row 2, line 3"]),
    "row too long": ("a,b,y\n1,2,u\n3,4,v,9\n", None, ValueError,
                     ["line 3 has 4 fields", "header has 3"]),
    "first row too long": ("a,b,y\n1,2,u,9\n3,4,v\n", None, ValueError,
                           ["line 2 has 4 fields"]),
    "row too short": ("a,b,y\n1,2,u\n3,4,v\n5,w\n", None, ValueError,
                      ["line 4 has 2 fields", "header has 3"]),
    "empty feature cells": ("a,b,y\n1,,u\n3,4,v\n,6,w\n", None, ValueError,
                            ["2 rows have missing", "feature", "row 1, line 2", "fill or drop",
                             "--impute"]),
    "nan feature": ("a,b,y\n1,NaN,u\n3,4,v\n", None, ValueError,
                    ["1 row has missing", "column 'b'"]),
    "empty label": ("a,b,y\n1,2,\n3,4,v\n", None, ValueError,
                    ["1 row has an empty label", "'y'", "row 1, line 2"]),
    "fractional labels": ("a,y\n1,0.5\n", None, ValueError, ["non-integer", "0.5"]),
}


@pytest.mark.parametrize("case", sorted(BAD_CSV))
def test_bad_csv(tmp_path, case):
    content, label_column, exc_type, fragments = BAD_CSV[case]
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(exc_type) as info:
        load_csv(path, label_column=label_column)
    message = str(info.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.csv: no such file"):
        load_csv(tmp_path / "nope.csv")


def test_binary_file_as_csv(tmp_path):
    path = tmp_path / "bin.csv"
    path.write_bytes(b"a,b\n\xff\xfe\x00\x81,1\n")
    with pytest.raises(ValueError, match="bin.csv"):
        load_csv(path)


def test_npz_round_trip(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, X=np.arange(6, dtype=np.int32).reshape(3, 2), y=np.array(["a", "b", "a"]),
             feature_names=np.array(["p", "q"]))
    t = load_npz(path)
    assert t.X.dtype == np.float64 and t.X.shape == (3, 2)
    assert t.y.tolist() == ["a", "b", "a"] and t.feature_names == ["p", "q"]


def test_npz_keeps_uint8_pixels(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, X=np.zeros((2, 4), np.uint8), y=np.array([0, 1]))
    assert load_npz(path).X.dtype == np.uint8


@pytest.mark.parametrize("arrays, fragment", [
    ({"X": np.zeros((2, 2))}, "no array 'y'"),
    ({"X": np.zeros((2, 2)), "y": np.zeros(3)}, "found X (2, 2) and y (3,)"),
    ({"X": np.zeros(2), "y": np.zeros(2)}, "expected X of shape (n, d)"),
    ({"X": np.array([[1.0, np.nan]]), "y": np.zeros(1)}, "1 row of X has NaN"),
    ({"X": np.zeros((1, 1)), "y": np.array([0.5])}, "non-integer"),
    ({"X": np.array([["a"]]), "y": np.zeros(1)}, "X must be numeric"),
    ({"X": np.zeros((1, 1)), "y": np.array([None], dtype=object)}, "pickle"),
])
def test_bad_npz(tmp_path, arrays, fragment):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(ValueError) as info:
        load_npz(path)
    assert fragment in str(info.value) and str(path) in str(info.value)


def test_npz_not_a_zip(tmp_path):
    path = tmp_path / "bad.npz"
    path.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a readable .npz"):
        load_npz(path)


def test_parquet_round_trip(tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    path = tmp_path / "d.parquet"
    pd.DataFrame({"a": [1.0, 2.0], "lab": ["x", "y"], "b": [3, 4]}).to_parquet(path)
    t = load_parquet(path, label_column="lab")
    assert t.feature_names == ["a", "b"] and t.y.tolist() == ["x", "y"]
    np.testing.assert_array_equal(t.X, [[1, 3], [2, 4]])


def test_parquet_without_pyarrow_says_how_to_install(tmp_path, monkeypatch):
    path = tmp_path / "d.parquet"
    path.write_bytes(b"PAR1")
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "pyarrow":
            raise ImportError("No module named 'pyarrow'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportError, match="pip install pyarrow"):
        load_parquet(path)


def test_corrupt_parquet(tmp_path):
    pytest.importorskip("pyarrow")
    path = tmp_path / "d.parquet"
    path.write_bytes(b"not parquet at all")
    with pytest.raises(ValueError, match="not a readable Parquet"):
        load_parquet(path)


def test_unsupported_extension(tmp_path):
    path = tmp_path / "d.txt"
    path.write_text("a,y\n1,2\n")
    with pytest.raises(ValueError, match=r"unsupported file type.*\.csv"):
        load_table(path)


def test_load_dataset_from_csv_path(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("f,g,kind\n1,2,b\n3,4,a\n5,6,b\n")
    ds = load_dataset(str(path))
    assert ds.name == "mine.csv" and ds.classes == ["a", "b"]
    assert ds.X.shape == (3, 2) and ds.image_shape is None and not ds.has_test_split
    assert ds.meta["label_column"] == "kind"
    # With another label column, the string column becomes a categorical
    # feature, or is refused when categorical columns are not wanted.
    other = load_dataset(path, label_column="f")
    assert other.feature_kinds == ["numeric", "categorical"]
    with pytest.raises(ValueError, match="'kind' is not numeric.*--categorical onehot"):
        load_dataset(path, label_column="f", categorical="error")
