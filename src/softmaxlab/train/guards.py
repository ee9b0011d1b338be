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

For sigmoid outputs (L independent yes/no units, a multilabel model) the
chance level is ``L log 2``: each untrained unit says one half, and the loss
sums the L binary cross-entropies. It is ``log 2**L``, the log of the number
of label combinations, so the rules read the same with ``C = 2**L``; the
accuracy is then the subset accuracy, and chance is what predicting every
label's more frequent value scores.
"""
from __future__ import annotations

import math

from softmaxlab._validation import Interval, Options, validate_params
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
              factor: float = EXPLOSION_FACTOR, chance_margin: float = CHANCE_MARGIN,
              *, output: str = "softmax"):
    """Why the last epoch of ``history`` counts as an explosion, or None.

    Parameters
    ----------
    history : History
        At least one epoch.
    n_classes : int
        Classes of a softmax model, or output units (labels) of a sigmoid one.
    chance : float, optional
        Accuracy of always predicting the most frequent training class
        (default ``1 / n_classes``); for sigmoid outputs the subset accuracy
        of predicting each label's more frequent value (default ``2**-L``).
    output : {"softmax", "sigmoid"}, default "softmax"
        The model's output: its chance loss is ``log C``, or ``L log 2``.

    Returns
    -------
    str or None
        A phrase naming the loss and the rule, for the error message.
    """
    sigmoid = output == "sigmoid"
    if not len(history) or n_classes < (1 if sigmoid else 2):
        return None
    loss, acc = history.train_loss[-1], history.train_acc[-1]
    first = history.train_loss[0]
    if sigmoid:
        log_c = n_classes * math.log(2)
        level = f"{n_classes} log(2) = {log_c:.2f}" if n_classes > 1 else f"log(2) = {log_c:.2f}"
    else:
        log_c = math.log(n_classes)
        level = f"log({n_classes}) = {log_c:.2f}"
    if not (math.isfinite(loss) and loss > factor * log_c):
        return None
    if chance is None:
        chance = 2.0 ** -n_classes if sigmoid else 1.0 / n_classes
    if len(history) > 1 and math.isfinite(first) and loss > factor * first:
        return (f"the training loss reached {_num(loss)}, more than {factor:g} times its "
                f"first-epoch value {_num(first)}")
    if acc <= chance + chance_margin:
        return (f"the training loss reached {_num(loss)}, far above the chance level {level}, "
                f"with the {'subset ' if sigmoid and n_classes > 1 else ''}accuracy at chance "
                f"({acc:.3f})")
    return None


class ExplosionGuard(Callback):
    """Raise :class:`TrainingExplodedError` at the end of an epoch whose loss
    exploded (see the module docstring). Stateless: it reads the trainer's
    History, so it works the same after a resume.

    Parameters
    ----------
    chance : float, optional
        The share of the most frequent class in the training labels; for a
        sigmoid model the subset accuracy of predicting every label's more
        frequent value.
    factor, chance_margin : float
        The thresholds of the two rules.
    """

    _constraints = {"chance": [Options(None), Interval(float, 0, 1)],
                    "factor": [Interval(float, 0, None, closed="neither")],
                    "chance_margin": [Interval(float, 0, 1)]}

    def __init__(self, chance: float | None = None, factor: float = EXPLOSION_FACTOR,
                 chance_margin: float = CHANCE_MARGIN):
        validate_params("ExplosionGuard", self._constraints,
                        {"chance": chance, "factor": factor, "chance_margin": chance_margin})
        self.chance, self.factor, self.chance_margin = chance, factor, chance_margin

    def on_epoch_end(self, trainer, epoch, logs):
        model = trainer.model
        why = explosion(trainer.history, model.n_classes, self.chance, self.factor,
                        self.chance_margin, output=getattr(model, "output", "softmax"))
        if why is None:
            return
        lr = logs["lr"]
        raise TrainingExplodedError(
            f"Training diverged in epoch {epoch}: {why}. Likely causes: the learning rate is "
            f"too high (lr={lr:g}; try 10x lower) or the inputs are not scaled.",
            epoch=epoch, lr=lr, history=trainer.history, loss=trainer.history.train_loss[-1],
            reason=why)
