"""Assemble one training run: data -> preprocessing -> model -> trainer -> run
folder. No maths here; everything numeric comes from the engine and data layer."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from softmaxlab import __version__
from softmaxlab.config import TrainConfig, load_config
from softmaxlab.data import Preprocessor, load_dataset, split_dataset
from softmaxlab.io import save_bundle
from softmaxlab.metrics import classification_metrics
from softmaxlab.nn import SoftmaxCrossEntropy, mlp, softmax_regression
from softmaxlab.optim import SGD, Adam, make_schedule
from softmaxlab.predictor import Predictor
from softmaxlab.progress import Progress
from softmaxlab.rundir import (
    CONFIG,
    HISTORY,
    METRICS,
    MODEL,
    PREDICTIONS,
    CheckpointWriter,
    RunExistsError,
    RunLock,
    default_run_dir,
    load_checkpoint,
    write_history,
    write_json,
    write_text,
)
from softmaxlab.train import Callback, Trainer, TrainingDivergedError

__all__ = ["Prepared", "RunResult", "prepare", "run_training", "split_metrics"]

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
    X: dict  # split name -> scaled features


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


def prepare(cfg: TrainConfig, callbacks=()) -> Prepared:
    """Load and split the data, fit the scaling, build model, optimizer and trainer."""
    rng = np.random.default_rng(cfg.seed)
    ds = load_dataset(cfg.data, data_dir=cfg.data_dir, label_column=cfg.label_column)
    splits = split_dataset(ds, cfg.val_fraction, cfg.test_fraction, seed=rng)
    pre = _preprocessor(cfg, ds).fit(splits.X_train)
    dtype = np.dtype(cfg.dtype)
    X = {s: pre.transform(getattr(splits, f"X_{s}"), dtype) for s in ("train", "val", "test")}
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
    trainer = Trainer(model, opt, SoftmaxCrossEntropy(class_weight), batch_size=cfg.batch_size,
                      schedule=schedule, rng=rng, callbacks=list(callbacks),
                      early_stopping=cfg.early_stopping, patience=cfg.patience)
    info = {"dataset": ds.name, "data": cfg.data, "image_shape": ds.image_shape,
            "label_column": ds.meta.get("label_column"), "config": cfg.to_dict(),
            "softmaxlab_version": __version__}
    predictor = Predictor(model, pre, list(splits.classes), ds.display_names,
                          list(ds.feature_names), info)
    return Prepared(cfg, ds, splits, predictor, trainer, X)


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
    if p.X["train"].shape[1] == 2:
        arrays.update(points_X=np.asarray(p.splits.X_train, dtype=np.float64),
                      points_y=p.splits.y_train)
    save_bundle(run_dir / PREDICTIONS, "predictions", {}, arrays)


def run_training(cfg: TrainConfig | None = None, *, run_dir=None, resume=None,
                 progress_mode: str | None = None, stream=None, report: bool = True,
                 overwrite: bool = False) -> RunResult:
    """Train and write the run folder; see ``softmaxlab train --help``.

    ``resume`` is a run folder with ``config.toml`` and ``checkpoint.npz``:
    its settings are used and training continues from the checkpoint.
    A ``run_dir`` that already holds a run (its ``config.toml``) is refused
    unless ``overwrite``, so a finished run is never replaced by accident.
    """
    notes = []
    if resume is not None:
        run_dir = Path(resume)
        cfg, _ = load_config(run_dir / CONFIG)
    else:
        cfg = cfg.validate()
        run_dir = Path(run_dir) if run_dir else default_run_dir(cfg.data, cfg.model)
    lock = RunLock(run_dir).acquire()
    try:
        if resume is None and not overwrite and (run_dir / CONFIG).exists():
            raise RunExistsError(
                f"{run_dir} already holds a run; choose another --out, continue it with "
                f"--resume {run_dir}, or pass --overwrite to replace it")
        if lock.stale_pid is not None:
            who = f"pid {lock.stale_pid}" if lock.stale_pid > 0 else "an unknown process"
            notes.append(f"took over a stale lock in {run_dir} left by {who}, which is not running")
        progress = Progress(cfg.epochs, 1, mode=progress_mode, stream=stream)
        p = prepare(cfg, callbacks=[progress])
        n = len(p.splits.y_train)
        progress.n_batches = 1 if cfg.batch_size == "full" else -(-n // min(cfg.batch_size, n))
        trainer = p.trainer
        if resume is not None:
            state, _ = load_checkpoint(run_dir)
            trainer.load_state_dict(state)
        else:
            write_text(run_dir / CONFIG, cfg.to_toml({"softmaxlab_version": __version__,
                                                      "created": time.strftime("%Y-%m-%dT%H:%M:%S")}))
        if cfg.checkpoint_every > 0:
            trainer.callbacks.append(CheckpointWriter(run_dir, cfg.checkpoint_every))
        status, error = _fit(p)
        return _finish(run_dir, p, status, error, notes, report)
    finally:
        lock.release()


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
    except TrainingDivergedError as exc:
        return "diverged", (f"training diverged in epoch {exc.epoch} (batch {exc.batch}, "
                            f"lr={exc.lr:g}): the loss became NaN or infinite; lower the "
                            "learning rate (--lr) or scale the inputs (--preprocess standard)")
    except FloatingPointError:
        if snap.weights is None:
            raise  # before the first epoch: the data itself (e.g. values that overflow)
        # The loss stayed finite but the weights grew until the validation
        # logits overflowed: divergence too. Go back to the last finished epoch.
        snap.restore(trainer)
        return "diverged", (f"training diverged in epoch {trainer.epoch + 1}: the model's "
                            "outputs overflowed; lower the learning rate (--lr) or scale the "
                            "inputs (--preprocess standard)")
    return trainer.history.stopped or "completed", None


def _finish(run_dir: Path, p: Prepared, status, error, notes, report) -> RunResult:
    history = p.trainer.history
    metrics, proba_test = split_metrics(p)
    metrics.update(
        epochs=len(history), status=status, best_epoch=history.best_epoch,
        training_seconds=float(sum(history.seconds)),
        classes=[str(c) for c in p.splits.classes], class_names=p.predictor.class_names)
    p.predictor.save(run_dir / MODEL)
    write_history(run_dir / HISTORY, history)
    write_json(run_dir / METRICS, metrics)
    if proba_test is not None:
        _save_predictions(run_dir, p, proba_test)
    else:
        (run_dir / PREDICTIONS).unlink(missing_ok=True)
    if report:
        from softmaxlab.report import build_report

        build_report(run_dir)
    return RunResult(run_dir, status, metrics, history, error, notes)
