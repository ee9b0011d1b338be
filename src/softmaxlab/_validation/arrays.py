"""Boundary checks shared by the trainer, the estimators and the CLI.

Inside the engine shapes are trusted; these run once, where user data enters.
NumPy input (and anything array-like: lists, DataFrames) is checked with
NumPy; arrays of another array-API library (PyTorch, CuPy, array-api-strict)
are checked in their own namespace and on their own device, never copied
to NumPy.
"""
from __future__ import annotations

import math
import numbers

import numpy as np
from array_api_compat import array_namespace, is_array_api_obj, is_numpy_array

from softmaxlab.backend import numpy_dtype, to_numpy, xp_dtype


def is_foreign_array(a) -> bool:
    """True for an array of an array-API library other than NumPy (a torch
    tensor, a CuPy or array-api-strict array): checked and kept in its own
    namespace and device."""
    return is_array_api_obj(a) and not is_numpy_array(a)


class NumericalOverflowError(ValueError, FloatingPointError):
    """Numbers too large for the model's float type: inputs whose square
    overflows it, or logits that overflow at prediction. Both a ``ValueError``
    (bad input) and a ``FloatingPointError`` (like ``TrainingDivergedError``)."""


def safe_input_limit(dtype) -> float:
    """Largest input magnitude that trains without overflow in ``dtype``.

    One SGD step moves a weight by about ``lr * |x|`` and the next forward pass
    multiplies that by ``|x|`` again, so inputs beyond ``sqrt(finfo.max)``
    (about 1.8e19 in float32, 1.3e154 in float64) overflow to infinity after
    the first update. Real features never come near it unless unscaled or corrupt.
    """
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        dtype = np.dtype(np.float64)
    return float(np.sqrt(np.finfo(dtype).max))


def _as_numeric(X, name: str) -> np.ndarray:
    """``np.asarray`` that turns object/string arrays (e.g. a DataFrame with a
    text column) into float64 when every value parses, else a ``TypeError``."""
    arr = np.asarray(X)
    if arr.dtype.kind in "OUS":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            example = _first_non_numeric(arr)
            raise TypeError(
                f"{name} must hold numbers only, but it contains non-numeric values "
                f"(dtype {arr.dtype}{example}); encode text columns as numbers first "
                "(e.g. sklearn.preprocessing.OneHotEncoder) or drop them."
            ) from None
    return arr


def _first_non_numeric(arr: np.ndarray) -> str:
    for v in arr.ravel()[:100_000]:
        try:
            float(v)
        except (TypeError, ValueError):
            return f", e.g. {v!r}"
    return ""


def check_features(X, n_features: int | None = None, dtype=None, name: str = "X") -> np.ndarray:
    """Return X as a 2-D finite numeric array of shape (n_samples, n_features).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    n_features : int, optional
        The width the model was built for.
    dtype : numpy dtype, optional
        Cast to this dtype (once, after the checks).
    name : str
        Used in messages (``"X"``, ``"X_val"``).

    Raises
    ------
    TypeError
        Strings/objects that do not parse as numbers, or a non-numeric dtype.
    ValueError
        Not 2-D, empty, a feature count different from ``n_features``, NaN or
        infinity (the message says in how many rows).
    NumericalOverflowError
        Values whose magnitude exceeds ``safe_input_limit(dtype)``: they would
        overflow to infinity in the first training step.
    """
    if is_foreign_array(X):
        return _check_features_xp(X, n_features, dtype, name)
    X = _as_numeric(X, name)
    if X.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric (int, float or bool), got dtype {X.dtype}.")
    if X.ndim != 2:
        hint = " Reshape a single feature with X.reshape(-1, 1) or one sample with X.reshape(1, -1)." \
            if X.ndim == 1 else ""
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {X.shape}.{hint}")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {X.shape}); need at least one sample and one feature.")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(
            f"{name} has {X.shape[1]} features, but the model was built for {n_features}; "
            "pass the same columns, in the same order, as at fit time."
        )
    if X.dtype.kind == "b" or X.dtype.itemsize == 1:  # bool and (u)int8 cannot overflow
        return np.asarray(X, dtype=dtype) if dtype is not None else X
    # Two reductions and no temporary: NaN propagates through min and max,
    # and an infinity is the min or the max, so finite bounds prove the whole
    # array finite. Only a failing array pays for the per-row counts.
    lo, hi = float(X.min()), float(X.max())
    if not (math.isfinite(lo) and math.isfinite(hi)):
        rows = int((~np.isfinite(X)).any(axis=1).sum())
        raise ValueError(
            f"{name} contains NaN or infinity in {rows} of {X.shape[0]} rows; "
            "drop or impute them (e.g. sklearn.impute.SimpleImputer) before training."
        )
    target = np.dtype(dtype) if dtype is not None else X.dtype
    limit = safe_input_limit(target)
    if max(-lo, hi) > limit:
        big = np.abs(X.astype(np.float64, copy=False)) > limit
        rows = int(big.any(axis=1).sum())
        precision = target.name if target.kind == "f" else "float64"
        raise NumericalOverflowError(
            f"{name} has values of magnitude up to {max(-lo, hi):.3g} in {rows} of {X.shape[0]} "
            f"rows; {precision} training overflows to infinity above about {limit:.2g}. "
            "Scale the features (e.g. sklearn.preprocessing.StandardScaler, or divide "
            "pixels by 255)."
        )
    if dtype is not None:
        X = np.asarray(X, dtype=dtype)
    return X


def _check_features_xp(X, n_features, dtype, name):
    """``check_features`` for an array of another array-API library: the
    same checks and messages, computed in its namespace on its device."""
    xp = array_namespace(X)
    shape = tuple(X.shape)
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {shape}.")
    if shape[0] == 0 or shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {shape}); need at least one sample and one feature.")
    if n_features is not None and shape[1] != n_features:
        raise ValueError(
            f"{name} has {shape[1]} features, but the model was built for {n_features}; "
            "pass the same columns, in the same order, as at fit time.")
    kind = numpy_dtype(X.dtype).kind
    if kind not in "biuf":
        raise TypeError(f"{name} must be numeric (int, float or bool), got dtype {X.dtype}.")
    target = np.dtype(dtype) if dtype is not None else (numpy_dtype(X.dtype) if kind == "f"
                                                          else np.dtype(np.float32))
    if kind == "b" or kind in "iu":
        X = xp.astype(X, xp_dtype(xp, target))
    lo, hi = float(xp.min(X)), float(xp.max(X))
    if not (math.isfinite(lo) and math.isfinite(hi)):
        rows = int(xp.count_nonzero(xp.any(~xp.isfinite(X), axis=1)))
        raise ValueError(
            f"{name} contains NaN or infinity in {rows} of {shape[0]} rows; "
            "drop or impute them (e.g. sklearn.impute.SimpleImputer) before training.")
    limit = safe_input_limit(target)
    if max(-lo, hi) > limit:
        raise NumericalOverflowError(
            f"{name} has values of magnitude up to {max(-lo, hi):.3g}; {target.name} training "
            f"overflows to infinity above about {limit:.2g}. Scale the features (e.g. "
            "sklearn.preprocessing.StandardScaler, or divide pixels by 255).")
    if numpy_dtype(X.dtype) != target:
        X = xp.astype(X, xp_dtype(xp, target))
    return X


def check_labels(y, n_samples: int, n_classes: int, name: str = "y") -> np.ndarray:
    """Return integer class indices of shape (n_samples,) in ``[0, n_classes)``.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Integer class indices (floats that are whole numbers are accepted).
    n_samples : int
        Rows of X; ``y`` must match.
    n_classes : int

    Raises
    ------
    ValueError
        Wrong shape or length, NaN, non-integer values, or indices outside
        ``[0, n_classes)``.
    """
    if is_foreign_array(y):
        return _check_labels_xp(y, n_samples, n_classes, name)
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"{name} must be 1-D (n_samples,), got shape {y.shape}.")
    if y.shape[0] != n_samples:
        raise ValueError(f"{name} has {y.shape[0]} labels but X has {n_samples} rows; they must match.")
    if y.dtype.kind == "b":
        y = y.astype(np.int64)
    if y.dtype.kind not in "iu":
        encode = ("encode labels with sklearn.preprocessing.LabelEncoder or use the estimators, "
                  "which accept any labels.")
        if y.dtype.kind == "f":
            nan = ~np.isfinite(y)
            if nan.any():
                raise ValueError(
                    f"{name} contains NaN or infinity in {int(nan.sum())} of {n_samples} rows; "
                    "drop those rows or fill in their labels."
                )
            frac = y != np.round(y)
            if frac.any():
                raise ValueError(
                    f"{name} holds non-integer values such as {y[frac][0]!r} "
                    f"({int(frac.sum())} of {n_samples}): classification needs class labels, "
                    f"not a continuous target; {encode}"
                )
            y = y.astype(np.int64)
        else:
            raise ValueError(
                f"{name} must hold integer class indices 0..{n_classes - 1} here "
                f"(got dtype {y.dtype}); {encode}"
            )
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(
            f"{name} must lie in [0, {n_classes}) for a {n_classes}-class model, "
            f"got values from {y.min()} to {y.max()}."
        )
    return y.astype(np.intp, copy=False)


def _check_labels_xp(y, n_samples, n_classes, name):
    """``check_labels`` for an array of another array-API library."""
    xp = array_namespace(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"{name} must be 1-D (n_samples,), got shape {tuple(y.shape)}.")
    if y.shape[0] != n_samples:
        raise ValueError(f"{name} has {y.shape[0]} labels but X has {n_samples} rows; they must match.")
    kind = numpy_dtype(y.dtype).kind
    if kind == "f":
        if not bool(xp.all(xp.isfinite(y))) or not bool(xp.all(y == xp.round(y))):
            raise ValueError(f"{name} must hold whole-number class indices 0..{n_classes - 1}, "
                             "without NaN; encode labels with sklearn.preprocessing.LabelEncoder.")
    elif kind not in "biu":
        raise ValueError(f"{name} must hold integer class indices 0..{n_classes - 1} here "
                         f"(got dtype {y.dtype}).")
    y = xp.astype(y, xp.int64)
    if y.shape[0] and (int(xp.min(y)) < 0 or int(xp.max(y)) >= n_classes):
        raise ValueError(
            f"{name} must lie in [0, {n_classes}) for a {n_classes}-class model, "
            f"got values from {int(xp.min(y))} to {int(xp.max(y))}.")
    return y


def check_logits(logits: np.ndarray) -> np.ndarray:
    """Return ``logits`` unchanged if softmax of them is safe, else raise.

    Parameters
    ----------
    logits : ndarray of shape (n_samples, n_classes)

    Raises
    ------
    NumericalOverflowError
        A logit is NaN, infinite, or so large (over half the dtype's maximum)
        that ``z - max(z)`` inside softmax would overflow: the probabilities
        would come out NaN or ``log_proba`` infinite.

    Notes
    -----
    Two reductions (min and max; NaN propagates through both) and no
    temporary, so it is cheap next to the GEMM that produced the logits.
    """
    if is_foreign_array(logits):
        xp = array_namespace(logits)
        if math.prod(logits.shape) == 0:
            return logits
        limit = float(np.finfo(numpy_dtype(logits.dtype)).max) / 2
        lo, hi = float(xp.min(logits)), float(xp.max(logits))
        if -limit <= lo and hi <= limit:
            return logits
        logits = to_numpy(logits)  # only to count the bad rows for the message
    if logits.dtype.kind != "f" or logits.size == 0:
        return logits
    limit = float(np.finfo(logits.dtype).max) / 2
    lo, hi = float(logits.min()), float(logits.max())
    if -limit <= lo and hi <= limit:
        return logits
    with np.errstate(invalid="ignore"):
        bad = ~(np.abs(logits.astype(np.float64)) <= limit)
    rows = int(bad.any(axis=1).sum())
    raise NumericalOverflowError(
        f"The model produced NaN, infinite or overflowing logits for {rows} of {logits.shape[0]} "
        f"rows ({logits.dtype.name}). The inputs are probably unscaled or far outside the training "
        "range (scale them as at fit time), or the weights diverged (retrain with a lower "
        "learning rate)."
    )


def check_sample_weight(sample_weight, n_samples: int, dtype) -> np.ndarray | None:
    """Return per-sample weights of shape (n_samples,) (finite, >= 0) or None."""
    if sample_weight is None:
        return None
    if is_foreign_array(sample_weight):
        xp = array_namespace(sample_weight)
        sw = xp.astype(sample_weight, xp_dtype(xp, numpy_dtype(dtype)))
        if tuple(sw.shape) != (n_samples,):
            raise ValueError(f"sample_weight must have shape ({n_samples},), got {tuple(sw.shape)}.")
        if not bool(xp.all(xp.isfinite(sw))) or bool(xp.any(sw < 0)):
            raise ValueError("sample_weight must be finite and non-negative.")
        return sw
    sw = np.asarray(sample_weight, dtype=numpy_dtype(dtype))
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
