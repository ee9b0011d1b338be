"""Train/validation/test splits, stratified and seeded.

Only row indices are drawn here; whatever learns from the data (the scaler
in ``preprocess.py``) is then fitted on the training split alone.

A multilabel dataset (a set of labels per row) is split without
stratification: there is no one class per row to keep in proportion, and
stratifying on the label combinations fails as soon as a combination occurs
once. The split is seeded all the same; a label the training split lacks is
for the caller to report.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from .labels import encode_labels
from .synthetic import as_generator
from softmaxlab.errors import InputError

__all__ = ["Splits", "split_dataset"]


@dataclass
class Splits:
    """Train/validation/test splits with labels encoded as class indices.

    Attributes
    ----------
    X_train, X_val, X_test : ndarray of shape (n_*, n_features) or DataFrame
        Same type and dtype as the dataset's ``X``; ``X_val``/``X_test`` may
        have 0 rows.
    y_train, y_val, y_test : ndarray of shape (n_*,), int64
        Indices into ``classes``; for a multilabel dataset the 0/1 indicator
        matrices of shape (n_*, n_labels), columns in ``classes`` order.
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


def take_rows(X, idx):
    """Rows ``idx`` of an array or of a pandas DataFrame (a table with text columns)."""
    if hasattr(X, "iloc"):
        return X.iloc[idx].reset_index(drop=True)
    return X[idx]


def _check_fraction(name: str, value) -> float:
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not 0 <= value < 1:
        raise InputError(f"{name} must be a number in [0, 1), got {value!r}")
    return float(value)


def _split_indices(indices, labels, fraction, random_state, stratify, what, classes):
    """Split ``indices`` into (kept, taken) with ``fraction`` of them taken."""
    from sklearn.model_selection import train_test_split

    if stratify:
        counts = np.bincount(labels, minlength=len(classes))
        present = counts > 0
        if np.any(counts[present] < 2):
            c = int(np.flatnonzero(present & (counts < 2))[0])
            raise InputError(
                f"cannot stratify the {what} split: class {classes[c]!r} has only "
                f"{counts[c]} sample; add samples, drop the class, or pass stratify=False"
            )
    try:
        kept, taken = train_test_split(
            indices, test_size=fraction, random_state=random_state, shuffle=True,
            stratify=labels if stratify else None,
        )
    except ValueError as exc:
        raise InputError(
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
        Keep the class proportions equal across the splits. A multilabel
        dataset is never stratified (see the module docstring).

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
    as in the usual 70/15/15 split.
    """
    predefined = ds.X_test is not None
    val_fraction, test_fraction = _check_fractions(val_fraction, test_fraction, predefined)
    rng = as_generator(seed)
    # Two independent seeds drawn from the run's Generator: one per split.
    rs_test, rs_val = (int(s) for s in rng.integers(0, 2**32 - 1, size=2))
    y_all, classes = _encoded_labels(ds)
    if getattr(ds, "multilabel", False):
        stratify = False
    empty = np.empty(0, dtype=np.int64)
    pool, idx_test, X_test, y_test, val_share = _test_part(
        ds, y_all, classes, val_fraction, test_fraction, rs_test, stratify)
    idx_train, idx_val = pool, empty
    if val_fraction > 0:
        idx_train, idx_val = _split_indices(pool, y_all[pool], val_share, rs_val, stratify,
                                            "validation", classes)
    return Splits(
        X_train=take_rows(ds.X, idx_train), y_train=y_all[idx_train],
        X_val=take_rows(ds.X, idx_val), y_val=y_all[idx_val],
        X_test=X_test, y_test=y_test, classes=classes,
        idx_train=idx_train, idx_val=idx_val, idx_test=idx_test, predefined_test=predefined,
    )


def _encoded_labels(ds) -> tuple[np.ndarray, list]:
    """(labels as indices into the classes, or a multilabel 0/1 matrix; classes);
    a dataset of a single class is refused."""
    if getattr(ds, "multilabel", False):
        return np.asarray(ds.y), list(ds.classes)
    y_all, classes = encode_labels(ds.y, ds.classes)
    if len(np.unique(y_all)) < 2:
        found = sorted(set(np.asarray(ds.y).tolist()), key=str)
        raise InputError(
            f"{ds.name}: the labels hold a single class {found}; a classifier needs at least two "
            "classes. Check the label column (--label-column) or the file."
        )
    return y_all, classes


def _test_part(ds, y_all, classes, val_fraction, test_fraction, rs_test, stratify):
    """(rows left for training and validation, test rows, X_test, y_test, the
    validation share of the rows left): the predefined test split, or one
    taken from all rows."""
    pool = np.arange(ds.n_samples, dtype=np.int64)
    if ds.X_test is not None:
        idx_test = np.arange(len(ds.X_test), dtype=np.int64)
        return pool, idx_test, ds.X_test, encode_labels(ds.y_test, classes)[0], val_fraction
    idx_test = np.empty(0, dtype=np.int64)
    if test_fraction > 0:
        pool, idx_test = _split_indices(pool, y_all, test_fraction, rs_test, stratify,
                                        "test", classes)
    X_test, y_test = take_rows(ds.X, idx_test), y_all[idx_test]
    return pool, idx_test, X_test, y_test, val_fraction / (1 - test_fraction)


def _check_fractions(val_fraction, test_fraction, predefined: bool) -> tuple[float, float]:
    """Both fractions checked; without a predefined test split they must leave training rows."""
    val_fraction = _check_fraction("val_fraction", val_fraction)
    test_fraction = _check_fraction("test_fraction", test_fraction)
    if not predefined and val_fraction + test_fraction >= 1:
        raise InputError(
            f"val_fraction + test_fraction must be < 1 to leave training data, got "
            f"{val_fraction} + {test_fraction}"
        )
    return val_fraction, test_fraction
