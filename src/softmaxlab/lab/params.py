"""The lab's settings: one frozen dataclass and a declarative table of the
values each setting may take. The page sends strings and numbers as typed;
everything is checked here, and a bad value raises :class:`LabParamError`
naming the setting, the value and what is allowed, which the page shows."""
from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass

__all__ = ["DATASETS", "DATA_KEYS", "LIVE_KEYS", "RULES", "LabParamError", "LabSettings",
           "NOISE_DEFAULTS", "SPEEDS", "choices", "validate"]

DATASETS = ("spiral", "circles", "xor", "moons", "blobs", "csv")
# A good starting noise for each generator (each reads "noise" its own way:
# radians of angle for the spiral, a standard deviation for the others).
NOISE_DEFAULTS = {"spiral": 0.2, "circles": 0.1, "xor": 0.15, "moons": 0.2, "blobs": 0.3}
# Generators with a choosable number of classes; the others have two.
MULTICLASS = ("spiral", "blobs")
SPEEDS = (1, 2, 5, 10, 20, 50)  # epochs trained per drawn frame
MAX_LAYERS, MAX_WIDTH = 6, 64  # keeps every frame and a gradient check fast


class LabParamError(ValueError):
    """A setting sent by the page has a bad value; ``field`` names it."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class LabSettings:
    """Everything one lab session's data, model and optimizer depend on."""

    dataset: str = "spiral"
    n_points: int = 600
    noise: float = 0.2
    n_classes: int = 3
    val_fraction: float = 0.2
    seed: int = 0
    model: str = "mlp"
    hidden: tuple = (16, 16)
    activation: str = "tanh"
    dropout: float = 0.0
    optimizer: str = "adam"
    lr: float = 0.03
    batch_size: int = 32
    l2: float = 0.0

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["hidden"] = list(self.hidden)
        return d


# Settings that change the data (and so everything after it), and settings
# the running optimizer and trainer can take on without starting again.
DATA_KEYS = frozenset({"dataset", "n_points", "noise", "n_classes", "val_fraction", "seed"})
LIVE_KEYS = frozenset({"lr", "batch_size", "l2"})


def _number(field, label, value, kind):
    if isinstance(value, str):
        text = value.strip()
        try:
            value = int(text) if kind is int else float(text)
        except ValueError:
            raise LabParamError(field, f"{label} must be {'a whole number' if kind is int else 'a number'}"
                                f", got {text!r}") from None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise LabParamError(field, f"{label} must be a number, got {value!r}")
    if kind is int:
        if value != int(value):
            raise LabParamError(field, f"{label} must be a whole number, got {value!r}")
        return int(value)
    if not math.isfinite(value):
        raise LabParamError(field, f"{label} must be a finite number, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Num:
    """A number in [low, high] (``open_low``: strictly above low)."""

    label: str
    kind: type
    low: float
    high: float
    open_low: bool = False

    def check(self, field, value):
        v = _number(field, self.label, value, self.kind)
        if (v <= self.low if self.open_low else v < self.low) or v > self.high:
            span = f"{'(' if self.open_low else '['}{self.low:g}, {self.high:g}]"
            raise LabParamError(field, f"{self.label} must be in {span}, got {v:g}")
        return v

    def describe(self):
        return {"type": self.kind.__name__, "low": self.low, "high": self.high,
                "open_low": self.open_low, "label": self.label}


@dataclass(frozen=True)
class Choice:
    label: str
    values: tuple

    def check(self, field, value):
        if value not in self.values:
            raise LabParamError(field, f"{self.label} must be one of {', '.join(self.values)}; "
                                f"got {value!r}")
        return value

    def describe(self):
        return {"type": "choice", "values": list(self.values), "label": self.label}


@dataclass(frozen=True)
class Widths:
    label: str = "hidden layers"

    def check(self, field, value):
        example = f"widths such as 16,16 ({1} to {MAX_LAYERS} layers of 1 to {MAX_WIDTH} units)"
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(" ", ",").split(",") if p.strip()]
        elif isinstance(value, (list, tuple)):
            parts = list(value)
        else:
            raise LabParamError(field, f"{self.label} must be {example}, got {value!r}")
        try:
            widths = tuple(_number(field, self.label, p, int) for p in parts)
        except LabParamError:
            raise LabParamError(field, f"{self.label} must be {example}, got {value!r}") from None
        if not 1 <= len(widths) <= MAX_LAYERS or not all(1 <= w <= MAX_WIDTH for w in widths):
            raise LabParamError(field, f"{self.label} must be {example}, got {value!r}")
        return widths

    def describe(self):
        return {"type": "widths", "max_layers": MAX_LAYERS, "max_width": MAX_WIDTH,
                "label": self.label}


RULES = {
    "dataset": Choice("data set", DATASETS),
    "n_points": Num("number of points", int, 50, 2000),
    "noise": Num("noise", float, 0.0, 1.0),
    "n_classes": Num("number of classes", int, 2, 6),
    "val_fraction": Num("validation share", float, 0.1, 0.5),
    "seed": Num("seed", int, 0, 2**31 - 1),
    "model": Choice("model", ("softmax", "mlp")),
    "hidden": Widths(),
    "activation": Choice("activation", ("relu", "leaky_relu", "tanh", "sigmoid")),
    "dropout": Num("dropout", float, 0.0, 0.9),
    "optimizer": Choice("optimizer", ("sgd", "momentum", "adam")),
    "lr": Num("learning rate", float, 0.0, 10.0, open_low=True),
    "batch_size": Num("batch size", int, 1, 5000),
    "l2": Num("L2 penalty", float, 0.0, 1.0),
}


def validate(current: LabSettings, changes: dict) -> LabSettings:
    """``current`` with ``changes`` applied, every changed value checked.

    Raises
    ------
    LabParamError
        For an unknown setting or a value outside its rule.
    """
    if not isinstance(changes, dict):
        raise LabParamError("", f"settings must be a JSON object, got {type(changes).__name__}")
    unknown = sorted(set(changes) - set(RULES))
    if unknown:
        raise LabParamError(unknown[0], f"unknown setting {unknown[0]!r}; valid ones are "
                            f"{', '.join(RULES)}")
    checked = {k: RULES[k].check(k, v) for k, v in changes.items()}
    return dataclasses.replace(current, **checked)


def choices() -> dict:
    """The rules as JSON for the page: its inputs take their ranges from here."""
    return {"rules": {k: r.describe() for k, r in RULES.items()},
            "noise_defaults": NOISE_DEFAULTS, "multiclass": list(MULTICLASS),
            "speeds": list(SPEEDS), "defaults": LabSettings().to_dict()}
