"""The lab's settings: one frozen dataclass and a declarative table of the
values each setting may take. The page sends strings and numbers as typed;
everything is checked here, and a bad value raises :class:`LabParamError`
naming the setting, the value and what is allowed (with a stable ``code``
the page translates), which the page shows."""
from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass

from softmaxlab.lab.errors import ERROR_CODES, LabError, shown
from softmaxlab.lab.features import DEFAULT_FEATURES, FEATURES, describe

__all__ = ["DATASETS", "DATA_KEYS", "LANGUAGES", "LIVE_KEYS", "RULES", "LabParamError",
           "LabSettings", "NOISE_DEFAULTS", "SPEEDS", "choices", "validate"]

DATASETS = ("spiral", "circles", "xor", "moons", "blobs", "csv")
# A good starting noise for each generator (each reads "noise" its own way:
# radians of angle for the spiral, a standard deviation for the others).
NOISE_DEFAULTS = {"spiral": 0.2, "circles": 0.1, "xor": 0.15, "moons": 0.2, "blobs": 0.3}
# Generators with a choosable number of classes; the others have two.
MULTICLASS = ("spiral", "blobs")
SPEEDS = (1, 2, 5, 10, 20, 50)  # epochs trained per drawn frame
MAX_EPOCHS = 20_000  # per run: bounds the history a session keeps
MAX_LAYERS, MAX_WIDTH = 6, 64  # keeps every frame and a gradient check fast
LANGUAGES = ("en", "zh-Hans", "zh-Hant")


class LabParamError(LabError, ValueError):
    """A setting sent by the page has a bad value; ``field`` names it."""

    def __init__(self, field: str, message: str, code: str = "bad_value", **params):
        super().__init__(code, message, field=field or None, params={"field": field, **params})


@dataclass(frozen=True)
class LabSettings:
    """Everything one lab session's data, model and optimizer depend on."""

    dataset: str = "spiral"
    n_points: int = 600
    noise: float = 0.2
    n_classes: int = 3
    val_fraction: float = 0.2
    seed: int = 0
    features: tuple = DEFAULT_FEATURES
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
        d["features"] = list(self.features)
        return d


# Settings that change the data (and so everything after it), and settings
# the running optimizer and trainer can take on without starting again.
DATA_KEYS = frozenset({"dataset", "n_points", "noise", "n_classes", "val_fraction", "seed"})
LIVE_KEYS = frozenset({"lr", "batch_size", "l2"})


def _number(field, label, value, kind):
    """``value`` as an int or a finite float, or LabParamError."""
    whole = kind is int
    if isinstance(value, str):
        text = value.strip()[:60]
        try:
            value = float(text)
        except ValueError:
            raise LabParamError(field, f"{label} must be {'a whole number' if whole else 'a number'}"
                                f", got {text!r}", "not_a_number", value=text) from None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise LabParamError(field, f"{label} must be a number, got {_short(value)}",
                            "not_a_number", value=value)
    try:
        as_float = float(value)
    except OverflowError:  # an int with hundreds of digits
        as_float = math.inf
    if not math.isfinite(as_float):
        raise LabParamError(field, f"{label} must be a finite number, got {_short(value)}",
                            "not_finite", value=value)
    if whole:
        if as_float != int(as_float):
            raise LabParamError(field, f"{label} must be a whole number, got {value!r}",
                                "not_whole_number", value=value)
        return int(as_float)
    return as_float


def _short(value) -> str:
    v = shown(value)
    return v if isinstance(v, str) and not isinstance(value, str) else repr(v)


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
            raise LabParamError(field, f"{self.label} must be in {span}, got {v:g}",
                                "out_of_range", value=v, low=self.low, high=self.high,
                                open_low=self.open_low)
        return v

    def describe(self):
        return {"type": self.kind.__name__, "low": self.low, "high": self.high,
                "open_low": self.open_low, "label": self.label}


@dataclass(frozen=True)
class Choice:
    label: str
    values: tuple

    def check(self, field, value):
        if not isinstance(value, str) or value not in self.values:
            raise LabParamError(field, f"{self.label} must be one of {', '.join(self.values)}; "
                                f"got {_short(value)}", "bad_choice", value=value,
                                values=list(self.values))
        return value

    def describe(self):
        return {"type": "choice", "values": list(self.values), "label": self.label}


def _parts(value):
    """A list, or a string split at commas and spaces; None for anything else."""
    if isinstance(value, str):
        return [p.strip() for p in value[:400].replace(" ", ",").split(",") if p.strip()]
    if isinstance(value, (list, tuple)):
        return list(value)
    return None


@dataclass(frozen=True)
class Widths:
    label: str = "hidden layers"

    def check(self, field, value):
        example = f"widths such as 16,16 (1 to {MAX_LAYERS} layers of 1 to {MAX_WIDTH} units)"
        error = LabParamError(field, f"{self.label} must be {example}, got {_short(value)}",
                              "bad_widths", value=value, max_layers=MAX_LAYERS,
                              max_width=MAX_WIDTH)
        parts = _parts(value)
        if parts is None or not 1 <= len(parts) <= MAX_LAYERS:
            raise error
        try:
            widths = tuple(_number(field, self.label, p, int) for p in parts)
        except LabParamError:
            raise error from None
        if not all(1 <= w <= MAX_WIDTH for w in widths):
            raise error
        return widths

    def describe(self):
        return {"type": "widths", "max_layers": MAX_LAYERS, "max_width": MAX_WIDTH,
                "label": self.label}


@dataclass(frozen=True)
class Features:
    """A non-empty set of input features, kept in ``FEATURES``' order."""

    label: str = "input features"

    def check(self, field, value):
        parts = _parts(value)
        names = ", ".join(FEATURES)
        if parts is None or not parts or len(parts) > len(FEATURES) or \
                not all(isinstance(p, str) and p in FEATURES for p in parts) or \
                len(set(parts)) != len(parts):
            raise LabParamError(field, f"{self.label} must be one or more of {names}, each once; "
                                f"got {_short(value)}", "bad_features", value=value,
                                values=list(FEATURES))
        return tuple(f for f in FEATURES if f in parts)

    def describe(self):
        return {"type": "features", "values": list(FEATURES), "label": self.label}


RULES = {
    "dataset": Choice("data set", DATASETS),
    "n_points": Num("number of points", int, 50, 2000),
    "noise": Num("noise", float, 0.0, 1.0),
    "n_classes": Num("number of classes", int, 2, 6),
    "val_fraction": Num("validation share", float, 0.1, 0.5),
    "seed": Num("seed", int, 0, 2**31 - 1),
    "features": Features(),
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
    """``current`` with ``changes`` applied, every changed value checked; all
    or nothing.

    Raises
    ------
    LabParamError
        For an unknown setting or a value outside its rule; its ``params``
        name the field, the rejected value and the value kept.
    """
    if not isinstance(changes, dict):
        raise LabParamError("", "settings must be a JSON object such as {\"lr\": 0.01}, got "
                            f"{type(changes).__name__}", "not_object")
    unknown = sorted(set(changes) - set(RULES))
    if unknown:
        raise LabParamError(unknown[0], f"unknown setting {_short(unknown[0])}; valid ones are "
                            f"{', '.join(RULES)}", "unknown_setting", valid=list(RULES))
    checked = {}
    if "dataset" in changes and "noise" not in changes:
        # A new generator starts at its own good noise, as the page's menu does.
        changes = {**changes, "noise": NOISE_DEFAULTS.get(changes["dataset"], current.noise)} \
            if isinstance(changes["dataset"], str) and changes["dataset"] != current.dataset \
            else changes
    for k, v in changes.items():
        try:
            checked[k] = RULES[k].check(k, v)
        except LabParamError as exc:
            kept = getattr(current, k)
            exc.params["kept"] = list(kept) if isinstance(kept, tuple) else kept
            raise
    return dataclasses.replace(current, **checked)


def choices() -> dict:
    """The rules as JSON for the page: its inputs take their ranges from here."""
    return {"rules": {k: r.describe() for k, r in RULES.items()},
            "noise_defaults": NOISE_DEFAULTS, "multiclass": list(MULTICLASS),
            "speeds": list(SPEEDS), "defaults": LabSettings().to_dict(),
            "features": describe(), "languages": list(LANGUAGES), "error_codes": ERROR_CODES}
