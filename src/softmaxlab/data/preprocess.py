"""Feature scaling fitted on the training split only, so validation and test
scores are honest. Splitting is in ``split.py``, label encoding in ``labels.py``.
"""

from __future__ import annotations

import numpy as np
from softmaxlab.errors import InputError, InputTypeError

__all__ = ["PREPROCESS_METHODS", "Preprocessor"]

PREPROCESS_METHODS = ("standard", "pixel", "none")
_FORMAT = "softmaxlab.Preprocessor"
_VERSION = 1


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
            raise InputError(
                f"unknown preprocessing method {method!r}; use one of {PREPROCESS_METHODS}"
            )
        if not np.isfinite(pixel_max) or pixel_max <= 0:
            raise InputError(f"pixel_max must be a positive number, got {pixel_max!r}")
        self.method = method
        self.pixel_max = float(pixel_max)

    def __repr__(self) -> str:
        extra = f", pixel_max={self.pixel_max:g}" if self.method == "pixel" else ""
        return f"Preprocessor({self.method!r}{extra})"

    @classmethod
    def for_dataset(cls, ds) -> Preprocessor:
        """Pixel scaling for uint8 image data, standardisation otherwise."""
        if getattr(ds.X, "dtype", None) == np.uint8:
            return cls("pixel", pixel_max=255.0)
        return cls("standard")

    @property
    def is_fitted(self) -> bool:
        return hasattr(self, "n_features_in_")

    def fit(self, X, passthrough=None) -> Preprocessor:
        """Learn the scaling from training features.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The training split only.
        passthrough : array-like of int, optional
            Columns left as they are (mean 0, scale 1): the 0/1 indicators of
            a one-hot encoding, so a category never seen in training (all
            zeros) adds nothing to the logits.

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
        if passthrough is not None and len(passthrough):
            keep = np.asarray(passthrough, dtype=np.int64)
            self.mean_[keep], self.scale_[keep] = 0.0, 1.0
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
            raise InputError("this Preprocessor is not fitted yet; call fit(X_train) first")
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise InputTypeError(f"dtype must be a floating type such as float32, got {dtype}")
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
            raise InputError(
                f"expected X of shape (n_samples, n_features), got shape {X.shape}; "
                "use X.reshape(len(X), -1)"
            )
        if X.dtype.kind not in "biuf":
            raise InputTypeError(f"X must be numeric, got dtype {X.dtype}")
        if fitting:
            if X.shape[0] == 0:
                raise InputError("cannot fit a Preprocessor on 0 samples; pass the training split")
            if X.dtype.kind == "f" and not np.all(np.isfinite(X)):
                raise InputError("X contains NaN or infinite values; clean the data before fitting")
        elif X.shape[1] != self.n_features_in_:
            raise InputError(
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
            raise InputError("this Preprocessor is not fitted yet; call fit(X_train) first")
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
            raise InputError(
                f"expected preprocessor info with format {_FORMAT!r} version {_VERSION}, "
                f"got format {info.get('format')!r} version {info.get('version')!r}"
            )
        missing = {"mean", "scale"} - set(arrays)
        if missing:
            raise InputError(f"preprocessor arrays lack {sorted(missing)}; found {sorted(arrays)}")
        d = info.get("n_features_in")
        mean = np.asarray(arrays["mean"], dtype=np.float64)
        scale = np.asarray(arrays["scale"], dtype=np.float64)
        if mean.shape != (d,) or scale.shape != (d,):
            raise InputError(
                f"preprocessor arrays have shapes {mean.shape} and {scale.shape}, "
                f"expected ({d},) from n_features_in"
            )
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(scale)) and np.all(scale > 0)):
            raise InputError("preprocessor scale must be finite and positive, mean finite")
        pre = cls(info.get("method"), pixel_max=info.get("pixel_max", 255.0))
        pre.mean_, pre.scale_, pre.n_features_in_ = mean.copy(), scale.copy(), int(d)
        return pre
