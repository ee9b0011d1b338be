"""Run configuration of ``softmaxlab train``: one dataclass <-> TOML, validated.

Every setting a run depends on lives in :class:`TrainConfig`; the run folder's
``config.toml`` is its TOML form, so ``softmaxlab train --config
runs/<run>/config.toml`` repeats the run bit for bit.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field, fields
from pathlib import Path

try:  # Python >= 3.11
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10 needs the tomli backport
    import tomli as tomllib

__all__ = ["CHOICES", "ConfigError", "TrainConfig", "dumps_toml", "load_config", "read_toml"]


class ConfigError(ValueError):
    """A setting has a bad value or a config file is unreadable; the message
    names the setting and the valid values."""


CHOICES = {
    "model": ("softmax", "mlp"),
    "activation": ("relu", "leaky_relu", "tanh", "sigmoid"),
    "optimizer": ("sgd", "adam"),
    "schedule": ("constant", "step", "cosine", "plateau"),
    "dtype": ("float32", "float64"),
    "class_weight": ("balanced",),
    "preprocess": ("auto", "standard", "pixel", "none"),
}


@dataclass
class TrainConfig:
    """Every setting of one training run (defaults: a few seconds on digits)."""

    data: str = "digits"
    model: str = "softmax"
    hidden: list = field(default_factory=lambda: [128])
    activation: str = "relu"
    optimizer: str = "sgd"
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 0.0
    batch_size: int | str = 64
    epochs: int = 20
    schedule: str = "cosine"
    dropout: float = 0.0
    class_weight: str | None = None
    early_stopping: bool = False
    patience: int = 10
    val_fraction: float = 0.15
    test_fraction: float = 0.15
    seed: int = 0
    dtype: str = "float32"
    preprocess: str = "auto"
    label_column: str | None = None
    data_dir: str | None = None
    checkpoint_every: int = 0

    def validate(self) -> TrainConfig:
        """Check every value; raise :class:`ConfigError` naming the fix."""
        for name, valid in CHOICES.items():
            value = getattr(self, name)
            if name == "class_weight" and value is None:
                continue
            if value not in valid:
                raise ConfigError(f"{name.replace('_', '-')} must be one of "
                                  f"{', '.join(valid)}; got {value!r}")
        if not isinstance(self.data, str) or not self.data.strip():
            raise ConfigError("data must be a dataset name or a file path")
        _check_int("epochs", self.epochs, 1)
        _check_int("patience", self.patience, 1)
        _check_int("seed", self.seed, 0)
        _check_int("checkpoint-every", self.checkpoint_every, 0)
        if self.batch_size != "full":
            _check_int("batch-size", self.batch_size, 1, extra=" or 'full'")
        if not isinstance(self.hidden, list) or not self.hidden:
            raise ConfigError(f"hidden must be layer widths such as 256,128; got {self.hidden!r}")
        for h in self.hidden:
            _check_int("hidden", h, 1)
        _check_float("lr", self.lr, 0, low_open=True)
        _check_float("momentum", self.momentum, 0, 1, high_open=True)
        _check_float("weight-decay", self.weight_decay, 0)
        _check_float("dropout", self.dropout, 0, 1, high_open=True)
        _check_float("val-fraction", self.val_fraction, 0, 1, high_open=True)
        # The test split must exist: metrics.json always reports test accuracy.
        _check_float("test-fraction", self.test_fraction, 0, 1, low_open=True, high_open=True)
        if self.val_fraction + self.test_fraction >= 1:
            raise ConfigError(f"val-fraction + test-fraction must be < 1, got "
                              f"{self.val_fraction} + {self.test_fraction}")
        if not isinstance(self.early_stopping, bool):
            raise ConfigError(f"early_stopping must be true or false, got {self.early_stopping!r}")
        for name in ("label_column", "data_dir"):
            if getattr(self, name) is not None and not isinstance(getattr(self, name), str):
                raise ConfigError(f"{name} must be a string, got {getattr(self, name)!r}")
        return self

    def updated(self, **changes) -> TrainConfig:
        """A copy with ``changes`` applied (unknown names are refused)."""
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise ConfigError(f"unknown settings {sorted(unknown)}; valid ones are "
                              f"{', '.join(f.name for f in fields(self))}")
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_toml(self, meta: dict | None = None) -> str:
        """TOML text: every setting (unset optional ones as comments) plus ``[meta]``."""
        return dumps_toml(self.to_dict(), meta)


def _check_int(name, value, low, extra=""):
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"{name} must be an integer >= {low}{extra}; got {value!r}")


def _check_float(name, value, low, high=math.inf, low_open=False, high_open=False):
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = (value > low if low_open else value >= low) and (
            value < high if high_open else value <= high)
    if not ok:
        lo = f"({low}" if low_open else f"[{low}"
        hi = f"{high})" if high_open else ("inf)" if high == math.inf else f"{high}]")
        raise ConfigError(f"{name} must be a number in {lo}, {hi}; got {value!r}")


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        # repr round-trips a float exactly, which bit-for-bit reruns need.
        return repr(v) if math.isfinite(v) else ("nan" if math.isnan(v) else
                                                   ("inf" if v > 0 else "-inf"))
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {v!r} ({type(v).__name__}) to TOML")


def dumps_toml(settings: dict, meta: dict | None = None) -> str:
    """Write flat ``settings`` and an optional ``[meta]`` table as TOML.

    TOML has no null, so a ``None`` setting is written as a comment and read
    back as the default (which is ``None`` for every optional setting).
    """
    lines = []
    for k, v in settings.items():
        lines.append(f"# {k} = (unset)" if v is None else f"{k} = {_toml_value(v)}")
    if meta:
        lines += ["", "[meta]"]
        lines += [f"{k} = {_toml_value(v)}" for k, v in meta.items() if v is not None]
    return "\n".join(lines) + "\n"


def read_toml(path) -> dict:
    """Parse a TOML file (raises ``tomllib.TOMLDecodeError``)."""
    return tomllib.loads(Path(path).read_text(encoding="utf-8"))


def load_config(path, base: TrainConfig | None = None) -> tuple[TrainConfig, dict]:
    """Read a TOML file into a validated config; returns (config, meta).

    Keys may use ``-`` or ``_``; the ``[meta]`` table (library version, run
    facts) is returned, not applied. Unknown keys are refused with the list of
    valid ones, so a typo never passes silently.
    """
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    meta = raw.pop("meta", {})
    settings = {k.replace("-", "_"): v for k, v in raw.items()}
    try:
        cfg = (base or TrainConfig()).updated(**settings)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    if isinstance(cfg.hidden, int):
        cfg.hidden = [cfg.hidden]
    return cfg.validate(), meta if isinstance(meta, dict) else {}
