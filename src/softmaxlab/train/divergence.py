"""Training that diverged: the error, its message, and what the trainer
keeps to roll back to."""
from __future__ import annotations

from typing import NamedTuple

__all__ = ["Snapshot", "TrainingDivergedError", "diverged"]


class TrainingDivergedError(FloatingPointError):
    """The loss became NaN or infinite. ``epoch``, ``batch``, ``lr`` and the
    ``history`` up to the last finished epoch are attributes."""

    def __init__(self, message, epoch, batch, lr, history):
        super().__init__(message)
        self.epoch, self.batch, self.lr, self.history = epoch, batch, lr, history


class Snapshot(NamedTuple):
    """The state at the start of an epoch: the model's weights (a list of
    copies) and the trainer's ``samples_seen``."""

    weights: list
    samples_seen: int


def diverged(epoch: int, batch: int | None, lr: float, what: str, kept_epoch: int,
             history) -> TrainingDivergedError:
    """The error for epoch ``epoch`` (batch ``batch``, or None for the epoch
    as a whole), saying what went wrong, the likely causes and which
    parameters the model keeps (those at the end of ``kept_epoch``)."""
    where = f"epoch {epoch}" if batch is None else f"epoch {epoch} (batch {batch})"
    kept = (f"The model keeps the parameters from the end of epoch {kept_epoch}."
            if kept_epoch else "The model keeps its initial parameters.")
    return TrainingDivergedError(
        f"Training diverged in {where}: {what}. Likely causes: the learning rate is too high "
        f"(lr={lr:g}; try 10x lower) or the inputs are not scaled (standardise features, or "
        f"scale pixels to [0, 1]). {kept}", epoch=epoch, batch=batch, lr=lr, history=history)
