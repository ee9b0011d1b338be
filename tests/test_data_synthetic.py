"""Generated datasets (spiral, binary mod-k), digits and the registry."""

import json

import numpy as np
import pytest

from softmaxlab.data import DATASET_NAMES, list_datasets, load_dataset
from softmaxlab.data import fashion_mnist as fm
from softmaxlab.data.synthetic import make_binary_mod, make_spiral


def test_spiral_shapes_and_labels():
    d = make_spiral(n_per_class=50, n_classes=3, noise=0.2, seed=0)
    assert d.X.shape == (150, 2) and d.X.dtype == np.float64
    assert d.y.shape == (150,)
    assert sorted(set(d.y.tolist())) == ["c1", "c2", "c3"]
    assert [int(np.sum(d.y == c)) for c in ("c1", "c2", "c3")] == [50, 50, 50]
    assert d.feature_names == ["x1", "x2"]
    # Radius grows linearly from 0 to 1 along each arm, whatever the noise.
    radius = np.hypot(d.X[:50, 0], d.X[:50, 1])
    np.testing.assert_allclose(radius, np.linspace(0, 1, 50), atol=1e-12)


def test_spiral_reproducible_by_seed():
    a = make_spiral(20, seed=7)
    b = make_spiral(20, seed=7)
    c = make_spiral(20, seed=8)
    np.testing.assert_array_equal(a.X, b.X)
    assert not np.array_equal(a.X, c.X)
    # A Generator is used as given, so a run's single Generator can be passed down.
    g1, g2 = np.random.default_rng(3), np.random.default_rng(3)
    np.testing.assert_array_equal(make_spiral(20, seed=g1).X, make_spiral(20, seed=g2).X)


def test_spiral_without_noise_arms_are_rotations():
    d = make_spiral(n_per_class=30, n_classes=4, noise=0.0, seed=0)
    angle = np.pi / 2  # 2*pi / 4 arms
    rot = np.array([[np.cos(angle), np.sin(angle)], [-np.sin(angle), np.cos(angle)]])
    np.testing.assert_allclose(d.X[:30] @ rot.T, d.X[30:60], atol=1e-12)


@pytest.mark.parametrize("kwargs, exc", [
    ({"n_per_class": 0}, ValueError), ({"n_classes": 1}, ValueError),
    ({"noise": -1.0}, ValueError), ({"n_per_class": 2.5}, TypeError), ({"seed": "x"}, TypeError),
])
def test_spiral_rejects_bad_arguments(kwargs, exc):
    with pytest.raises(exc):
        make_spiral(**kwargs)


def test_binary_mod_exact_values():
    d = make_binary_mod(bits=4, k=3)
    assert d.X.shape == (16, 4) and d.feature_names == ["bit0", "bit1", "bit2", "bit3"]
    # Row i is (i%2, (i>>1)%2, (i>>2)%2, (i>>3)%2): least significant bit first.
    assert d.X[1].tolist() == [1, 0, 0, 0]
    assert d.X[6].tolist() == [0, 1, 1, 0]
    assert d.X[13].tolist() == [1, 0, 1, 1]
    expected = [[(i >> b) & 1 for b in range(4)] for i in range(16)]
    assert d.X.tolist() == expected
    assert d.y.tolist() == [i % 3 for i in range(16)]
    assert make_binary_mod(4, 4).y.tolist() == [i % 4 for i in range(16)]
    # Bits read back give the number.
    np.testing.assert_array_equal(d.X @ (2 ** np.arange(4)), np.arange(16))


@pytest.mark.parametrize("bits, k", [(0, 2), (21, 2), (4, 1), (2, 5)])
def test_binary_mod_rejects_bad_arguments(bits, k):
    with pytest.raises(ValueError):
        make_binary_mod(bits, k)


def test_load_digits():
    ds = load_dataset("digits")
    assert ds.X.shape == (1797, 64) and ds.image_shape == (8, 8)
    assert ds.classes == list(range(10))
    assert ds.X.min() == 0 and ds.X.max() == 16
    assert len(ds.feature_names) == 64


def test_load_generated_through_registry():
    ds = load_dataset("Spiral", seed=3, n_per_class=10, n_classes=4)
    assert ds.X.shape == (40, 2) and ds.classes == ["c1", "c2", "c3", "c4"]
    assert ds.meta["seed"] == 3 and ds.meta["n_classes"] == 4
    bm = load_dataset("binary_mod", k=4)
    assert bm.classes == [0, 1, 2, 3] and bm.name == "binary-mod"


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError) as info:
        load_dataset("mnist-fashion")
    message = str(info.value)
    for name in DATASET_NAMES:
        assert name in message
    assert ".csv" in message and ".npz" in message and ".parquet" in message


@pytest.mark.parametrize("name, kwargs, exc, fragment", [
    ("spiral", {"bits": 3}, TypeError, "n_per_class"),
    ("digits", {"k": 3}, TypeError, "takes no options"),
    ("digits", {"label_column": "y"}, ValueError, "applies only to data files"),
])
def test_registry_rejects_wrong_options(name, kwargs, exc, fragment):
    with pytest.raises(exc, match=fragment):
        load_dataset(name, **kwargs)


def test_list_datasets_without_fashion(tmp_path, monkeypatch):
    monkeypatch.delenv(fm.ENV_VAR, raising=False)
    monkeypatch.setattr(fm, "SYSTEM_DIR", tmp_path / "absent")
    infos = {info["name"]: info for info in list_datasets()}
    assert list(infos) == list(DATASET_NAMES)
    assert infos["digits"]["shape"] == [1797, 64] and infos["digits"]["available"]
    assert infos["spiral"]["classes"] == ["c1", "c2", "c3"]
    fashion = infos["fashion-mnist"]
    assert not fashion["available"] and fashion["shape"] is None
    assert "sudo apt-get install dataset-fashion-mnist" in fashion["install"]
    assert fashion["classes"][0] == "T-shirt/top"
    json.dumps(infos)  # the CLI may print it as JSON


def test_list_datasets_reads_fashion_headers_only(tmp_path, monkeypatch):
    monkeypatch.delenv(fm.ENV_VAR, raising=False)
    monkeypatch.setattr(fm, "SYSTEM_DIR", tmp_path / "absent")
    from softmaxlab.data.idx import write_idx

    for part, n in (("train", 5), ("t10k", 2)):
        write_idx(tmp_path / f"{part}-images-idx3-ubyte.gz", np.zeros((n, 28, 28), np.uint8))
        write_idx(tmp_path / f"{part}-labels-idx1-ubyte.gz", np.zeros(n, np.uint8))
    fashion = list_datasets(data_dir=tmp_path)[1]
    assert fashion["available"] and fashion["source"] == str(tmp_path)
    assert fashion["shape"] == [5, 784] and fashion["test_shape"] == [2, 784]
