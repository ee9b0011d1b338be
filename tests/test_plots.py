"""Every figure is a pure function of arrays returning a Figure that renders."""
import math

import numpy as np
import pytest
from matplotlib.figure import Figure

from softmaxlab.runs import plots
from softmaxlab.train import History


def _png_ok(fig):
    assert isinstance(fig, Figure)
    png = plots.to_png(fig)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 2000


def _history(val=True):
    h = History()
    for e in range(1, 6):
        h.append(epoch=e, train_loss=1 / e, train_acc=1 - 0.5 / e,
                 val_loss=1.1 / e if val else math.nan, val_acc=1 - 0.6 / e if val else math.nan,
                 lr=0.1, seconds=0.01)
    return h


@pytest.mark.parametrize("val", [True, False])
def test_learning_curves(val):
    fig = plots.learning_curves(_history(val))
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == (["train", "validation"] if val else ["train"])
    _png_ok(fig)


def test_confusion_matrix_annotates_counts():
    cm = np.array([[5, 1], [0, 4]])
    fig = plots.confusion_matrix(cm, ["cat", "dog"])
    texts = sorted(t.get_text() for t in fig.axes[0].texts)
    assert texts == ["0", "1", "4", "5"]
    _png_ok(fig)


def test_per_class_scores():
    pc = {"a": {"precision": 1.0, "recall": 0.5, "f1": 0.66, "support": 2},
          "b": {"precision": 0.5, "recall": 1.0, "f1": 0.66, "support": 1}}
    _png_ok(plots.per_class_scores(pc))


def test_image_grid_and_proba():
    rng = np.random.default_rng(0)
    imgs = rng.random((10, 64))
    fig = plots.image_grid(imgs, (8, 8), [f"{i}" for i in range(10)], [i % 2 == 0 for i in range(10)])
    assert sum(1 for ax in fig.axes if ax.images) == 10
    _png_ok(fig)
    _png_ok(plots.image_with_proba(imgs[0], (8, 8), np.full(10, 0.1), list(range(10)), 3))


def test_decision_boundary_calls_the_model_on_a_grid():
    X = np.random.default_rng(0).normal(size=(30, 2))
    y = (X[:, 0] > 0).astype(int)
    seen = []

    def proba(P):
        seen.append(P.shape)
        return np.c_[P[:, 0] <= 0, P[:, 0] > 0].astype(float)

    _png_ok(plots.decision_boundary(proba, X, y, ["left", "right"], resolution=50))
    assert seen == [(2500, 2)]
