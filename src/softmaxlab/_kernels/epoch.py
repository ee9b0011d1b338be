"""One training epoch on the fast path, and when the fast path applies."""
from __future__ import annotations

import contextlib
import math

import numpy as np

from softmaxlab._kernels import prefetch
from softmaxlab._kernels.blas import available as blas_available
from softmaxlab._kernels.loss import FastSoftmaxCrossEntropy
from softmaxlab._kernels.network import SUPPORTED_LAYERS, FastNetwork
from softmaxlab._kernels.optim import fast_optimizer
from softmaxlab._kernels.threads import ThreadTeam
from softmaxlab.nn.layers import Linear
from softmaxlab.nn.losses import SoftmaxCrossEntropy
from softmaxlab.nn.model import Sequential
from softmaxlab.nn.sigmoid_loss import SigmoidBinaryCrossEntropy

__all__ = ["FUSE_MIN_SIZE", "FastPath", "why_not"]

#: Fewest elements a Linear weight needs for its update to be fused into its
#: GEMM: small weights' separate update takes a few microseconds, and softmax
#: regression's 784 x 10 measured slower fused.
FUSE_MIN_SIZE = 1 << 16


def why_not(model, optimizer, loss, callbacks, X) -> str | None:
    """None when the fast path computes this training step, else the reason
    it does not (the trainer then runs the reference engine).

    It applies to NumPy float arrays on the CPU, a ``Sequential`` of
    built-in layers, its built-in loss (``SoftmaxCrossEntropy`` for a
    softmax output, ``SigmoidBinaryCrossEntropy`` for a sigmoid one),
    ``SGD`` or ``Adam`` over exactly the model's parameters, and no callback
    that reads gradients (``Callback.reads_gradients``). Exact types are
    required: a subclass may change the maths.
    """
    if type(X) is not np.ndarray or X.dtype not in (np.float32, np.float64):
        return "the data is not a NumPy float array"
    if type(model) is not Sequential:
        return "the model is not a Sequential"
    for layer in model.layers:
        if type(layer) not in SUPPORTED_LAYERS:
            return f"the model has a custom layer ({type(layer).__name__})"
    params = model.parameters()
    if any(type(p.value) is not np.ndarray or p.value.dtype != X.dtype for p in params):
        return "the parameters are not NumPy arrays of the data's dtype"
    expected = SoftmaxCrossEntropy if model.output == "softmax" else SigmoidBinaryCrossEntropy
    if type(loss) is not expected:
        return f"the loss is {type(loss).__name__}, not the built-in {expected.__name__}"
    if fast_optimizer(optimizer) is None:
        return f"the optimizer is {type(optimizer).__name__}, not the built-in SGD or Adam"
    if [id(p.value) for p in optimizer.params] != [id(p.value) for p in params]:
        return "the optimizer does not hold exactly the model's parameters"
    if any(getattr(cb, "reads_gradients", False) for cb in callbacks):
        return "a callback reads the gradients"
    return None


class FastPath:
    """The fast training step for one (model, optimizer, loss), with the work
    buffers it keeps between epochs.

    Parameters
    ----------
    model, optimizer, loss : as checked by :func:`why_not`
    fuse : bool
        Fuse plain/momentum SGD updates into large weights' gradient GEMMs.
    prefetch : "auto" or bool
        Gather the shuffled rows on a helper thread (``prefetch.py``).

    Attributes
    ----------
    buffers : dict
        The gathered-batch buffers, keyed by (rows, columns, dtype).
    ring : dict
        The prefetch ring, kept between epochs.
    network : FastNetwork
    """

    def __init__(self, model, optimizer, loss, fuse=True, prefetch="auto"):
        self.model, self.optimizer, self.loss = model, optimizer, loss
        self.fuse, self.prefetch = fuse, prefetch
        self.network = FastNetwork(model)
        self.step = fast_optimizer(optimizer)
        # The sigmoid loss is element-wise already; the reference runs as is.
        self.loss_fn = (FastSoftmaxCrossEntropy(loss.class_weight)
                        if type(loss) is SoftmaxCrossEntropy else loss)
        self.buffers: dict[tuple, np.ndarray] = {}
        self.ring: dict[tuple, list[np.ndarray]] = {}
        # How many BLAS threads the GEMMs run, from measured batch times
        # (threads.py: a fixed team collapses when other processes take cores).
        self.team = ThreadTeam()

    def matches(self, model, optimizer, loss) -> bool:
        """Whether this path was built for exactly these objects."""
        return (model is self.model and optimizer is self.optimizer and loss is self.loss
                and list(model.layers) == self.network.layers)

    def gather(self, X, idx):
        """Rows ``idx`` of X (batch, n_features) copied into a buffer reused
        across batches.

        Gathering per batch (not the whole shuffled set once per epoch) reads
        every row from memory once and writes only a cache-sized buffer that
        the GEMMs then read from cache; no epoch-sized copy exists. Full
        batches share one buffer, the last partial batch gets its own. The
        first Linear layer keeps the buffer for its backward, which runs
        before the next batch overwrites it.
        """
        key = (len(idx), X.shape[1], X.dtype)
        buf = self.buffers.get(key)
        if buf is None:
            buf = self.buffers[key] = np.empty((len(idx), X.shape[1]), dtype=X.dtype)
        # mode="clip": the indices come from a permutation, so none is out of
        # range, and the default mode="raise" would buffer `out` (a second copy).
        return np.take(X, idx, axis=0, out=buf, mode="clip")

    def batches(self, X, order, bs):
        """Context manager giving this epoch's input batches (<= bs rows each)
        in ``order`` (None: the data's own order): gathered ahead on a helper
        thread, or one by one on this thread."""
        if order is not None and (self.prefetch is True or (
                self.prefetch == "auto" and prefetch.worthwhile(self.model, bs, X))):
            return prefetch.PrefetchedBatches(X, order, bs, cache=self.ring)
        # Looked up at call time so benchmarks/profile_stages.py can time it.
        gather = self.gather
        return contextlib.nullcontext(
            X[s:s + bs] if order is None else gather(X, order[s:s + bs])
            for s in range(0, X.shape[0], bs))

    def fusable(self) -> list[tuple[int, int]]:
        """(layer index, parameter index) of each Linear weight whose update
        the optimizer may fuse into the layer's gradient GEMM."""
        if not self.fuse or not blas_available(self.model.dtype):
            return []
        index = {id(p.value): i for i, p in enumerate(self.optimizer.params)}
        return [(li, index[id(layer.params["W"])]) for li, layer in enumerate(self.model.layers)
                if isinstance(layer, Linear) and id(layer.params["W"]) in index
                and layer.params["W"].size >= FUSE_MIN_SIZE]

    def run_epoch(self, trainer, X, y, sw, order, bs, on_bad_loss, hooks):
        """Train on one pass over the batches (the contract of the reference
        loop, ``softmaxlab.train._epoch.run_batches``); returns (loss, accuracy)."""
        self.step.bind()
        try:
            return self._run(trainer, X, y, sw, order, bs, on_bad_loss, hooks)
        finally:
            self.step.unbind()

    def _run(self, trainer, X, y, sw, order, bs, on_bad_loss, hooks):
        net, loss_fn, step = self.network, self.loss_fn, self.step
        forward, backward = net.forward, net.backward
        fused_layers, gemm_update = self.fusable(), step.gemm_update
        n = X.shape[0]
        if order is not None:  # labels and weights are small: permute them once
            y = y[order]
            sw = sw[order] if sw is not None else None
        epoch = trainer.epoch + 1
        isfinite, count_correct = math.isfinite, loss_fn.count_correct
        total_loss = 0.0
        total_weight = 0.0
        correct = 0
        with self.batches(X, order, bs) as batches, self.team.epoch() as tick:
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
                    step.step(fused={pi for li, pi in fused_layers if li in net.fused})
                else:
                    backward(dlogits)
                    step.step()
                hits = count_correct(logits, yb)
                w = size if swb is None else float(swb.sum())
                total_loss += loss * w
                total_weight += w
                correct += hits
                trainer.samples_seen += size
                tick(size)
                if hooks:
                    logs = {"loss": loss, "size": size, "correct": hits, "epoch": epoch}
                    for hook in hooks:
                        hook(trainer, b, logs)
        return total_loss / max(total_weight, 1e-300), correct / n
