"""A guard against training that explodes without ever producing NaN.

The Trainer stops at the first NaN or infinite loss. A learning rate far too
large can instead throw the weights to huge but finite values: the fused
log-softmax loss then stays finite (it grows only linearly with the logits,
say to 1e34) while the model predicts at chance. :class:`ExplosionGuard`
calls that divergence too, after each epoch, by two rules:

- the epoch's training loss is more than ``factor`` times the first epoch's
  and above ``factor * log C``, or
- the training accuracy is at chance (at most the largest class share plus
  ``chance_margin``) while the loss is above ``factor * log C``.

Why ``log C``: an untrained C-class model predicts nearly uniform
probabilities, whose cross-entropy is ``log C``; a mean loss of ``10 log C``
means the true class gets on average a probability of ``C**-10`` (1e-10 for
ten classes), which no learning run reaches after its first epoch and which
is a model confidently wrong, not a slow one.
"""
from __future__ import annotations

import math

from softmaxlab.train.callbacks import Callback
from softmaxlab.train.trainer import TrainingDivergedError

__all__ = ["EXPLOSION_FACTOR", "ExplosionGuard", "TrainingExplodedError", "explosion"]

EXPLOSION_FACTOR = 10.0
CHANCE_MARGIN = 0.05


class TrainingExplodedError(TrainingDivergedError):
    """The loss stayed finite but exploded. Besides ``epoch``, ``lr`` and
    ``history`` (which includes the exploded epoch), ``loss`` is that epoch's
    training loss and ``reason`` says which rule fired."""

    def __init__(self, message, epoch, lr, history, loss, reason):
        super().__init__(message, epoch=epoch, batch=None, lr=lr, history=history)
        self.loss, self.reason = loss, reason


def _num(v: float) -> str:
    """A plain number for messages: 2.52e+34, 1.6e+06, 0.105."""
    return f"{v:.3g}"


def explosion(history, n_classes: int, chance: float | None = None,
              factor: float = EXPLOSION_FACTOR, chance_margin: float = CHANCE_MARGIN):
    """Why the last epoch of ``history`` counts as an explosion, or None.

    Parameters
    ----------
    history : History
        At least one epoch.
    n_classes : int
    chance : float, optional
        Accuracy of always predicting the most frequent training class
        (default ``1 / n_classes``).

    Returns
    -------
    str or None
        A phrase naming the loss and the rule, for the error message.
    """
    if not len(history) or n_classes < 2:
        return None
    loss, acc = history.train_loss[-1], history.train_acc[-1]
    first = history.train_loss[0]
    log_c = math.log(n_classes)
    if not (math.isfinite(loss) and loss > factor * log_c):
        return None
    chance = 1.0 / n_classes if chance is None else chance
    if len(history) > 1 and math.isfinite(first) and loss > factor * first:
        return (f"the training loss reached {_num(loss)}, more than {factor:g} times its "
                f"first-epoch value {_num(first)}")
    if acc <= chance + chance_margin:
        return (f"the training loss reached {_num(loss)}, far above the chance level log({n_classes})"
                f" = {log_c:.2f}, with the accuracy at chance ({acc:.3f})")
    return None


class ExplosionGuard(Callback):
    """Raise :class:`TrainingExplodedError` at the end of an epoch whose loss
    exploded (see the module docstring). Stateless: it reads the trainer's
    History, so it works the same after a resume.

    Parameters
    ----------
    chance : float, optional
        The share of the most frequent class in the training labels.
    factor, chance_margin : float
        The thresholds of the two rules.
    """

    def __init__(self, chance: float | None = None, factor: float = EXPLOSION_FACTOR,
                 chance_margin: float = CHANCE_MARGIN):
        self.chance, self.factor, self.chance_margin = chance, factor, chance_margin

    def on_epoch_end(self, trainer, epoch, logs):
        why = explosion(trainer.history, trainer.model.n_classes, self.chance, self.factor,
                        self.chance_margin)
        if why is None:
            return
        lr = logs["lr"]
        raise TrainingExplodedError(
            f"Training diverged in epoch {epoch}: {why}. Likely causes: the learning rate is "
            f"too high (lr={lr:g}; try 10x lower) or the inputs are not scaled.",
            epoch=epoch, lr=lr, history=trainer.history, loss=trainer.history.train_loss[-1],
            reason=why)
