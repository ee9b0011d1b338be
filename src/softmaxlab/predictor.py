"""A trained model together with what it needs to serve raw rows: the fitted
preprocessing and the original label names. Saved as one pickle-free
``model.npz`` (see :mod:`softmaxlab.io`)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from softmaxlab.data import Preprocessor, decode_labels
from softmaxlab.io import ModelFormatError, load_model, save_model

__all__ = ["Predictor", "load_predictor"]

_KIND = "softmaxlab.cli-model"


@dataclass
class Predictor:
    """Raw features in, original labels or probabilities out.

    Attributes
    ----------
    model : Sequential
    preprocessor : Preprocessor (fitted on the training split only)
    classes : list
        Original labels; class index ``i`` means ``classes[i]``.
    class_names : list of str
        Display names aligned with ``classes``.
    feature_names : list of str
    info : dict
        JSON-able facts: dataset, image shape, label column, settings.
    """

    model: object
    preprocessor: Preprocessor
    classes: list
    class_names: list
    feature_names: list
    info: dict = field(default_factory=dict)

    def transform(self, X) -> np.ndarray:
        """Scaled features of shape (n_samples, n_features) in the model's dtype."""
        return self.preprocessor.transform(X, dtype=self.model.dtype)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities of shape (n_samples, n_classes) for raw ``X``."""
        return self.model.predict_proba(self.transform(X))

    def predict(self, X) -> np.ndarray:
        """Original labels of shape (n_samples,) for raw ``X``."""
        return decode_labels(self.predict_proba(X).argmax(axis=1), self.classes)

    def save(self, path):
        arrays, pre_info = self.preprocessor.to_arrays()
        meta = {"kind": _KIND, "classes": list(self.classes),
                "class_names": [str(c) for c in self.class_names],
                "feature_names": list(self.feature_names), "preprocessing": pre_info,
                **self.info}
        return save_model(path, self.model, meta, {f"pre.{k}": v for k, v in arrays.items()})


def load_predictor(path) -> Predictor:
    """Load a ``model.npz`` written by ``softmaxlab train``.

    Raises
    ------
    FileNotFoundError, ModelFormatError
    """
    loaded = load_model(path)
    meta = dict(loaded.meta)
    if meta.pop("kind", None) != _KIND:
        raise ModelFormatError(f"{path} is a softmaxlab model but not one written by "
                               "`softmaxlab train` (no preprocessing or label names inside)")
    try:
        pre = Preprocessor.from_arrays(
            {k[len("pre."):]: v for k, v in loaded.arrays.items() if k.startswith("pre.")},
            meta.pop("preprocessing"))
        return Predictor(loaded.model, pre, meta.pop("classes"), meta.pop("class_names"),
                         meta.pop("feature_names"), meta)
    except (KeyError, ValueError) as exc:
        raise ModelFormatError(f"{path}: incomplete model metadata ({exc})") from None
