"""Run configuration of ``softmaxlab train``: one dataclass <-> TOML, validated.

Every setting a run depends on lives in :class:`TrainConfig`; the run folder's
``config.toml`` is its TOML form, so ``softmaxlab train --config
runs/<run>/config.toml`` repeats the run bit for bit. A setting that does not
apply to the run (``hidden`` for softmax regression, ``momentum`` for Adam,
``delimiter`` for a built-in dataset...) is not written: see
:meth:`TrainConfig.inapplicable`.
"""
from __future__ import annotations

from softmaxlab.errors import SoftmaxlabError

import dataclasses
from dataclasses import dataclass, field, fields
from pathlib import Path

from softmaxlab.backend import BACKENDS
from softmaxlab.nn import ACTIVATIONS
from softmaxlab.optim import OPTIMIZERS, SCHEDULES
from softmaxlab._validation import Interval, ListOf, Options, Types, validate_params
from softmaxlab.runs.toml import dumps_toml, read_toml, tomllib

__all__ = ["CHOICES", "ConfigError", "TrainConfig", "data_kind", "dumps_toml", "load_config",
           "read_toml"]


class ConfigError(SoftmaxlabError, ValueError):
    """A setting has a bad value or a config file is unreadable; the message
    names the setting and the valid values."""


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
            self._check_backend()
        self._check_label_column()
        self._check_label_separator()
        self._check_drop_columns()
        if self.delimiter is not None:
            from softmaxlab.data.csv_reader import parse_delimiter

            try:
                self.delimiter = parse_delimiter(self.delimiter)
            except (ValueError, AttributeError) as exc:
                raise ConfigError(str(exc).replace("delimiter must", "--delimiter must")) from None
            if self.delimiter == self.decimal:
                raise ConfigError(f"--delimiter and --decimal are both {self.decimal!r}; "
                                  "choose different characters")
        if self.file_encoding is not None:
            from softmaxlab.data.sniff import check_encoding

            try:
                self.file_encoding = check_encoding(self.file_encoding)
            except ValueError as exc:
                raise ConfigError(f"--file-encoding {exc}") from None
        return self

    def _check_label_column(self) -> None:
        """A name, or with --no-header a 0-based index; several (a list, or
        joined by commas) for 0/1 indicator columns."""
        lc = self.label_column
        if lc is None:
            return
        if isinstance(lc, list):
            if len(lc) < 1 or len(set(map(str, lc))) != len(lc):
                raise ConfigError(f"label-column must list distinct label columns, got {lc!r}")
            self.label_column = [self._one_label_column(v, lc) for v in lc]
            if len(self.label_column) == 1:
                self.label_column = self.label_column[0]
            return
        if self.no_header and isinstance(lc, str) and "," in lc:
            self.label_column = [self._one_label_column(v.strip(), lc) for v in lc.split(",")]
            return
        self.label_column = self._one_label_column(lc, lc)

    def _one_label_column(self, lc, given):
        if self.no_header:
            if isinstance(lc, str) and lc.strip().lstrip("+-").isdigit():
                lc = int(lc)
            if isinstance(lc, bool) or not isinstance(lc, int):
                raise ConfigError(f"with --no-header, --label-column takes a 0-based column index "
                                  f"such as 0 or -1 (negative counts from the end), or several "
                                  f"such as 3,4,5; got {given!r}")
        elif not isinstance(lc, str):
            raise ConfigError(f"label-column {given!r} is a position, which applies only with "
                              "--no-header (no_header = true); give the column's name")
        return lc

    def _check_drop_columns(self) -> None:
        """Names (or with --no-header 0-based indices), as a list or joined by commas."""
        drop = self.drop_columns
        if drop is None:
            return
        if isinstance(drop, str):
            drop = [d.strip() for d in drop.split(",")]
        if not isinstance(drop, list) or not drop or any(
                isinstance(d, bool) or not isinstance(d, (str, int)) or d == "" for d in drop):
            raise ConfigError(f"drop-columns must name columns, such as id,name; got {drop!r}")
        if self.no_header:
            try:
                drop = [int(d) for d in drop]
            except ValueError:
                raise ConfigError(f"with --no-header, --drop-columns takes 0-based column "
                                  f"indices such as 0,5; got {self.drop_columns!r}") from None
        elif any(isinstance(d, int) for d in drop):
            raise ConfigError(f"--drop-columns {drop!r} holds a position, which applies only "
                              "with --no-header; give the columns' names")
        if len(set(drop)) != len(drop):
            raise ConfigError(f"--drop-columns names a column twice: {drop!r}")
        self.drop_columns = drop

    def _check_label_separator(self) -> None:
        sep = self.label_separator
        if sep is None:
            return
        if not isinstance(sep, str) or not sep or any(c in sep for c in '"\r\n'):
            raise ConfigError(f"label-separator must be the text that joins the labels of one "
                              f"cell, such as '|' or ';' (or none: one class per cell); got "
                              f"{sep!r}")
        several = isinstance(self.label_column, list) and len(self.label_column) > 1
        if several and sep != "none":
            raise ConfigError("--label-separator reads label sets from one label column; with "
                              "several 0/1 label columns (--label-column "
                              f"{','.join(map(str, self.label_column))}) drop it")

    def _check_backend(self) -> None:
        """The array library and device must be there (imports it: only for
        a backend other than NumPy, or an explicit device)."""
        from softmaxlab.backend import BackendError, resolve_backend

        if self.device is not None and not isinstance(self.device, str):
            raise ConfigError(f"device must be cpu, cuda or cuda:N, got {self.device!r}")
        try:
            resolve_backend(self.backend, self.device)
        except BackendError as exc:
            raise ConfigError(f"--backend {self.backend}"
                              + (f" --device {self.device}" if self.device else "")
                              + f": {exc}") from None

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
