"""The private NumPy fast path of the training loop.

``softmaxlab.nn`` and ``softmaxlab.optim`` are the reference engine: the
maths as a textbook writes it, on any array library. This package computes
the same training step on NumPy arrays on the CPU, faster: an SGD update
fused into the weight-gradient GEMM (``blas.py``), the loss on a (classes,
batch) layout (``loss.py``), cached constants and no first-layer input
gradient (``network.py``), Adam on rescaled moments (``optim.py``), and the
next batches' rows gathered on a helper thread (``prefetch.py``).

It supplies only the step of one batch (``FastPath``: the epoch's batches,
``loss_and_gradient``, ``update``); the accounting around the steps is the
trainer's (``softmaxlab/train/_epoch.py``), shared with the reference
engine. ``Trainer`` picks it automatically (``engine="auto"``) when it
applies -- see :func:`why_not` -- and runs the reference engine otherwise;
``Trainer(engine="reference")`` runs the reference on purpose. Its own
options (the fused update, the gather thread) are in ``options.py``. The
tests (tests/test_engines.py) run both on the same batches and assert the
same losses and weights step by step.
"""
from softmaxlab._kernels.epoch import FastPath, why_not

__all__ = ["FastPath", "why_not"]
