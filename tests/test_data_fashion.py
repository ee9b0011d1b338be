"""Fashion-MNIST discovery and loading, on tiny fake IDX files (and the real
ones when the Debian package is installed)."""

import numpy as np
import pytest

from softmaxlab.data import fashion_mnist as fm
from softmaxlab.data import load_dataset
from softmaxlab.data.idx import IDXFormatError, write_idx


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    # Never pick up the machine's real data or the user's environment.
    monkeypatch.delenv(fm.ENV_VAR, raising=False)
    monkeypatch.setattr(fm, "SYSTEM_DIR", tmp_path / "system-absent")


def _write_fake(directory, n_train=6, n_test=4, gz=True, labels=None):
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    ext = ".gz" if gz else ""
    parts = {"train": n_train, "t10k": n_test}
    out = {}
    for part, n in parts.items():
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        lab = np.arange(n, dtype=np.uint8) % 10 if labels is None else labels
        write_idx(directory / f"{part}-images-idx3-ubyte{ext}", images)
        write_idx(directory / f"{part}-labels-idx1-ubyte{ext}", lab)
        out[part] = (images, lab)
    return out


@pytest.mark.parametrize("gz", [True, False])
def test_loads_from_data_dir(tmp_path, gz):
    truth = _write_fake(tmp_path / "d", gz=gz)
    data = fm.load_fashion_mnist(tmp_path / "d")
    assert data.X_train.shape == (6, 784) and data.X_train.dtype == np.uint8
    assert data.X_test.shape == (4, 784)
    np.testing.assert_array_equal(data.X_train.reshape(-1, 28, 28), truth["train"][0])
    np.testing.assert_array_equal(data.y_test, truth["t10k"][1])
    assert data.y_train.dtype == np.int64
    assert data.directory == tmp_path / "d"


def test_mixed_raw_and_gz(tmp_path):
    _write_fake(tmp_path / "d", gz=True)
    raw = tmp_path / "d" / "train-labels-idx1-ubyte"
    (tmp_path / "d" / "train-labels-idx1-ubyte.gz").rename(tmp_path / "moved.gz")
    write_idx(raw, np.arange(6, dtype=np.uint8))
    assert fm.find_fashion_mnist(tmp_path / "d")["train_labels"] == raw
    assert fm.load_fashion_mnist(tmp_path / "d").y_train.tolist() == [0, 1, 2, 3, 4, 5]


def test_search_order(tmp_path, monkeypatch):
    _write_fake(tmp_path / "explicit")
    _write_fake(tmp_path / "env" / "fashion-mnist")
    _write_fake(tmp_path / "system")
    monkeypatch.setenv(fm.ENV_VAR, str(tmp_path / "env"))
    monkeypatch.setattr(fm, "SYSTEM_DIR", tmp_path / "system")
    parent = lambda d: fm.find_fashion_mnist(d)["train_images"].parent  # noqa: E731
    assert parent(tmp_path / "explicit") == tmp_path / "explicit"
    assert parent(None) == tmp_path / "env" / "fashion-mnist"
    # An explicit directory without the files falls through to the next place.
    assert parent(tmp_path / "empty") == tmp_path / "env" / "fashion-mnist"
    monkeypatch.delenv(fm.ENV_VAR)
    assert parent(None) == tmp_path / "system"


def test_not_found_message_lists_places_and_install(tmp_path, monkeypatch):
    monkeypatch.setenv(fm.ENV_VAR, str(tmp_path / "envdir"))
    (tmp_path / "partial").mkdir()
    write_idx(tmp_path / "partial" / "train-images-idx3-ubyte", np.zeros((1, 28, 28), np.uint8))
    with pytest.raises(fm.DatasetNotFoundError) as info:
        load_dataset("fashion-mnist", data_dir=tmp_path / "partial")
    message = str(info.value)
    for place in [tmp_path / "partial", tmp_path / "envdir", tmp_path / "envdir" / "fashion-mnist",
                  fm.SYSTEM_DIR]:
        assert str(place) in message
    assert "sudo apt-get install dataset-fashion-mnist" in message
    assert "--data-dir" in message and "SOFTMAXLAB_DATA" in message
    assert "missing train-labels-idx1-ubyte" in message
    assert isinstance(info.value, FileNotFoundError)


def test_mismatched_counts(tmp_path):
    _write_fake(tmp_path / "d", gz=False)
    write_idx(tmp_path / "d" / "t10k-labels-idx1-ubyte", np.zeros(3, np.uint8))
    with pytest.raises(IDXFormatError, match="expected 4 uint8 labels"):
        fm.load_fashion_mnist(tmp_path / "d")


def test_label_out_of_range(tmp_path):
    _write_fake(tmp_path / "d", n_train=2, n_test=2, labels=np.array([3, 10], np.uint8))
    with pytest.raises(IDXFormatError, match="found 10"):
        fm.load_fashion_mnist(tmp_path / "d")


def test_wrong_image_shape(tmp_path):
    _write_fake(tmp_path / "d", gz=False)
    write_idx(tmp_path / "d" / "train-images-idx3-ubyte", np.zeros((6, 28, 27), np.uint8))
    with pytest.raises(IDXFormatError, match=r"\(n, 28, 28\)"):
        fm.load_fashion_mnist(tmp_path / "d")


def test_dataset_from_fake_files(tmp_path):
    _write_fake(tmp_path / "d")
    ds = load_dataset("fashion_mnist", data_dir=tmp_path / "d")
    assert ds.name == "fashion-mnist"
    assert ds.image_shape == (28, 28)
    assert ds.has_test_split and ds.X_test.shape == (4, 784)
    assert ds.classes == list(range(10))  # fixed by the dataset, not by the labels seen
    assert ds.class_names[9] == "Ankle boot" and len(ds.class_names) == 10
    assert ds.meta["source"] == str(tmp_path / "d")


REAL = fm.Path("/usr/share/datasets/fashion-mnist")


@pytest.mark.fashion
@pytest.mark.skipif(not REAL.is_dir(), reason="dataset-fashion-mnist is not installed")
def test_real_fashion_mnist(monkeypatch):
    monkeypatch.setattr(fm, "SYSTEM_DIR", REAL)
    ds = load_dataset("fashion-mnist")
    assert ds.X.shape == (60000, 784) and ds.X.dtype == np.uint8
    assert ds.X_test.shape == (10000, 784)
    assert ds.y.min() == 0 and ds.y.max() == 9
    assert ds.y_test.min() == 0 and ds.y_test.max() == 9
    # The official split is balanced: 6000 / 1000 images per class.
    assert np.bincount(ds.y).tolist() == [6000] * 10
    assert np.bincount(ds.y_test).tolist() == [1000] * 10
    assert ds.classes == list(range(10))
    assert ds.class_names == fm.CLASS_NAMES
