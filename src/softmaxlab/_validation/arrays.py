"""Boundary checks shared by the trainer, the estimators and the CLI.

Inside the engine shapes are trusted; these run once, where user data enters.
NumPy input (and anything array-like: lists, DataFrames) is checked with
NumPy; arrays of another array-API library (PyTorch, CuPy, array-api-strict)
are checked in their own namespace and on their own device, never copied
to NumPy. The checks of single numbers live in ``softmaxlab._validation.scalars``
(and are importable from here as before).
"""
from __future__ import annotations

import math

import numpy as np
from array_api_compat import array_namespace, is_array_api_obj, is_numpy_array

from softmaxlab.backend import numpy_dtype, to_numpy, xp_dtype
from softmaxlab.errors import InputError, InputTypeError, SoftmaxlabError


def is_foreign_array(a) -> bool:
    """True for an array of an array-API library other than NumPy (a torch
    tensor, a CuPy or array-api-strict array): checked and kept in its own
    namespace and device."""
    return is_array_api_obj(a) and not is_numpy_array(a)


class NumericalOverflowError(SoftmaxlabError, ValueError, FloatingPointError):
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
            raise InputTypeError(
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


def check_features(X, n_features: int | None = None, dtype=None, name: str = "X"):
    """Return X as a 2-D finite numeric array of shape (n_samples, n_features).

    One check for every array library: NumPy input (and anything array-like:
    lists, DataFrames) becomes a NumPy array; an array of another array-API
    library (PyTorch, CuPy, array-api-strict) is checked in its own namespace
    and on its own device, never copied to NumPy.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    n_features : int, optional
        The width the model was built for.
    dtype : numpy dtype, optional
        Cast to this dtype (once, after the checks). Without it a NumPy array
        keeps its dtype, and another library's integer or bool array becomes
        float32 (its namespace has no implicit promotion later).
    name : str
        Used in messages (``"X"``, ``"X_val"``).

    Returns
    -------
    array of shape (n_samples, n_features), in X's namespace and on its device

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
    foreign = is_foreign_array(X)
    if not foreign:
        X = _as_numeric(X, name)
    xp = array_namespace(X)
    kind = numpy_dtype(X.dtype).kind
    if kind not in "biuf":
        raise InputTypeError(f"{name} must be numeric (int, float or bool), got dtype {X.dtype}.")
    _check_shape(tuple(X.shape), n_features, name)
    if dtype is not None:
        target = np.dtype(dtype)
    elif kind == "f" or not foreign:
        target = numpy_dtype(X.dtype)
    else:
        target = np.dtype(np.float32)
    if kind == "f":
        _check_finite_and_small(X, xp, name, target)
    # Integers and bools are finite, and even int64's largest value is below
    # the overflow limit of float32 training, so they need no value check.
    if numpy_dtype(X.dtype) != target:
        X = xp.astype(X, xp_dtype(xp, target))
    return X


def _check_shape(shape: tuple, n_features: int | None, name: str) -> None:
    """Raise unless ``shape`` is (n_samples, n_features), neither zero, with
    ``n_features`` columns when given."""
    if len(shape) != 2:
        hint = (" Reshape a single feature with X.reshape(-1, 1) or one sample with "
                "X.reshape(1, -1).") if len(shape) == 1 else ""
        raise InputError(f"{name} must be 2-D (n_samples, n_features), got shape {shape}.{hint}")
    if shape[0] == 0 or shape[1] == 0:
        raise InputError(f"{name} is empty (shape {shape}); need at least one sample and one feature.")
    if n_features is not None and shape[1] != n_features:
        raise InputError(
            f"{name} has {shape[1]} features, but the model was built for {n_features}; "
            "pass the same columns, in the same order, as at fit time.")


def _check_finite_and_small(X, xp, name: str, target: np.dtype) -> None:
    """Raise unless every value of the float array X is finite and safely
    below the overflow limit of ``target`` training."""
    # Two reductions and no temporary: NaN propagates through min and max,
    # and an infinity is the min or the max, so finite bounds prove the whole
    # array finite. Only a failing array pays for the per-row counts.
    lo, hi = float(xp.min(X)), float(xp.max(X))
    n = X.shape[0]
    if not (math.isfinite(lo) and math.isfinite(hi)):
        rows = int(xp.count_nonzero(xp.any(~xp.isfinite(X), axis=1)))
        raise InputError(
            f"{name} contains NaN or infinity in {rows} of {n} rows; "
            "drop or impute them (e.g. sklearn.impute.SimpleImputer) before training.")
    limit = safe_input_limit(target)
    if max(-lo, hi) > limit:
        rows = int(xp.count_nonzero(xp.any(xp.abs(X) > limit, axis=1)))
        precision = target.name if target.kind == "f" else "float64"
        raise NumericalOverflowError(
            f"{name} has values of magnitude up to {max(-lo, hi):.3g} in {rows} of {n} rows; "
            f"{precision} training overflows to infinity above about {limit:.2g}. Scale the "
            "features (e.g. sklearn.preprocessing.StandardScaler, or divide pixels by 255).")


def check_labels(y, n_samples: int, n_classes: int, name: str = "y"):
    """Return integer class indices of shape (n_samples,) in ``[0, n_classes)``.

    One check for every array library (as :func:`check_features`): NumPy
    input gives ``intp`` indices, another library's array ``int64`` in its
    own namespace and on its own device.

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
    foreign = is_foreign_array(y)
    y = y if foreign else np.asarray(y)
    xp = array_namespace(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise InputError(f"{name} must be 1-D (n_samples,), got shape {tuple(y.shape)}.")
    if y.shape[0] != n_samples:
        raise InputError(f"{name} has {y.shape[0]} labels but X has {n_samples} rows; they must match.")
    encode = ("encode labels with sklearn.preprocessing.LabelEncoder or use the estimators, "
              "which accept any labels.")
    kind = numpy_dtype(y.dtype).kind
    if kind == "f":
        bad = ~xp.isfinite(y)
        if bool(xp.any(bad)):
            raise InputError(
                f"{name} contains NaN or infinity in {int(xp.count_nonzero(bad))} of {n_samples} "
                "rows; drop those rows or fill in their labels.")
        frac = y != xp.round(y)
        if bool(xp.any(frac)):
            example = float(to_numpy(y[frac])[0]) if not foreign else "a fraction"
            raise InputError(
                f"{name} holds non-integer values such as {example!r} "
                f"({int(xp.count_nonzero(frac))} of {n_samples}): classification needs class "
                f"labels, not a continuous target; {encode}")
    elif kind not in "biu":
        raise InputError(f"{name} must hold integer class indices 0..{n_classes - 1} here "
                         f"(got dtype {y.dtype}); {encode}")
    y = xp.astype(y, xp_dtype(xp, np.intp if not foreign else np.int64))
    if y.shape[0]:
        lo, hi = int(xp.min(y)), int(xp.max(y))
        if lo < 0 or hi >= n_classes:
            raise InputError(
                f"{name} must lie in [0, {n_classes}) for a {n_classes}-class model, "
                f"got values from {lo} to {hi}.")
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


def check_sample_weight(sample_weight, n_samples: int, dtype):
    """Return per-sample weights of shape (n_samples,) (finite, >= 0) or None,
    in the namespace and on the device of ``sample_weight``, cast to ``dtype``."""
    if sample_weight is None:
        return None
    if is_foreign_array(sample_weight):
        xp = array_namespace(sample_weight)
        sw = xp.astype(sample_weight, xp_dtype(xp, numpy_dtype(dtype)))
    else:
        sw = np.asarray(sample_weight, dtype=numpy_dtype(dtype))
        xp = array_namespace(sw)
    if tuple(sw.shape) != (n_samples,):
        raise InputError(f"sample_weight must have shape ({n_samples},), got {tuple(sw.shape)}.")
    if not bool(xp.all(xp.isfinite(sw))) or bool(xp.any(sw < 0)):
        raise InputError("sample_weight must be finite and non-negative.")
    return sw
