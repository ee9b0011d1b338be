"""The lab's settings: one frozen dataclass and a declarative table of the
values each setting may take. The page sends strings and numbers as typed;
everything is checked here, and a bad value raises :class:`LabParamError`
naming the setting, the value and what is allowed (with a stable ``code``
the page translates), which the page shows."""
from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass

from softmaxlab._validation import Interval, Options, validate_params
from softmaxlab.errors import ParameterError
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
# The lab's rules use the library's constraints and its one message form,
# "lab: {setting} must be {allowed}, got {value}.", naming each setting as
# the page labels it; LabParamError adds the field and the page's error code.
OWNER = "lab"


class LabParamError(LabError, ParameterError):
    """A setting sent by the page has a bad value; ``field`` names it.

    Also a :class:`~softmaxlab.errors.ParameterError` (owner ``"lab"``, the
    setting as the page names it, the value), like every parameter error of
    the library."""

    def __init__(self, field: str, message: str, code: str = "bad_value", **params):
        super().__init__(code, message, field=field or None, params={"field": field, **params})
        self.owner, self.name, self.value = OWNER, field, params.get("value")


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




class _AnyNumber:
    """A constraint: a real number, finite or not (bools are not numbers here)."""

    def accepts(self, value) -> bool:
        return isinstance(value, numbers.Real) and not isinstance(value, bool)

    def __str__(self) -> str:
        return "a number"


class _Whole:
    """A constraint: a finite real number with no fractional part (7.0 is 7)."""

    def accepts(self, value) -> bool:
        return _FINITE.accepts(value) and float(value) == int(value)

    def __str__(self) -> str:
        return "a whole number"


_NUMBER, _FINITE, _WHOLE = _AnyNumber(), Interval(float), _Whole()


def _short(value) -> str:
    v = shown(value)
    return v if isinstance(v, str) and not isinstance(value, str) else repr(v)


def _require(code: str, field: str, label: str, constraint, value, **params) -> None:
    """Raise LabParamError (with the page's ``code`` and ``params``) unless
    ``constraint`` accepts ``value``; the message is validate_params'."""
    try:
        validate_params(OWNER, {label: [constraint]}, {label: value}, show=_short)
    except ParameterError as exc:
        err = LabParamError(field, str(exc), code, value=value, **params)
        err.name = exc.name  # the label, as the message names it
        raise err from None


def _number(field, label, value, kind):
    """``value`` (a number, or text the page sent) as an int or a finite float."""
    if isinstance(value, str):
        text = value.strip()[:60]
        try:
            value = float(text)
        except ValueError:
            value = text
    _require("not_a_number", field, label, _NUMBER, value)
    _require("not_finite", field, label, _FINITE, value)
    if kind is int:
        _require("not_whole_number", field, label, _WHOLE, value)
        return int(value)
    return float(value)


def _parts(value):
    """A list, or a string split at commas and spaces; None for anything else."""
    if isinstance(value, str):
        return [p.strip() for p in value[:400].replace(" ", ",").split(",") if p.strip()]
    if isinstance(value, (list, tuple)):
        return list(value)
    return None


class Widths:
    """A constraint: hidden-layer widths, 1 to ``MAX_LAYERS`` whole numbers
    in [1, ``MAX_WIDTH``], as a list or as text such as "16,16"."""

    _width = Interval(int, 1, MAX_WIDTH)

    def convert(self, value):
        """The widths as a tuple of ints, or None if ``value`` is not allowed."""
        parts = _parts(value)
        if parts is None or not 1 <= len(parts) <= MAX_LAYERS:
            return None
        widths = []
        for p in parts:
            if isinstance(p, str):
                try:
                    p = float(p)
                except ValueError:
                    return None
            if not _WHOLE.accepts(p) or not self._width.accepts(int(p)):
                return None
            widths.append(int(p))
        return tuple(widths)

    def accepts(self, value) -> bool:
        return self.convert(value) is not None

    def __str__(self) -> str:
        return f"widths such as 16,16 (1 to {MAX_LAYERS} layers of 1 to {MAX_WIDTH} units)"


class FeatureSet:
    """A constraint: a non-empty set of input features, each once, as a list
    or as text such as "x1,x2"; kept in ``FEATURES``' order."""

    def convert(self, value):
        parts = _parts(value)
        if parts is None or not parts or len(parts) > len(FEATURES) or \
                not all(isinstance(p, str) and p in FEATURES for p in parts) or \
                len(set(parts)) != len(parts):
            return None
        return tuple(f for f in FEATURES if f in parts)

    def accepts(self, value) -> bool:
        return self.convert(value) is not None

    def __str__(self) -> str:
        return f"one or more of {', '.join(FEATURES)}, each once"


@dataclass(frozen=True)
class Setting:
    """One lab setting: its label on the page and the constraint its value
    meets (an ``Interval``, ``Options``, ``Widths`` or ``FeatureSet``)."""

    label: str
    rule: object

    def check(self, field, value):
        """``value`` checked and converted (text to numbers, widths to a tuple)."""
        rule, label = self.rule, self.label
        if isinstance(rule, Interval):
            v = _number(field, label, value, rule.kind)
            _require("out_of_range", field, label, rule, v, low=rule.low, high=rule.high,
                     open_low=rule.closed in ("right", "neither"))
            return v
        if isinstance(rule, Options):
            _require("bad_choice", field, label, rule, value, values=list(rule.values))
            return value
        if isinstance(rule, Widths):
            _require("bad_widths", field, label, rule, value, max_layers=MAX_LAYERS,
                     max_width=MAX_WIDTH)
        else:
            _require("bad_features", field, label, rule, value, values=list(FEATURES))
        return rule.convert(value)

    def describe(self):
        """The rule as JSON for the page's inputs."""
        rule = self.rule
        if isinstance(rule, Interval):
            return {"type": rule.kind.__name__, "low": rule.low, "high": rule.high,
                    "open_low": rule.closed in ("right", "neither"), "label": self.label}
        if isinstance(rule, Options):
            return {"type": "choice", "values": list(rule.values), "label": self.label}
        if isinstance(rule, Widths):
            return {"type": "widths", "max_layers": MAX_LAYERS, "max_width": MAX_WIDTH,
                    "label": self.label}
        return {"type": "features", "values": list(FEATURES), "label": self.label}


RULES = {
    "dataset": Setting("data set", Options(*DATASETS)),
    "n_points": Setting("number of points", Interval(int, 50, 2000)),
    "noise": Setting("noise", Interval(float, 0, 1)),
    "n_classes": Setting("number of classes", Interval(int, 2, 6)),
    "val_fraction": Setting("validation share", Interval(float, 0.1, 0.5)),
    "seed": Setting("seed", Interval(int, 0, 2**31 - 1)),
    "features": Setting("input features", FeatureSet()),
    "model": Setting("model", Options("softmax", "mlp")),
    "hidden": Setting("hidden layers", Widths()),
    "activation": Setting("activation", Options("relu", "leaky_relu", "tanh", "sigmoid")),
    "dropout": Setting("dropout", Interval(float, 0, 0.9)),
    "optimizer": Setting("optimizer", Options("sgd", "momentum", "adam")),
    "lr": Setting("learning rate", Interval(float, 0, 10, closed="right")),
    "batch_size": Setting("batch size", Interval(int, 1, 5000)),
    "l2": Setting("L2 penalty", Interval(float, 0, 1)),
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
