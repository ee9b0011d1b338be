"""Checks of single numbers at the boundary."""
from __future__ import annotations

from softmaxlab._validation.params import Interval, Options, validate_params

__all__ = ["check_batch_size"]


def check_batch_size(batch_size, n_samples: int, owner: str = "Trainer") -> int:
    """Resolve ``"full"``/None to n_samples; else a positive int, capped at n_samples.

    Checked here again (not only by the owner's constructor) because a
    batch size may be changed between epochs (the lab does)."""
    validate_params(owner, {"batch_size": [Interval(int, 1), Options("full", None)]},
                    {"batch_size": batch_size})
    if batch_size is None or batch_size == "full":
        return n_samples
    return min(int(batch_size), n_samples)
