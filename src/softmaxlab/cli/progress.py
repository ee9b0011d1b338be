"""Training progress as a trainer callback: tqdm bars on a terminal, one plain
line per epoch otherwise (logs, pipes, CI), nothing when quiet."""
from __future__ import annotations

import math
import shutil
import sys

from softmaxlab.train import Callback
from softmaxlab.train.history import format_seconds

__all__ = ["Progress", "format_epoch", "format_seconds"]



def _loss(v: float) -> str:
    # An exploding loss (1e34) in 4 decimals would be a 40-digit number.
    return f"{v:.4f}" if abs(v) < 1e5 else f"{v:.3g}"


def format_epoch(row: dict, total: int) -> str:
    """One line for an epoch's History row."""
    width = len(str(total))
    parts = [f"epoch {row['epoch']:>{width}}/{total}",
             f"loss {_loss(row['train_loss'])}", f"acc {row['train_acc']:.4f}"]
    if not math.isnan(row["val_loss"]):
        parts += [f"val_loss {_loss(row['val_loss'])}", f"val_acc {row['val_acc']:.4f}"]
    parts += [f"lr {row['lr']:.3g}", format_seconds(row["seconds"])]
    return "  ".join(parts)


class Progress(Callback):
    """Report training progress.

    Parameters
    ----------
    total_epochs : int
        Epochs the run will reach (a resumed run starts part-way).
    n_batches : int
        Batches per epoch.
    mode : {"bar", "lines", "quiet"} or None
        None picks "bar" when ``stream`` is a terminal, else "lines".
    stream : file, default sys.stdout

    Attributes
    ----------
    intro : str or None
        A line printed before the first epoch (what data the run trains on).
    """

    intro = None

    def __init__(self, total_epochs: int, n_batches: int, mode: str | None = None, stream=None):
        self.stream = stream or sys.stdout
        if mode is None:
            tty = getattr(self.stream, "isatty", lambda: False)()
            # A terminal that reports zero columns or rows (some pseudo-
            # terminals) would get invisible bars; plain lines are better there.
            size = shutil.get_terminal_size((0, 0))
            mode = "bar" if tty and size.columns > 0 and size.lines > 0 else "lines"
        self.mode, self.total, self.n_batches = mode, total_epochs, n_batches
        if mode != "bar":
            # Nothing to show per batch: no batch hook, so the trainer need
            # not keep every gradient (and keeps the fast path's fused update).
            self.on_batch_end = None
        self._epochs = self._batches = None
        self._loss = self._seen = self._correct = 0.0

    def on_train_begin(self, trainer):
        if self.intro and self.mode != "quiet":
            print(self.intro, file=self.stream, flush=True)
        if self.mode == "bar":
            from tqdm.auto import tqdm

            self._epochs = tqdm(total=self.total, initial=trainer.epoch, desc="epochs",
                                unit="ep", file=self.stream, dynamic_ncols=True)

    def on_epoch_begin(self, trainer, epoch):
        self._loss = self._seen = self._correct = 0.0
        if self.mode == "bar":
            from tqdm.auto import tqdm

            self._batches = tqdm(total=self.n_batches, desc=f"epoch {epoch}", unit="batch",
                                 leave=False, file=self.stream, dynamic_ncols=True)

    def on_batch_end(self, trainer, batch, logs):
        if self._batches is None:
            return
        self._loss += logs["loss"] * logs["size"]
        self._seen += logs["size"]
        self._correct += logs["correct"]
        self._batches.update(1)
        if batch % 10 == 0 or batch == self.n_batches - 1:
            self._batches.set_postfix(loss=f"{self._loss / self._seen:.4f}",
                                      acc=f"{self._correct / self._seen:.4f}", refresh=False)

    def on_epoch_end(self, trainer, epoch, row):
        if self.mode == "bar":
            self._close_batches()
            post = {"loss": f"{row['train_loss']:.4f}", "acc": f"{row['train_acc']:.4f}"}
            if not math.isnan(row["val_acc"]):
                post["val_acc"] = f"{row['val_acc']:.4f}"
            self._epochs.set_postfix(post, refresh=False)
            self._epochs.update(1)
        elif self.mode == "lines":
            print(format_epoch(row, self.total), file=self.stream, flush=True)

    def on_train_end(self, trainer):
        self._close_batches()
        if self._epochs is not None:
            self._epochs.close()
            self._epochs = None

    def _close_batches(self):
        if self._batches is not None:
            self._batches.close()
            self._batches = None
