"""The fast path's step for one batch, and when the fast path applies.

It supplies what the trainer's one per-batch bookkeeping
(``softmaxlab/train/_epoch.py``) asks of an engine: the epoch's batches,
each batch's loss and the update; the accounting around them is the
trainer's, the same for both engines.
"""
from __future__ import annotations

import contextlib

import numpy as np

from softmaxlab._kernels import options as _options
from softmaxlab._kernels import prefetch
from softmaxlab._kernels.blas import available as blas_available
from softmaxlab._kernels.loss import FastSoftmaxCrossEntropy
from softmaxlab._kernels.network import SUPPORTED_LAYERS, FastNetwork
from softmaxlab._kernels.optim import fast_optimizer
from softmaxlab._kernels.threads import ThreadTeam
from softmaxlab.train.batching import batch_starts
from softmaxlab.nn.layers import Linear
from softmaxlab.nn.losses import SoftmaxCrossEntropy
from softmaxlab.nn.model import Sequential
from softmaxlab.nn.sigmoid_loss import SigmoidBinaryCrossEntropy

__all__ = ["FUSE_MIN_SIZE", "FastPath", "why_not"]

#: Fewest elements a Linear weight needs for its update to be fused into its
#: GEMM: small weights' separate update takes a few microseconds, and softmax
#: regression's 784 x 10 measured slower fused.
FUSE_MIN_SIZE = 1 << 16


def why_not(model, optimizer, loss, X) -> str | None:
    """None when the fast path computes this training step, else the reason
    it does not (the trainer then runs the reference engine).

    It applies to NumPy float arrays on the CPU, a ``Sequential`` of
    built-in layers, its built-in loss (``SoftmaxCrossEntropy`` for a
    softmax output, ``SigmoidBinaryCrossEntropy`` for a sigmoid one), and
    ``SGD`` or ``Adam`` over exactly the model's parameters. Exact types are
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
    return None


class FastPath:
    """The fast training step for one (model, optimizer, loss), with the work
    buffers it keeps between epochs.

    Parameters
    ----------
    model, optimizer, loss : as checked by :func:`why_not`

    Attributes
    ----------
    name : str
        "fast", the engine's name in ``Trainer.engine_used``.
    buffers : dict
        The gathered-batch buffers, keyed by (rows, columns, dtype).
    ring : dict
        The prefetch ring, kept between epochs.
    network : FastNetwork
    """

    name = "fast"

    def __init__(self, model, optimizer, loss):
        self.model, self.optimizer, self.loss = model, optimizer, loss
        self.network = FastNetwork(model)
        self.optimizer_step = fast_optimizer(optimizer)
        # The sigmoid loss is element-wise already; the reference runs as is.
        self.loss_fn = (FastSoftmaxCrossEntropy(loss.class_weight)
                        if type(loss) is SoftmaxCrossEntropy else loss)
        self.buffers: dict[tuple, np.ndarray] = {}
        self.ring: dict[tuple, list[np.ndarray]] = {}
        self.options = _options.current()
        self._fused: list[tuple[int, int]] = []
        # How many BLAS threads the GEMMs run, from measured batch times
        # (threads.py: a fixed team collapses when other processes take cores).
        self.team = ThreadTeam()
        self._probe_out = None

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

    def input_batches(self, X, order, bs):
        """Context manager giving this epoch's input batches (<= bs rows each)
        in ``order`` (None: the data's own order): gathered ahead on a helper
        thread, or one by one on this thread."""
        pre = self.options.prefetch
        if order is not None and (pre is True or (
                pre == "auto" and prefetch.worthwhile(self.model, bs, X))):
            return prefetch.PrefetchedBatches(X, order, bs, cache=self.ring)
        # Looked up at call time so benchmarks/profile_stages.py can time it.
        gather = self.gather
        return contextlib.nullcontext(
            X[s:s + bs] if order is None else gather(X, order[s:s + bs])
            for s in batch_starts(X.shape[0], bs))

    def fusable(self) -> list[tuple[int, int]]:
        """(layer index, parameter index) of each Linear weight whose update
        the optimizer may fuse into the layer's gradient GEMM."""
        if not self.options.fuse or not blas_available(self.model.dtype):
            return []
        index = {id(p.value): i for i, p in enumerate(self.optimizer.params)}
        return [(li, index[id(layer.params["W"])]) for li, layer in enumerate(self.model.layers)
                if isinstance(layer, Linear) and id(layer.params["W"]) in index
                and layer.params["W"].size >= FUSE_MIN_SIZE]

    @contextlib.contextmanager
    def epoch(self, X, y, sw, order, bs, keep_gradients=False):
        """Context manager yielding this epoch's batches ``(X_b, y_b, sw_b)``.

        ``keep_gradients``: every parameter's gradient must be written (a
        callback reads them), so no update is fused into a GEMM. The
        optimizer's state is in the fast layout inside the block only.
        """
        self.options = _options.current()
        self._fused = [] if keep_gradients else self.fusable()
        if order is not None:  # labels and weights are small: permute them once
            y = y[order]
            sw = sw[order] if sw is not None else None
        self.optimizer_step.bind()
        try:
            with (self.input_batches(X, order, bs) as inputs,
                  self.team.epoch(self.probe) as tick):
                yield _ticking(((xb, y[s:s + bs], None if sw is None else sw[s:s + bs])
                                for xb, s in zip(inputs, batch_starts(X.shape[0], bs), strict=True)),
                               tick)
        finally:
            self.optimizer_step.unbind()

    def probe(self):
        """The thread team's probe (``threads.ThreadTeam``): the forward GEMM
        of the largest Linear layer on the last batch's input to it (kept for
        its backward), written to a scratch array, so timing it on another
        thread count leaves the training untouched."""
        op = self.network.largest_linear_op()
        xb = getattr(op, "X", None)
        if xb is None:  # no batch yet
            return
        W = op.params["W"]
        shape = (xb.shape[0], W.shape[1])
        if self._probe_out is None or self._probe_out.shape != shape or self._probe_out.dtype != W.dtype:
            self._probe_out = np.empty(shape, dtype=W.dtype)
        np.matmul(xb, W, out=self._probe_out)

    def evaluating(self):
        """Context manager for the trainer's validation pass: the BLAS threads
        the last epoch's thread team settled on (``ThreadTeam.holding``)."""
        return self.team.holding()

    def loss_and_gradient(self, xb, yb, swb):
        """Forward and loss of one batch: (loss, logits, dL/dlogits)."""
        logits = self.network.forward(xb, training=True)
        loss, dlogits = self.loss_fn(logits, yb, swb)
        return loss, logits, dlogits

    def update(self, dlogits):
        """Backward and the optimizer's step, fused where ``epoch`` allowed."""
        step = self.optimizer_step
        if not self._fused:
            self.network.backward(dlogits)
            step.step()
            return
        plan = {}
        for li, pi in self._fused:
            update = step.gemm_update(pi)
            if update is not None:
                plan[li] = update
        self.network.backward(dlogits, accumulate=plan)
        fused_layers = self.network.fused
        step.step(fused={pi for li, pi in self._fused if li in fused_layers})

    def count_correct(self, logits, yb) -> int:
        """Rows of the batch predicted right (every label right, for sigmoid)."""
        return self.loss_fn.count_correct(logits, yb)

    @staticmethod
    def weight_sum(swb) -> float:
        """The total sample weight of a batch."""
        return float(swb.sum())


def _ticking(batches, tick):
    """The batches, telling the thread team when each one is done: the
    consumer asks for the next batch only after its step on this one."""
    for batch in batches:
        yield batch
        tick(batch[1].shape[0])
