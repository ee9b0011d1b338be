"""The fast path's own options, for benchmarks and tests that take it apart.

The ``Trainer`` has one public switch, ``engine``; how the fast path does its
work (an SGD update fused into the gradient GEMM, the rows gathered on a
helper thread) is the fast path's business. Its defaults are what a user
wants; a benchmark or a test changes them for one block of code::

    from softmaxlab._kernels.options import fast_path_options

    with fast_path_options(prefetch=True):
        trainer.fit(X, y, epochs=3)

The options live in a ``contextvars.ContextVar``: set only inside the
``with`` block (and only for the thread or task that set them), never for
the whole process.
"""
from __future__ import annotations

import contextlib
import contextvars
import dataclasses

from softmaxlab._validation.params import Options, validate_params

__all__ = ["FastPathOptions", "current", "fast_path_options"]


@dataclasses.dataclass(frozen=True)
class FastPathOptions:
    """How the fast path runs an epoch.

    Parameters
    ----------
    fuse : bool, default=True
        Fuse plain/momentum SGD updates into each large Linear weight's
        gradient GEMM (same maths, one pass less over the weights; those
        ``grads["W"]`` are then not written).
    prefetch : "auto" or bool, default="auto"
        Gather the shuffled rows of the next batches on a helper thread
        while BLAS runs one thread (``prefetch.py``). "auto" decides per
        epoch; True forces it whenever the data is shuffled; False never.
    """

    fuse: bool = True
    prefetch: object = "auto"

    def __post_init__(self):
        validate_params("fast_path_options", {"fuse": [Options(True, False)],
                                              "prefetch": [Options("auto", True, False)]},
                        {"fuse": self.fuse, "prefetch": self.prefetch})


_DEFAULTS = FastPathOptions()
_OPTIONS: contextvars.ContextVar[FastPathOptions | None] = contextvars.ContextVar(
    "softmaxlab_fast_path_options", default=None)


def current() -> FastPathOptions:
    """The options in force here."""
    return _OPTIONS.get() or _DEFAULTS


@contextlib.contextmanager
def fast_path_options(**changes):
    """Run a block with some fast-path options changed (see ``FastPathOptions``)."""
    token = _OPTIONS.set(dataclasses.replace(current(), **changes))
    try:
        yield current()
    finally:
        _OPTIONS.reset(token)
