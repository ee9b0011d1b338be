"""Small generated datasets for teaching.

- :func:`make_spiral`: interleaved spiral arms in 2-D, one arm per class,
  which no linear model can separate.
- :func:`make_binary_mod`: the integers ``0..2**bits-1`` as bit vectors with
  label ``i mod k``; ``k=4`` is exactly solvable by softmax regression because
  the label is the two low bits, ``k=3`` is not.
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np
from softmaxlab.errors import InputError, InputTypeError

__all__ = ["Synthetic", "as_generator", "make_binary_mod", "make_spiral"]


class Synthetic(NamedTuple):
    """A generated dataset.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features), float64
    y : ndarray of shape (n_samples,)
    feature_names : list of str
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: list


def as_generator(seed) -> np.random.Generator:
    """Turn an int seed (or an existing Generator) into a Generator.

    Parameters
    ----------
    seed : int, numpy.random.Generator or None
        A Generator is returned unchanged so a run can pass its single one down.

    Returns
    -------
    rng : numpy.random.Generator
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or (isinstance(seed, numbers.Integral) and not isinstance(seed, bool)):
        return np.random.default_rng(seed)
    raise InputTypeError(
        f"seed must be an int, None or a numpy.random.Generator, got {seed!r} "
        f"({type(seed).__name__})"
    )


def _check_int(name: str, value, low: int, high: int | None = None) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise InputTypeError(f"{name} must be an integer, got {value!r}")
    if value < low or (high is not None and value > high):
        bound = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise InputError(f"{name} must be {bound}, got {value}")
    return int(value)


def make_spiral(
    n_per_class: int = 500,
    n_classes: int = 3,
    noise: float = 0.2,
    seed=0,
    *,
    turns: float = 0.65,
) -> Synthetic:
    """Points on interleaved spiral arms, one arm per class.

    Parameters
    ----------
    n_per_class : int, default 500
        Points per arm.
    n_classes : int, default 3
        Number of arms (classes), at least 2.
    noise : float, default 0.2
        Standard deviation of Gaussian noise added to each point's angle, in
        radians.
    seed : int, numpy.random.Generator or None, default 0
        Same seed, same points.
    turns : float, default 0.65
        How many full turns each arm makes from the centre outwards.

    Returns
    -------
    data : Synthetic
        ``X`` of shape (n_per_class * n_classes, 2) inside the unit disc,
        ``y`` of shape (n_per_class * n_classes,) with string labels
        ``'c1'``, ``'c2'``, ... (arm ``j`` is ``'c{j+1}'``), grouped by class;
        feature names ``['x1', 'x2']``.

    Notes
    -----
    Arm ``j`` has radius ``r`` growing linearly from 0 to 1 and angle
    ``theta = 2*pi*(turns*r + j/C) + eps``, ``eps ~ N(0, noise^2)``, so the arms
    are rotated copies of each other, ``2*pi/C`` apart.
    """
    n_per_class = _check_int("n_per_class", n_per_class, 1)
    n_classes = _check_int("n_classes", n_classes, 2)
    if not np.isfinite(noise) or noise < 0:
        raise InputError(f"noise must be a finite number >= 0, got {noise!r}")
    rng = as_generator(seed)
    r = np.linspace(0.0, 1.0, n_per_class)
    X = np.empty((n_per_class * n_classes, 2))
    y = np.empty(n_per_class * n_classes, dtype=f"<U{len(str(n_classes)) + 1}")
    for j in range(n_classes):
        rows = slice(j * n_per_class, (j + 1) * n_per_class)
        theta = 2 * np.pi * (turns * r + j / n_classes) + rng.normal(0.0, noise, n_per_class)
        X[rows, 0] = r * np.sin(theta)
        X[rows, 1] = r * np.cos(theta)
        y[rows] = f"c{j + 1}"
    return Synthetic(X=X, y=y, feature_names=["x1", "x2"])


def make_binary_mod(bits: int = 4, k: int = 3) -> Synthetic:
    """All ``bits``-bit integers as bit vectors, labelled ``i mod k``.

    Parameters
    ----------
    bits : int, default 4
        Number of bits, 1 to 20.
    k : int, default 3
        Modulus, 2 to ``2**bits`` (so that every class occurs).

    Returns
    -------
    data : Synthetic
        ``X`` of shape (2**bits, bits), float64 0/1 with ``X[i, b] = (i >> b) & 1``
        (bit 0, the least significant, first); ``y`` of shape (2**bits,), int64,
        ``y[i] = i % k``; feature names ``['bit0', 'bit1', ...]``.
    """
    bits = _check_int("bits", bits, 1, 20)
    k = _check_int("k", k, 2, 2**bits)
    i = np.arange(2**bits, dtype=np.int64)
    X = ((i[:, None] >> np.arange(bits)) & 1).astype(np.float64)
    return Synthetic(X=X, y=i % k, feature_names=[f"bit{b}" for b in range(bits)])


# ---- more 2-D toy problems (the interactive lab's data sets) ---------------------
# scikit-learn's generators take an int or RandomState, not a Generator: one
# int is drawn from the run's Generator so the same seed still gives the same points.


def _check_noise(noise) -> float:
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real) or not np.isfinite(noise) \
            or noise < 0:
        raise InputError(f"noise must be a finite number >= 0, got {noise!r}")
    return float(noise)


def _sklearn_seed(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**31 - 1))


def _class_names(y_index: np.ndarray, n_classes: int) -> np.ndarray:
    """Class indices 0..C-1 -> the labels ``'c1'..'cC'`` that make_spiral uses."""
    return np.array([f"c{j + 1}" for j in range(n_classes)])[y_index]


def make_circles(n_samples: int = 400, noise: float = 0.1, seed=0, *,
                 factor: float = 0.5) -> Synthetic:
    """Two concentric circles (scikit-learn's ``make_circles``).

    Parameters
    ----------
    n_samples : int, default 400
        Total points, at least 2 (split evenly between the circles).
    noise : float, default 0.1
        Standard deviation of Gaussian noise added to each coordinate.
    seed : int, numpy.random.Generator or None, default 0
    factor : float in (0, 1), default 0.5
        Radius of the inner circle relative to the outer one (radius 1).

    Returns
    -------
    data : Synthetic
        ``X`` of shape (n_samples, 2), ``y`` of shape (n_samples,): ``'c1'``
        on the outer circle, ``'c2'`` on the inner one. Not linearly separable.
    """
    from sklearn.datasets import make_circles as _circles

    n_samples = _check_int("n_samples", n_samples, 2)
    noise = _check_noise(noise)
    if not 0 < factor < 1:
        raise InputError(f"factor must be in (0, 1), got {factor!r}")
    X, y = _circles(n_samples, noise=noise or None, factor=factor,
                    random_state=_sklearn_seed(as_generator(seed)))
    return Synthetic(X=X.astype(np.float64), y=_class_names(y, 2), feature_names=["x1", "x2"])


def make_moons(n_samples: int = 400, noise: float = 0.2, seed=0) -> Synthetic:
    """Two interleaving half circles (scikit-learn's ``make_moons``).

    Parameters
    ----------
    n_samples : int, default 400
        Total points, at least 2.
    noise : float, default 0.2
        Standard deviation of Gaussian noise added to each coordinate.
    seed : int, numpy.random.Generator or None, default 0

    Returns
    -------
    data : Synthetic
        ``X`` of shape (n_samples, 2) in about [-1, 2] x [-0.5, 1],
        ``y`` of shape (n_samples,) with labels ``'c1'``, ``'c2'``.
    """
    from sklearn.datasets import make_moons as _moons

    n_samples = _check_int("n_samples", n_samples, 2)
    noise = _check_noise(noise)
    X, y = _moons(n_samples, noise=noise or None, random_state=_sklearn_seed(as_generator(seed)))
    return Synthetic(X=X.astype(np.float64), y=_class_names(y, 2), feature_names=["x1", "x2"])


def make_xor(n_samples: int = 400, noise: float = 0.1, seed=0) -> Synthetic:
    """The XOR pattern: the sign of ``x1 * x2`` over the square [-1, 1]^2.

    Parameters
    ----------
    n_samples : int, default 400
        Total points, at least 2.
    noise : float, default 0.1
        Standard deviation of Gaussian noise added to each coordinate after
        labelling, so points near the axes can cross into the other class.
    seed : int, numpy.random.Generator or None, default 0

    Returns
    -------
    data : Synthetic
        ``X`` of shape (n_samples, 2); ``y`` of shape (n_samples,): ``'c1'``
        where ``x1 * x2 > 0`` (first and third quadrants), ``'c2'`` elsewhere.

    Notes
    -----
    No line separates the classes, and neither does softmax regression on
    ``(x1, x2)``; one hidden layer of two units already can, since the
    product ``x1 * x2`` is what the hidden units have to build.
    """
    n_samples = _check_int("n_samples", n_samples, 2)
    noise = _check_noise(noise)
    rng = as_generator(seed)
    X = rng.uniform(-1.0, 1.0, size=(n_samples, 2))
    y = (X[:, 0] * X[:, 1] <= 0).astype(np.int64)
    X += rng.normal(0.0, noise, size=X.shape)
    return Synthetic(X=X, y=_class_names(y, 2), feature_names=["x1", "x2"])


def make_blobs(n_samples: int = 400, n_classes: int = 3, noise: float = 0.3, seed=0) -> Synthetic:
    """Gaussian blobs, one per class, centred on the unit circle
    (scikit-learn's ``make_blobs`` with fixed centres).

    Parameters
    ----------
    n_samples : int, default 400
        Total points, at least ``n_classes``.
    n_classes : int, default 3
        Number of blobs, at least 2.
    noise : float, default 0.3
        Standard deviation of each blob (``cluster_std``).
    seed : int, numpy.random.Generator or None, default 0

    Returns
    -------
    data : Synthetic
        ``X`` of shape (n_samples, 2); ``y`` of shape (n_samples,) with labels
        ``'c1'``, ``'c2'``, ...; blob ``j`` is centred at angle ``2*pi*j/C``.
        With small noise the classes are linearly separable.
    """
    from sklearn.datasets import make_blobs as _blobs

    n_classes = _check_int("n_classes", n_classes, 2)
    n_samples = _check_int("n_samples", n_samples, n_classes)
    noise = _check_noise(noise)
    angle = 2 * np.pi * np.arange(n_classes) / n_classes
    centers = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    X, y = _blobs(n_samples, centers=centers, cluster_std=noise,
                  random_state=_sklearn_seed(as_generator(seed)))
    return Synthetic(X=X.astype(np.float64), y=_class_names(y, n_classes),
                     feature_names=["x1", "x2"])


__all__ += ["make_blobs", "make_circles", "make_moons", "make_xor"]
