"""Checks of single numbers at the boundary: a batch size, a count, a fraction."""
from __future__ import annotations

import math
import numbers
from softmaxlab.errors import InputError

__all__ = ["check_batch_size", "check_fraction", "check_positive_int"]


def check_batch_size(batch_size, n_samples: int) -> int:
    """Resolve ``"full"``/None to n_samples; else a positive int, capped at n_samples."""
    if batch_size is None or batch_size == "full":
        return n_samples
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size < 1:
        raise InputError(f"batch_size must be a positive integer or 'full', got {batch_size!r}.")
    return min(int(batch_size), n_samples)


def check_positive_int(value, name: str) -> int:
    """A positive integer (not bool)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise InputError(f"{name} must be a positive integer, got {value!r}.")
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
        raise InputError(f"{name} must be in {lo}, {hi}, got {value!r}.")
    return float(value)
