"""Assemble one training run: data -> preprocessing -> model -> trainer -> run
folder. No maths here; everything numeric comes from the engine and data layer."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from softmaxlab import __version__
from softmaxlab.config import ConfigError, TrainConfig, load_config
from softmaxlab.data import ColumnEncoder, Preprocessor, load_dataset, split_dataset
from softmaxlab.data.columns import plural
from softmaxlab.io import save_bundle
from softmaxlab.metrics import classification_metrics
from softmaxlab.nn import SoftmaxCrossEntropy, mlp, softmax_regression
from softmaxlab.optim import SGD, Adam, make_schedule
from softmaxlab.predictor import Predictor
from softmaxlab.progress import Progress
from softmaxlab.rundir import (
    CHECKPOINT,
    CONFIG,
    HISTORY,
    METRICS,
    MODEL,
    PREDICTIONS,
    CheckpointWriter,
    RunExistsError,
    RunLock,
    clear_run_files,
    default_run_dir,
    load_checkpoint,
    read_status,
    writing,
    write_history,
    write_json,
    write_text,
)
from softmaxlab.train import Callback, Trainer, TrainingDivergedError
from softmaxlab.train.guards import ExplosionGuard, TrainingExplodedError

__all__ = ["Prepared", "RunResult", "describe_data", "load_run_data", "prepare", "run_training",
           "split_metrics"]

N_GRID, N_WORST = 24, 12


@dataclass
class Prepared:
    """Everything a run builds before its first epoch, in the order the
    run's single Generator is drawn from (so a resumed run rebuilds it exactly)."""

    config: TrainConfig
    dataset: object
    splits: object
    predictor: Predictor
    trainer: Trainer
    X: dict  # split name -> encoded and scaled features


@dataclass
class RunResult:
    run_dir: Path
    status: str  # completed | early_stopping | interrupted | diverged
    metrics: dict
    history: object
    error: str | None = None
    notes: list = field(default_factory=list)


def _preprocessor(cfg: TrainConfig, ds) -> Preprocessor:
    if cfg.preprocess == "auto":
        return Preprocessor.for_dataset(ds)
    return Preprocessor(cfg.preprocess, pixel_max=float(ds.meta.get("pixel_max", 255)))


def load_run_data(cfg: TrainConfig):
    """The dataset of a run, read with the run's file settings."""
    cfg = cfg.normalized()
    return load_dataset(cfg.data, data_dir=cfg.data_dir, label_column=cfg.label_column,
                        header=not cfg.no_header, delimiter=cfg.delimiter, decimal=cfg.decimal,
                        categorical=cfg.categorical, allow_missing=cfg.impute != "none")


def prepare(cfg: TrainConfig, callbacks=()) -> Prepared:
    """Load and split the data, fit the encoding and scaling (training split
    only), build model, optimizer and trainer."""
    cfg = cfg.normalized()
    rng = np.random.default_rng(cfg.seed)
    ds = load_run_data(cfg)
    splits = split_dataset(ds, cfg.val_fraction, cfg.test_fraction, seed=rng)
    raw = {s: getattr(splits, f"X_{s}") for s in ("train", "val", "test")}
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
    if cfg.model == "softmax":
        model = softmax_regression(d, C, rng=rng, dtype=dtype)
    else:
        model = mlp(d, cfg.hidden, C, activation=cfg.activation, dropout=cfg.dropout,
                    rng=rng, dtype=dtype)
    class_weight = None
    if cfg.class_weight == "balanced":
        counts = np.bincount(splits.y_train, minlength=C).astype(np.float64)
        class_weight = np.where(counts > 0, len(splits.y_train) / (C * np.maximum(counts, 1)), 0)
    if cfg.optimizer == "sgd":
        opt = SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum,
                  weight_decay=cfg.weight_decay)
    else:
        opt = Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched_kw = {"cosine": {"total_epochs": cfg.epochs},
                "step": {"step_size": max(1, cfg.epochs // 3), "gamma": 0.1}}
    schedule = make_schedule(cfg.schedule, opt, **sched_kw.get(cfg.schedule, {}))
    # A loss that explodes without reaching NaN ends the run like divergence.
    shares = np.bincount(splits.y_train, minlength=C) / max(len(splits.y_train), 1)
    guard = ExplosionGuard(chance=float(shares.max()))
    trainer = Trainer(model, opt, SoftmaxCrossEntropy(class_weight), batch_size=cfg.batch_size,
                      schedule=schedule, rng=rng, callbacks=[*callbacks, guard],
                      early_stopping=cfg.early_stopping, patience=cfg.patience)
    info = {"dataset": ds.name, "data": cfg.data, "image_shape": ds.image_shape,
            "label_column": ds.meta.get("label_column"), "config": cfg.settings(),
            "softmaxlab_version": __version__}
    if "file" in ds.meta:
        info["file"] = ds.meta["file"]
    predictor = Predictor(model, pre, list(splits.classes), ds.display_names,
                          list(ds.feature_names), info, encoder)
    return Prepared(cfg, ds, splits, predictor, trainer, X)


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
    label = ds.meta.get("label_column")
    label = (f", label column {label!r}" if isinstance(label, str) else
             f", label column {label}" if label is not None else "")
    extra = ""
    file = ds.meta.get("file") or {}
    if file.get("format") == "csv":
        extra = (f"; {'header row' if file.get('header') else 'no header row'}, delimiter "
                 f"{file.get('delimiter')!r}")
    if enc is not None and enc.impute != "none":
        extra += f"; missing values imputed ({enc.impute})"
    return (f"{ds.name}: {plural(n, 'row')}, {feats}{label}, {plural(ds.n_classes, 'class', 'classes')}"
            f"; train {len(s.y_train)} / val {len(s.y_val)} / test {len(s.y_test)}{extra}")


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
                proba = p.trainer.model.predict_proba(p.X[s])
        except FloatingPointError as exc:
            out[s] = {"n_samples": int(len(y)), "accuracy": None, "error": str(exc)}
            continue
        out[s] = classification_metrics(y, proba, p.predictor.class_names)
        if s == "test":
            proba_test = proba
    return out, proba_test


def _save_predictions(run_dir: Path, p: Prepared, proba_test: np.ndarray) -> None:
    y = p.splits.y_test
    arrays = {"test_y": y, "test_proba": proba_test.astype(np.float64)}
    if p.dataset.image_shape is not None:
        # The report shows a grid of test images and the worst predictions;
        # keep just those raw rows so the report can be rebuilt from the folder.
        worst = np.argsort(proba_test[np.arange(len(y)), y], kind="stable")[:N_WORST]
        idx = np.unique(np.concatenate([np.arange(min(N_GRID, len(y))), worst]))
        arrays.update(sample_idx=idx, sample_X=np.asarray(p.splits.X_test[idx]))
    enc = p.predictor.encoder
    if p.X["train"].shape[1] == 2 and (enc is None or "categorical" not in enc.kinds):
        # Raw 2-D points (missing values imputed) for the decision boundary.
        points = enc.transform(p.splits.X_train) if enc is not None else p.splits.X_train
        arrays.update(points_X=np.asarray(points, dtype=np.float64), points_y=p.splits.y_train)
    save_bundle(run_dir / PREDICTIONS, "predictions", {}, arrays)


def run_training(cfg: TrainConfig | None = None, *, run_dir=None, resume=None,
                 progress_mode: str | None = None, stream=None, report: bool = True,
                 overwrite: bool = False) -> RunResult:
    """Train and write the run folder; see ``softmaxlab train --help``.

    ``resume`` is a run folder with ``config.toml`` and ``checkpoint.npz``:
    its settings are used and training continues from the checkpoint.
    A ``run_dir`` that already holds a run (its ``config.toml``) is refused
    unless ``overwrite``, so a finished run is never replaced by accident.
    Settings that do not apply to the run (``TrainConfig.inapplicable``) are
    ignored.

    Raises
    ------
    ConfigError, RunExistsError, RunLockedError, RunWriteError, ValueError, ...
    """
    notes = []
    if resume is not None:
        run_dir = Path(resume)
        if not (run_dir / CONFIG).is_file():
            raise ConfigError(f"{run_dir} is not a run folder (no {CONFIG}); give the folder of "
                              "a run trained with --checkpoint-every")
        if not (run_dir / CHECKPOINT).is_file():
            raise ConfigError(
                f"{run_dir} has no {CHECKPOINT}, so it cannot be resumed: it was trained without "
                "--checkpoint-every. Train it again with --checkpoint-every N (add --out "
                f"{run_dir} --overwrite to reuse the folder)")
        cfg, _ = load_config(run_dir / CONFIG)
    else:
        cfg = cfg.validate()
        run_dir = Path(run_dir) if run_dir else default_run_dir(cfg.data, cfg.model)
    cfg = cfg.normalized()
    lock = RunLock(run_dir).acquire()
    try:
        if resume is None and (run_dir / CONFIG).exists():
            if not overwrite:
                raise RunExistsError(_exists_message(run_dir))
            clear_run_files(run_dir)  # nothing of the old run is left to mix with the new
        if lock.stale_pid is not None:
            who = f"pid {lock.stale_pid}" if lock.stale_pid > 0 else "an unknown process"
            notes.append(f"took over a stale lock in {run_dir} left by {who}, which is not running")
        progress = Progress(cfg.epochs, 1, mode=progress_mode, stream=stream)
        p = prepare(cfg, callbacks=[progress])
        n = len(p.splits.y_train)
        progress.n_batches = 1 if cfg.batch_size == "full" else -(-n // min(cfg.batch_size, n))
        progress.intro = describe_data(p)
        trainer = p.trainer
        if resume is not None:
            state, _ = load_checkpoint(run_dir)
            trainer.load_state_dict(state)
        else:
            tables = {}
            if p.predictor.encoder is not None:
                tables["encoding"] = p.predictor.encoder.describe()
            with writing(run_dir, CONFIG):
                write_text(run_dir / CONFIG, cfg.to_toml(
                    {"softmaxlab_version": __version__,
                     "created": time.strftime("%Y-%m-%dT%H:%M:%S")}, tables))
        if cfg.checkpoint_every > 0:
            trainer.callbacks.append(CheckpointWriter(run_dir, cfg.checkpoint_every))
        status, error = _fit(p)
        result = _finish(run_dir, p, status, error, notes, report)
        if status == "interrupted":
            result.notes.append(_resume_hint(run_dir, len(trainer.history)))
        return result
    finally:
        lock.release()


def _exists_message(run_dir: Path) -> str:
    """Refusal of a folder holding a run; ``--resume`` is offered only when it would work."""
    options = "choose another --out, or pass --overwrite to replace it"
    unfinished = read_status(run_dir) in (None, "interrupted")
    if (run_dir / CHECKPOINT).is_file() and unfinished:
        options = f"continue it with --resume {run_dir}, " + options
    return f"{run_dir} already holds a run; {options}"


def _resume_hint(run_dir: Path, epochs: int) -> str:
    if (run_dir / CHECKPOINT).is_file():
        return (f"stopped after {plural(epochs, 'epoch')}; continue from the last checkpoint "
                f"with: softmaxlab train --resume {run_dir}")
    return (f"stopped after {plural(epochs, 'epoch')}; this run has no checkpoint, so it cannot "
            "be resumed (train with --checkpoint-every N to make a run resumable)")


def _divergence_fix(cfg: TrainConfig) -> str:
    """What to change; scaling is suggested only when the inputs are not scaled."""
    fix = f"lower the learning rate (--lr {cfg.lr:.3g}; try {cfg.lr / 10:.3g})"
    if cfg.preprocess == "none":
        fix += " or scale the inputs (--preprocess auto)"
    return fix


class _EpochStart(Callback):
    """The weights at the start of the current epoch, to roll back to."""

    weights = None

    def on_epoch_begin(self, trainer, epoch):
        self.weights = trainer.model.get_weights()

    def restore(self, trainer):
        if self.weights is not None:
            trainer.model.set_weights(self.weights)


def _fit(p: Prepared) -> tuple[str, str | None]:
    trainer, cfg = p.trainer, p.config
    remaining = cfg.epochs - trainer.epoch
    if remaining <= 0 or trainer.history.stopped == "early_stopping":
        if trainer.early_stopping is not None:
            trainer.early_stopping.on_train_end(trainer)
        return trainer.history.stopped or "completed", None
    has_val = len(p.splits.y_val) > 0
    fix = _divergence_fix(cfg)
    snap = _EpochStart()
    trainer.callbacks.insert(0, snap)
    try:
        # Overflow on the way to divergence is reported once, as a clear
        # error, by the trainer's non-finite-loss check; not as numpy noise.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            trainer.fit(p.X["train"], p.splits.y_train, epochs=remaining,
                        X_val=p.X["val"] if has_val else None,
                        y_val=p.splits.y_val if has_val else None)
    except KeyboardInterrupt:
        return "interrupted", None
    except TrainingExplodedError as exc:
        # Raised by the guard after the epoch was recorded: the history and
        # the weights are that epoch's, and they agree.
        trainer.history.stopped = "diverged"
        return "diverged", f"training diverged in epoch {exc.epoch}: {exc.reason}; {fix}"
    except TrainingDivergedError as exc:
        return "diverged", (f"training diverged in epoch {exc.epoch} (batch {exc.batch}): the "
                            f"loss became NaN or infinite; {fix}")
    except FloatingPointError:
        if snap.weights is None:
            raise  # before the first epoch: the data itself (e.g. values that overflow)
        # The loss stayed finite but the weights grew until the validation
        # logits overflowed: divergence too. Go back to the last finished epoch.
        snap.restore(trainer)
        trainer.history.stopped = "diverged"
        return "diverged", (f"training diverged in epoch {trainer.epoch + 1}: the model's "
                            f"outputs overflowed; {fix}")
    return trainer.history.stopped or "completed", None


def _finish(run_dir: Path, p: Prepared, status, error, notes, report) -> RunResult:
    history = p.trainer.history
    metrics, proba_test = split_metrics(p)
    metrics.update(
        epochs=len(history), status=status, best_epoch=history.best_epoch,
        training_seconds=float(sum(history.seconds)),
        classes=[str(c) for c in p.splits.classes], class_names=p.predictor.class_names)
    if error is not None:
        metrics["error"] = error
    # Each file is written atomically; a failure (disk full...) is reported
    # with the files that are complete.
    with writing(run_dir, MODEL):
        p.predictor.save(run_dir / MODEL)
    with writing(run_dir, HISTORY):
        write_history(run_dir / HISTORY, history)
    with writing(run_dir, METRICS):
        write_json(run_dir / METRICS, metrics)
    with writing(run_dir, PREDICTIONS):
        if proba_test is not None:
            _save_predictions(run_dir, p, proba_test)
        else:
            (run_dir / PREDICTIONS).unlink(missing_ok=True)
    if report:
        from softmaxlab.report import build_report

        with writing(run_dir, "report.html"):
            build_report(run_dir)
    return RunResult(run_dir, status, metrics, history, error, notes)
