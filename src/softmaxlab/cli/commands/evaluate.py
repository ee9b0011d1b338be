"""``softmaxlab evaluate``: the metrics of a saved model on a dataset."""
from __future__ import annotations

import contextlib

import numpy as np

from softmaxlab.cli.commands.model import resolve_model
from softmaxlab.cli.commands.read import read_for_model
from softmaxlab.cli.config import ConfigError, data_kind, load_config
from softmaxlab.data import encode_labels, load_dataset, split_dataset
from softmaxlab.data.names import plural
from softmaxlab.metrics import classification_metrics, multilabel_metrics
from softmaxlab.runs.folder import CONFIG
from softmaxlab.errors import InputError

__all__ = ["evaluate", "format_multilabel"]


def evaluate(model_path, data=None, data_dir=None, label_column=None, *, header: bool = True,
             delimiter=None, decimal=None, encoding=None, skip_invalid: bool = False,
             strict_inputs: bool = False) -> tuple[dict, str]:
    """Metrics of a saved model; returns (metrics, description of the data used).

    Without ``data``, a run folder is evaluated on its own test split
    (re-created from ``config.toml``: same seed, same split). With a file,
    its columns are matched to the model's by name (by position with
    ``header=False``); the label column defaults to the model's; what the
    reading options leave unset is read as the model's run was. Rows left
    out (no value at all; with ``skip_invalid`` rows that cannot be read)
    are counted: ``metrics["n_skipped"]`` and the description say how many.
    """
    pred, run_dir = resolve_model(model_path)
    file_options = [n for n, v, d in (("--label-column", label_column, None),
                                      ("--no-header", header, True),
                                      ("--delimiter", delimiter, None),
                                      ("--decimal", decimal, None),
                                      ("--file-encoding", encoding, None))
                    if v != d]
    if data is None:
        X, y_raw, what, multilabel = _run_test_split(pred, run_dir, data_dir, file_options)
        if multilabel:
            return _multilabel(pred, X, y_raw, what)
        return _single_label(pred, X, y_raw, what, data)
    if data_kind(data) in ("text", "parquet", "npz"):
        return _on_file(pred, data, label_column, header=header, delimiter=delimiter,
                        decimal=decimal, encoding=encoding, skip_invalid=skip_invalid,
                        strict_inputs=strict_inputs)
    X, y_raw, what = _builtin_dataset(pred, data, data_dir, file_options)
    return _single_label(pred, X, y_raw, what, data)


def _run_test_split(pred, run_dir, data_dir, file_options):
    """The test split of the model's run, re-created from its config.toml:
    (X, raw labels, description, whether the run is multilabel)."""
    from softmaxlab.cli.runner import load_run_data

    if file_options:
        raise ConfigError(f"{', '.join(file_options)} appl{'ies' if len(file_options) == 1 else 'y'}"
                          " only with --data FILE; the run's own test split is read as in "
                          "training")
    if run_dir is None or not (run_dir / CONFIG).is_file():
        raise InputError("give --data: the model is not inside a run folder with "
                         f"{CONFIG}, so its test split is unknown")
    cfg, _ = load_config(run_dir / CONFIG)
    if data_dir:
        cfg = cfg.updated(data_dir=data_dir)
    ds = load_run_data(cfg)
    if list(ds.feature_names) != list(pred.feature_names):
        raise InputError(f"{cfg.data} no longer has the columns the model was trained on; "
                         "give --data with a file that has them")
    # The split is the first draw from the run's Generator, as in training.
    s = split_dataset(ds, cfg.val_fraction, cfg.test_fraction,
                      seed=np.random.default_rng(cfg.seed))
    what = f"test split of {cfg.data}"
    if ds.multilabel:
        if [str(c) for c in ds.classes] != [str(c) for c in pred.classes]:
            raise InputError(f"{cfg.data} no longer has the labels the model was trained on "
                             f"({', '.join(map(repr, pred.classes))}); give --data with a "
                             "file that has them")
        return s.X_test, s.y_test, what, True
    return s.X_test, np.asarray(ds.classes)[s.y_test], what, False


def _on_file(pred, data, label_column, *, header, delimiter, decimal, encoding,
             skip_invalid, strict_inputs) -> tuple[dict, str]:
    """Metrics on the rows of a CSV/TSV/Parquet/NPZ file, with the count of
    rows left out in ``n_skipped``."""
    from softmaxlab.cli.commands.checks import (
        check_inputs,
        invalid_rows,
        note_run_settings,
        said_once,
    )

    rows = read_for_model(pred, data, header=header, delimiter=delimiter, decimal=decimal,
                          label_column=label_column, need_label=True, encoding=encoding)
    note_run_settings(rows, data)
    n_bad = invalid_rows(rows, data, skip_invalid=skip_invalid, command="evaluate")
    if not len(rows.y):
        raise InputError(f"{data}: no row can be evaluated; fix the rows of the file")
    quiet = said_once(check_inputs(pred, rows, data, header=header, strict=strict_inputs))
    skipped = n_bad + len(rows.skipped)
    X, y_raw = rows.X, rows.y
    what = f"all {plural(len(rows.y), 'row')} of {data}"
    if skipped:
        what = (f"{plural(len(rows.y), 'row')} of {data} ({skipped} skipped: "
                f"{_skip_reasons(len(rows.skipped), n_bad)})")
    if pred.multilabel:
        with quiet:
            m, what = _multilabel(pred, X, y_raw, what)
        m["n_skipped"] = skipped
        return m, what
    _check_labels(y_raw, pred, data, rows)
    m, what = _single_label(pred, X, y_raw, what, data, quiet)
    m["n_skipped"] = skipped
    return m, what


def _builtin_dataset(pred, data, data_dir, file_options):
    """A built-in dataset's test split (or all its rows): (X, raw labels, description)."""
    if file_options:
        raise ConfigError(f"{', '.join(file_options)} appl{'ies' if len(file_options) == 1 else 'y'}"
                          f" only to data files, not to the built-in dataset {data!r}")
    ds = load_dataset(data, data_dir=data_dir)
    if ds.has_test_split:
        X, y_raw, what = ds.X_test, ds.y_test, f"test split of {data}"
    else:
        X, y_raw, what = ds.X, ds.y, f"all {plural(ds.n_samples, 'row')} of {data}"
    if list(ds.feature_names) != list(pred.feature_names):
        raise InputError(f"{data} has {plural(ds.n_features, 'feature')} "
                         f"({', '.join(ds.feature_names[:3])}, ...) but the model was trained "
                         f"on {plural(len(pred.feature_names), 'feature')} "
                         f"({', '.join(map(str, pred.feature_names[:3]))}, ...)")
    return X, y_raw, what


def _single_label(pred, X, y_raw, what, data, quiet=None) -> tuple[dict, str]:
    """Classification metrics of a one-class-per-row model on (X, raw labels)."""
    if pred.multilabel:
        raise InputError(f"{data}: the model is multilabel ({plural(len(pred.classes), 'label')}) "
                         "and the built-in datasets have one class per row; give --data with a "
                         "file that has the model's label columns")
    y, _ = encode_labels(np.asarray(y_raw), pred.classes)
    with quiet or contextlib.nullcontext():
        m = classification_metrics(y, pred.predict_proba(X, what), pred.class_names)
    return m, what


def _skip_reasons(n_empty: int, n_bad: int) -> str:
    parts = []
    if n_empty:
        parts.append(f"{plural(n_empty, 'row')} with no values")
    if n_bad:
        parts.append(f"{plural(n_bad, 'row')} that cannot be read (--skip-invalid)")
    return ", ".join(parts)


def _check_labels(y, pred, path, rows) -> None:
    """Every label must be one of the model's classes: the first that is
    not is named with its row and line (and how many rows have such labels)."""
    known = {str(c) for c in pred.classes}
    shown = np.asarray([str(v) for v in y], dtype=object)
    bad = ~np.isin(shown, np.asarray(sorted(known)))
    if not bad.any():
        return
    i = int(bad.nonzero()[0][0])
    row = int(rows.valid.nonzero()[0][i])
    where = f"row {row + 1}" + (f", line {rows.line_of(row)}" if rows.line_of else "")
    others = sorted(set(shown[bad].tolist()))
    more = (f"; {plural(int(bad.sum()), 'row')} hold{'s' if bad.sum() == 1 else ''} labels the "
            f"model does not know: {', '.join(map(repr, others[:5]))}"
            f"{', ...' if len(others) > 5 else ''}") if bad.sum() > 1 else ""
    raise InputError(f"{path}: the label {str(shown[i])!r} ({where}) is not one of the model's "
                     f"classes ({', '.join(map(repr, sorted(known, key=str)[:10]))}){more}; "
                     "evaluate on rows whose labels the model was trained on, or check "
                     "--label-column")


def _multilabel(pred, X, Y, what) -> tuple[dict, str]:
    """Metrics of a multilabel model on rows ``X`` with 0/1 labels ``Y``."""
    proba = pred.predict_proba(X, what)
    return multilabel_metrics(Y, proba, pred.class_names, pred.predict(X, what)), what


def format_multilabel(m: dict, what: str) -> str:
    """What ``softmaxlab evaluate`` prints for a multilabel model."""
    lines = [f"{what}: {m['n_samples']} samples, {plural(m['n_labels'], 'label')} "
             f"({m['true_labels_per_row']:.2f} per row, {m['predicted_labels_per_row']:.2f} "
             "predicted)",
             f"subset accuracy {m['subset_accuracy']:.4f}  Hamming loss {m['hamming_loss']:.4f}"
             f"  log loss {m['log_loss']:.4f}",
             f"F1 micro {m['f1_micro']:.4f}  macro {m['f1_macro']:.4f}  samples "
             f"{m['f1_samples']:.4f}  (precision micro {m['precision_micro']:.4f}, recall micro "
             f"{m['recall_micro']:.4f})"]
    width = max(5, *(len(n) for n in m["per_label"]))
    lines.append(f"{'label':<{width}}  precision  recall      F1  support")
    for name, v in m["per_label"].items():
        lines.append(f"{name:<{width}}  {v['precision']:9.3f}  {v['recall']:6.3f}  "
                     f"{v['f1']:6.3f}  {v['support']:7d}")
    return "\n".join(lines)
