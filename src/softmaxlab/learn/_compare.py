"""Comparing the learner's array with the reference, and naming the difference.

The diagnosis runs in a fixed order, most specific first: the shape, NaN or
inf, a known mistake of this exercise (a *candidate*: the result the mistake
would give), an integer dtype, a constant factor (named from the sizes N, C,
D, H when it is one of them), a region where all the wrong entries lie (a
*mask*: "only the true class", or some columns or rows), a property the right
answer has and the result lacks (rows that sum to 1), and finally the worst
entry with its expected value.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import permutations

import numpy as np

from softmaxlab.learn._call import fail, shape_text

__all__ = ["REL_TOL", "SCALE_TOL", "Trial", "agree", "judge"]

# An entry agrees when |got - exp| <= REL_TOL |exp| + SCALE_TOL max|exp|:
# float32 arithmetic stays well inside, the smallest mistake (a factor) far outside.
REL_TOL, SCALE_TOL = 1e-5, 1e-6
# Results in float32 (or below), and inputs such as logits of 1000 that float32
# stores only to about 6e-5, are compared at LOOSE_TOL = (relative, of max).
LOOSE_TOL = (1e-3, 1e-4)


def agree(got, exp, tol=(REL_TOL, SCALE_TOL)) -> np.ndarray:
    """Boolean array: which entries of ``got`` agree with ``exp`` (NaN never does)."""
    got, exp = np.asarray(got, dtype=np.float64), np.asarray(exp, dtype=np.float64)
    scale = float(np.max(np.abs(exp))) if exp.size else 0.0
    with np.errstate(invalid="ignore", over="ignore"):
        return np.abs(got - exp) <= tol[0] * np.abs(exp) + tol[1] * scale + 1e-12


@dataclass
class Trial:
    """One call of the learner's function: its result and what was expected.

    ``candidates``: (array the mistake would give, message, hint), tried in order.
    ``masks``: (boolean array, message, hint): said when every wrong entry lies
    inside the mask. ``properties``: functions of the result returning
    (message, hint) when they recognise what is wrong (rows that do not sum
    to 1), tried after the masks and before the worst entry. ``note``: how this input was special (" for logits around
    1000"). ``nonfinite``: (message, hint) when the result has NaN or inf here.
    """

    got: np.ndarray
    exp: np.ndarray
    dims: dict
    candidates: list = field(default_factory=list)
    masks: list = field(default_factory=list)
    note: str = ""
    nonfinite: tuple | None = None
    random: bool = True
    loose: bool = False
    properties: list = field(default_factory=list)  # got -> (message, hint) or None

    @property
    def tol(self) -> tuple[float, float]:
        """(relative, of max) tolerance for this trial's result."""
        low = self.got.dtype.kind == "f" and self.got.dtype.itemsize < 8
        return LOOSE_TOL if (self.loose or low) else (REL_TOL, SCALE_TOL)


def _factors(dims: dict) -> list[tuple[str, float]]:
    """Named constants a result may be off by, most plausible first."""
    out = [("-1", -1.0)]
    for k, v in dims.items():
        out += [(k, float(v)), (f"1/{k}", 1.0 / v)]
    out += [("2", 2.0), ("1/2", 0.5)]
    for k, v in dims.items():
        out += [(f"{k}\u00b2", float(v * v)), (f"1/{k}\u00b2", 1.0 / (v * v))]
    for (a, va), (b, vb) in permutations(dims.items(), 2):
        out += [(f"{a}/{b}", va / vb)]
        if a < b:
            out += [(f"{a}*{b}", float(va * vb)), (f"1/({a}*{b})", 1.0 / (va * vb))]
    out += [(f"-{name}", -v) for name, v in list(out[1:])]
    return out


def _scale(t: Trial) -> float | None:
    """alpha with got == alpha * exp everywhere (and alpha != 1), else None."""
    e = t.exp.astype(np.float64).ravel()
    g = t.got.astype(np.float64).ravel()
    denom = float(e @ e)
    if denom == 0.0:
        return None
    alpha = float(g @ e) / denom
    if abs(alpha - 1.0) < 1e-4 or not agree(g, alpha * e, t.tol).all():
        return None
    return alpha


def _factor_name(alpha: float, trial: Trial, trials: list[Trial]) -> str | None:
    """The named constant that alpha equals in this trial and in every other
    scaled random trial (sizes differ between trials, so N and 2C that
    coincide in one trial are told apart by another)."""
    scaled = [(t, _scale(t)) for t in trials if t.random and t is not trial]
    scaled = [(trial, alpha)] + [(t, a) for t, a in scaled if a is not None]
    for name, _ in _factors(trial.dims):
        if all(abs(a - dict(_factors(t.dims))[name]) <= 10 * t.tol[0] * abs(a) for t, a in scaled):
            return name
    return None


def _inverse(name: str) -> str:
    """``1/N`` -> ``N``, ``1/(C*N)`` -> ``C*N``, ``C/N`` -> ``N/C``, ``N`` -> ``1/N``."""
    if name.startswith("1/"):
        return name[2:].strip("()")
    if "/" in name:
        top, bottom = name.split("/")
        return f"{bottom}/{top}"
    return f"1/{name}"


def _scale_verdict(what: str, alpha: float, name, dims, factor_text: dict, every: str):
    if name in factor_text:
        message, hint = factor_text[name]
        return message.format(what=what, **dims), hint.format(what=what, **dims)
    if name == "-1":
        return (f"{what} has the right size but the wrong sign{every and ' everywhere'} (a "
                "flipped sign).",
                "Check the sign of every term of your formula.")
    sign = "has the wrong sign and " if alpha < 0 else ""
    size = abs(alpha)
    if name is not None:
        name = name.lstrip("-")
        value = dict(_factors(dims))[name]
        big, times = (name, value) if value > 1 else (_inverse(name), 1 / value)
        said = big if big.isdigit() else f"{big} = {times:.6g}"
        how = f"is {said} times too {'large' if value > 1 else 'small'}"
        return (f"{what} {sign}{how}{every} (a constant factor of {name}).",
                f"Look for a missing or extra factor {big}: a sum that should be a mean (or the "
                "reverse), or a division done twice.")
    return (f"{what} {sign}is off by a factor of {size:.6g}{every}.",
            "Every entry is proportional to the right answer: look for a constant you multiply "
            "or divide by.")


def _region(what: str, t: Trial, wrong: np.ndarray):
    """Where the wrong entries are, when they are confined to part of the result;
    of several true descriptions, the one that covers the fewest entries."""
    found = []  # (entries covered, message, hint)
    for mask, message, hint in t.masks:
        if wrong.any() and not (wrong & ~mask).any():
            found.append((int(mask.sum()), message.format(what=what), hint.format(what=what)))
    if t.got.ndim == 2:
        rows, cols = wrong.any(axis=1), wrong.any(axis=0)
        # Said only when the wrong part is mostly wrong: one odd entry is the worst entry.
        if 0 < cols.sum() < cols.size and wrong[:, cols].mean() >= 0.5:
            js = ", ".join(str(j) for j in np.flatnonzero(cols))
            found.append((int(cols.sum()) * rows.size,
                          f"Only some columns of {what} are wrong (column {js}){t.note}; the "
                          "other columns are right.", "Look for something that treats those "
                          "columns differently: an index, a loop bound, a slice."))
        if 0 < rows.sum() < rows.size and wrong[rows].mean() >= 0.5:
            rs = ", ".join(str(i) for i in np.flatnonzero(rows))
            found.append((int(rows.sum()) * cols.size,
                          f"Only some rows of {what} are wrong (row {rs}){t.note}; the other "
                          "rows are right.", "Look for something that treats those rows "
                          "(samples) differently: an index, a loop bound, a slice."))
    if not found:
        return None
    _, message, hint = min(found, key=lambda f: f[0])
    return message, hint


def _worst(what: str, t: Trial, wrong: np.ndarray):
    with np.errstate(invalid="ignore"):
        err = np.where(np.isfinite(t.got), np.abs(t.got - t.exp), np.inf)
    idx = np.unravel_index(int(np.argmax(err)), t.exp.shape) if t.exp.ndim else ()
    where = f"{what}[{', '.join(str(int(i)) for i in idx)}]" if idx else what
    count = f" ({int(wrong.sum())} of {wrong.size} entries are wrong{t.note})" if t.exp.ndim else \
        (f" ({t.note.strip()})" if t.note else "")
    return (f"{where} is {float(t.got[idx]):.6g} but should be {float(t.exp[idx]):.6g}{count}.",
            "Work one small example by hand (N = 1 or 2) and compare each step with your code.")


def _shape_verdict(what: str, t: Trial):
    want = shape_text(t.exp.shape, t.dims)
    for cand, message, hint in t.candidates:
        if cand is not None and np.shape(cand) == t.got.shape and agree(t.got, cand, t.tol).all():
            return message.format(what=what), hint.format(what=what)
    got = shape_text(t.got.shape, t.dims)
    if t.got.ndim == 0:
        return (f"{what} is a single number; expected an array of shape {want}.",
                "Return the whole array (not a sum, a mean or the loss).")
    if t.got.ndim == 2 and t.got.shape == t.exp.shape[::-1]:
        right = " (its transpose would be right)" if agree(t.got.T, t.exp, t.tol).all() else ""
        return (f"{what} has shape {got}, the transpose of the expected {want}{right}.",
                "Write the shape of every factor under your formula: the result must have the "
                "shape of the thing it is the gradient of (or the output it names).")
    return (f"{what} has shape {got}; expected {want}.",
            "Print the shapes of your intermediate results; a sum over the wrong axis, a missing "
            "axis= or keepdims=True change the shape.")


def judge(what: str, trials: list[Trial], factor_text: dict | None = None) -> None:
    """Raise a failed Stop with the diagnosis of the first trial that disagrees."""
    factor_text = factor_text or {}
    for t in trials:
        if t.got.shape != t.exp.shape:
            raise fail(*_shape_verdict(what, t))
    for t in trials:
        if not np.all(np.isfinite(t.got)):
            if t.nonfinite is not None:
                raise fail(*(s.format(what=what) for s in t.nonfinite))
            bad = np.unravel_index(int(np.argmin(np.isfinite(t.got))), t.got.shape) if t.got.ndim else ()
            at = f" at [{', '.join(str(int(i)) for i in bad)}]" if bad else ""
            raise fail(f"{what} contains {float(t.got[bad])}{at}{t.note}; every entry should be a "
                       f"finite number (here {float(t.exp[bad]):.6g}).",
                       "Look for exp of a large number, log of 0, or 0/0.")
        ok = agree(t.got, t.exp, t.tol)
        if ok.all():
            continue
        for cand, message, hint in t.candidates:
            if cand is not None and np.shape(cand) == t.got.shape and agree(t.got, cand, t.tol).all():
                raise fail(message.format(what=what), hint.format(what=what))
        if t.got.dtype.kind in "biu":
            raise fail(f"{what} has integer entries (dtype {t.got.dtype}), so its fractions are "
                       "lost; a gradient or probability is a real number.",
                       "Create the result as a float array (np.zeros(shape) or np.zeros_like(x, "
                       "dtype=float)), not from an integer array such as the labels.")
        alpha = _scale(t)
        name = None if alpha is None else _factor_name(alpha, t, trials)
        # Any number is a multiple of another: for a single number only a
        # factor named in every trial (N, C, -1, ...) says something.
        if alpha is not None and (t.got.ndim or name is not None):
            every = " in every entry" if t.got.ndim else ""
            raise fail(*_scale_verdict(what, alpha, name, t.dims, factor_text, every))
        region = _region(what, t, ~ok)
        if region:
            raise fail(*region)
        for prop in t.properties:
            said = prop(t.got)
            if said:
                raise fail(*(x.format(what=what) for x in said))
        raise fail(*_worst(what, t, ~ok))
