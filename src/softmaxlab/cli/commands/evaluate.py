"""``softmaxlab evaluate``: the metrics of a saved model on a dataset."""
from __future__ import annotations

import numpy as np

from softmaxlab.cli.commands.model import resolve_model
from softmaxlab.cli.commands.read import read_for_model
from softmaxlab.cli.config import ConfigError, data_kind, load_config
from softmaxlab.data import encode_labels, load_dataset, split_dataset
from softmaxlab.data.names import plural
from softmaxlab.metrics import classification_metrics, multilabel_metrics
from softmaxlab.runs.folder import CONFIG

__all__ = ["evaluate", "format_multilabel"]


def evaluate(model_path, data=None, data_dir=None, label_column=None, *, header: bool = True,
             delimiter=None, decimal: str = ".", encoding=None) -> tuple[dict, str]:
    """Metrics of a saved model; returns (metrics, description of the data used).

    Without ``data``, a run folder is evaluated on its own test split
    (re-created from ``config.toml``: same seed, same split). With a file,
    its columns are matched to the model's by name (by position with
    ``header=False``); the label column defaults to the model's.
    """
    from softmaxlab.cli.runner import load_run_data

    pred, run_dir = resolve_model(model_path)
    file_options = [n for n, v, d in (("--label-column", label_column, None),
                                      ("--no-header", header, True),
                                      ("--delimiter", delimiter, None),
                                      ("--decimal", decimal, "."),
                                      ("--file-encoding", encoding, None))
                    if v != d]
    if data is None:
        if file_options:
            raise ConfigError(f"{', '.join(file_options)} appl{'ies' if len(file_options) == 1 else 'y'}"
                              " only with --data FILE; the run's own test split is read as in "
                              "training")
        if run_dir is None or not (run_dir / CONFIG).is_file():
            raise ValueError("give --data: the model is not inside a run folder with "
                             f"{CONFIG}, so its test split is unknown")
        cfg, _ = load_config(run_dir / CONFIG)
        if data_dir:
            cfg = cfg.updated(data_dir=data_dir)
        ds = load_run_data(cfg)
        if list(ds.feature_names) != list(pred.feature_names):
            raise ValueError(f"{cfg.data} no longer has the columns the model was trained on; "
                             "give --data with a file that has them")
        # The split is the first draw from the run's Generator, as in training.
        s = split_dataset(ds, cfg.val_fraction, cfg.test_fraction,
                          seed=np.random.default_rng(cfg.seed))
        if ds.multilabel:
            if [str(c) for c in ds.classes] != [str(c) for c in pred.classes]:
                raise ValueError(f"{cfg.data} no longer has the labels the model was trained on "
                                 f"({', '.join(map(repr, pred.classes))}); give --data with a "
                                 "file that has them")
            return _multilabel(pred, s.X_test, s.y_test, f"test split of {cfg.data}")
        X, y_raw, what = s.X_test, np.asarray(ds.classes)[s.y_test], f"test split of {cfg.data}"
    elif data_kind(data) in ("text", "parquet", "npz"):
        rows = read_for_model(pred, data, header=header, delimiter=delimiter, decimal=decimal,
                              label_column=label_column, need_label=True, encoding=encoding)
        X, y_raw, what = rows.X, rows.y, f"all {plural(len(rows.y), 'row')} of {data}"
        if pred.multilabel:
            return _multilabel(pred, X, y_raw, what)
    else:
        if file_options:
            raise ConfigError(f"{', '.join(file_options)} apply only to data files, not to the "
                              f"built-in dataset {data!r}")
        ds = load_dataset(data, data_dir=data_dir)
        if ds.has_test_split:
            X, y_raw, what = ds.X_test, ds.y_test, f"test split of {data}"
        else:
            X, y_raw, what = ds.X, ds.y, f"all {plural(ds.n_samples, 'row')} of {data}"
        if list(ds.feature_names) != list(pred.feature_names):
            raise ValueError(f"{data} has {plural(ds.n_features, 'feature')} "
                             f"({', '.join(ds.feature_names[:3])}, ...) but the model was trained "
                             f"on {plural(len(pred.feature_names), 'feature')} "
                             f"({', '.join(map(str, pred.feature_names[:3]))}, ...)")
    if pred.multilabel:
        raise ValueError(f"{data}: the model is multilabel ({plural(len(pred.classes), 'label')}) "
                         "and the built-in datasets have one class per row; give --data with a "
                         "file that has the model's label columns")
    y, _ = encode_labels(np.asarray(y_raw), pred.classes)
    return classification_metrics(y, pred.predict_proba(X, what), pred.class_names), what


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
