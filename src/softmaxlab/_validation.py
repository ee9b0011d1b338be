"""Boundary checks shared by the trainer, the estimators and the CLI.

Inside the engine shapes are trusted; these run once, where user data enters.
"""
from __future__ import annotations

import math
import numbers

import numpy as np


def check_features(X, n_features: int | None = None, dtype=None, name: str = "X") -> np.ndarray:
    """Return X as a 2-D finite numeric array of shape (n_samples, n_features).

    Raises ``ValueError``/``TypeError`` naming the problem (shape, strings,
    how many rows hold NaN or infinity, a feature count different from fit).
    """
    if hasattr(X, "dtype") and getattr(X.dtype, "kind", "f") in "OUS" or isinstance(X, (list, tuple)):
        arr = np.asarray(X)
        if arr.dtype.kind in "OUS":
            try:
                arr = arr.astype(np.float64)
            except (TypeError, ValueError):
                raise TypeError(
                    f"{name} must hold numbers only, but it contains non-numeric values "
                    f"(dtype {arr.dtype}); encode text columns as numbers first."
                ) from None
        X = arr
    X = np.asarray(X)
    if X.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric, got dtype {X.dtype}.")
    if X.ndim != 2:
        hint = " Reshape a single feature with X.reshape(-1, 1) or one sample with X.reshape(1, -1)." \
            if X.ndim == 1 else ""
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {X.shape}.{hint}")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {X.shape}); need at least one sample and one feature.")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(
            f"{name} has {X.shape[1]} features, but the model was built for {n_features}."
        )
    if dtype is not None:
        X = np.asarray(X, dtype=dtype)
    if X.dtype.kind == "f":
        bad = ~np.isfinite(X)
        if bad.any():
            rows = int(bad.any(axis=1).sum())
            raise ValueError(
                f"{name} contains NaN or infinity in {rows} of {X.shape[0]} rows; "
                "drop or impute them (e.g. sklearn.impute.SimpleImputer) before training."
            )
    return X


def check_labels(y, n_samples: int, n_classes: int, name: str = "y") -> np.ndarray:
    """Return integer class indices of shape (n_samples,) in ``[0, n_classes)``."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"{name} must be 1-D (n_samples,), got shape {y.shape}.")
    if y.shape[0] != n_samples:
        raise ValueError(f"{name} has {y.shape[0]} labels but X has {n_samples} rows; they must match.")
    if y.dtype.kind not in "iu":
        if y.dtype.kind == "f" and np.all(np.isfinite(y)) and np.all(y == np.round(y)):
            y = y.astype(np.int64)
        else:
            raise ValueError(
                f"{name} must hold integer class indices 0..{n_classes - 1} here (got dtype {y.dtype}); "
                "encode labels with sklearn.preprocessing.LabelEncoder or use the estimators, "
                "which accept any labels."
            )
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(
            f"{name} must lie in [0, {n_classes}) for a {n_classes}-class model, "
            f"got values from {y.min()} to {y.max()}."
        )
    return y.astype(np.intp, copy=False)


def check_sample_weight(sample_weight, n_samples: int, dtype) -> np.ndarray | None:
    """Return per-sample weights of shape (n_samples,) (finite, >= 0) or None."""
    if sample_weight is None:
        return None
    sw = np.asarray(sample_weight, dtype=dtype)
    if sw.shape != (n_samples,):
        raise ValueError(f"sample_weight must have shape ({n_samples},), got {sw.shape}.")
    if not np.all(np.isfinite(sw)) or np.any(sw < 0):
        raise ValueError("sample_weight must be finite and non-negative.")
    return sw


def check_batch_size(batch_size, n_samples: int) -> int:
    """Resolve ``"full"``/None to n_samples; else a positive int, capped at n_samples."""
    if batch_size is None or batch_size == "full":
        return n_samples
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer or 'full', got {batch_size!r}.")
    return min(int(batch_size), n_samples)


def check_positive_int(value, name: str) -> int:
    """A positive integer (not bool)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)


def check_fraction(value, name: str, low_inclusive=True, high=1.0, high_inclusive=False) -> float:
    """A finite float in [0, high) (bounds configurable)."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = (value >= 0 if low_inclusive else value > 0) and (
            value <= high if high_inclusive else value < high)
    if not ok:
        lo = "[0" if low_inclusive else "(0"
        hi = f"{high}]" if high_inclusive else f"{high})"
        raise ValueError(f"{name} must be in {lo}, {hi}, got {value!r}.")
    return float(value)
