"""An L2 penalty reported in the training loss, as scikit-learn reports it.

The optimizers apply L2 as coupled weight decay (``grad += weight_decay *
W``, weights only) and the loss they minimise is then
``data loss + 0.5 * weight_decay * ||W||^2``; the trainer normally reports
the data loss alone. scikit-learn's ``alpha`` penalty is that term with
``weight_decay = alpha / n_batch`` (``n_batch``: rows in the batch), and its
``loss_`` includes it. ``L2Penalty`` sets the weight decay before each batch
(the last, smaller batch of an epoch gets its own value) and gives the
trainer the penalty at the weights the batch starts from, so the epoch's
loss includes it exactly.
"""
from __future__ import annotations

import numpy as np
from array_api_compat import array_namespace

from softmaxlab._validation import Interval, Options, validate_params

__all__ = ["L2Penalty"]


class L2Penalty:
    """``0.5 * alpha * ||W||^2 / D`` added to every batch's loss.

    Parameters
    ----------
    alpha : float > 0
    denominator : float, optional
        D. None: the batch's row count (scikit-learn's ``MLPClassifier``).
        A fixed D (``SoftmaxRegression``: the weight sum of the whole
        training set) makes each step a stochastic gradient step on the full
        objective ``mean loss + 0.5 * alpha * ||W||^2 / D``, the one
        "lbfgs" minimises.

    Notes
    -----
    With ``sample_weight`` scikit-learn divides the penalty by the batch's
    weight sum; here it is always divided by the batch's row count. Without
    sample weights the two are identical.
    """

    _constraints = {"alpha": [Interval(float, 0, None, closed="neither")],
                    "denominator": [Options(None), Interval(float, 0, None, closed="neither")]}

    def __init__(self, alpha: float, denominator: float | None = None):
        validate_params("L2Penalty", self._constraints,
                        {"alpha": alpha, "denominator": denominator})
        self.alpha = float(alpha)
        self.denominator = denominator

    def before_batch(self, optimizer, size: int) -> float:
        """Set ``optimizer.weight_decay`` for a batch of ``size`` rows and
        return the batch's penalty at the current weights."""
        denominator = size if self.denominator is None else self.denominator
        optimizer.weight_decay = self.alpha / denominator
        sq = sum(_squared_norm(p.value) for p in optimizer.params if p.decay)
        return 0.5 * self.alpha * sq / denominator


def _squared_norm(a) -> float:
    """``||a||^2`` as a Python float, for an array of any library."""
    if isinstance(a, np.ndarray):
        return float(np.vdot(a, a))
    xp = array_namespace(a)
    return float(xp.sum(a * a))
