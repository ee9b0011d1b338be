"""``softmaxlab.load``: a model file as a fitted scikit-learn estimator.

Sits above the estimator classes, the file format and the CLI-model loader,
so that none of those imports another in a circle.
"""
from __future__ import annotations

from softmaxlab.estimators._classes import MLPClassifier, SoftmaxRegression
from softmaxlab.estimators._cli_model import from_cli_model
from softmaxlab.estimators._persist import CLI_KIND, ESTIMATOR_KIND, read_estimator
from softmaxlab.io import ModelFormatError, load_model

__all__ = ["load"]

_CLASSES = {cls.__name__: cls for cls in (MLPClassifier, SoftmaxRegression)}


def load(path):
    """Load a model file as a fitted scikit-learn estimator.

    A file from ``est.save`` gives back that estimator class. A ``model.npz``
    from ``softmaxlab train`` (the CLI) gives a ``Pipeline`` of its fitted
    preprocessing and a ``MLPClassifier``/``SoftmaxRegression`` holding its
    weights and label names, so it predicts on raw rows exactly as the CLI does.

    Files written before binary problems got a single logistic output unit
    hold a 2-unit softmax network; they load with that network and predict
    exactly as before.

    Raises
    ------
    FileNotFoundError, ModelFormatError
    """
    loaded = load_model(path)
    kind = loaded.meta.get("kind")
    if kind == CLI_KIND:
        return from_cli_model(loaded, path)
    if kind != ESTIMATOR_KIND:
        raise ModelFormatError(
            f"{path} is a softmaxlab model file of kind {kind!r}; softmaxlab.load reads files "
            f"written by est.save() ({ESTIMATOR_KIND!r}) or by `softmaxlab train` ({CLI_KIND!r}). "
            "Use softmaxlab.load_model for the bare network.")
    saved = read_estimator(loaded, path)
    try:
        cls = _CLASSES[saved.estimator]
        return cls(**saved.params).attach_network(
            loaded.model, saved.classes, feature_names_in=saved.feature_names_in,
            fitted=saved.fitted, training_state=saved.training_state)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFormatError(f"{path}: incomplete or inconsistent estimator metadata ({exc}).") from None
