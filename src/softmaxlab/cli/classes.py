"""The classes of a run's data, told in the command line's words: labels that
differ only in case (never merged: a note, or named in the error), and a
split that cannot keep every class in proportion, with the rows per class."""
from __future__ import annotations

import warnings

import numpy as np

from softmaxlab.data import DataNote, split_dataset
from softmaxlab.data.names import plural
from softmaxlab.errors import InputError

__all__ = ["case_variants", "split_for_cli"]


def _counts(ds) -> dict:
    labels, counts = np.unique(np.asarray(ds.y).astype(str), return_counts=True)
    return dict(zip(labels.tolist(), counts.tolist(), strict=True))


def case_variants(counts: dict) -> list:
    """Groups of labels that are equal but for case, such as ['Adelie', 'adelie']."""
    groups: dict = {}
    for label in counts:
        groups.setdefault(label.strip().lower(), []).append(label)
    return [sorted(g) for g in groups.values() if len(g) > 1]


def _variants_text(groups: list, counts: dict) -> str:
    shown = "; ".join(" and ".join(f"{v!r} ({plural(counts[v], 'row')})" for v in g)
                      for g in groups[:3])
    return (f"the labels {shown} differ only in case, so they are different classes (never "
            "merged): if they mean one class, write it one way in the file")


def _too_small(n: int, n_classes: int, cfg) -> str:
    """Which split is smaller than the number of classes, as the options set it."""
    import math

    n_test = math.ceil(cfg.test_fraction * n)
    if 0 < n_test < n_classes:
        return (f"the test split (--test-fraction {cfg.test_fraction:g}: {plural(n_test, 'row')}) "
                f"is smaller than the number of classes ({n_classes})")
    share = cfg.val_fraction / (1 - cfg.test_fraction)
    n_val = math.ceil(share * (n - n_test))
    return (f"the validation split (--val-fraction {cfg.val_fraction:g}: "
            f"{plural(n_val, 'row')}) or what is left for training is smaller than the number "
            f"of classes ({n_classes})")


def note_case_variants(ds) -> None:
    """One note when labels differ only in case (they stay different classes)."""
    if ds.multilabel or np.asarray(ds.y).dtype.kind not in "US":
        return
    counts = _counts(ds)
    groups = case_variants(counts)
    if groups:
        warnings.warn(f"{ds.name}: {_variants_text(groups, counts)}", DataNote, stacklevel=2)


def split_for_cli(ds, cfg, rng):
    """``split_dataset`` with the run's fractions; when a stratified split is
    impossible, one error that names the options and the rows of each class."""
    try:
        return split_dataset(ds, cfg.val_fraction, cfg.test_fraction, seed=rng)
    except ValueError as exc:
        if ds.multilabel or "split" not in str(exc):
            raise
        counts = _counts(ds)
    small = sorted((c for c in counts if counts[c] < 3), key=lambda c: counts[c])
    per_class = ", ".join(f"{c!r} {n}" for c, n in sorted(counts.items(), key=lambda t: -t[1])[:12])
    what = (f"class {small[0]!r} has only {plural(counts[small[0]], 'row')}" if small else
            _too_small(ds.n_samples, len(counts), cfg))
    message = (f"{ds.name}: cannot split the rows into train, validation and test sets that "
               f"each hold every class in proportion: {what} (rows per class: {per_class})")
    groups = case_variants(counts)
    if groups:
        message += f"; {_variants_text(groups, counts)}"
    else:
        message += ("; add rows of the small classes or remove them from the file, or change "
                    "--test-fraction / --val-fraction (--val-fraction 0 trains without a "
                    "validation split)")
    raise InputError(message) from None
