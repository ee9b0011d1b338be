"""Which engine runs an epoch: the trainer's one switch, ``engine``."""
from __future__ import annotations

from softmaxlab._kernels import FastPath, why_not
from softmaxlab.train._reference import ReferenceStep
from softmaxlab.errors import InputError

__all__ = ["ENGINES", "choose_engine"]

#: ``Trainer(engine=...)``: "auto" picks the fast path when it applies.
ENGINES = ("auto", "reference", "fast")


def choose_engine(choice, model, optimizer, loss, X, current=None):
    """The engine for an epoch on ``X``: ``current`` again when it was built
    for the same objects, else a new ``FastPath`` or ``ReferenceStep``.

    Parameters
    ----------
    choice : {"auto", "reference", "fast"}
    model, optimizer, loss : the trainer's
    X : array of shape (n_samples, n_features), the epoch's data
    current : ReferenceStep or FastPath, optional

    Raises
    ------
    ValueError
        ``choice="fast"`` where the fast path does not apply (the reason).
    """
    reason = "the reference engine was asked for" if choice == "reference" else \
        why_not(model, optimizer, loss, X)
    if reason is not None and choice == "fast":
        raise InputError(f"Trainer(engine='fast') cannot run this training: {reason}. "
                         "Use engine='auto' (the fast path where it applies) or "
                         "engine='reference'.")
    kind = ReferenceStep if reason is not None else FastPath
    if type(current) is kind and current.matches(model, optimizer, loss):
        return current
    return kind(model, optimizer, loss)
