"""scikit-learn's bundled 8x8 handwritten digits: the always-available default.

The data ship inside scikit-learn, so loading never touches the network.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["DIGITS_IMAGE_SHAPE", "Digits", "load_digits_arrays"]

DIGITS_IMAGE_SHAPE = (8, 8)


class Digits(NamedTuple):
    """The digits data as plain arrays.

    Attributes
    ----------
    X : ndarray of shape (1797, 64), float64
        Pixel intensities 0..16, rows are flattened 8x8 images.
    y : ndarray of shape (1797,), int64
        Digit 0..9.
    feature_names : list of str
        ``pixel_<row>_<col>``, length 64.
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: list


def load_digits_arrays() -> Digits:
    """Load scikit-learn's 8x8 digits.

    Returns
    -------
    digits : Digits
        ``X`` of shape (1797, 64) with values 0..16, ``y`` of shape (1797,).
    """
    # Imported here so that importing softmaxlab stays cheap.
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return Digits(
        X=np.asarray(bunch.data, dtype=np.float64),
        y=np.asarray(bunch.target, dtype=np.int64),
        feature_names=list(bunch.feature_names),
    )
