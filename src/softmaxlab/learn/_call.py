"""Calling the learner's function safely, and reading what it returns.

A check never raises: everything that stops it (the exercise not done yet,
an exception in the learner's code, a result that is not an array) travels
as :class:`Stop` to :func:`run_check`, which turns it into a CheckResult.
"""
from __future__ import annotations

import copy
import os
import sysconfig
import traceback
import warnings

import numpy as np

from softmaxlab.learn._result import FAILED, NOT_DONE, PASSED, CheckResult

__all__ = ["NOT_DONE", "Stop", "call", "changed_inputs", "fail", "run_check", "shape_of",
           "shape_text", "to_array"]


class Stop(Exception):
    """The check's verdict, raised from deep inside a check."""

    def __init__(self, status: str, message: str, hint: str = ""):
        super().__init__(message)
        self.status, self.message, self.hint = status, message, hint


def fail(message: str, hint: str = "") -> Stop:
    """A failed verdict, to ``raise`` (sentences start with a capital letter)."""
    return Stop(FAILED, message[:1].upper() + message[1:], hint)


def run_check(name: str, body, fn, seed) -> CheckResult:
    """Run ``body(fn, rng)`` (which returns a success message or raises Stop)
    and wrap the outcome in a CheckResult; nothing escapes."""
    if not callable(fn):
        return CheckResult(name, FAILED, f"{name} needs your function itself, got {type(fn).__name__}.",
                           "Pass the function's name without calling it: check(my_fn), not "
                           "check(my_fn()).")
    rng = np.random.default_rng(seed)
    try:
        message = body(fn, rng)
    except Stop as s:
        return CheckResult(name, s.status, s.message, s.hint)
    except Exception as e:  # a bug of the check itself must not crash the learner's notebook
        return CheckResult(name, FAILED, f"The check could not analyse your result "
                           f"({type(e).__name__}: {e}).", "Compare your result's type and shape "
                           "with the docstring of this check.")
    return CheckResult(name, PASSED, message)


def _library_dirs() -> tuple[str, ...]:
    """Folders whose frames are not the learner's code: the standard library,
    installed packages and softmaxlab itself."""
    paths = sysconfig.get_paths()
    dirs = {paths.get(k, "") for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    dirs.add(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return tuple(os.path.join(d, "") for d in dirs if d)


def _learner_line(tb) -> str:
    """``line 3 of my_softmax: P = ...`` for the deepest frame of the learner's code."""
    frames = traceback.extract_tb(tb)[1:]  # the first frame is call() below
    library = _library_dirs()
    own = [f for f in frames if not os.path.abspath(f.filename).startswith(library)]
    frame = own[-1] if own else (frames[-1] if frames else None)
    if frame is None:
        return ""
    code = f": {frame.line.strip()}" if frame.line else ""
    return f"\n  at line {frame.lineno} of {frame.name}{code}"


def call(fn, args: dict, *, none_ok: bool = False, about: str = "", note: str = ""):
    """Call ``fn`` on deep copies of ``args`` (name -> value, in order).

    ``about`` is added to the hint when ``fn`` raises (what the inputs are);
    ``note`` to the message (how these inputs were special: " for logits
    around 1000").

    Returns ``(output, copies)``: ``copies`` are the objects ``fn`` received,
    to compare with ``args`` afterwards (see ``changed_inputs``). Raises Stop
    for "not done yet" (NotImplementedError, or None unless ``none_ok``) and
    for any other exception, naming the learner's line.
    """
    copies = {k: copy.deepcopy(v) for k, v in args.items()}
    try:
        # The learner's overflow warnings would bury the diagnosis; NaN and
        # inf in the result are diagnosed instead.
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = fn(*copies.values())
    except NotImplementedError:
        raise Stop(NOT_DONE, "Your function still raises NotImplementedError: write it, then run "
                   "this check again.") from None
    except Exception as e:
        shapes = ", ".join(f"{k} of shape {np.shape(v)}" for k, v in args.items()
                           if isinstance(v, np.ndarray))
        message = str(e).strip().splitlines()[0][:300] if str(e).strip() else ""
        pointer = _exception_hint(type(e), message)
        if about and pointer != _GENERIC:   # a shape or indexing error: say what the inputs are
            pointer = about + " " + pointer
        hint = (f"It was called with {shapes}. " if shapes else "") + pointer
        raise fail(f"Your function raised {type(e).__name__}{note}: {message}"
                   f"{_learner_line(e.__traceback__)}", hint) from None
    untouched = out is NotImplemented or (isinstance(out, (tuple, list)) and len(out) > 0
                                          and all(x is None for x in out))
    if (out is None and not none_ok) or untouched:
        raise Stop(NOT_DONE, "Your function returns None (or only Nones): write it (and end it "
                   "with return), then run this check again.")
    return out, copies


def _exception_hint(kind: type, message: str) -> str:
    """A pointer for the usual shape, indexing and overflow errors."""
    low = message.lower()
    if issubclass(kind, OverflowError) or "overflow" in low or "math range" in low:
        return ("exp of a number above about 709 is too large for a float: keep the exponents "
                "small, e.g. subtract each row's largest logit before exp (softmax does not "
                "change).")
    if "broadcast" in low:
        return ("Arrays of different shapes only combine when their trailing sizes agree (or are 1): "
                "a sum over axis=1 has shape (N,); with keepdims=True it is (N, 1) and divides each row.")
    if "matmul" in low or "mat1 and mat2" in low or "aligned" in low or "size mismatch" in low:
        return ("In A @ B the inner sizes must agree: (N, D) @ (D, H) gives (N, H). "
                "Write each factor's shape under the formula; a .T (a transpose) is missing or extra.")
    if "tensor" in low and ("must be" in low or "expected" in low or "argument" in low):
        return ("The check passes NumPy arrays: for PyTorch, convert them first "
                "(torch.from_numpy(Z) or torch.tensor(Z)).")
    if issubclass(kind, IndexError) or "index" in low or "indices" in low:
        return ("Labels y are integers (one class per row); index with integer arrays, "
                "e.g. rows np.arange(N) with columns y.")
    return _GENERIC


_GENERIC = "Print the shapes of your intermediate results to find where they stop matching."


def _same(a, b) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
    return a == b


def changed_inputs(args: dict, copies: dict) -> None:
    """Raise Stop when ``fn`` modified one of its arguments."""
    changed = [k for k in args if not _same(args[k], copies[k])]
    if changed:
        names = " and ".join(changed)
        raise fail(f"Your function changed its input {names} in place. The values it returned may "
                   f"be right, but the caller's {names} is now different: a later step would use "
                   "the damaged array.",
                   "Write new arrays instead of into the inputs: x = x - m instead of x -= m, "
                   "dx = dout.copy() before dx[...] = 0, no out= arguments pointing at an input.")


def shape_text(shape: tuple, dims: dict) -> str:
    """``(N, C) = (7, 4)``: a shape in the learner's letters and in numbers."""
    by_size = {}
    for k, v in dims.items():
        by_size.setdefault(v, k)
    letters = [by_size.get(s, str(s)) for s in shape]
    numbers = ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "")
    if all(x.isdigit() for x in letters):
        return f"({numbers})"
    return f"({', '.join(letters)}{',' if len(shape) == 1 else ''}) = ({numbers})"


def _plain(x):
    """Tensors (torch, CuPy) and nested lists of them as NumPy-readable objects."""
    if hasattr(x, "detach"):                       # torch
        x = x.detach()
        if hasattr(x, "cpu"):
            x = x.cpu()
        return x.numpy()
    if hasattr(x, "get") and hasattr(x, "__cuda_array_interface__"):  # CuPy
        return x.get()
    if isinstance(x, (list, tuple)):
        return [_plain(e) for e in x]
    return x


def shape_of(x) -> tuple:
    """The shape of an array, tensor or nested list (() for a number)."""
    shape = getattr(x, "shape", None)
    if shape is not None:
        return tuple(int(s) for s in shape)
    try:
        return tuple(np.shape(_plain(x)))
    except (ValueError, TypeError):
        return (len(x),) if hasattr(x, "__len__") else ()


def to_array(x, what: str, expected: str) -> np.ndarray:
    """The learner's result as a NumPy array, or Stop naming what it was.

    ``what`` names the result (``"dZ"``), ``expected`` its shape text.
    """
    if x is None:
        raise fail(f"{what} is None; expected an array of shape {expected}.",
                   "Check that every path of your function ends with return.")
    if isinstance(x, (str, bytes, dict, set)) or callable(x):
        raise fail(f"{what} is a {type(x).__name__}; expected an array of shape {expected}.",
                   "Return the array itself.")
    if isinstance(x, tuple) and any(np.ndim(_plain(e)) >= 2 for e in x):
        raise fail(f"{what} is a tuple of {len(x)} items; expected one array of shape {expected}.",
                   "Return one array, not a tuple of several results.")
    try:
        a = np.asarray(_plain(x))
    except (ValueError, TypeError):
        a = None
    if a is None or a.dtype == object or a.dtype.kind not in "biuf":
        kind = (f"a {type(x).__name__} of {len(x)} items" if isinstance(x, (list, tuple))
                else f"a {type(x).__name__}")
        raise fail(f"{what} is {kind}, which is not a table of numbers; expected an array of "
                   f"shape {expected}.",
                   "Return one array (or a list of rows of numbers, all of the same length).")
    return a


