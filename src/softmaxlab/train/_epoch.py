"""One epoch's pass over the minibatches: the one per-batch bookkeeping.

Both engines run through this loop. An engine (``_reference.py``, or the
NumPy fast path in ``softmaxlab._kernels``) supplies only the work of one
batch::

    with engine.epoch(X, y, sw, order, bs) as batches:   # the batches, in order
        for X_b, y_b, sw_b in batches:
            loss, logits, dlogits = engine.loss_and_gradient(X_b, y_b, sw_b)
            engine.update(dlogits)                       # backward + optimizer step

and everything reported about the epoch is counted here, once: the running
loss weighted by the sample weights, the correct predictions, the samples
seen, an L2 penalty's share, the batch hooks' ``logs`` and the divergence
guard. The policy around an epoch (validation, history, callbacks,
rollback, interrupts) is in ``trainer.py``.
"""
from __future__ import annotations

import math
from typing import NamedTuple

__all__ = ["EpochResult", "run_epoch"]


class EpochResult(NamedTuple):
    """What one pass over the batches measured.

    ``data_loss``: the mean training loss, weighted by the sample weights,
    each batch measured before its update; ``accuracy``: the share of rows
    predicted right; ``penalty``: the mean L2 penalty per row (0 without one).
    """

    data_loss: float
    accuracy: float
    penalty: float


def run_epoch(trainer, engine, X, y, sw, order, bs, *, on_bad_loss, hooks=(), penalty=None,
              keep_gradients=False) -> EpochResult:
    """Train ``trainer.model`` on one pass over the batches.

    Parameters
    ----------
    trainer : Trainer
        Its ``samples_seen`` is advanced; its optimizer is given to the penalty.
    engine : ReferenceStep or FastPath
        The step for one batch.
    X : array of shape (n_samples, n_features), validated
    y : array of shape (n_samples,) (class indices) or (n_samples, n_outputs)
        (0/1 targets), validated by the loss's ``check_targets``
    sw : array of shape (n_samples,) or None, sample weights
    order : numpy int array of shape (n_samples,) or None
        This epoch's row order (None: the data's own order).
    bs : int, rows per batch (the last batch may be smaller)
    on_bad_loss : callable(batch, what)
        Called with the 1-based batch number when a batch loss is not
        finite, before that batch's update; expected to raise.
    hooks : list of callables(trainer, batch, logs)
        The callbacks' ``on_batch_end`` methods, called after each update
        with ``logs = {"loss", "size", "correct", "epoch"}``.
    penalty : L2Penalty, optional
        Sets the optimizer's weight decay before each batch and adds its
        share of the penalty to the epoch's loss.
    keep_gradients : bool
        Every gradient must be written (a hook may read them).

    Returns
    -------
    EpochResult
    """
    isfinite = math.isfinite
    loss_of, update, count_correct = engine.loss_and_gradient, engine.update, engine.count_correct
    epoch = trainer.epoch + 1
    total_loss = total_weight = penalty_sum = 0.0
    correct = 0
    with engine.epoch(X, y, sw, order, bs, keep_gradients) as batches:
        for b, (xb, yb, swb) in enumerate(batches):
            size = yb.shape[0]
            if penalty is not None:
                penalty_sum += size * penalty.before_batch(trainer.optimizer, size)
            loss, logits, dlogits = loss_of(xb, yb, swb)
            if not isfinite(loss):
                on_bad_loss(b + 1, f"the loss became {loss}")
            update(dlogits)
            hits = count_correct(logits, yb)
            w = size if swb is None else engine.weight_sum(swb)
            total_loss += loss * w
            total_weight += w
            correct += hits
            trainer.samples_seen += size
            if hooks:
                logs = {"loss": loss, "size": size, "correct": hits, "epoch": epoch}
                for hook in hooks:
                    hook(trainer, b, logs)
    n = X.shape[0]
    return EpochResult(total_loss / max(total_weight, 1e-300), correct / n, penalty_sum / n)
