"""Checks at the boundary, in one style.

:mod:`.params` holds the declarative constraint tables every public class and
function validates its parameters with; :mod:`.arrays` checks the arrays a
user hands in (NumPy or any array-API library, in its own namespace).
"""
from softmaxlab._validation.arrays import (
    NumericalOverflowError,
    check_features,
    check_labels,
    check_logits,
    check_sample_weight,
    is_foreign_array,
    safe_input_limit,
)
from softmaxlab._validation.scalars import check_batch_size
from softmaxlab._validation.params import (
    Interval,
    ListOf,
    Options,
    Types,
    describe,
    validate_params,
)

__all__ = ["Interval", "ListOf", "NumericalOverflowError", "Options", "Types", "check_batch_size",
           "check_features", "check_labels", "check_logits", "check_sample_weight", "describe",
           "is_foreign_array", "safe_input_limit", "validate_params"]
