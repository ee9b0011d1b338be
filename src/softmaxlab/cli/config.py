"""Run configuration of ``softmaxlab train``: one dataclass <-> TOML, validated.

Every setting a run depends on lives in :class:`TrainConfig`; the run folder's
``config.toml`` is its TOML form, so ``softmaxlab train --config
runs/<run>/config.toml`` repeats the run bit for bit. A setting that does not
apply to the run (``hidden`` for softmax regression, ``momentum`` for Adam,
``delimiter`` for a built-in dataset...) is not written: see
:meth:`TrainConfig.inapplicable`.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, fields
from pathlib import Path

from softmaxlab.backend import BACKENDS
from softmaxlab.cli.config_checks import (
    ConfigError,
    check_backend,
    check_drop_columns,
    check_label_column,
    check_label_separator,
    check_reading,
)
from softmaxlab.nn import ACTIVATIONS
from softmaxlab.optim import OPTIMIZERS, SCHEDULES
from softmaxlab._validation import Interval, ListOf, Options, Types, validate_params
from softmaxlab.runs.toml import dumps_toml, read_toml, tomllib

__all__ = ["CHOICES", "ConfigError", "TrainConfig", "data_kind", "dumps_toml", "load_config",
           "read_toml"]


# Names the engine's registries know, so a new activation, optimizer or
# schedule appears on the command line without a second list to update.
CHOICES = {
    "model": ("softmax", "mlp"),
    "activation": tuple(name for name in ACTIVATIONS if name != "logistic"),  # an alias of sigmoid
    "optimizer": tuple(OPTIMIZERS),
    "schedule": tuple(SCHEDULES),
    "backend": BACKENDS,
    "dtype": ("float32", "float64"),
    "class_weight": ("balanced",),
    "preprocess": ("auto", "standard", "pixel", "none"),
    "categorical": ("onehot", "error"),
    "impute": ("none", "mean", "median", "most_frequent"),
    "decimal": (".", ","),
}

class _Text:
    """Constraint: a non-empty string (a dataset name or a file path)."""

    def accepts(self, value) -> bool:
        return isinstance(value, str) and bool(value.strip())

    def __str__(self) -> str:
        return "a dataset name or a file path"


# What each setting may be (softmaxlab._validation.params); messages name the
# setting as its option is spelled, batch-size for --batch-size.
_CONSTRAINTS = {
    **{name: [Options(*valid)] for name, valid in CHOICES.items() if name != "class_weight"},
    "class_weight": [Options(None, *CHOICES["class_weight"])],
    "data": [_Text()],
    "epochs": [Interval(int, 1)],
    "patience": [Interval(int, 1)],
    "seed": [Interval(int, 0)],
    "checkpoint_every": [Interval(int, 0)],
    "batch_size": [Interval(int, 1), Options("full")],
    "hidden": [ListOf(Interval(int, 1), min_len=1)],
    "lr": [Interval(float, 0, None, closed="neither")],
    "momentum": [Interval(float, 0, 1, closed="left")],
    "weight_decay": [Interval(float, 0)],
    "dropout": [Interval(float, 0, 1, closed="left")],
    "val_fraction": [Interval(float, 0, 1, closed="left")],
    # The test split must exist: metrics.json always reports test accuracy.
    "test_fraction": [Interval(float, 0, 1, closed="neither")],
    "early_stopping": [Options(True, False)],
    "no_header": [Options(True, False)],
    "data_dir": [Options(None), Types(str, what="a folder path")],
}
# Sections of config.toml that describe the run rather than set it.
INFO_TABLES = ("meta", "encoding")


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
    label_column: str | int | list | None = None
    label_separator: str | None = None
    drop_columns: list | None = None
    no_header: bool = False
    delimiter: str | None = None
    decimal: str = "."
    file_encoding: str | None = None
    categorical: str = "onehot"
    impute: str = "none"
    data_dir: str | None = None
    checkpoint_every: int = 0
    backend: str = "numpy"
    device: str | None = None

    def validate(self) -> TrainConfig:
        """Check every value; raise :class:`ConfigError` naming the fix."""
        values = {name.replace("_", "-"): getattr(self, name) for name in _CONSTRAINTS}
        validate_params("", {n.replace("_", "-"): c for n, c in _CONSTRAINTS.items()}, values,
                        error=ConfigError)
        if self.val_fraction + self.test_fraction >= 1:
            raise ConfigError(f"val-fraction + test-fraction must be < 1, got "
                              f"{self.val_fraction} + {self.test_fraction}")
        if self.backend != "numpy" or self.device is not None:
            check_backend(self)
        check_label_column(self)
        check_label_separator(self)
        check_drop_columns(self)
        check_reading(self)
        return self

    def inapplicable(self) -> dict:
        """Settings that do not apply to this run, each with the reason.

        ``hidden``, ``activation`` and ``dropout`` apply only to the MLP,
        ``momentum`` only to SGD, ``patience`` only with early stopping;
        ``label_column``, ``label_separator``, ``drop_columns``, ``categorical`` only to
        CSV/TSV/Parquet files,
        ``no_header``, ``delimiter``, ``decimal``, ``file_encoding`` only to CSV/TSV, ``impute``
        only to data files, ``data_dir`` only to Fashion-MNIST and
        ``test_fraction`` to every dataset but Fashion-MNIST (its own test split).
        """
        kind = data_kind(self.data)
        mlp = f"applies only to --model mlp (this run trains {self.model})"
        rules = {
            "hidden": (self.model == "mlp", mlp),
            "activation": (self.model == "mlp", mlp),
            "dropout": (self.model == "mlp", mlp),
            "momentum": (self.optimizer == "sgd", "applies only to --optimizer sgd (Adam keeps "
                         "its own moment estimates)"),
            "patience": (self.early_stopping, "applies only with --early-stopping"),
            "label_column": (kind in ("text", "parquet"), "applies only to CSV, TSV and "
                             "Parquet files"),
            "label_separator": (kind in ("text", "parquet"), "applies only to CSV, TSV and "
                                "Parquet files"),
            "drop_columns": (kind in ("text", "parquet"), "applies only to CSV, TSV and "
                             "Parquet files"),
            "categorical": (kind in ("text", "parquet"), "applies only to CSV, TSV and "
                            "Parquet files"),
            "no_header": (kind == "text", "applies only to CSV and TSV files"),
            "delimiter": (kind == "text", "applies only to CSV and TSV files"),
            "decimal": (kind == "text", "applies only to CSV and TSV files"),
            "file_encoding": (kind == "text", "applies only to CSV and TSV files"),
            "impute": (kind in ("text", "parquet", "npz"), "applies only to data files (CSV, "
                       "TSV, Parquet, NPZ)"),
            "data_dir": (kind == "fashion-mnist", "applies only to --data fashion-mnist"),
            "test_fraction": (kind != "fashion-mnist", "does not apply to fashion-mnist, which "
                              "has its own test split"),
        }
        return {k: why for k, (ok, why) in rules.items() if not ok}

    def normalized(self) -> TrainConfig:
        """A copy with every inapplicable setting back at its default."""
        default = TrainConfig()
        return self.updated(**{k: getattr(default, k) for k in self.inapplicable()})

    def updated(self, **changes) -> TrainConfig:
        """A copy with ``changes`` applied (unknown names are refused)."""
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise ConfigError(f"unknown settings {sorted(unknown)}; valid ones are "
                              f"{', '.join(f.name for f in fields(self))}")
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """Every setting, applicable or not."""
        return dataclasses.asdict(self)

    def settings(self) -> dict:
        """The settings that apply to this run (see :meth:`inapplicable`), in order."""
        skip = self.inapplicable()
        return {k: v for k, v in self.to_dict().items() if k not in skip}

    def to_toml(self, meta: dict | None = None, tables: dict | None = None) -> str:
        """TOML text: the applicable settings (unset optional ones as comments),
        then ``[meta]`` and any other ``tables`` (e.g. ``[encoding]``)."""
        return dumps_toml(self.settings(), meta, tables)


def data_kind(data) -> str:
    """``'digits'``, ``'fashion-mnist'``, ``'spiral'``, ``'binary-mod'`` (built-in),
    ``'text'`` (CSV/TSV), ``'parquet'``, ``'npz'`` or ``'unknown'``."""
    from softmaxlab.data.csv_reader import TEXT_SUFFIXES
    from softmaxlab.data.registry import DATASET_NAMES
    from softmaxlab.data.tabular import tabular_suffix

    if not isinstance(data, str):
        return "unknown"
    name = data.strip().lower().replace("_", "-")
    if name in DATASET_NAMES:
        return name
    suffix = tabular_suffix(data)
    if suffix in TEXT_SUFFIXES:
        return "text"
    return {".parquet": "parquet", ".pq": "parquet", ".npz": "npz"}.get(suffix, "unknown")


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
    for name in INFO_TABLES:
        raw.pop(name, None)
    settings = {k.replace("-", "_"): v for k, v in raw.items()}
    try:
        cfg = (base or TrainConfig()).updated(**settings)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    if isinstance(cfg.hidden, int):
        cfg.hidden = [cfg.hidden]
    return cfg.validate(), meta if isinstance(meta, dict) else {}
