"""Fresh inputs for the checks: small (plain Python loops run them fast), with
all sizes different so that a transposed or wrongly reduced result shows."""
from __future__ import annotations

import numpy as np

__all__ = ["N_RANDOM", "labels", "one_hot", "sizes"]

N_RANDOM = 3  # random input sets per check, each with its own sizes


def sizes(rng: np.random.Generator, letters: str = "NCDH") -> dict:
    """Distinct sizes for the given letters: N in 6..8, the others in 3..7.

    None is 2 (so "off by a factor of 2" is never confused with a size) and
    no two are equal (so "off by N" is never confused with "off by C").
    """
    n = int(rng.integers(6, 9))
    others = [int(s) for s in rng.permutation([s for s in (3, 4, 5, 6, 7) if s != n])]
    dims = {"N": n, "C": others[0], "D": others[1], "H": others[2]}
    return {k: dims[k] for k in letters}


def one_hot(y: np.ndarray, n_classes: int) -> np.ndarray:
    """(N, C) float64 rows with a 1 in column y[i]."""
    return (y[:, None] == np.arange(n_classes)[None, :]).astype(np.float64)


def labels(rng, dims: dict, last_missing: bool = False) -> np.ndarray:
    """N labels with at least two different classes (with a single class, a
    one-hot row and "the label columns" coincide). With ``last_missing`` the
    last class never occurs and every other does, so that "1 subtracted in
    every class" and "in every label column" (P[:, y] -= 1) differ."""
    n, c = dims["N"], dims["C"]
    y = rng.integers(0, c - last_missing, n)
    if last_missing:
        y[:c - 1] = rng.permutation(c - 1)
    else:
        y[:2] = rng.choice(c, 2, replace=False)
    return rng.permutation(y)
