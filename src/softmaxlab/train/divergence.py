"""Training that diverged or was interrupted: the error, its message, and the
trainer's way back to weights that agree with its history.

A model must always match its ``History``: after an error or Ctrl-C the
weights are those at the end of the last epoch in the history. The trainer
keeps the state at the start of the current epoch and of the previous one
(``Rollback``) and goes back to one of them.
"""
from __future__ import annotations

from softmaxlab.errors import SoftmaxlabError

from typing import NamedTuple

from array_api_compat import array_namespace

from softmaxlab.train.history import COLUMNS

__all__ = ["Rollback", "Snapshot", "TrainingDivergedError", "weights_finite"]


class TrainingDivergedError(SoftmaxlabError, FloatingPointError):
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


def weights_finite(model) -> bool:
    """Whether every parameter of ``model`` is finite (any array library)."""
    for p in model.parameters():
        xp = array_namespace(p.value)
        if not bool(xp.all(xp.isfinite(p.value))):
            return False
    return True


class Rollback:
    """A trainer's way back. ``last_epoch_start``: the state at the start of
    the last finished epoch, the fallback when the next epoch's own start
    weights (that epoch's last update) already give a non-finite loss."""

    def __init__(self):
        self.last_epoch_start: Snapshot | None = None

    @staticmethod
    def snapshot(trainer) -> Snapshot:
        """The trainer's state now (at the start of an epoch)."""
        return Snapshot(trainer.model.get_weights(), trainer.samples_seen)

    @staticmethod
    def restore(trainer, snapshot: Snapshot) -> None:
        """Put the trainer back to ``snapshot``."""
        trainer.model.set_weights(snapshot.weights)
        trainer.samples_seen = snapshot.samples_seen

    def reject_last_epoch(self, trainer, what: str):
        """Undo the epoch just finished (not yet in the history) and raise
        ``TrainingDivergedError`` saying ``what`` went wrong."""
        if self.last_epoch_start is None:
            raise RuntimeError("reject_last_epoch: no epoch has finished since the last rollback.")
        snapshot, self.last_epoch_start = self.last_epoch_start, None
        self.restore(trainer, snapshot)
        trainer.history.stopped = "diverged"
        raise _error(trainer.epoch + 1, None, trainer.optimizer.lr, what, trainer.epoch,
                     trainer.history)

    def diverged(self, trainer, snapshot: Snapshot, batch: int, what: str):
        """Batch ``batch`` of the current epoch (which started at
        ``snapshot``) went wrong: restore the last weights known to give a
        finite loss and raise.

        ``snapshot`` gave a finite loss on batch 1, so it is safe after a
        failure in a later batch. A failure in batch 1 means the epoch's start
        weights (the previous epoch's last update) are the bad ones: go back
        to the previous epoch's start and drop that epoch from the history,
        so model and history still agree.
        """
        epoch, lr = trainer.epoch + 1, trainer.optimizer.lr
        if batch > 1 or self.last_epoch_start is None:
            self.restore(trainer, snapshot)
        else:
            self.restore(trainer, self.last_epoch_start)
            trainer.epoch -= 1
            for column in COLUMNS:
                del getattr(trainer.history, column)[trainer.epoch:]
        self.last_epoch_start = None
        trainer.history.stopped = "diverged"
        raise _error(epoch, batch, lr, what, trainer.epoch, trainer.history)


def _error(epoch: int, batch: int | None, lr: float, what: str, kept_epoch: int,
           history) -> TrainingDivergedError:
    """The error for epoch ``epoch`` (batch ``batch``, or None for the epoch
    as a whole): what went wrong, the likely causes, and which parameters
    the model keeps (those at the end of ``kept_epoch``)."""
    where = f"epoch {epoch}" if batch is None else f"epoch {epoch} (batch {batch})"
    kept = (f"The model keeps the parameters from the end of epoch {kept_epoch}."
            if kept_epoch else "The model keeps its initial parameters.")
    return TrainingDivergedError(
        f"Training diverged in {where}: {what}. Likely causes: the learning rate is too high "
        f"(lr={lr:g}; try 10x lower) or the inputs are not scaled (standardise features, or "
        f"scale pixels to [0, 1]). {kept}", epoch=epoch, batch=batch, lr=lr, history=history)
