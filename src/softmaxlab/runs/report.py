"""The run report: one self-contained HTML page (PNG figures embedded as base64,
no external URLs) rebuilt entirely from the files in a run folder."""
from __future__ import annotations

import base64
import html
import json
from pathlib import Path

import numpy as np

from softmaxlab.runs import plots
from softmaxlab.runs.toml import read_toml
from softmaxlab.io import load_bundle
from softmaxlab.data.names import plural
from softmaxlab.runs.predictor import load_predictor
from softmaxlab.train.history import format_seconds
from softmaxlab.runs.folder import (
    CONFIG,
    HISTORY,
    METRICS,
    MODEL,
    PREDICTIONS,
    REPORT,
    read_history,
    write_text,
    writing,
)

__all__ = ["build_report", "make_figures"]

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1100px;
color:#222;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;
border-bottom:1px solid #ddd;padding-bottom:.2rem}
.sub{color:#666;margin-top:0}table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}
td,th{border:1px solid #ddd;padding:.25rem .6rem;text-align:right}th{background:#f4f6f8}
td:first-child,th:first-child{text-align:left}.kv td,.kv th{text-align:left}
figure{margin:1rem 0}img{max-width:100%;height:auto}
figcaption{color:#666;font-size:.85rem}.status-diverged,.status-interrupted{color:#c0392b}
.error{color:#c0392b}
.settings{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:1.5rem;
align-items:start}.settings table{width:100%;margin:0}.settings h3{font-size:1rem;margin:0 0 .3rem}
.settings td:first-child{width:45%;color:#444}
"""

# Marks the page once every image has decoded, so a headless browser test can
# read data-images="loaded/total" from the DOM.
_SCRIPT = """
window.addEventListener('load',function(){var im=[].slice.call(document.images);
document.body.setAttribute('data-images',im.filter(function(i){return i.complete&&
i.naturalWidth>0}).length+'/'+im.length);});
"""


def make_figures(run_dir) -> dict:
    """All figures of a run as {name: (title, caption, Figure)}, in page order."""
    run_dir = Path(run_dir)
    history = read_history(run_dir / HISTORY)
    metrics = json.loads((run_dir / METRICS).read_text(encoding="utf-8"))
    multilabel = metrics.get("task") == "multilabel"
    figs = {"curves": ("Learning curves", (
        "Training and validation loss (binary cross-entropy summed over the labels) and subset "
        "accuracy per epoch." if multilabel else
        "Training and validation loss and accuracy per epoch."),
        plots.learning_curves(history, multilabel))}
    test = metrics["test"]
    if multilabel:
        if "per_label" in test:  # else a diverged model that cannot predict
            figs["per_label"] = ("Per-label scores", "Precision, recall and F1 of each label on "
                                 "the test split.", plots.per_class_scores(
                                     test["per_label"], "Per-label scores (test)"))
            figs["label_confusion"] = (
                "Confusion per label", "Test split; each label's rows without (0) and with (1) "
                "it, against the prediction" + (" (the first 24 labels)."
                                                if len(test["per_label"]) > 24 else "."),
                plots.label_confusions(test["per_label"]))
        return figs
    if not (run_dir / PREDICTIONS).is_file() or "confusion_matrix" not in test:
        return figs  # a diverged model that cannot predict: the curves only
    _, arr = load_bundle(run_dir / PREDICTIONS, "predictions")
    pred = load_predictor(run_dir / MODEL)
    names = [str(n) for n in pred.class_names]
    figs["confusion_matrix"] = ("Confusion matrix", "Test split; rows are true classes.",
                                plots.confusion_matrix(test["confusion_matrix"], names))
    figs["per_class"] = ("Per-class scores", "Precision, recall and F1 on the test split.",
                         plots.per_class_scores(test["per_class"]))
    shape = pred.info.get("image_shape")
    y, proba = arr["test_y"], arr["test_proba"]
    if shape and "sample_X" in arr:
        idx, Xs = arr["sample_idx"], arr["sample_X"]
        yp = proba[idx].argmax(axis=1)
        grid = [k for k, i in enumerate(idx) if i < 24]
        figs["test_images"] = (
            "Test images", "The first test images: true label / predicted label (red: wrong).",
            plots.image_grid(Xs[grid], shape, [f"{names[y[idx[k]]]}\n→ {names[yp[k]]}"
                                               for k in grid], [y[idx[k]] != yp[k] for k in grid]))
        conf_true = proba[idx, y[idx]]
        worst = list(np.argsort(conf_true, kind="stable")[:12])
        figs["worst_predictions"] = (
            "Worst predictions", "Test images with the lowest probability on their true class.",
            plots.image_grid(Xs[worst], shape,
                             [f"{names[y[idx[k]]]} → {names[yp[k]]}\n"
                              f"p(true) = {plots.format_probability(conf_true[k])}"
                              for k in worst], [y[idx[k]] != yp[k] for k in worst], ncols=6,
                             col_width=1.7))
        k = worst[0]
        figs["probabilities"] = (
            "One prediction up close", "The worst test image beside its predicted probabilities.",
            plots.image_with_proba(Xs[k], shape, proba[idx[k]], names, names[y[idx[k]]]))
    if "points_X" in arr:
        figs["decision_boundary"] = (
            "Decision boundary", "Predicted class over the plane, with the training points.",
            plots.decision_boundary(pred.predict_proba, arr["points_X"], arr["points_y"], names))
    return figs


def _table(rows, header=None, cls="") -> str:
    out = [f'<table class="{cls}">']
    if header:
        out.append("<tr>" + "".join(f"<th>{html.escape(str(h))}</th>" for h in header) + "</tr>")
    for r in rows:
        out.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>")
    return "\n".join(out + ["</table>"])


def _fmt(v, digits=4):
    return "–" if v is None else (f"{v:.{digits}f}" if isinstance(v, float) else str(v))


# The settings table, in three groups; keys a group does not list go to the last.
_GROUPS = {
    "Data": ("data", "label_column", "label_separator", "no_header", "delimiter", "decimal",
             "file_encoding", "categorical", "impute", "preprocess", "val_fraction", "test_fraction", "data_dir", "seed"),
    "Model": ("model", "hidden", "activation", "dropout", "dtype", "class_weight"),
    "Training": ("optimizer", "lr", "momentum", "weight_decay", "batch_size", "epochs",
                 "schedule", "early_stopping", "patience", "checkpoint_every"),
}
_NAMES = {"\t": "tab", ",": "comma (,)", ";": "semicolon (;)", "|": "pipe (|)"}


def _setting(key, value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if key == "delimiter" and not value.startswith("detected"):
        return _NAMES.get(value, repr(value))
    return str(value)


def _settings(cfg: dict, file_info: dict) -> str:
    """The settings as config.toml records them (the command line writes only
    the settings that apply to the run)."""
    shown = dict(cfg)
    shown.setdefault("class_weight", "none")
    if "delimiter" not in shown and file_info.get("delimiter") and "no_header" in shown:
        shown["delimiter"] = f"detected: {_setting('delimiter', file_info['delimiter'])}"
    rest = [k for k in shown if not any(k in g for g in _GROUPS.values())]
    parts = []
    for title, keys in _GROUPS.items():
        rows = [[k, _setting(k, shown[k])] for k in keys if k in shown]
        if title == "Training":
            rows += [[k, _setting(k, shown[k])] for k in rest]
        if rows:
            parts.append(f"<div><h3>{title}</h3>{_table(rows, cls='kv')}</div>")
    return '<div class="settings">' + "".join(parts) + "</div>"


_SCALING = {"standard": "standardised", "pixel": "divided by the pixel maximum",
            "none": "not scaled"}


def _columns(encoding: dict | None, method: str, counts: dict | None = None) -> str:
    """The input columns of a user's file, what was done to each, how many
    cells were imputed and how many rows held categories unseen in training."""
    if not encoding:
        return ""
    scaled = _SCALING.get(method, method)
    fills = encoding.get("fill", {})
    impute = encoding.get("impute", "none")
    counts = counts or {}
    imputed = counts.get("imputed_cells", {})
    rows = []

    def filled(c) -> str:
        return f", {plural(imputed[c], 'cell')} filled" if imputed.get(c) else ""

    for c in encoding.get("numeric", []):
        fill = f"; missing → {fills[c]:.4g} ({impute}){filled(c)}" if c in fills else ""
        rows.append([c, "numeric", f"{scaled}{fill}"])
    for c, cats in encoding.get("categorical", {}).items():
        shown = ", ".join(cats[:8]) + (f", … ({len(cats)} in all)" if len(cats) > 8 else "")
        fill = f"; missing → {fills[c]} (most frequent){filled(c)}" if c in fills else ""
        rows.append([c, "categorical", f"one-hot: {shown}{fill}"])
    unseen = counts.get("rows_with_unseen_categories") or {}
    if any(unseen.values()):
        said = ", ".join(f"{plural(n, 'row')} of {s}" for s, n in unseen.items() if n)
        rows.append(["(all)", "unseen categories",
                     f"{said} held a category not seen in training (encoded as none)"])
    more = ""
    if len(rows) > 40:
        more = f"<p class=\"sub\">… and {len(rows) - 40} more columns (config.toml lists all)</p>"
        rows = rows[:40]
    return ("<h2>Input columns</h2><p class=\"sub\">Fitted on the training split, in this order: "
            f"{html.escape(encoding.get('order', ''))}.</p>"
            + _table(rows, ["column", "kind", "treatment"], cls="kv") + more)


def _tables(metrics: dict) -> tuple[str, str]:
    """The final metrics of each split and the per-class table (test)."""
    splits = [s for s in ("train", "val", "test") if metrics.get(s) and "f1" in metrics[s]]
    summary = _table(
        [[s, metrics[s]["n_samples"], _fmt(metrics[s]["accuracy"]), _fmt(metrics[s]["log_loss"]),
          _fmt(metrics[s]["precision"]), _fmt(metrics[s]["recall"]), _fmt(metrics[s]["f1"])]
         for s in splits],
        ["split", "samples", "accuracy", "log loss", "precision (w)", "recall (w)", "F1 (w)"])
    per_class = _table([[n, _fmt(v["precision"], 3), _fmt(v["recall"], 3), _fmt(v["f1"], 3),
                         v["support"]] for n, v in metrics["test"].get("per_class", {}).items()],
                       ["class", "precision", "recall", "F1", "support"])
    return summary, per_class


def _multilabel_tables(metrics: dict) -> tuple[str, str]:
    """As :func:`_tables`, with the scores of several labels per row."""
    splits = [s for s in ("train", "val", "test") if metrics.get(s) and "f1_micro" in metrics[s]]
    summary = _table(
        [[s, m["n_samples"], _fmt(m["subset_accuracy"]), _fmt(m["hamming_loss"]),
          _fmt(m["log_loss"]), _fmt(m["f1_micro"]), _fmt(m["f1_macro"]), _fmt(m["f1_samples"])]
         for s, m in ((s, metrics[s]) for s in splits)],
        ["split", "samples", "subset accuracy", "Hamming loss", "log loss (sum over labels)",
         "F1 micro", "F1 macro", "F1 samples"])
    per_label = _table([[n, _fmt(v["precision"], 3), _fmt(v["recall"], 3), _fmt(v["f1"], 3),
                         v["support"], v["tp"] + v["fp"]]
                        for n, v in metrics["test"].get("per_label", {}).items()],
                       ["label", "precision", "recall", "F1", "support", "predicted"])
    return summary, per_label


def build_report(run_dir) -> Path:
    """Write ``report.html`` and one PNG per figure into ``run_dir``; return the page's path."""
    import matplotlib

    matplotlib.use("Agg", force=False)  # harmless here; Figure objects need no pyplot
    run_dir = Path(run_dir)
    for name in (CONFIG, METRICS, HISTORY):
        if not (run_dir / name).is_file():
            what = "no such run folder" if not run_dir.is_dir() else f"no {name} in it"
            raise FileNotFoundError(f"{run_dir}: {what}; give the folder of a finished run")
    cfg = read_toml(run_dir / CONFIG)
    meta = cfg.pop("meta", {})
    metrics = json.loads((run_dir / METRICS).read_text(encoding="utf-8"))
    sections = []
    for name, (title, caption, fig) in make_figures(run_dir).items():
        png = plots.to_png(fig)
        with writing(run_dir, f"{name}.png"):
            (run_dir / f"{name}.png").write_bytes(png)
        b64 = base64.b64encode(png).decode("ascii")
        sections.append(f'<h2>{html.escape(title)}</h2><figure><img alt="{html.escape(title)}" '
                        f'src="data:image/png;base64,{b64}"><figcaption>{html.escape(caption)}'
                        "</figcaption></figure>")
    multilabel = metrics.get("task") == "multilabel"
    summary, per_class = (_multilabel_tables if multilabel else _tables)(metrics)
    encoding = cfg.pop("encoding", None)
    pred = load_predictor(run_dir / MODEL)
    settings = _settings(cfg, pred.info.get("file") or {})
    status = metrics.get("status", "completed")
    error = (f'<p class="error">{html.escape(metrics["error"])}</p>'
             if metrics.get("error") else "")
    title = f"softmaxlab run: {cfg.get('data')} / {cfg.get('model')}"
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title><style>{_CSS}</style></head>
<body>
<h1>{html.escape(title)}</h1>
<p class="sub">Test {'subset ' if multilabel else ''}accuracy <b>{_fmt(metrics['test']['accuracy'])}</b> after
{plural(metrics.get('epochs') or 0, 'epoch')} in
{format_seconds(metrics.get('training_seconds', 0))}
(<span class="status-{html.escape(status)}">{html.escape(status)}</span>) &middot;
softmaxlab {html.escape(str(meta.get('softmaxlab_version', '?')))} &middot;
{html.escape(run_dir.name)}</p>
{error}
<h2>Final metrics</h2>
{summary}
{sections[0] if sections else ''}
<h2>Per-{'label' if multilabel else 'class'} metrics (test)</h2>
{per_class}
{''.join(sections[1:])}
{_columns(encoding, pred.preprocessor.method, metrics.get("inputs"))}
<h2>Settings</h2>
{settings}
<script>{_SCRIPT}</script>
</body></html>
"""
    with writing(run_dir, REPORT):
        return write_text(run_dir / REPORT, page)
