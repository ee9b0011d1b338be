"""``softmaxlab train``: settings from flags and a config file, checked for
options that do not apply, and the summary line of a finished run."""
from __future__ import annotations

from pathlib import Path

from softmaxlab.cli.config import ConfigError, TrainConfig, load_config
from softmaxlab.cli.progress import format_seconds

__all__ = ["check_data_name", "config_from_args", "given_settings", "label_named",
           "require_label", "summary_line"]

_SETTINGS = set(TrainConfig.__dataclass_fields__)


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _join(names: list) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def given_settings(args) -> dict:
    """The settings given on the command line: every flag that was used,
    even with its default value."""
    flags = {k: v for k, v in vars(args).items() if v is not None and k in _SETTINGS}
    if flags.get("class_weight") == "none":
        flags["class_weight"] = None
    return flags


def config_from_args(args) -> tuple[TrainConfig, list]:
    """The run's settings: ``--config FILE`` (if any), then the flags.

    Returns
    -------
    (config, notes)
        ``config`` holds only settings that apply (others at their defaults);
        ``notes`` name settings of the file that do not apply and were ignored.

    Raises
    ------
    ConfigError
        A bad value, or a flag that does not apply to this run (named).
    """
    base = load_config(args.config)[0] if args.config else TrainConfig()
    flags = given_settings(args)
    cfg = base.updated(**flags).validate()
    wrong = cfg.inapplicable()
    bad = {k: why for k, why in wrong.items() if k in flags}
    if bad:
        by_reason: dict = {}
        for k, why in bad.items():
            by_reason.setdefault(why, []).append(_flag(k))
        parts = [f"{_join(names)} {why.replace('applies', 'apply') if len(names) > 1 else why}"
                 for why, names in by_reason.items()]
        raise ConfigError("; ".join(parts) + "; drop " + ("it" if len(bad) == 1 else "them"))
    default, notes = TrainConfig(), []
    for k, why in wrong.items():
        if getattr(base, k) != getattr(default, k):
            notes.append(f"{args.config} sets {k} = {getattr(base, k)!r}, which {why}; ignored")
    return cfg.normalized(), notes


def label_named(label) -> str:
    """``label column 'species'``, ``label column 4`` (by position), or
    ``label columns 'a', 'b'``; empty for a built-in dataset."""
    if label is None:
        return ""
    if isinstance(label, list):
        return "label columns " + ", ".join(repr(c) if isinstance(c, str) else str(c)
                                            for c in label)
    return f"label column {label!r}" if isinstance(label, str) else f"label column {label}"


def require_label(cfg: TrainConfig) -> None:
    """A file with a header row must name its label column: it is never
    guessed. Refused (exit status 2) with the columns and the command to use."""
    from softmaxlab.cli.config import data_kind

    kind = data_kind(cfg.data)
    if cfg.label_column is not None or kind not in ("text", "parquet") or cfg.no_header:
        return
    if not Path(cfg.data).is_file():
        return  # the reader says the file is missing, in its words
    if kind == "text":
        import warnings

        from softmaxlab.data.csv_reader import read_text_table

        with warnings.catch_warnings():  # the refusal is the one line said
            warnings.simplefilter("ignore")
            names = read_text_table(cfg.data, delimiter=cfg.delimiter, decimal=cfg.decimal,
                                    encoding=cfg.file_encoding).names
    else:
        from softmaxlab.data.tabular import read_parquet_frame

        names = [str(c) for c in read_parquet_frame(Path(cfg.data)).columns]
    # A wide file: its first and last columns (a label is often the last).
    picked = names if len(names) <= 12 else [*names[:6], "...", *names[-5:]]
    shown = ", ".join(n if n == "..." else repr(n) for n in picked)
    raise ConfigError(f"{cfg.data} has a header row, so name its label column (it is never "
                      f"guessed): softmaxlab train --data {cfg.data} --label-column NAME, with "
                      f"NAME one of {shown}")


def summary_line(result) -> str:
    """``test accuracy 0.9741 | 20 epochs | 0.93 s | completed | run folder runs/...``
    (``test subset accuracy`` for a multilabel run); a run on a file names its
    label column: ``test accuracy 0.9565 | label column 'species' | ...``."""
    m = result.metrics
    acc = m["test"]["accuracy"]
    n = m["epochs"]
    what = "test subset accuracy" if m.get("task") == "multilabel" else "test accuracy"
    label = label_named(m.get("label_column"))
    return (f"{what} {'n/a' if acc is None else f'{acc:.4f}'} | "
            f"{label + ' | ' if label else ''}{n} epoch"
            f"{'' if n == 1 else 's'} | {format_seconds(m['training_seconds'])} | "
            f"{result.status} | run folder {result.run_dir}")


def check_data_name(data: str) -> None:
    """An unknown name is a usage error (2); a missing file is a data error (1)."""
    from softmaxlab.data import DATASET_NAMES
    from softmaxlab.data.tabular import tabular_suffix

    name = data.strip().lower().replace("_", "-")
    if name in DATASET_NAMES or tabular_suffix(data) or "/" in data or Path(data).exists():
        return
    raise ConfigError(f"unknown dataset {data!r}; use one of {', '.join(DATASET_NAMES)} "
                      "or a path to a CSV file")
