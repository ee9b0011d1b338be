"""Hints for training runs that are going nowhere.

The training loop never prints. When the loss shows the classic "stuck at
log C" symptom it emits a ``NotLearningWarning`` through :mod:`warnings`; the
CLI shows warnings as one-line hints, a notebook shows them as usual, and a
user silences them with ``warnings.simplefilter("ignore", NotLearningWarning)``.
"""
from __future__ import annotations

import math
import warnings

from softmaxlab.train.history import History

__all__ = ["NOT_LEARNING_EPOCHS", "NOT_LEARNING_RTOL", "NotLearningWarning", "chance_classes",
           "check_not_learning"]

# Look at the first 3 epochs, and call a loss "at log C" within 1%.
NOT_LEARNING_EPOCHS = 3
NOT_LEARNING_RTOL = 0.01


class NotLearningWarning(UserWarning):
    """The training loss has stayed at about ``log(n_classes)``, the loss of
    uniform predictions, for the first epochs: the model is not learning."""


def chance_classes(model) -> int:
    """How many equally likely outcomes an untrained ``model`` spreads over:
    C classes for softmax; for L sigmoid units at one half each, the 2^L
    label combinations (its loss, L log 2, is log 2^L)."""
    n = model.n_outputs
    return n if getattr(model, "output", "softmax") == "softmax" else 2 ** n


def check_not_learning(history: History, n_classes: int, lr: float | None = None) -> bool:
    """Warn once, right after epoch ``NOT_LEARNING_EPOCHS``, if every training
    loss so far lies within ``NOT_LEARNING_RTOL`` of ``log(n_classes)``, or
    stays at or above it while moving by less than that tolerance.

    Parameters
    ----------
    history : History
        Checked only when it holds exactly ``NOT_LEARNING_EPOCHS`` epochs, so
        the hint fires at most once per run (also across ``fit`` calls and
        ``partial_fit``) and never for a run resumed past that point.
    n_classes : int
    lr : float, optional
        The learning rate, quoted in the message.

    Returns
    -------
    bool
        Whether a ``NotLearningWarning`` was emitted.

    Notes
    -----
    An untrained C-class model predicts roughly uniform probabilities, whose
    cross-entropy is ``-log(1/C) = log C`` (2.303 for 10 classes). A loss that
    stays there means the gradient steps change nothing that matters: a
    learning rate that is far too small, inputs that are all zero or on a
    wildly different scale, labels shuffled against the rows, or dead units.
    """
    if len(history) != NOT_LEARNING_EPOCHS or n_classes < 2:
        return False
    log_c = math.log(n_classes)
    losses = history.train_loss[:NOT_LEARNING_EPOCHS]
    if not all(math.isfinite(v) for v in losses):
        return False
    tol = NOT_LEARNING_RTOL * log_c
    at_chance = all(abs(v - log_c) <= tol for v in losses)
    # A model can also be stuck *above* log C (confident but frozen random
    # predictions, e.g. from a large initialisation and a tiny learning rate):
    # no better than chance and not moving.
    frozen = min(losses) >= log_c - tol and max(losses) - min(losses) <= tol
    if not (at_chance or frozen):
        return False
    lr_text = f" than the current {lr:g}" if lr is not None else ""
    warnings.warn(
        f"The training loss has stayed at {losses[-1]:.3f} (chance level: log({n_classes}) = "
        f"{log_c:.3f}) for the first {NOT_LEARNING_EPOCHS} epochs: the model is not learning. Check that the inputs are scaled (e.g. pixels divided by 255, features "
        f"standardised), that the labels line up with the rows, and try a larger learning rate{lr_text}.",
        NotLearningWarning,
        stacklevel=4,
    )
    return True
