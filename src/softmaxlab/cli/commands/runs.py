"""``softmaxlab runs [DIR]``: the run folders under DIR, one line each."""
from __future__ import annotations

import json
import os
from pathlib import Path

from softmaxlab.cli.config import read_toml
from softmaxlab.cli.progress import format_seconds
from softmaxlab.runs.folder import CHECKPOINT, CONFIG, HISTORY, LOCK, METRICS

__all__ = ["COLUMNS", "aligned", "format_runs", "list_runs"]

COLUMNS = ("created", "data", "label", "model", "task", "status", "test_accuracy", "epochs",
           "seconds", "run")


def _alive(run: Path) -> bool:
    try:
        pid = int((run / LOCK).read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return False
    return True


def _history_epochs(run: Path) -> int | None:
    try:
        with open(run / HISTORY, encoding="utf-8") as f:
            return max(sum(1 for line in f if line.strip()) - 1, 0)
    except OSError:
        return None


def _describe(run: Path) -> dict:
    """One run folder as a dict with the keys of ``COLUMNS`` (None where unknown)."""
    row = dict.fromkeys(COLUMNS)
    row["run"] = str(run)
    try:
        cfg = read_toml(run / CONFIG)
    except (OSError, ValueError) as exc:
        row["status"] = f"unreadable {CONFIG} ({type(exc).__name__})"
        return row
    meta = cfg.get("meta", {}) if isinstance(cfg.get("meta"), dict) else {}
    row.update(created=meta.get("created"), data=cfg.get("data", "digits"),
               model=cfg.get("model", "softmax"), label=cfg.get("label_column"))
    if row["model"] == "mlp":
        hidden = cfg.get("hidden", [128])
        row["model"] = f"mlp {','.join(map(str, hidden if isinstance(hidden, list) else [hidden]))}"
    try:
        metrics = json.loads((run / METRICS).read_text(encoding="utf-8"))
    except FileNotFoundError:
        metrics = None
    except (OSError, ValueError):
        row["status"] = f"unreadable {METRICS}"
        return row
    if metrics is None:
        # Not finished: still training, or killed (resumable with a checkpoint).
        row["epochs"] = _history_epochs(run)
        if _alive(run):
            row["status"] = "running"
        else:
            row["status"] = "stopped (resumable)" if (run / CHECKPOINT).is_file() else "incomplete"
        return row
    test = metrics.get("test") or {}
    # Runs written before multilabel existed have no "task": one class per row.
    row.update(status=metrics.get("status"), test_accuracy=test.get("accuracy"),
               epochs=metrics.get("epochs"), seconds=metrics.get("training_seconds"),
               task=metrics.get("task", "multiclass"))
    if metrics.get("label_column") is not None:  # as read: a header-less file's default too
        row["label"] = metrics["label_column"]
    if row["task"] == "multilabel":
        # Its test accuracy is the subset accuracy (every label of a row right).
        row["model"] += f", {len(metrics.get('classes') or [])} labels"
    return row


def list_runs(root="runs") -> list[dict]:
    """Every run folder (a folder with ``config.toml``) directly under ``root``,
    oldest first; ``root`` itself when it is a run folder.

    Returns
    -------
    runs : list of dict
        Keys ``created`` (ISO time), ``data``, ``label`` (the label column of
        a file: its name, position, or a list; None for a built-in dataset),
        ``model``, ``task``
        (``"multiclass"``, or ``"multilabel"``: several labels per row, whose
        ``test_accuracy`` is the subset accuracy), ``status``,
        ``test_accuracy``, ``epochs``, ``seconds`` (training time), ``run``
        (the folder); JSON-able, None where unknown.

    Raises
    ------
    FileNotFoundError, NotADirectoryError
    """
    root = Path(root)
    if not root.exists():
        raise FileNotFoundError(f"{root}: no such folder; train a model first (runs go to "
                                "runs/ by default) or give the folder that holds your runs")
    if not root.is_dir():
        raise NotADirectoryError(f"{root} is a file, not a folder of runs")
    if (root / CONFIG).is_file():
        return [_describe(root)]
    runs = [_describe(p) for p in sorted(root.iterdir()) if (p / CONFIG).is_file()]
    return sorted(runs, key=lambda r: (r["created"] or "", r["run"]))


def format_runs(runs: list[dict]) -> str:
    """The runs as an aligned text table."""
    head = ["created", "data", "label", "model", "status", "test acc", "epochs", "time", "run"]
    rows = []
    for r in runs:
        acc = r["test_accuracy"]
        label = r.get("label")
        rows.append([
            (r["created"] or "?").replace("T", " ")[:16], str(r["data"] or "?"),
            "-" if label is None else ",".join(map(str, label)) if isinstance(label, list)
            else str(label),
            str(r["model"] or "?"), str(r["status"] or "?"),
            "-" if acc is None else f"{acc:.4f}", "-" if r["epochs"] is None else str(r["epochs"]),
            "-" if r["seconds"] is None else format_seconds(r["seconds"]), r["run"]])
    return aligned(head, rows, right={5, 6, 7})


def aligned(head: list, rows: list, right=frozenset()) -> str:
    """Rows of text cells as a table: each column as wide as its widest cell,
    two spaces between columns, the columns in ``right`` right-aligned."""
    widths = [max([len(h)] + [len(row[j]) for row in rows]) for j, h in enumerate(head)]

    def line(cells):
        return "  ".join(c.rjust(w) if j in right else c.ljust(w)
                         for j, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    return "\n".join([line(head), *(line(r) for r in rows)])
