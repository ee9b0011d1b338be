"""Splitting, label encoding and feature scaling.

Everything that learns from data here (the scaler's mean and scale) is fitted
on the training split only, so validation and test scores are honest.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from .synthetic import as_generator

__all__ = [
    "PREPROCESS_METHODS",
    "Preprocessor",
    "Splits",
    "decode_labels",
    "encode_labels",
    "split_dataset",
]

PREPROCESS_METHODS = ("standard", "pixel", "none")
_FORMAT = "softmaxlab.Preprocessor"
_VERSION = 1


def encode_labels(y, classes=None) -> tuple[np.ndarray, list]:
    """Map labels to class indices ``0..C-1`` (scikit-learn ``LabelEncoder`` semantics).

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Original labels, ints or strings.
    classes : list, optional
        Known classes. Default: the sorted unique values of ``y``.

    Returns
    -------
    indices : ndarray of shape (n_samples,), int64
        ``classes[indices[i]] == y[i]``.
    classes : list
        Sorted unique classes, as Python ints or strs.

    Raises
    ------
    ValueError
        If ``y`` holds a label not in ``classes``, or ``classes`` is not
        sorted and unique.
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"labels must be 1-D, got shape {y.shape}; flatten them with ravel()")
    if classes is None:
        classes_arr = np.unique(y)
    else:
        classes_arr = np.asarray(classes)
        if classes_arr.ndim != 1 or not np.array_equal(np.unique(classes_arr), classes_arr):
            raise ValueError(
                f"classes must be sorted and unique, got {list(classes)}; use sorted(set(classes))"
            )
    if len(classes_arr) == 0:
        return np.zeros(len(y), dtype=np.int64), []
    if (y.dtype.kind in "US") != (classes_arr.dtype.kind in "US"):
        raise ValueError(
            f"labels of dtype {y.dtype} cannot match classes of dtype {classes_arr.dtype} "
            f"({classes_arr.tolist()[:5]}...); use labels of the same kind as the classes"
        )
    # searchsorted on the sorted classes is exactly what LabelEncoder.transform does.
    idx = np.searchsorted(classes_arr, y)
    idx_clipped = np.minimum(idx, len(classes_arr) - 1)
    unknown = classes_arr[idx_clipped] != y
    if np.any(unknown):
        bad = np.unique(y[unknown]).tolist()
        raise ValueError(
            f"labels {bad[:10]} are not among the classes {classes_arr.tolist()}; "
            "fit on data that contains every class, or pass the full class list"
        )
    return idx.astype(np.int64), classes_arr.tolist()


def decode_labels(indices, classes) -> np.ndarray:
    """Map class indices back to original labels.

    Parameters
    ----------
    indices : array-like of int, shape (n_samples,)
    classes : list of length C

    Returns
    -------
    labels : ndarray of shape (n_samples,)

    Raises
    ------
    ValueError
        If an index is outside ``0..C-1``.
    """
    indices = np.asarray(indices)
    classes_arr = np.asarray(classes)
    if indices.size and (indices.min() < 0 or indices.max() >= len(classes_arr)):
        raise ValueError(
            f"class indices must lie in 0..{len(classes_arr) - 1}, "
            f"got range {indices.min()}..{indices.max()}"
        )
    return classes_arr[indices]


@dataclass
class Splits:
    """Train/validation/test splits with labels encoded as class indices.

    Attributes
    ----------
    X_train, X_val, X_test : ndarray of shape (n_*, n_features)
        Same dtype as the dataset's ``X``; ``X_val``/``X_test`` may have 0 rows.
    y_train, y_val, y_test : ndarray of shape (n_*,), int64
        Indices into ``classes``.
    classes : list
        The dataset's classes; ``classes[i]`` is the original label of index ``i``.
    idx_train, idx_val, idx_test : ndarray of int64
        Rows of the dataset's ``X`` (``idx_test`` indexes ``X_test`` when the
        dataset has a predefined test split).
    predefined_test : bool
        Whether the test split is the dataset's own (e.g. Fashion-MNIST's 10k).
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    classes: list
    idx_train: np.ndarray
    idx_val: np.ndarray
    idx_test: np.ndarray
    predefined_test: bool


def _check_fraction(name: str, value) -> float:
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not 0 <= value < 1:
        raise ValueError(f"{name} must be a number in [0, 1), got {value!r}")
    return float(value)


def _split_indices(indices, labels, fraction, random_state, stratify, what, classes):
    """Split ``indices`` into (kept, taken) with ``fraction`` of them taken."""
    from sklearn.model_selection import train_test_split

    if stratify:
        counts = np.bincount(labels, minlength=len(classes))
        present = counts > 0
        if np.any(counts[present] < 2):
            c = int(np.flatnonzero(present & (counts < 2))[0])
            raise ValueError(
                f"cannot stratify the {what} split: class {classes[c]!r} has only "
                f"{counts[c]} sample; add samples, drop the class, or pass stratify=False"
            )
    try:
        kept, taken = train_test_split(
            indices, test_size=fraction, random_state=random_state, shuffle=True,
            stratify=labels if stratify else None,
        )
    except ValueError as exc:
        raise ValueError(
            f"cannot take a {what} split of fraction {fraction:.3g} from {len(indices)} "
            f"samples ({exc}); use a larger fraction, more data, or stratify=False"
        ) from None
    return np.asarray(kept, dtype=np.int64), np.asarray(taken, dtype=np.int64)


def split_dataset(ds, val_fraction=0.15, test_fraction=0.15, seed=0, *, stratify=True) -> Splits:
    """Stratified, seeded train/validation/test split of a :class:`Dataset`.

    Parameters
    ----------
    ds : Dataset
        With ``X`` of shape (n_samples, n_features) and ``y`` (n_samples,).
    val_fraction : float in [0, 1), default 0.15
        Share of all samples for validation. With a predefined test split it is
        the share of the training part instead. 0 gives an empty validation set.
    test_fraction : float in [0, 1), default 0.15
        Share of all samples for testing; ignored when the dataset has a
        predefined test split. 0 gives an empty test set.
    seed : int or numpy.random.Generator, default 0
        Same seed, same split.
    stratify : bool, default True
        Keep the class proportions equal across the splits.

    Returns
    -------
    splits : Splits
        Labels encoded as indices into ``ds.classes``.

    Raises
    ------
    ValueError
        If the fractions are out of range or sum to 1 or more, or a stratified
        split is impossible (a class with one sample, too few samples).

    Notes
    -----
    The test split is taken first, then validation from the rest with
    fraction ``val / (1 - test)``, so both fractions refer to the whole dataset,
    as in the seed documents' 70/15/15 split.
    """
    val_fraction = _check_fraction("val_fraction", val_fraction)
    test_fraction = _check_fraction("test_fraction", test_fraction)
    predefined = ds.X_test is not None
    if not predefined and val_fraction + test_fraction >= 1:
        raise ValueError(
            f"val_fraction + test_fraction must be < 1 to leave training data, got "
            f"{val_fraction} + {test_fraction}"
        )
    rng = as_generator(seed)
    # Two independent seeds drawn from the run's Generator: one per split.
    rs_test, rs_val = (int(s) for s in rng.integers(0, 2**32 - 1, size=2))
    y_all, classes = encode_labels(ds.y, ds.classes)
    if len(np.unique(y_all)) < 2:
        found = sorted(set(np.asarray(ds.y).tolist()), key=str)
        raise ValueError(
            f"{ds.name}: the labels hold a single class {found}; a classifier needs at least two "
            "classes. Check the label column (--label-column) or the file."
        )
    empty = np.empty(0, dtype=np.int64)
    pool = np.arange(ds.n_samples, dtype=np.int64)
    if predefined:
        idx_test = np.arange(len(ds.X_test), dtype=np.int64)
        X_test = ds.X_test
        y_test = encode_labels(ds.y_test, classes)[0]
        val_share = val_fraction
    else:
        idx_test = empty
        if test_fraction > 0:
            pool, idx_test = _split_indices(pool, y_all, test_fraction, rs_test, stratify,
                                            "test", classes)
        X_test, y_test = ds.X[idx_test], y_all[idx_test]
        val_share = val_fraction / (1 - test_fraction)
    idx_train, idx_val = pool, empty
    if val_fraction > 0:
        idx_train, idx_val = _split_indices(pool, y_all[pool], val_share, rs_val, stratify,
                                            "validation", classes)
    return Splits(
        X_train=ds.X[idx_train], y_train=y_all[idx_train],
        X_val=ds.X[idx_val], y_val=y_all[idx_val],
        X_test=X_test, y_test=y_test, classes=classes,
        idx_train=idx_train, idx_val=idx_val, idx_test=idx_test, predefined_test=predefined,
    )


class Preprocessor:
    """Feature scaling fitted on training data only.

    Parameters
    ----------
    method : {'standard', 'pixel', 'none'}, default 'standard'
        ``'standard'``: subtract the per-feature mean, divide by the standard
        deviation (features with zero variance get scale 1, so they become 0
        instead of NaN). ``'pixel'``: divide by ``pixel_max`` to map pixels to
        [0, 1]. ``'none'``: only change the dtype.
    pixel_max : float, default 255.0
        Largest pixel value, for ``'pixel'`` (16 for scikit-learn's digits).

    Attributes
    ----------
    mean_, scale_ : ndarray of shape (n_features,), float64
        Set by :meth:`fit` (all 0 and 1 except for ``'standard'``).
    n_features_in_ : int
    """

    def __init__(self, method: str = "standard", pixel_max: float = 255.0):
        if method not in PREPROCESS_METHODS:
            raise ValueError(
                f"unknown preprocessing method {method!r}; use one of {PREPROCESS_METHODS}"
            )
        if not np.isfinite(pixel_max) or pixel_max <= 0:
            raise ValueError(f"pixel_max must be a positive number, got {pixel_max!r}")
        self.method = method
        self.pixel_max = float(pixel_max)

    def __repr__(self) -> str:
        extra = f", pixel_max={self.pixel_max:g}" if self.method == "pixel" else ""
        return f"Preprocessor({self.method!r}{extra})"

    @classmethod
    def for_dataset(cls, ds) -> Preprocessor:
        """Pixel scaling for uint8 image data, standardisation otherwise."""
        if ds.X.dtype == np.uint8:
            return cls("pixel", pixel_max=255.0)
        return cls("standard")

    @property
    def is_fitted(self) -> bool:
        return hasattr(self, "n_features_in_")

    def fit(self, X) -> Preprocessor:
        """Learn the scaling from training features.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The training split only.

        Returns
        -------
        self : Preprocessor
        """
        X = self._check_X(X, fitting=True)
        d = X.shape[1]
        self.mean_, self.scale_ = np.zeros(d), np.ones(d)
        if self.method == "standard":
            from sklearn.preprocessing import StandardScaler

            # StandardScaler treats near-zero variances as zero (scale 1) with
            # a tolerance, which a plain std == 0 test would miss.
            scaler = StandardScaler().fit(X)
            self.mean_, self.scale_ = scaler.mean_.astype(np.float64), scaler.scale_.astype(
                np.float64)
        elif self.method == "pixel":
            self.scale_ = np.full(d, self.pixel_max)
        self.n_features_in_ = d
        return self

    def transform(self, X, dtype=np.float32) -> np.ndarray:
        """Scale features with the fitted statistics.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features_in_)
        dtype : floating dtype, default numpy.float32

        Returns
        -------
        X_scaled : ndarray of shape (n_samples, n_features_in_), ``dtype``
            A new array; ``X`` is not modified.
        """
        if not self.is_fitted:
            raise ValueError("this Preprocessor is not fitted yet; call fit(X_train) first")
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"dtype must be a floating type such as float32, got {dtype}")
        X = self._check_X(X)
        out = np.array(X, dtype=dtype, copy=True)
        if self.method != "none":
            out -= self.mean_.astype(dtype)
            out /= self.scale_.astype(dtype)
        return out

    def fit_transform(self, X, dtype=np.float32) -> np.ndarray:
        """``fit(X)`` then ``transform(X, dtype)``."""
        return self.fit(X).transform(X, dtype)

    def inverse_transform(self, X_scaled) -> np.ndarray:
        """Undo :meth:`transform` (float64), e.g. to show images.

        Parameters
        ----------
        X_scaled : array-like of shape (n_samples, n_features_in_)

        Returns
        -------
        X : ndarray of shape (n_samples, n_features_in_), float64
        """
        X_scaled = self._check_X(X_scaled)
        return np.asarray(X_scaled, dtype=np.float64) * self.scale_ + self.mean_

    def _check_X(self, X, fitting: bool = False) -> np.ndarray:
        X = np.asarray(X)
        if X.ndim != 2:
            raise ValueError(
                f"expected X of shape (n_samples, n_features), got shape {X.shape}; "
                "use X.reshape(len(X), -1)"
            )
        if X.dtype.kind not in "biuf":
            raise TypeError(f"X must be numeric, got dtype {X.dtype}")
        if fitting:
            if X.shape[0] == 0:
                raise ValueError("cannot fit a Preprocessor on 0 samples; pass the training split")
            if X.dtype.kind == "f" and not np.all(np.isfinite(X)):
                raise ValueError("X contains NaN or infinite values; clean the data before fitting")
        elif X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features but this Preprocessor was fitted on "
                f"{self.n_features_in_}; transform data with the same columns"
            )
        return X

    def to_arrays(self) -> tuple[dict[str, np.ndarray], dict]:
        """Export the fitted state without pickle.

        Returns
        -------
        arrays : dict of str to ndarray
            ``{'mean': (n_features,), 'scale': (n_features,)}``, float64.
        info : dict
            JSON-able: format name and version, ``method``, ``pixel_max``,
            ``n_features_in``.
        """
        if not self.is_fitted:
            raise ValueError("this Preprocessor is not fitted yet; call fit(X_train) first")
        arrays = {"mean": self.mean_.copy(), "scale": self.scale_.copy()}
        info = {"format": _FORMAT, "version": _VERSION, "method": self.method,
                "pixel_max": self.pixel_max, "n_features_in": int(self.n_features_in_)}
        return arrays, info

    @classmethod
    def from_arrays(cls, arrays: dict, info: dict) -> Preprocessor:
        """Rebuild a fitted Preprocessor from :meth:`to_arrays` output.

        Parameters
        ----------
        arrays : dict of str to ndarray
            With keys ``'mean'`` and ``'scale'``, each of shape (n_features,).
        info : dict
            As returned by :meth:`to_arrays`.

        Returns
        -------
        preprocessor : Preprocessor

        Raises
        ------
        ValueError
            If the format, version, keys or shapes do not match.
        """
        if info.get("format") != _FORMAT or info.get("version") != _VERSION:
            raise ValueError(
                f"expected preprocessor info with format {_FORMAT!r} version {_VERSION}, "
                f"got format {info.get('format')!r} version {info.get('version')!r}"
            )
        missing = {"mean", "scale"} - set(arrays)
        if missing:
            raise ValueError(f"preprocessor arrays lack {sorted(missing)}; found {sorted(arrays)}")
        d = info.get("n_features_in")
        mean = np.asarray(arrays["mean"], dtype=np.float64)
        scale = np.asarray(arrays["scale"], dtype=np.float64)
        if mean.shape != (d,) or scale.shape != (d,):
            raise ValueError(
                f"preprocessor arrays have shapes {mean.shape} and {scale.shape}, "
                f"expected ({d},) from n_features_in"
            )
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(scale)) and np.all(scale > 0)):
            raise ValueError("preprocessor scale must be finite and positive, mean finite")
        pre = cls(info.get("method"), pixel_max=info.get("pixel_max", 255.0))
        pre.mean_, pre.scale_, pre.n_features_in_ = mean.copy(), scale.copy(), int(d)
        return pre
