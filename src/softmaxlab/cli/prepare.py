"""Everything a training run builds before its first epoch: the data read
with the run's settings, the split, the encoding and scaling fitted on the
training split, the model, optimizer and trainer, and the per-split metrics
afterwards. No maths here; it assembles the engine and the data layer."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from softmaxlab import __version__
from softmaxlab.backend import from_numpy, resolve_backend, to_numpy
from softmaxlab.class_weight import balanced_class_weight, label_class_weight
from softmaxlab.cli.classes import note_case_variants, split_for_cli
from softmaxlab.cli.config import TrainConfig
from softmaxlab.data import ColumnEncoder, Preprocessor, load_dataset
from softmaxlab.data.names import plural
from softmaxlab.metrics import classification_metrics, multilabel_metrics
from softmaxlab.nn import SigmoidBinaryCrossEntropy, SoftmaxCrossEntropy, mlp, softmax_regression
from softmaxlab.optim import make_optimizer, make_schedule
from softmaxlab.runs.inputs import input_statistics
from softmaxlab.runs.predictor import Predictor
from softmaxlab.train import Trainer
from softmaxlab.train.guards import ExplosionGuard

__all__ = ["Prepared", "describe_data", "fit_arrays", "load_run_data", "prepare", "split_metrics"]


@dataclass
class Prepared:
    """Everything a run builds before its first epoch, in the order the
    run's single Generator is drawn from (so a resumed run rebuilds it exactly)."""

    config: TrainConfig
    dataset: object
    splits: object
    predictor: Predictor
    trainer: Trainer
    X: dict  # split name -> encoded and scaled features (NumPy)
    # split name -> (features, labels) where the model lives (--backend/--device)
    on_device: dict = None


def _preprocessor(cfg: TrainConfig, ds) -> Preprocessor:
    if cfg.preprocess == "auto":
        return Preprocessor.for_dataset(ds)
    return Preprocessor(cfg.preprocess, pixel_max=float(ds.meta.get("pixel_max", 255)))


def load_run_data(cfg: TrainConfig):
    """The dataset of a run, read with the run's file settings."""
    cfg = cfg.normalized()
    return load_dataset(cfg.data, data_dir=cfg.data_dir, label_column=cfg.label_column,
                        header=not cfg.no_header, delimiter=cfg.delimiter, decimal=cfg.decimal,
                        encoding=cfg.file_encoding,
                        categorical=cfg.categorical, allow_missing=cfg.impute != "none",
                        label_separator=cfg.label_separator, drop_columns=cfg.drop_columns,
                        # Cells such as "a|b" without --label-separator are refused, with
                        # the option named; "--label-separator none" reads them as classes.
                        refuse_label_sets=cfg.label_separator is None)


def prepare(cfg: TrainConfig, callbacks=()) -> Prepared:
    """Load and split the data, fit the encoding and scaling (training split
    only), build model, optimizer and trainer."""
    cfg = cfg.normalized()
    rng = np.random.default_rng(cfg.seed)
    ds = load_run_data(cfg)
    splits = split_for_cli(ds, cfg, rng)
    note_case_variants(ds)
    raw = {s: getattr(splits, f"X_{s}") for s in ("train", "val", "test")}
    kinds = list(ds.feature_kinds or ["numeric"] * ds.n_features)
    # What the inputs looked like, for predict's check of new rows.
    inputs = input_statistics(raw["train"], list(ds.feature_names), kinds)
    encoder = None
    if ds.feature_kinds is not None:
        # Impute and one-hot encode (fitted on the training rows), then scale.
        encoder = ColumnEncoder(ds.feature_names, ds.feature_kinds, cfg.impute).fit(raw["train"])
        raw = {s: encoder.transform(v, f"{ds.name} ({s} split)") for s, v in raw.items()}
    pre = _preprocessor(cfg, ds).fit(
        raw["train"], passthrough=encoder.onehot_columns_ if encoder is not None else None)
    dtype = np.dtype(cfg.dtype)
    X = {s: pre.transform(v, dtype) for s, v in raw.items()}
    d, C = X["train"].shape[1], len(splits.classes)
    multilabel = ds.multilabel
    # Several labels per row: one logistic unit per label (sigmoid outputs).
    output = "sigmoid" if multilabel else "softmax"
    if cfg.model == "softmax":
        model = softmax_regression(d, C, rng=rng, dtype=dtype, output=output)
    else:
        model = mlp(d, cfg.hidden, C, activation=cfg.activation, dropout=cfg.dropout,
                    rng=rng, dtype=dtype, output=output)
    loss, chance = _loss(cfg, ds, splits, C)
    xp, device = resolve_backend(cfg.backend, cfg.device)
    if cfg.backend != "numpy":
        # The parameters were drawn from the run's Generator; only their copies move.
        model.to(xp, device)
    on_device = {s: (from_numpy(X[s], xp, device),
                     from_numpy(_targets(splits, s, dtype), xp, device))
                 for s in ("train", "val", "test")} if cfg.backend != "numpy" else None
    trainer = _trainer(cfg, model, loss, chance, rng, callbacks)
    info = {"dataset": ds.name, "data": cfg.data, "image_shape": ds.image_shape,
            "label_column": ds.meta.get("label_column"), "config": cfg.settings(),
            "softmaxlab_version": __version__, "inputs": inputs}
    if "file" in ds.meta:
        info["file"] = ds.meta["file"]
    if multilabel:
        info["labels"] = ds.meta["labels"]
    predictor = Predictor(model, pre, list(splits.classes), ds.display_names,
                          list(ds.feature_names), info, encoder)
    return Prepared(cfg, ds, splits, predictor, trainer, X, on_device)


def _loss(cfg: TrainConfig, ds, splits, C: int):
    """(loss, accuracy of chance for the explosion guard) of a run with ``C``
    classes (labels, when multilabel)."""
    if ds.multilabel:
        note_unlearnable_labels(splits, ds.name)
        loss = SigmoidBinaryCrossEntropy(label_class_weight(cfg.class_weight, C, splits.y_train))
        # Chance for the guard: predicting every label's more frequent value.
        majority = splits.y_train.mean(axis=0) >= 0.5
        chance = float(np.mean(np.all(splits.y_train == majority, axis=1)))
    else:
        class_weight = (balanced_class_weight(splits.y_train, C)
                        if cfg.class_weight == "balanced" else None)
        loss = SoftmaxCrossEntropy(class_weight)
        chance = float((np.bincount(splits.y_train, minlength=C)
                        / max(len(splits.y_train), 1)).max())
    return loss, chance


def _trainer(cfg: TrainConfig, model, loss, chance: float, rng, callbacks) -> Trainer:
    """The run's optimizer, schedule and Trainer, with the explosion guard last."""
    opt_kw = {"momentum": cfg.momentum} if cfg.optimizer == "sgd" else {}
    opt = make_optimizer(cfg.optimizer, model.parameters(), lr=cfg.lr,
                         weight_decay=cfg.weight_decay, **opt_kw)
    sched_kw = {"cosine": {"total_epochs": cfg.epochs},
                "step": {"step_size": max(1, cfg.epochs // 3), "gamma": 0.1}}
    schedule = make_schedule(cfg.schedule, opt, **sched_kw.get(cfg.schedule, {}))
    # A loss that explodes without reaching NaN ends the run like divergence.
    guard = ExplosionGuard(chance=chance)
    trainer = Trainer(model, opt, loss, batch_size=cfg.batch_size,
                      schedule=schedule, rng=rng, callbacks=[*callbacks, guard],
                      early_stopping=cfg.early_stopping, patience=cfg.patience)
    return trainer


def fit_arrays(p: Prepared, split: str):
    """(features, labels) of a split as the trainer takes them: NumPy, or
    copies on the run's ``--backend``/``--device``."""
    if p.on_device is not None:
        return p.on_device[split]
    return p.X[split], _targets(p.splits, split, p.X[split].dtype)


def _targets(splits, split: str, dtype) -> np.ndarray:
    """A split's targets as the loss takes them: class indices (int64), or
    for a multilabel run the 0/1 matrix in the model's float dtype (cast
    once here, not at every batch)."""
    y = getattr(splits, f"y_{split}")
    return y.astype(dtype) if y.ndim == 2 else y.astype(np.int64, copy=False)


def note_unlearnable_labels(splits, name: str) -> None:
    """A note for each label that the training split has in no row or in
    every row: the model cannot learn it (the file as a whole was checked
    when it was read, so this is the luck of the split)."""
    import warnings

    from softmaxlab.data import DataNote

    Y = splits.y_train
    counts = Y.sum(axis=0)
    rest = (splits.y_val.sum(axis=0) if len(splits.y_val) else 0) + (
        splits.y_test.sum(axis=0) if len(splits.y_test) else 0)
    for j, label in enumerate(splits.classes):
        if counts[j] in (0, len(Y)):
            what = "no row" if counts[j] == 0 else "every row"
            warnings.warn(
                f"{name}: {what} of the training split ({len(Y)} rows) has the label {label!r} "
                f"(the validation and test splits have it in {int(np.atleast_1d(rest)[j])}), so "
                f"the model cannot learn it and will {'never' if counts[j] == 0 else 'always'} "
                "predict it; add rows with it, or try another --seed", DataNote, stacklevel=3)


def describe_data(p: Prepared) -> str:
    """One line: rows, features and their kinds, label, classes, split sizes."""
    ds, s, enc = p.dataset, p.splits, p.predictor.encoder
    n = ds.n_samples + (len(ds.X_test) if ds.has_test_split else 0)
    feats = plural(ds.n_features, "feature")
    if enc is not None:
        kinds = enc.kinds
        n_cat = kinds.count("categorical")
        feats += f" ({kinds.count('numeric')} numeric"
        if n_cat:
            feats += f", {n_cat} categorical -> {len(enc.onehot_columns_)} one-hot columns"
        feats += ")"
    label = _describe_labels(ds)
    extra = ""
    file = ds.meta.get("file") or {}
    if file.get("format") == "csv":
        extra = (f"; {'header row' if file.get('header') else 'no header row'}, delimiter "
                 f"{file.get('delimiter')!r}")
    if enc is not None and enc.impute != "none":
        extra += f"; missing values imputed ({enc.impute})"
    classes = (f"{plural(ds.n_classes, 'label')} ({float(ds.y.sum(axis=1).mean()):.2f} per row)"
               if ds.multilabel else plural(ds.n_classes, 'class', 'classes'))
    return (f"{ds.name}: {plural(n, 'row')}, {feats}{label}, {classes}"
            f"; train {len(s.y_train)} / val {len(s.y_val)} / test {len(s.y_test)}{extra}")


def _describe_labels(ds) -> str:
    """``, label column 'species'``; for multilabel files what holds the labels."""
    labels = ds.meta.get("labels")
    if labels is not None and labels["kind"] == "columns":
        return ", multilabel: label columns " + ", ".join(
            repr(c) if isinstance(c, str) else str(c) for c in labels["columns"])
    label = ds.meta.get("label_column")
    shown = repr(label) if isinstance(label, str) else label
    if labels is not None:
        return f", multilabel: label column {shown} split on {labels['separator']!r}"
    return f", label column {shown}" if label is not None else ""


def split_metrics(p: Prepared) -> tuple[dict, np.ndarray | None]:
    """Metrics of each split (None for an empty one) and the test probabilities.

    Weights that overflow (a diverged run) cannot predict: that split's entry
    then holds ``accuracy: None`` and the reason, and the probabilities are None.
    """
    out, proba_test = {}, None
    for s in ("train", "val", "test"):
        y = getattr(p.splits, f"y_{s}")
        if not len(y):
            out[s] = None
            continue
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                proba = to_numpy(p.trainer.model.predict_proba(fit_arrays(p, s)[0]))
        except FloatingPointError as exc:
            out[s] = {"n_samples": int(len(y)), "accuracy": None, "error": str(exc)}
            continue
        if y.ndim == 2:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                Y_pred = to_numpy(p.trainer.model.predict(fit_arrays(p, s)[0]))
            out[s] = multilabel_metrics(y, proba, p.predictor.class_names, Y_pred)
        else:
            out[s] = classification_metrics(y, proba, p.predictor.class_names)
        if s == "test":
            proba_test = proba
    return out, proba_test
