"""One epoch's pass over the minibatches, for ``Trainer``.

Where the batches come from (the shuffled rows gathered on this thread into
a reused buffer, or prefetched by a helper thread, ``_prefetch.py``), and what
each batch does: forward, fused softmax cross-entropy, backward with the
optimizer's update fused into the big weight-gradient GEMMs where it can be,
the update, and the running loss and accuracy. The policy around an epoch
(validation, history, callbacks between epochs, divergence and interrupts)
stays in ``trainer.py``.
"""
from __future__ import annotations

import contextlib
import math

import numpy as np

from softmaxlab.nn._blas import available as blas_available
from softmaxlab.nn.layers import Linear
from softmaxlab.optim.base import Optimizer
from softmaxlab.train import _prefetch
from softmaxlab.train.callbacks import Callback

__all__ = ["FUSE_MIN_SIZE", "run_batches"]

#: Fewest elements a Linear weight needs for ``fuse`` to apply to it.
FUSE_MIN_SIZE = 1 << 16


def gather_batch(buffers, X, idx):
    """Rows ``idx`` of X copied into a work buffer reused across batches.

    Parameters
    ----------
    buffers : dict
        The trainer's buffers, keyed by (rows, columns, dtype); filled here.
    X : ndarray of shape (n_samples, n_features)
    idx : ndarray of shape (batch,), row indices

    Returns
    -------
    ndarray of shape (batch, n_features), the buffer (overwritten next call)

    Gathering per batch (not the whole shuffled set once per epoch) reads
    every image from memory once and writes only a cache-sized buffer that
    the GEMMs then read from cache; no epoch-sized copy exists. Full batches
    share one buffer, the last partial batch gets its own. The first Linear
    layer caches the buffer for its backward, which runs before the next
    batch overwrites it.
    """
    key = (len(idx), X.shape[1], X.dtype)
    buf = buffers.get(key)
    if buf is None:
        buf = buffers[key] = np.empty((len(idx), X.shape[1]), dtype=X.dtype)
    # mode="clip": the indices come from a permutation, so none is out of
    # range, and the default mode="raise" would buffer `out` (a second copy).
    return np.take(X, idx, axis=0, out=buf, mode="clip")


def epoch_batches(trainer, X, order, bs):
    """Context manager giving this epoch's input batches, each of shape
    (<= bs, n_features), in ``order`` (None: the data's own order): gathered
    ahead on a helper thread, or one by one on this thread."""
    if order is not None and (trainer.prefetch is True or (
            trainer.prefetch == "auto" and _prefetch.worthwhile(trainer.model, bs, X))):
        return _prefetch.PrefetchedBatches(X, order, bs, cache=trainer._ring)
    buffers = trainer._buf
    # Looked up here, not bound at import, so benchmarks/profile_stages.py
    # can time the gather by wrapping this module's function.
    gather = gather_batch
    return contextlib.nullcontext(
        X[s:s + bs] if order is None else gather(buffers, X, order[s:s + bs])
        for s in range(0, X.shape[0], bs))


def batch_end_hooks(callbacks):
    """The ``on_batch_end`` methods that do something: the base class's is a
    no-op, and building its ``logs`` dict for every batch is not free."""
    hooks = []
    for cb in callbacks:
        hook = getattr(cb, "on_batch_end", None)
        if hook is not None and getattr(hook, "__func__", None) is not Callback.on_batch_end:
            hooks.append(hook)
    return hooks


def fusable(trainer) -> list[tuple[int, int]]:
    """(layer index, parameter index) of each Linear weight whose update the
    trainer's optimizer may fuse into the layer's gradient GEMM."""
    opt, model = trainer.optimizer, trainer.model
    if not trainer.fuse or type(opt).gemm_update is Optimizer.gemm_update \
            or not blas_available(model.dtype):
        return []
    index = {id(p.value): i for i, p in enumerate(opt.params)}
    # Small weights are left alone: their separate update takes a few
    # microseconds, and softmax regression's 784 x 10 measured slower fused.
    return [(li, index[id(layer.params["W"])]) for li, layer in enumerate(model.layers)
            if isinstance(layer, Linear) and id(layer.params["W"]) in index
            and layer.params["W"].size >= FUSE_MIN_SIZE]


def run_batches(trainer, X, y, sw, order, bs, on_bad_loss):
    """Train ``trainer.model`` on one pass over the batches.

    Parameters
    ----------
    trainer : Trainer
        Its model, optimizer, loss, callbacks and buffers are used; its
        ``samples_seen`` is advanced.
    X : ndarray of shape (n_samples, n_features), validated
    y : ndarray of shape (n_samples,), integer class indices, or (n_samples,
        n_units) 0/1 targets; the trainer's loss scores them (``count_correct``)
    sw : ndarray of shape (n_samples,) or None, sample weights
    order : ndarray of shape (n_samples,) or None, this epoch's row order
    bs : int, rows per batch (the last batch may be smaller)
    on_bad_loss : callable(batch, what)
        Called with the 1-based batch number when a batch loss is not
        finite, before that batch's update; expected to raise.

    Returns
    -------
    (mean training loss, running accuracy) : (float, float)
        Weighted by ``sw`` where given; each batch measured before its update.
    """
    model, loss_fn, opt = trainer.model, trainer.loss, trainer.optimizer
    forward, backward, step = model.forward, model.backward, opt.step
    fused_layers, gemm_update, layers = fusable(trainer), opt.gemm_update, model.layers
    n = X.shape[0]
    if order is not None:  # labels and weights are small: permute them once
        y = y[order]
        sw = sw[order] if sw is not None else None
    hooks = batch_end_hooks(trainer.callbacks)
    epoch = trainer.epoch + 1
    isfinite = math.isfinite
    total_loss = 0.0
    total_weight = 0.0
    correct = 0
    with epoch_batches(trainer, X, order, bs) as batches:
        for b, xb in enumerate(batches):
            start = b * bs
            stop = start + bs
            yb = y[start:stop]
            size = yb.shape[0]
            swb = None if sw is None else sw[start:stop]
            logits = forward(xb, training=True)
            loss, dlogits = loss_fn(logits, yb, swb)
            if not isfinite(loss):
                on_bad_loss(b + 1, f"the loss became {loss}")
            if fused_layers:
                plan = {}
                for li, pi in fused_layers:
                    update = gemm_update(pi)
                    if update is not None:
                        plan[li] = update
                backward(dlogits, accumulate=plan)
                step(fused={pi for li, pi in fused_layers if li in plan and layers[li].fused})
            else:
                backward(dlogits)
                step()
            hits = loss_fn.count_correct(logits, yb)
            w = size if swb is None else float(swb.sum())
            total_loss += loss * w
            total_weight += w
            correct += hits
            trainer.samples_seen += size
            if hooks:
                logs = {"loss": loss, "size": size, "correct": hits, "epoch": epoch}
                for hook in hooks:
                    hook(trainer, b, logs)
    return total_loss / max(total_weight, 1e-300), correct / n
