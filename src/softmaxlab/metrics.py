"""Classification metrics of a run: a thin, JSON-able layer over ``sklearn.metrics``."""
from __future__ import annotations

import numpy as np

__all__ = ["classification_metrics"]


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
