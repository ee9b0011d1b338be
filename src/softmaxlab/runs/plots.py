"""Figures of a run. Each is a pure function of a History or arrays and returns
a ``matplotlib.figure.Figure``; none touches pyplot's global state, so no
window ever opens and any backend (Agg) works. Training never draws."""
from __future__ import annotations

import io

import numpy as np
from matplotlib.figure import Figure

__all__ = ["decision_boundary", "format_probability", "image_grid", "image_with_proba",
           "label_confusions", "learning_curves", "confusion_matrix", "per_class_scores",
           "to_png"]

_WRONG, _RIGHT = "#c0392b", "#1e7b34"
# The report's column is about 1070 px wide; a figure wider than that is
# shrunk by the browser, and its labels with it. At 100 dpi, 10.5 in fit.
MAX_WIDTH_IN = 10.5
# 9 pt at 100 dpi is 12.5 px: readable at 100 % zoom.
LABEL_PT = 9


def format_probability(p: float) -> str:
    """``0.42`` for ordinary values, ``3e-04`` for small ones (never ``0.00``)."""
    p = float(p)
    if p >= 0.01 or p == 0:
        return f"{p:.2f}"
    return f"{p:.0e}"


def to_png(fig: Figure, dpi: int = 100) -> bytes:
    """PNG bytes of a figure."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return buf.getvalue()


def learning_curves(history, multilabel: bool = False) -> Figure:
    """Loss and accuracy per epoch, training and (when present) validation;
    for a multilabel run the binary cross-entropy summed over the labels and
    the subset accuracy (every label of a row right)."""
    fig = Figure(figsize=(10, 3.6), layout="constrained")
    ax_loss, ax_acc = fig.subplots(1, 2)
    e = np.asarray(history.epoch)
    marker = "o" if len(e) <= 30 else None
    titles = (("Binary cross-entropy (sum over labels)", "Subset accuracy") if multilabel
              else ("Cross-entropy loss", "Accuracy"))
    for ax, key, title in ((ax_loss, "loss", titles[0]), (ax_acc, "acc", titles[1])):
        ax.plot(e, getattr(history, f"train_{key}"), marker=marker, ms=3, label="train")
        val = np.asarray(getattr(history, f"val_{key}"), dtype=float)
        if np.any(np.isfinite(val)):
            ax.plot(e, val, marker=marker, ms=3, label="validation")
        if history.best_epoch:
            ax.axvline(history.best_epoch, color="grey", ls=":", label="best epoch")
        ax.set(title=title, xlabel="epoch")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3)
        ax.legend()
    return fig


def confusion_matrix(cm, class_names) -> Figure:
    """Counts with true classes as rows; cells shaded by row-normalised rate."""
    cm = np.asarray(cm)
    C = len(class_names)
    size = min(MAX_WIDTH_IN - 1.5, max(3.5, 0.42 * C + 1.6))
    fig = Figure(figsize=(size + 1.2, size), layout="constrained")
    ax = fig.subplots()
    rates = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    im = ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    fig.colorbar(im, ax=ax, label="share of the true class")
    if C <= 30:
        for i in range(C):
            for j in range(C):
                ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=9 if C <= 15 else 7,
                        color="white" if rates[i, j] > 0.5 else "black")
    ax.set_xticks(range(C), [str(c) for c in class_names], rotation=45, ha="right")
    ax.set_yticks(range(C), [str(c) for c in class_names])
    ax.set(xlabel="predicted", ylabel="true", title="Confusion matrix (test)")
    return fig


def per_class_scores(per_class: dict, title: str = "Per-class scores (test)") -> Figure:
    """Precision, recall and F1 of every class (or label) side by side."""
    names = list(per_class)
    fig = Figure(figsize=(min(MAX_WIDTH_IN, max(6.0, 0.7 * len(names) + 3)), 3.6),
                 layout="constrained")
    ax = fig.subplots()
    x = np.arange(len(names))
    for k, key in enumerate(("precision", "recall", "f1")):
        ax.bar(x + (k - 1) * 0.27, [per_class[n][key] for n in names], 0.27, label=key)
    ax.set_xticks(x, names, rotation=45 if len(names) > 6 else 0, ha="right" if len(names) > 6
                  else "center")
    ax.set(ylim=(0, 1.05), title=title)
    ax.grid(axis="y", alpha=0.3)
    # Beside the axes, never over the bars (which reach 1.0 in a good model).
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return fig


def label_confusions(per_label: dict, max_labels: int = 24) -> Figure:
    """One small 2x2 confusion matrix per label of a multilabel run: rows the
    truth (without, with the label), columns the prediction; counts in the
    cells, shaded by the share of the true row. At most ``max_labels``."""
    names = list(per_label)[:max_labels]
    ncols = min(len(names), 6)
    nrows = -(-len(names) // ncols)
    fig = Figure(figsize=(min(MAX_WIDTH_IN, 1.75 * ncols), 1.9 * nrows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
    for ax in axes[len(names):]:
        ax.axis("off")
    for ax, name in zip(axes, names, strict=False):
        v = per_label[name]
        cm = np.array([[v["tn"], v["fp"]], [v["fn"], v["tp"]]])
        rates = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
        ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
        for i in range(2):
            for j in range(2):
                ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=LABEL_PT,
                        color="white" if rates[i, j] > 0.5 else "black")
        ax.set_xticks([0, 1], ["0", "1"], fontsize=LABEL_PT)
        ax.set_yticks([0, 1], ["0", "1"], fontsize=LABEL_PT)
        ax.set_title(str(name), fontsize=LABEL_PT)
    fig.supxlabel("predicted", fontsize=LABEL_PT)
    fig.supylabel("true", fontsize=LABEL_PT)
    return fig


def image_grid(images, image_shape, titles, wrong, ncols: int = 8, suptitle=None,
               col_width: float = 1.3) -> Figure:
    """Images (rows of ``images`` reshaped to ``image_shape``) with a title each,
    red when ``wrong``; ``col_width`` inches per column (wider for longer titles)."""
    images = np.asarray(images)
    n = len(images)
    nrows = max(1, -(-n // ncols))
    width = min(MAX_WIDTH_IN, col_width * ncols)
    fig = Figure(figsize=(width, (width / ncols) * 1.25 * nrows + 0.3), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
    for ax in axes:
        ax.axis("off")
    for ax, img, title, bad in zip(axes, images, titles, wrong, strict=False):
        ax.imshow(img.reshape(image_shape), cmap="gray_r")
        ax.set_title(title, fontsize=LABEL_PT, color=_WRONG if bad else _RIGHT)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def image_with_proba(image, image_shape, proba, class_names, true_name) -> Figure:
    """One image beside the bar chart of its predicted class probabilities."""
    fig = Figure(figsize=(8, 3), layout="constrained")
    ax_img, ax_bar = fig.subplots(1, 2, width_ratios=[1, 2.2])
    ax_img.imshow(np.asarray(image).reshape(image_shape), cmap="gray_r")
    ax_img.set_title(f"true: {true_name}")
    ax_img.axis("off")
    proba = np.asarray(proba)
    colors = ["#1f77b4"] * len(proba)
    colors[int(proba.argmax())] = _RIGHT if str(class_names[int(proba.argmax())]) == str(
        true_name) else _WRONG
    ax_bar.barh(np.arange(len(proba)), proba, color=colors)
    ax_bar.set_yticks(np.arange(len(proba)), [str(c) for c in class_names])
    ax_bar.invert_yaxis()
    ax_bar.set(xlim=(0, 1), xlabel="predicted probability", title="Class probabilities")
    return fig


def decision_boundary(predict_proba, X, y, class_names, resolution: int = 200) -> Figure:
    """Predicted class over the plane (2-D data) with the points on top.

    ``predict_proba`` maps raw (n, 2) points to (n, C) probabilities.
    """
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    pad = 0.1 * (X.max(axis=0) - X.min(axis=0) + 1e-12)
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution),
                         np.linspace(lo[1], hi[1], resolution))
    Z = predict_proba(np.c_[gx.ravel(), gy.ravel()]).argmax(axis=1).reshape(gx.shape)
    C = len(class_names)
    fig = Figure(figsize=(5.5, 5), layout="constrained")
    ax = fig.subplots()
    cmap = "tab10" if C <= 10 else "tab20"
    ax.contourf(gx, gy, Z, levels=np.arange(C + 1) - 0.5, cmap=cmap, alpha=0.3, vmin=-0.5,
                vmax=(10 if C <= 10 else 20) - 0.5)
    sc = ax.scatter(X[:, 0], X[:, 1], c=y, cmap=cmap, vmin=-0.5,
                    vmax=(10 if C <= 10 else 20) - 0.5, s=10, edgecolors="k", linewidths=0.3)
    handles = [ax.scatter([], [], color=sc.cmap(sc.norm(i)), s=20, label=str(n))
               for i, n in enumerate(class_names)]
    ax.legend(handles=handles, loc="upper right", fontsize=9)
    ax.set(title="Decision boundary (training points)", xlabel="x1", ylabel="x2")
    return fig
