"""The run report: one self-contained HTML page (PNG figures embedded as base64,
no external URLs) rebuilt entirely from the files in a run folder."""
from __future__ import annotations

import base64
import html
import json
from pathlib import Path

import numpy as np

from softmaxlab import plots
from softmaxlab.config import read_toml
from softmaxlab.io import load_bundle
from softmaxlab.predictor import load_predictor
from softmaxlab.rundir import (
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
td:first-child,th:first-child{text-align:left}.kv td{text-align:left}
figure{margin:1rem 0}img{max-width:100%;height:auto}
figcaption{color:#666;font-size:.85rem}.status-diverged,.status-interrupted{color:#c0392b}
.settings{columns:2;column-gap:2rem}
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
    figs = {"curves": ("Learning curves", "Training and validation loss and accuracy per epoch.",
                       plots.learning_curves(history))}
    test = metrics["test"]
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
                             [f"{names[y[idx[k]]]} → {names[yp[k]]}\np(true)={conf_true[k]:.2f}"
                              for k in worst], [y[idx[k]] != yp[k] for k in worst], ncols=6))
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
    splits = [s for s in ("train", "val", "test") if metrics.get(s) and "f1" in metrics[s]]
    summary = _table(
        [[s, metrics[s]["n_samples"], _fmt(metrics[s]["accuracy"]), _fmt(metrics[s]["log_loss"]),
          _fmt(metrics[s]["precision"]), _fmt(metrics[s]["recall"]), _fmt(metrics[s]["f1"])]
         for s in splits],
        ["split", "samples", "accuracy", "log loss", "precision (w)", "recall (w)", "F1 (w)"])
    per_class = _table([[n, _fmt(v["precision"], 3), _fmt(v["recall"], 3), _fmt(v["f1"], 3),
                         v["support"]] for n, v in metrics["test"].get("per_class", {}).items()],
                       ["class", "precision", "recall", "F1", "support"])
    # Architecture settings that do not apply to softmax regression would
    # only mislead the reader of the page; config.toml keeps every setting.
    unused = {"hidden", "activation", "dropout"} if cfg.get("model") == "softmax" else set()
    settings = _table([[k, v] for k, v in cfg.items() if k not in unused], cls="kv")
    status = metrics.get("status", "completed")
    title = f"softmaxlab run: {cfg.get('data')} / {cfg.get('model')}"
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title><style>{_CSS}</style></head>
<body>
<h1>{html.escape(title)}</h1>
<p class="sub">Test accuracy <b>{_fmt(metrics['test']['accuracy'])}</b> after
{metrics.get('epochs')} epochs in {metrics.get('training_seconds', 0):.1f} s
(<span class="status-{html.escape(status)}">{html.escape(status)}</span>) &middot;
softmaxlab {html.escape(str(meta.get('softmaxlab_version', '?')))} &middot;
{html.escape(run_dir.name)}</p>
<h2>Final metrics</h2>
{summary}
{sections[0] if sections else ''}
<h2>Per-class metrics (test)</h2>
{per_class}
{''.join(sections[1:])}
<h2>Settings</h2>
<div class="settings">{settings}</div>
<script>{_SCRIPT}</script>
</body></html>
"""
    with writing(run_dir, REPORT):
        return write_text(run_dir / REPORT, page)
