"""``LivePlot``: training curves redrawn after every epoch, in a Jupyter
notebook as one figure updated in place, anywhere else as one plain line per
epoch. A softmaxlab ``Callback``: give it to ``Trainer(callbacks=[...])`` or
to an estimator's ``set_callbacks``. IPython is optional: without it (or
outside a notebook kernel) the callback writes lines.

The figure is ``softmaxlab.runs.plots.learning_curves`` of the run's ``History``,
drawn by the callback between epochs; the training loop itself never draws.
"""
from __future__ import annotations

import math
import sys

from softmaxlab._validation import Interval, Options, validate_params
from softmaxlab.train import Callback

__all__ = ["LivePlot", "in_notebook"]


def in_notebook() -> bool:
    """True inside a Jupyter kernel (IPython importable and running a kernel
    shell, not the terminal one)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        try:
            import IPython as ipython
        except ImportError:
            return False
    shell = ipython.get_ipython() if hasattr(ipython, "get_ipython") else None
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def format_row(row: dict) -> str:
    """One line for a ``History`` row: epoch, loss, accuracy, validation, lr, time."""
    parts = [f"epoch {row['epoch']}", f"loss {row['train_loss']:.4f}", f"acc {row['train_acc']:.4f}"]
    if not math.isnan(row["val_loss"]):
        parts += [f"val_loss {row['val_loss']:.4f}", f"val_acc {row['val_acc']:.4f}"]
    parts += [f"lr {row['lr']:.3g}", f"{row['seconds']:.2f}s"]
    return "  ".join(parts)


class LivePlot(Callback):
    """Loss and accuracy curves, redrawn after every ``every`` epochs.

    Parameters
    ----------
    every : int, default=1
        Redraw (or write a line) after every ``every``-th epoch, and after the
        last one.
    mode : {"auto", "notebook", "text"}, default="auto"
        "auto": a figure in a Jupyter notebook, lines elsewhere.
    stream : file, default sys.stdout
        Where "text" mode writes.
    display : callable, optional
        For "notebook" mode: ``display(obj, display_id=True)`` returning a
        handle with ``update(obj)`` (IPython's ``display``, the default).
    dpi : int, default=80

    Attributes
    ----------
    frames : int
        How many times the figure was drawn (or lines written).
    """

    _constraints = {"every": [Interval(int, 1)], "mode": [Options("auto", "notebook", "text")],
                    "dpi": [Interval(int, 1)]}

    def __init__(self, every: int = 1, mode: str = "auto", stream=None, display=None, dpi: int = 80):
        validate_params("LivePlot", self._constraints,
                        {"every": every, "mode": mode, "dpi": dpi})
        self.every, self.mode, self.stream, self.display, self.dpi = every, mode, stream, display, dpi
        self.frames = 0
        self._handle = None
        self._pending = None

    def _notebook(self) -> bool:
        return self.mode == "notebook" or (self.mode == "auto" and in_notebook())

    def on_train_begin(self, trainer) -> None:
        # A run that starts from scratch gets a new figure (in the cell that
        # runs it); partial_fit calls and warm starts add to the same history,
        # so they keep redrawing the figure they started.
        self._pending = None
        if not len(trainer.history):
            self._handle = None

    def on_epoch_end(self, trainer, epoch, logs) -> None:
        if epoch % self.every:
            self._pending = logs
            return
        self._pending = None
        self._show(trainer.history, logs)

    def on_train_end(self, trainer) -> None:
        if self._pending is not None:  # the last epoch was between redraws
            self._show(trainer.history, self._pending)
            self._pending = None

    def _show(self, history, row) -> None:
        self.frames += 1
        if not self._notebook():
            print(format_row(row), file=self.stream or sys.stdout, flush=True)
            return
        from softmaxlab.runs.plots import learning_curves, to_png

        fig = learning_curves(history)
        png = to_png(fig, dpi=self.dpi)
        display = self.display
        if display is None:
            from IPython.display import Image, display

            image = Image(data=png, format="png")
        else:
            image = png
        if self._handle is None:
            self._handle = display(image, display_id=True)
        else:
            self._handle.update(image)

    def __getstate__(self):
        # A display handle belongs to one notebook session.
        state = dict(self.__dict__)
        state["_handle"] = None
        return state
