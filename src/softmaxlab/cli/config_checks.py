"""The run configuration's error and the checks of its settings that a
table of constraints cannot say: the label column(s) and their separator,
the dropped columns, how a CSV/TSV file is read, and the backend. Each takes a
:class:`~softmaxlab.cli.config.TrainConfig`, normalises the setting in place
and raises :class:`ConfigError` naming the option and the fix."""
from __future__ import annotations

from softmaxlab.errors import SoftmaxlabError

__all__ = ["ConfigError", "check_backend", "check_drop_columns", "check_label_column",
           "check_label_separator", "check_reading"]


class ConfigError(SoftmaxlabError, ValueError):
    """A setting has a bad value or a config file is unreadable; the message
    names the setting and the valid values."""


def check_label_column(cfg) -> None:
    """A name, or with --no-header a 0-based index; several (a list, or
    joined by commas) for 0/1 indicator columns."""
    lc = cfg.label_column
    if lc is None:
        return
    if isinstance(lc, list):
        if len(lc) < 1 or len(set(map(str, lc))) != len(lc):
            raise ConfigError(f"label-column must list distinct label columns, got {lc!r}")
        cfg.label_column = [_one_label_column(cfg, v, lc) for v in lc]
        if len(cfg.label_column) == 1:
            cfg.label_column = cfg.label_column[0]
        return
    if cfg.no_header and isinstance(lc, str) and "," in lc:
        cfg.label_column = [_one_label_column(cfg, v.strip(), lc) for v in lc.split(",")]
        return
    cfg.label_column = _one_label_column(cfg, lc, lc)


def _one_label_column(cfg, lc, given):
    """One label column: a name, or with --no-header an integer index."""
    if cfg.no_header:
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


def check_drop_columns(cfg) -> None:
    """Names (or with --no-header 0-based indices), as a list or joined by commas."""
    drop = cfg.drop_columns
    if drop is None:
        return
    if isinstance(drop, str):
        drop = [d.strip() for d in drop.split(",")]
    if not isinstance(drop, list) or not drop or any(
            isinstance(d, bool) or not isinstance(d, (str, int)) or d == "" for d in drop):
        raise ConfigError(f"drop-columns must name columns, such as id,name; got {drop!r}")
    if cfg.no_header:
        try:
            drop = [int(d) for d in drop]
        except ValueError:
            raise ConfigError(f"with --no-header, --drop-columns takes 0-based column "
                              f"indices such as 0,5; got {cfg.drop_columns!r}") from None
    elif any(isinstance(d, int) for d in drop):
        raise ConfigError(f"--drop-columns {drop!r} holds a position, which applies only "
                          "with --no-header; give the columns' names")
    if len(set(drop)) != len(drop):
        raise ConfigError(f"--drop-columns names a column twice: {drop!r}")
    cfg.drop_columns = drop


def check_label_separator(cfg) -> None:
    """Text joining the labels of one cell; not with several 0/1 label columns."""
    sep = cfg.label_separator
    if sep is None:
        return
    if not isinstance(sep, str) or not sep or any(c in sep for c in '"\r\n'):
        raise ConfigError(f"label-separator must be the text that joins the labels of one "
                          f"cell, such as '|' or ';' (or none: one class per cell); got "
                          f"{sep!r}")
    several = isinstance(cfg.label_column, list) and len(cfg.label_column) > 1
    if several and sep != "none":
        raise ConfigError("--label-separator reads label sets from one label column; with "
                          "several 0/1 label columns (--label-column "
                          f"{','.join(map(str, cfg.label_column))}) drop it")


def check_backend(cfg) -> None:
    """The array library and device must be there (imports it: only for
    a backend other than NumPy, or an explicit device)."""
    from softmaxlab.backend import BackendError, resolve_backend

    if cfg.device is not None and not isinstance(cfg.device, str):
        raise ConfigError(f"device must be cpu, cuda or cuda:N, got {cfg.device!r}")
    try:
        resolve_backend(cfg.backend, cfg.device)
    except BackendError as exc:
        raise ConfigError(f"--backend {cfg.backend}"
                          + (f" --device {cfg.device}" if cfg.device else "")
                          + f": {exc}") from None


def check_reading(cfg) -> None:
    """The CSV/TSV delimiter and text encoding, normalised (tab for 'tab',
    the codec's name); the delimiter must differ from the decimal mark."""
    if cfg.delimiter is not None:
        from softmaxlab.data.csv_reader import parse_delimiter

        try:
            cfg.delimiter = parse_delimiter(cfg.delimiter)
        except (ValueError, AttributeError) as exc:
            raise ConfigError(str(exc).replace("delimiter must", "--delimiter must")) from None
        if cfg.delimiter == cfg.decimal:
            raise ConfigError(f"--delimiter and --decimal are both {cfg.decimal!r}; "
                              "choose different characters")
    if cfg.file_encoding is not None:
        from softmaxlab.data.sniff import check_encoding

        try:
            cfg.file_encoding = check_encoding(cfg.file_encoding)
        except ValueError as exc:
            raise ConfigError(f"--file-encoding {exc}") from None
