"""One epoch's pass over the minibatches, on the reference engine.

The textbook loop, on whatever array library the data lives in::

    for each minibatch (X_b, y_b):
        logits = model.forward(X_b)              # cache what backward needs
        loss, dlogits = loss(logits, y_b)        # fused softmax cross-entropy
        model.backward(dlogits)                  # fill every layer's grads
        optimizer.step()                         # update the parameters

The rows of a batch are taken with ``take`` in the shuffled order, on the
data's own device. The NumPy fast path (``softmaxlab._kernels``) runs the
same loop with fused and cached kernels when it applies; the policy around an
epoch (validation, history, callbacks, divergence, interrupts) is in
``trainer.py``.
"""
from __future__ import annotations

import math

from array_api_compat import array_namespace, device

__all__ = ["run_batches"]


def run_batches(trainer, X, y, sw, order, bs, on_bad_loss, hooks):
    """Train ``trainer.model`` on one pass over the batches.

    Parameters
    ----------
    trainer : Trainer
        Its model, optimizer, loss and callbacks are used; its
        ``samples_seen`` is advanced.
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
        The callbacks' ``on_batch_end`` methods that do something.

    Returns
    -------
    (mean training loss, accuracy) : (float, float)
        Weighted by ``sw`` where given; each batch measured before its update.
    """
    model, loss_fn, opt = trainer.model, trainer.loss, trainer.optimizer
    xp = array_namespace(X)
    n = X.shape[0]
    if order is not None:
        order = xp.asarray(order, device=device(X))
    epoch = trainer.epoch + 1
    total_loss = total_weight = 0.0
    correct = 0
    for b, start in enumerate(range(0, n, bs)):
        stop = min(start + bs, n)  # the array API leaves slices past the end unspecified
        if order is None:
            xb, yb = X[start:stop, ...], y[start:stop, ...]
            swb = None if sw is None else sw[start:stop]
        else:
            rows = order[start:stop]
            xb, yb = xp.take(X, rows, axis=0), xp.take(y, rows, axis=0)
            swb = None if sw is None else xp.take(sw, rows, axis=0)
        logits = model.forward(xb, training=True)
        loss, dlogits = loss_fn(logits, yb, swb)
        if not math.isfinite(loss):
            on_bad_loss(b + 1, f"the loss became {loss}")
        model.backward(dlogits)
        opt.step()
        size = yb.shape[0]
        hits = loss_fn.count_correct(logits, yb)
        w = size if swb is None else float(xp.sum(swb))
        total_loss += loss * w
        total_weight += w
        correct += hits
        trainer.samples_seen += size
        if hooks:
            logs = {"loss": loss, "size": size, "correct": hits, "epoch": epoch}
            for hook in hooks:
                hook(trainer, b, logs)
    return total_loss / max(total_weight, 1e-300), correct / n
