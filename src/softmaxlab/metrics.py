"""Classification metrics of a run: a thin, JSON-able layer over ``sklearn.metrics``."""
from __future__ import annotations

import numpy as np

__all__ = ["classification_metrics", "multilabel_metrics"]


def classification_metrics(y_true, proba, class_names) -> dict:
    """Accuracy, log loss, weighted and per-class scores, confusion matrix.

    Parameters
    ----------
    y_true : ndarray of shape (n_samples,)
        Class indices ``0..C-1``.
    proba : ndarray of shape (n_samples, C)
        Predicted class probabilities (rows sum to 1).
    class_names : list of str, length C
        Original label names; per-class entries are keyed by them.

    Returns
    -------
    metrics : dict
        ``n_samples``, ``accuracy``, ``log_loss``, ``precision``, ``recall``,
        ``f1`` (support-weighted averages), ``per_class`` ({name: {precision,
        recall, f1, support}}) and ``confusion_matrix`` (rows: true class,
        columns: predicted class, in ``class_names`` order).
    """
    from sklearn import metrics as skm

    y_true = np.asarray(y_true)
    proba = np.asarray(proba, dtype=np.float64)
    labels = list(range(len(class_names)))
    y_pred = proba.argmax(axis=1)
    # zero_division=0: a class never predicted in a small split scores 0, as a
    # number, instead of a warning and NaN in the JSON.
    p, r, f, s = skm.precision_recall_fscore_support(y_true, y_pred, labels=labels,
                                                     zero_division=0)
    pw, rw, fw, _ = skm.precision_recall_fscore_support(y_true, y_pred, labels=labels,
                                                        average="weighted", zero_division=0)
    # Renormalise in float64: float32 rows may miss 1 by ~1e-7.
    proba = np.clip(proba, 1e-15, 1.0)
    proba /= proba.sum(axis=1, keepdims=True)
    return {
        "n_samples": int(len(y_true)),
        "accuracy": float(skm.accuracy_score(y_true, y_pred)),
        "log_loss": float(skm.log_loss(y_true, proba, labels=labels)),
        "precision": float(pw),
        "recall": float(rw),
        "f1": float(fw),
        "per_class": {
            str(name): {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]),
                        "support": int(s[i])}
            for i, name in enumerate(class_names)
        },
        "confusion_matrix": skm.confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }


def multilabel_metrics(Y_true, proba, label_names, Y_pred=None) -> dict:
    """Scores of a multilabel prediction (a set of labels per row).

    Parameters
    ----------
    Y_true : ndarray of shape (n_samples, n_labels)
        0/1 indicator matrix.
    proba : ndarray of shape (n_samples, n_labels)
        Each label's predicted probability (independent sigmoids).
    label_names : list of str, length n_labels
    Y_pred : ndarray of shape (n_samples, n_labels), optional
        The predicted 0/1 matrix; default ``proba > 0.5``. The CLI passes
        the model's own ``logit > 0``, which is what ``predict`` writes.

    Returns
    -------
    metrics : dict
        ``task`` ("multilabel"), ``n_samples``, ``n_labels``;
        ``subset_accuracy`` (the share of rows whose whole label set is right,
        scikit-learn's ``accuracy_score``) and ``accuracy``, the same number
        under the name every run has; ``hamming_loss`` (the share of wrong
        0/1 cells); ``log_loss``: the binary cross-entropy summed over the
        labels and averaged over the rows, the quantity the training curves
        show (``n_labels`` times the mean per-label log loss);
        ``precision_micro``, ``recall_micro``, ``f1_micro`` (every cell
        pooled), ``precision_macro``, ``recall_macro``, ``f1_macro`` (the
        mean over labels), ``f1_samples`` (the mean over rows; a row with no
        true and no predicted label counts 1, a perfect match);
        ``per_label`` ({name: {precision, recall, f1, support, tp, fp, fn,
        tn}}, ``support`` the rows that have the label) and
        ``true_labels_per_row``, ``predicted_labels_per_row``.

    Notes
    -----
    A label with no true and no predicted row scores 0 (``zero_division=0``),
    as a class does in :func:`classification_metrics`.
    """
    from sklearn import metrics as skm

    Y_true = np.asarray(Y_true).astype(np.int64)
    proba = np.asarray(proba, dtype=np.float64)
    Y_pred = (proba > 0.5) if Y_pred is None else np.asarray(Y_pred)
    Y_pred = Y_pred.astype(np.int64)
    per_label = _per_label(Y_true, Y_pred, label_names)
    scores = _averaged_scores(Y_true, Y_pred)
    log_loss = _summed_log_loss(Y_true, proba)
    return {
        "task": "multilabel",
        "n_samples": int(len(Y_true)),
        "n_labels": int(Y_true.shape[1]),
        "accuracy": float(skm.accuracy_score(Y_true, Y_pred)),
        "subset_accuracy": float(skm.accuracy_score(Y_true, Y_pred)),
        "hamming_loss": float(skm.hamming_loss(Y_true, Y_pred)),
        "log_loss": log_loss,
        **scores,
        "true_labels_per_row": float(Y_true.sum(axis=1).mean()),
        "predicted_labels_per_row": float(Y_pred.sum(axis=1).mean()),
        "per_label": per_label,
    }


def _summed_log_loss(Y_true, proba) -> float:
    """The binary cross-entropy of each label column, summed over the labels;
    probabilities clipped to [1e-15, 1 - 1e-15]."""
    from sklearn import metrics as skm

    proba = np.clip(proba, 1e-15, 1 - 1e-15)
    return sum(float(skm.log_loss(Y_true[:, j], proba[:, j], labels=[0, 1]))
               for j in range(Y_true.shape[1]))


def _averaged_scores(Y_true, Y_pred) -> dict:
    """Micro and macro precision, recall and F1, and the per-row F1, of 0/1
    matrices of shape (n_samples, n_labels)."""
    from sklearn import metrics as skm

    scores = {}
    for avg in ("micro", "macro"):
        pa, ra, fa, _ = skm.precision_recall_fscore_support(Y_true, Y_pred, average=avg,
                                                            zero_division=0)
        scores.update({f"precision_{avg}": float(pa), f"recall_{avg}": float(ra),
                       f"f1_{avg}": float(fa)})
    # zero_division=1 here: a row with no true and no predicted labels is right.
    scores["f1_samples"] = float(skm.f1_score(Y_true, Y_pred, average="samples", zero_division=1))
    return scores


def _per_label(Y_true, Y_pred, label_names) -> dict:
    """{name: {precision, recall, f1, support, tp, fp, fn, tn}} of 0/1 matrices
    of shape (n_samples, n_labels)."""
    from sklearn import metrics as skm

    p, r, f, s = skm.precision_recall_fscore_support(Y_true, Y_pred, average=None,
                                                     zero_division=0)
    cm = skm.multilabel_confusion_matrix(Y_true, Y_pred)  # (L, 2, 2): [[tn, fp], [fn, tp]]
    return {
        str(name): {"precision": float(p[j]), "recall": float(r[j]), "f1": float(f[j]),
                    "support": int(s[j]), "tp": int(cm[j, 1, 1]), "fp": int(cm[j, 0, 1]),
                    "fn": int(cm[j, 1, 0]), "tn": int(cm[j, 0, 0])}
        for j, name in enumerate(label_names)
    }
