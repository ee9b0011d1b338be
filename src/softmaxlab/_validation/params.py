"""Declarative parameter constraints: one table per class or function, one
message form.

Each public class or function states what its parameters may be in a table
(as scikit-learn's ``_parameter_constraints`` does; its helpers are private,
so this is a small one of ours)::

    _CONSTRAINTS = {
        "lr": [Interval(float, 0, None, closed="neither")],
        "momentum": [Interval(float, 0, 1, closed="both")],
        "batch_size": [Interval(int, 1, None), Options("full")],
    }
    validate_params("SGD", _CONSTRAINTS, {"lr": lr, "momentum": momentum})

A value passes when any constraint of its list accepts it. Otherwise
:class:`~softmaxlab.errors.ParameterError` is raised with the one message form
``"{owner}: {name} must be {what is allowed}, got {value!r}."``, followed by a
hint when the table gives one.
"""
from __future__ import annotations

import math
import numbers

from softmaxlab.errors import ParameterError
from softmaxlab.errors import InputTypeError

__all__ = ["Interval", "ListOf", "Options", "Types", "describe", "validate_params"]


class Interval:
    """A number in a range.

    Parameters
    ----------
    kind : {int, float}
        ``int``: an integer (``numbers.Integral``, not bool). ``float``: any
        finite real number (ints included, bools and NaN/inf excluded).
    low, high : float or None
        Bounds; None for no bound on that side.
    closed : {"both", "left", "right", "neither"}
        Which bounds are included.
    """

    def __init__(self, kind, low=None, high=None, closed: str = "both"):
        if kind not in (int, float) or closed not in ("both", "left", "right", "neither"):
            raise InputTypeError(f"Interval(kind={kind!r}, closed={closed!r}): kind must be int or "
                            "float and closed one of 'both', 'left', 'right', 'neither'")
        self.kind, self.low, self.high, self.closed = kind, low, high, closed

    def accepts(self, value) -> bool:
        if isinstance(value, bool):
            return False
        if self.kind is int and not isinstance(value, numbers.Integral):
            return False
        if not isinstance(value, numbers.Real):
            return False
        try:
            if not math.isfinite(value):
                return False
        except OverflowError:  # an int too large for a float: no finite float
            if self.kind is float:
                return False
        left = self.closed in ("both", "left")
        right = self.closed in ("both", "right")
        if self.low is not None and not (value >= self.low if left else value > self.low):
            return False
        return self.high is None or (value <= self.high if right else value < self.high)

    def __str__(self) -> str:
        if self.kind is int and self.low == 1 and self.high is None and self.closed in ("both",
                                                                                       "left"):
            return "a positive integer"
        noun = "an integer" if self.kind is int else "a finite number"
        left = self.closed in ("both", "left")
        right = self.closed in ("both", "right")
        if self.low is not None and self.high is not None:
            span = f"in {'[' if left else '('}{self.low}, {self.high}{']' if right else ')'}"
            return f"{noun} {span}" if self.kind is int else span
        if self.low is not None:
            return f"{noun} {'>=' if left else '>'} {self.low}"
        if self.high is not None:
            return f"{noun} {'<=' if right else '<'} {self.high}"
        return noun


class Options:
    """One of a few exact values (strings, None, True...)."""

    def __init__(self, *values):
        self.values = values

    def accepts(self, value) -> bool:
        # `is` for None/bools so that 0 does not pass as False; == for the rest.
        return any(value is v if v is None or isinstance(v, bool) else
                   (type(value) is type(v) and value == v) for v in self.values)

    def __str__(self) -> str:
        shown = [repr(v) for v in self.values]
        return shown[0] if len(shown) == 1 else "one of " + ", ".join(shown)


class Types:
    """An instance of one of ``types``; ``what`` is how the message names it."""

    def __init__(self, *types, what: str | None = None):
        self.types = types
        self.what = what or " or ".join(f"a {t.__name__}" for t in types)

    def accepts(self, value) -> bool:
        return isinstance(value, self.types)

    def __str__(self) -> str:
        return self.what


class ListOf:
    """A list or tuple whose every item meets ``item`` (empty allowed unless
    ``min_len``); ``what`` is how the message names it (default: "a list of"
    the item's words in the plural)."""

    def __init__(self, item, min_len: int = 0, what: str | None = None):
        self.item, self.min_len, self.what = item, min_len, what

    def accepts(self, value) -> bool:
        return (isinstance(value, (list, tuple)) and len(value) >= self.min_len
                and all(self.item.accepts(v) for v in value))

    def __str__(self) -> str:
        if self.what:
            return self.what
        words = str(self.item).split(" ", 1)
        plural = words[-1] + ("s" if not words[-1].endswith("s") else "")
        return f"a list of {plural}"


def describe(constraints) -> str:
    """What a list of constraints allows, in words: ``"an integer >= 1 or 'full'"``."""
    words = [str(c) for c in constraints]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def validate_params(owner: str, constraints: dict, values: dict, hints: dict | None = None,
                    show=repr, error: type = ParameterError) -> None:
    """Check ``values`` against ``constraints``; raise on the first bad one.

    Parameters
    ----------
    owner : str
        The class or function, named in the message (``"SGD"``).
    constraints : dict of str to list
        Parameter name -> constraints, any of which may accept the value.
        Names missing from the table are not checked.
    values : dict of str to object
        Parameter name -> the value given.
    hints : dict of str to str, optional
        Parameter name -> advice appended to its message (``"try 0.1"``).
    show : callable, default=repr
        How the message writes the value (the lab shortens what a page sent).
    error : type, default ParameterError
        The exception raised, for a caller with its own (the command line's
        run configuration raises its ``ConfigError``). Without an ``owner``
        the message starts at the parameter's name.

    Raises
    ------
    ParameterError
        ``"{owner}: {name} must be {allowed}, got {value!r}."`` plus the hint.
    """
    for name, value in values.items():
        allowed = constraints.get(name)
        if allowed is None or any(c.accepts(value) for c in allowed):
            continue
        hint = (hints or {}).get(name)
        message = (f"{owner}: " if owner else "") + (
            f"{name} must be {describe(allowed)}, got {show(value)}." + (f" {hint}" if hint else ""))
        if error is ParameterError:
            raise ParameterError(message, owner=owner, name=name, value=value)
        raise error(message)
