"""Per-epoch training record."""
from __future__ import annotations

import html
import math
from dataclasses import asdict, dataclass, field

COLUMNS = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds")


@dataclass
class History:
    """What happened in each epoch, as parallel lists (one entry per epoch).

    ``val_loss``/``val_acc`` are NaN when there is no validation set.
    ``train_acc`` is the running accuracy over the epoch's batches (the
    weights change during the epoch), as the classic Fashion-MNIST recipe
    reports it; that is why it can lag the end-of-epoch test accuracy in
    epoch 1.
    ``stopped`` says why training ended: ``"completed"``, ``"early_stopping"``,
    ``"diverged"`` or ``"interrupted"``; ``best_epoch`` is set by early stopping.
    """

    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    stopped: str | None = None
    best_epoch: int | None = None

    def append(self, **row) -> None:
        """Add one epoch; every column in ``COLUMNS`` must be given."""
        for c in COLUMNS:
            getattr(self, c).append(row[c])

    def __len__(self) -> int:
        return len(self.epoch)

    def rows(self) -> list[dict]:
        """One dict per epoch with the keys of ``COLUMNS``."""
        return [{c: getattr(self, c)[i] for c in COLUMNS} for i in range(len(self))]

    @property
    def has_validation(self) -> bool:
        return any(not math.isnan(v) for v in self.val_loss)

    def to_dict(self) -> dict:
        """JSON-able dict (NaN stays a float; ``json`` writes it as NaN)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> History:
        """Inverse of ``to_dict``; ignores unknown keys."""
        return cls(**{k: (list(v) if isinstance(v, (list, tuple)) else v)
                      for k, v in d.items() if k in cls.__dataclass_fields__})

    def to_frame(self):
        """The epochs as a ``pandas.DataFrame`` indexed by epoch, one column per
        ``COLUMNS`` entry (validation columns dropped when there was none)."""
        import pandas as pd

        columns = [c for c in COLUMNS[1:] if self.has_validation or not c.startswith("val_")]
        frame = pd.DataFrame({c: getattr(self, c) for c in columns},
                             index=pd.Index(self.epoch, name="epoch"))
        return frame

    def _repr_html_(self) -> str:
        """A table in a Jupyter notebook: one row per epoch (the first and last
        ten beyond 20 epochs), with why training stopped and the best epoch."""
        if not len(self):
            return "<p>History: no epochs yet.</p>"
        notes = [f"{len(self)} epoch{'s' if len(self) != 1 else ''}"]
        if self.stopped:
            notes.append(f"stopped: {self.stopped}")
        if self.best_epoch:
            notes.append(f"best epoch: {self.best_epoch}")
        table = self.to_frame().to_html(max_rows=20, float_format=lambda v: f"{v:.4g}",
                                        border=0, classes="softmaxlab-history")
        return f"<div><p><b>History</b> ({html.escape(', '.join(notes))})</p>{table}</div>"

def format_seconds(seconds: float) -> str:
    """A duration as people write it: ``0.004 s``, ``0.03 s``, ``4.20 s``, ``6 min 21 s``."""
    if seconds < 0.01:
        return f"{seconds:.1g} s" if seconds > 0 else "0 s"
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"
