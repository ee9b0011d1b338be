"""Save a lab session's current model: as a ``model.npz`` that
``softmaxlab.load`` and ``softmaxlab predict`` read (the CLI's format: the
network, the fitted scaling and the label names), or as a run folder with the
usual report."""
from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from softmaxlab import __version__
from softmaxlab.lab.errors import LabError
from softmaxlab.lab.features import DEFAULT_FEATURES
from softmaxlab.runs.toml import dumps_toml
from softmaxlab.io import save_bundle
from softmaxlab.metrics import classification_metrics
from softmaxlab.runs.predictor import Predictor
from softmaxlab.runs.folder import (
    CONFIG,
    HISTORY,
    METRICS,
    MODEL,
    PREDICTIONS,
    default_run_dir,
    write_history,
    write_json,
    write_text,
)

__all__ = ["check_exportable", "model_bytes", "predictor", "save_run_folder"]


def check_exportable(session) -> None:
    """Refuse a model whose inputs are not the raw x1, x2: the CLI's model
    format scales the raw features and feeds them to the network, with no
    place for the lab's derived features.

    Raises
    ------
    LabError
        ``export_features`` (400).
    """
    features = list(session.settings.features)
    if features != list(DEFAULT_FEATURES):
        raise LabError("export_features", "a model with the input features "
                       f"{', '.join(features)} cannot be saved in the CLI's model format, which "
                       "takes the raw x1, x2; choose the features x1 and x2 only to export",
                       field="features", features=features)


def _settings(session) -> dict:
    s = session.settings.to_dict()
    s = {"data": session.dataset.name, "model": s.pop("model"), **s,
         "epochs": session.trainer.epoch}
    if s["model"] == "softmax":  # architecture settings that do not apply
        for k in ("hidden", "activation", "dropout"):
            s.pop(k)
    if session.settings.dataset == "csv":
        for k in ("n_points", "noise", "n_classes"):
            s.pop(k)
    return s


def predictor(session) -> Predictor:
    """The session's model (a copy) with its scaling and label names."""
    ds = session.dataset
    info = {"dataset": ds.name, "data": ds.name, "image_shape": None,
            "label_column": ds.meta.get("label_column"), "config": _settings(session),
            "softmaxlab_version": __version__, "source": "softmaxlab lab"}
    return Predictor(session.model.copy(), session.preprocessor, list(session.splits.classes),
                     list(session.class_names), list(ds.feature_names), info)


def model_bytes(session) -> bytes:
    """The bytes of ``model.npz`` for the session's current model."""
    check_exportable(session)
    with session.lock, tempfile.TemporaryDirectory(prefix="softmaxlab-lab-") as tmp:
        path = Path(tmp) / MODEL
        predictor(session).save(path)
        return path.read_bytes()


def save_run_folder(session, root="runs", check=None) -> Path:
    """Write ``<root>/<timestamp>-<data>-lab-<model>/`` with config.toml,
    history.csv, metrics.json, model.npz, predictions.npz and report.html.

    The lab has a training and a validation split only, so the run folder's
    "test" metrics and figures are those of the validation points (metrics.json
    says so in ``test_split``).

    ``check()``, when given, is called between the steps and may raise to
    cancel; a cancelled folder is removed.

    Raises
    ------
    LabError
        ``no_epochs`` before the first epoch (there is no history to report
        yet), ``export_features`` for derived input features.
    """
    check = check or (lambda: None)
    check_exportable(session)
    with session.lock:
        trainer = session.trainer
        if trainer.epoch == 0:
            raise LabError("no_epochs", "train at least one epoch (Step or Play) before saving a "
                           "run folder", field="export")
        pred = predictor(session)
        settings = _settings(session)
        run_dir = default_run_dir(session.dataset.name, f"lab-{settings['model']}", root=root)
        run_dir.mkdir(parents=True)
        try:
            _write(session, run_dir, pred, settings)
        except BaseException:
            shutil.rmtree(run_dir, ignore_errors=True)
            raise
    try:
        check()
        _report_in_subprocess(run_dir, check)
        check()
    except BaseException:
        shutil.rmtree(run_dir, ignore_errors=True)
        raise
    return run_dir


def _report_in_subprocess(run_dir: Path, check) -> None:
    """``softmaxlab.runs.report.build_report(run_dir)`` in a process of its own.

    Matplotlib draws in C++ without releasing the GIL, for hundreds of
    milliseconds per figure: in a thread of the server that would stall every
    other tab's frames. ``check()`` is called while waiting; when it raises
    (cancelled), the process is killed.
    """
    import os
    import subprocess
    import sys

    import softmaxlab

    env = dict(os.environ)
    here = str(Path(softmaxlab.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (here, env.get("PYTHONPATH")) if p)
    code = "import sys; from softmaxlab.runs.report import build_report; build_report(sys.argv[1])"
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([sys.executable, "-c", code, str(run_dir)], env=env,
                                stdout=subprocess.DEVNULL, stderr=err)
        try:
            while True:
                try:
                    proc.wait(timeout=0.05)
                    break
                except subprocess.TimeoutExpired:
                    check()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        if proc.returncode != 0:
            err.seek(0)
            last = (err.read().decode("utf-8", "replace").strip().splitlines() or ["?"])[-1]
            raise LabError("report_failed", f"the run folder's report could not be built: {last}",
                           status=500, detail=last)


def _write(session, run_dir, pred, settings) -> None:
    """config.toml, model.npz, history.csv, metrics.json and predictions.npz."""
    with session.lock:
        trainer, sp = session.trainer, session.splits
        write_text(run_dir / CONFIG, dumps_toml(settings, {
            "softmaxlab_version": __version__, "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "source": "softmaxlab lab", "test_split": "validation"}))
        names = list(session.class_names)
        with np.errstate(over="ignore", invalid="ignore"):
            proba = {"train": pred.model.predict_proba(session.X_train),
                     "val": pred.model.predict_proba(session.X_val)}
        metrics = {"train": classification_metrics(sp.y_train, proba["train"], names),
                   "val": classification_metrics(sp.y_val, proba["val"], names)}
        h = trainer.history
        metrics.update(test=metrics["val"], test_split="validation", epochs=len(h),
                       status="completed", best_epoch=h.best_epoch,
                       training_seconds=float(sum(h.seconds)),
                       classes=[str(c) for c in sp.classes], class_names=names)
        pred.save(run_dir / MODEL)
        write_history(run_dir / HISTORY, h)
        write_json(run_dir / METRICS, metrics)
        save_bundle(run_dir / PREDICTIONS, "predictions", {}, {
            "test_y": sp.y_val, "test_proba": proba["val"].astype(np.float64),
            "points_X": np.asarray(sp.X_train, dtype=np.float64), "points_y": sp.y_train})
