"""Splitting, label encoding, scaling and minibatch indices."""

import json

import numpy as np
import pytest

from softmaxlab.data import (
    Dataset,
    Preprocessor,
    decode_labels,
    encode_labels,
    load_dataset,
    split_dataset,
)


def _toy(n_per_class=(40, 20, 60), test=False):
    labels = np.concatenate([np.full(n, c) for n, c in zip(n_per_class, ["b", "c", "a"], strict=True)])
    X = np.arange(len(labels) * 2, dtype=np.float64).reshape(-1, 2)
    kwargs = {}
    if test:
        kwargs = {"X_test": X[:9] + 0.5, "y_test": np.array(["a", "b", "c"] * 3)}
    return Dataset(X=X, y=labels, classes=["a", "b", "c"], feature_names=["p", "q"],
                   name="toy", **kwargs)


def test_encode_decode_like_label_encoder():
    from sklearn.preprocessing import LabelEncoder

    y = np.array(["c2", "c1", "c3", "c1"])
    idx, classes = encode_labels(y)
    assert classes == ["c1", "c2", "c3"]
    np.testing.assert_array_equal(idx, LabelEncoder().fit_transform(y))
    assert idx.dtype == np.int64
    np.testing.assert_array_equal(decode_labels(idx, classes), y)


def test_encode_with_given_classes_and_unknowns():
    idx, _ = encode_labels([5, 1], classes=[1, 3, 5])
    assert idx.tolist() == [2, 0]
    with pytest.raises(ValueError, match=r"labels \[4, 9\] are not among"):
        encode_labels([4, 9, 1], classes=[1, 3, 5])
    with pytest.raises(ValueError, match="sorted and unique"):
        encode_labels([1], classes=[3, 1])
    with pytest.raises(ValueError, match=r"the labels are names \(e.g. '1'\) but the classes "
                                         r"are numbers \(1\)"):
        encode_labels(["1"], classes=[1])
    with pytest.raises(ValueError, match="0..2"):
        decode_labels([3], ["a", "b", "c"])


def test_split_sizes_and_stratification():
    ds = _toy()
    s = split_dataset(ds, val_fraction=0.15, test_fraction=0.25, seed=0)
    assert len(s.y_train) + len(s.y_val) + len(s.y_test) == 120
    assert len(s.y_test) == 30 and len(s.y_val) == 18
    full = np.bincount(encode_labels(ds.y, ds.classes)[0]) / 120
    for part in (s.y_train, s.y_val, s.y_test):
        # Stratification keeps each class share within one sample of the whole.
        np.testing.assert_allclose(np.bincount(part, minlength=3) / len(part), full,
                                   atol=1 / len(part) + 1e-12)
    # Indices partition the rows and point at the right data.
    all_idx = np.concatenate([s.idx_train, s.idx_val, s.idx_test])
    assert sorted(all_idx.tolist()) == list(range(120))
    np.testing.assert_array_equal(s.X_val, ds.X[s.idx_val])
    np.testing.assert_array_equal(decode_labels(s.y_train, s.classes), ds.y[s.idx_train])
    assert not s.predefined_test


def test_split_seeded():
    ds = _toy()
    a, b = split_dataset(ds, 0.2, 0.2, seed=5), split_dataset(ds, 0.2, 0.2, seed=5)
    c = split_dataset(ds, 0.2, 0.2, seed=6)
    np.testing.assert_array_equal(a.idx_train, b.idx_train)
    np.testing.assert_array_equal(a.idx_test, b.idx_test)
    assert not np.array_equal(a.idx_train, c.idx_train)
    g = split_dataset(ds, 0.2, 0.2, seed=np.random.default_rng(5))
    np.testing.assert_array_equal(g.idx_val, a.idx_val)


def test_split_zero_fractions():
    s = split_dataset(_toy(), val_fraction=0, test_fraction=0, seed=0)
    assert len(s.y_train) == 120 and s.X_val.shape == (0, 2) and s.X_test.shape == (0, 2)


def test_split_uses_predefined_test():
    ds = _toy(test=True)
    s = split_dataset(ds, val_fraction=0.25, test_fraction=0.5, seed=0)
    assert s.predefined_test
    np.testing.assert_array_equal(s.X_test, ds.X_test)
    assert s.y_test.tolist() == [0, 1, 2] * 3
    assert len(s.y_val) == 30 and len(s.y_train) == 90  # test_fraction ignored


@pytest.mark.parametrize("val, test, fragment", [
    (0.5, 0.5, "must be < 1"), (-0.1, 0.1, "val_fraction"), (0.1, 1.0, "test_fraction"),
    ("0.1", 0.1, "val_fraction"),
])
def test_split_rejects_bad_fractions(val, test, fragment):
    with pytest.raises(ValueError, match=fragment):
        split_dataset(_toy(), val, test)


def test_split_singleton_class_message():
    ds = Dataset(X=np.zeros((5, 1)), y=np.array([0, 0, 0, 0, 1]), classes=[0, 1],
                 feature_names=["f"], name="t")
    with pytest.raises(ValueError, match="class 1 has only 1 sample.*stratify=False"):
        split_dataset(ds, 0.2, 0.2)
    s = split_dataset(ds, 0.2, 0.2, stratify=False)
    assert len(s.y_train) + len(s.y_val) + len(s.y_test) == 5


def test_split_too_small_for_stratification():
    ds = Dataset(X=np.zeros((6, 1)), y=np.array([0, 0, 1, 1, 2, 2]), classes=[0, 1, 2],
                 feature_names=["f"], name="t")
    with pytest.raises(ValueError, match="cannot take a test split"):
        split_dataset(ds, 0.0, 0.2)


def test_standardisation_fitted_on_train_only():
    rng = np.random.default_rng(0)
    X_train = rng.normal(3.0, 2.0, size=(200, 3))
    X_train[:, 2] = 7.0  # constant feature
    X_other = rng.normal(-5.0, 10.0, size=(50, 3))
    pre = Preprocessor("standard").fit(X_train)
    np.testing.assert_allclose(pre.mean_, X_train.mean(axis=0))
    np.testing.assert_allclose(pre.scale_[:2], X_train[:, :2].std(axis=0))
    assert pre.scale_[2] == 1.0  # zero variance: scale 1, not division by 0
    Z = pre.transform(X_train)
    assert Z.dtype == np.float32
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(Z[:, :2].std(axis=0), 1, atol=1e-5)
    # Other data is scaled with the training statistics, not its own.
    np.testing.assert_allclose(pre.transform(X_other, np.float64),
                               (X_other - X_train.mean(0)) / pre.scale_)
    np.testing.assert_allclose(pre.inverse_transform(Z), X_train, atol=1e-5)


def test_pixel_scaling():
    X = np.array([[0, 51, 255]], dtype=np.uint8)
    pre = Preprocessor("pixel").fit(X)
    np.testing.assert_allclose(pre.transform(X), [[0.0, 0.2, 1.0]])
    ds = Dataset(X=X, y=np.array([1]), classes=[1], feature_names=list("abc"), name="img")
    assert Preprocessor.for_dataset(ds).method == "pixel"
    assert Preprocessor.for_dataset(load_dataset("binary-mod")).method == "standard"


def test_transform_does_not_modify_input():
    X = np.array([[1.0, 2.0], [3.0, 5.0]])
    copy = X.copy()
    out = Preprocessor().fit(X).transform(X, dtype=np.float64)
    np.testing.assert_array_equal(X, copy)
    assert out is not X


@pytest.mark.parametrize("method", ["standard", "pixel", "none"])
def test_round_trip_to_arrays(method):
    rng = np.random.default_rng(1)
    X = rng.integers(0, 256, size=(30, 4)).astype(np.float64)
    pre = Preprocessor(method).fit(X)
    arrays, info = pre.to_arrays()
    assert all(isinstance(a, np.ndarray) for a in arrays.values())
    info = json.loads(json.dumps(info))  # survives JSON
    back = Preprocessor.from_arrays(arrays, info)
    assert back.method == method
    np.testing.assert_array_equal(back.transform(X), pre.transform(X))


def test_from_arrays_rejects_bad_input():
    arrays, info = Preprocessor().fit(np.eye(3)).to_arrays()
    with pytest.raises(ValueError, match="format"):
        Preprocessor.from_arrays(arrays, {**info, "version": 99})
    with pytest.raises(ValueError, match="lack"):
        Preprocessor.from_arrays({"mean": arrays["mean"]}, info)
    with pytest.raises(ValueError, match="shapes"):
        Preprocessor.from_arrays({**arrays, "scale": np.ones(2)}, info)
    with pytest.raises(ValueError, match="positive"):
        Preprocessor.from_arrays({**arrays, "scale": np.zeros(3)}, info)


def test_preprocessor_errors():
    with pytest.raises(ValueError, match="unknown preprocessing method"):
        Preprocessor("minmax")
    with pytest.raises(ValueError, match="not fitted"):
        Preprocessor().transform(np.zeros((1, 2)))
    pre = Preprocessor().fit(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="has 3 features but .* fitted on 2"):
        pre.transform(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="shape"):
        pre.transform(np.zeros(2))
    with pytest.raises(TypeError, match="floating"):
        pre.transform(np.zeros((1, 2)), dtype=np.int32)
    with pytest.raises(ValueError, match="NaN"):
        Preprocessor().fit(np.array([[np.nan]]))


def test_dataset_validates_shapes():
    with pytest.raises(ValueError, match="expected X of shape"):
        Dataset(X=np.zeros((3, 2)), y=np.zeros(2), classes=[0], feature_names=["a", "b"], name="t")
    with pytest.raises(ValueError, match="X_test of shape"):
        Dataset(X=np.zeros((3, 2)), y=np.zeros(3), classes=[0], feature_names=["a", "b"],
                name="t", X_test=np.zeros((2, 3)), y_test=np.zeros(2))
