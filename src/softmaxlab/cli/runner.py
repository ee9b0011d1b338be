"""One training run from start to finish: lock the run folder, prepare
(``prepare.py``: data -> encoding and scaling -> model -> trainer), train,
and write the run folder. No maths here; everything numeric comes from the
engine and the data layer."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from softmaxlab import __version__
from softmaxlab.cli.config import ConfigError, TrainConfig, load_config
from softmaxlab.data.names import plural
from softmaxlab.io import save_bundle
from softmaxlab.runs.inputs import encoding_counts
from softmaxlab.cli.prepare import (
    Prepared,
    describe_data,
    fit_arrays,
    load_run_data,
    prepare,
    split_metrics,
)
from softmaxlab.cli.progress import Progress
from softmaxlab.runs.folder import (
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
from softmaxlab.train import TrainingDivergedError
from softmaxlab.train.guards import TrainingExplodedError

__all__ = ["Prepared", "RunResult", "describe_data", "load_run_data", "prepare", "run_training",
           "split_metrics"]

N_GRID, N_WORST = 24, 12


@dataclass
class RunResult:
    run_dir: Path
    status: str  # completed | early_stopping | interrupted | diverged
    metrics: dict
    history: object
    error: str | None = None
    notes: list = field(default_factory=list)


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
    if (p.X["train"].shape[1] == 2 and (enc is None or "categorical" not in enc.kinds)
            and not p.dataset.multilabel):  # one class per point is drawn
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
        run_dir, cfg = _resumed(Path(resume))
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
            _write_config(run_dir, cfg, p)
        if cfg.checkpoint_every > 0:
            trainer.callbacks.append(CheckpointWriter(run_dir, cfg.checkpoint_every))
        status, error = _fit(p)
        result = _finish(run_dir, p, status, error, notes, report)
        if status == "interrupted":
            result.notes.append(_resume_hint(run_dir, len(trainer.history)))
        return result
    finally:
        lock.release()


def _resumed(run_dir: Path) -> tuple[Path, TrainConfig]:
    """(run folder, its settings) of a run to resume; refused without
    config.toml or checkpoint.npz, with the fix."""
    if not (run_dir / CONFIG).is_file():
        raise ConfigError(f"{run_dir} is not a run folder (no {CONFIG}); give the folder of "
                          "a run trained with --checkpoint-every")
    if not (run_dir / CHECKPOINT).is_file():
        raise ConfigError(
            f"{run_dir} has no {CHECKPOINT}, so it cannot be resumed: it was trained without "
            "--checkpoint-every. Train it again with --checkpoint-every N (add --out "
            f"{run_dir} --overwrite to reuse the folder)")
    cfg, _ = load_config(run_dir / CONFIG)
    return run_dir, cfg


def _write_config(run_dir: Path, cfg: TrainConfig, p) -> None:
    """config.toml of a new run: its settings, [meta] and the fitted [encoding]."""
    tables = {}
    if p.predictor.encoder is not None:
        tables["encoding"] = p.predictor.encoder.describe()
    with writing(run_dir, CONFIG):
        write_text(run_dir / CONFIG, cfg.to_toml(
            {"softmaxlab_version": __version__,
             "created": time.strftime("%Y-%m-%dT%H:%M:%S")}, tables))


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


def _fit(p: Prepared) -> tuple[str, str | None]:
    trainer, cfg = p.trainer, p.config
    remaining = cfg.epochs - trainer.epoch
    if remaining <= 0 or trainer.history.stopped == "early_stopping":
        if trainer.early_stopping is not None:
            trainer.early_stopping.on_train_end(trainer)
        return trainer.history.stopped or "completed", None
    has_val = len(p.splits.y_val) > 0
    fix = _divergence_fix(cfg)
    try:
        # Overflow on the way to divergence is reported once, as a clear
        # error, by the trainer's non-finite-loss check; not as numpy noise.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            X_train, y_train = fit_arrays(p, "train")
            X_val, y_val = fit_arrays(p, "val") if has_val else (None, None)
            trainer.fit(X_train, y_train, epochs=remaining, X_val=X_val, y_val=y_val)
    except KeyboardInterrupt:
        return "interrupted", None
    except TrainingExplodedError as exc:
        # Raised by the guard after the epoch was recorded: the history and
        # the weights are that epoch's, and they agree.
        trainer.history.stopped = "diverged"
        return "diverged", f"training diverged in epoch {exc.epoch}: {exc.reason}; {fix}"
    except TrainingDivergedError as exc:
        # The trainer went back to the last weights that gave a finite loss.
        where = f" (batch {exc.batch})" if exc.batch is not None else ""
        what = ("the validation loss became NaN or infinite" if exc.batch is None else
                "the loss became NaN or infinite")
        return "diverged", f"training diverged in epoch {exc.epoch}{where}: {what}; {fix}"
    return trainer.history.stopped or "completed", None


def _finish(run_dir: Path, p: Prepared, status, error, notes, report) -> RunResult:
    history = p.trainer.history
    metrics, proba_test = split_metrics(p)
    metrics.update(
        task="multilabel" if p.dataset.multilabel else "multiclass",
        epochs=len(history), status=status, best_epoch=history.best_epoch,
        training_seconds=float(sum(history.seconds)),
        classes=[str(c) for c in p.splits.classes], class_names=p.predictor.class_names)
    enc = p.predictor.encoder
    if enc is not None:  # what imputation and one-hot encoding met, per column and split
        cats = enc.describe()["categorical"]
        metrics["inputs"] = encoding_counts(
            {s: getattr(p.splits, f"X_{s}") for s in ("train", "val", "test")}, enc.columns,
            enc.kinds, cats, enc.impute != "none")
    label = p.dataset.meta.get("label_column")
    if "file" in p.dataset.meta and label is not None:
        metrics["label_column"] = label  # a name, a position (no header row), or a list
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
        from softmaxlab.runs.report import build_report

        with writing(run_dir, "report.html"):
            build_report(run_dir)
    return RunResult(run_dir, status, metrics, history, error, notes)
