"""A trained model together with what it needs to serve raw rows: the fitted
encoding (imputation, one-hot) and scaling, and the original label names.
Saved as one pickle-free ``model.npz`` (see :mod:`softmaxlab.io`)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from softmaxlab.data import ColumnEncoder, Preprocessor, decode_labels
from softmaxlab.io import ModelFormatError, load_model, save_model
from softmaxlab.errors import InputError

__all__ = ["Predictor", "load_predictor", "load_run", "read_preprocessing"]

_KIND = "softmaxlab.cli-model"


@dataclass
class Predictor:
    """Raw features in, original labels or probabilities out.

    Attributes
    ----------
    model : Sequential
    preprocessor : Preprocessor (fitted on the training split only)
    classes : list
        Original labels; class index ``i`` means ``classes[i]``. For a
        multilabel model, the label names, in the order of its output units.
    class_names : list of str
        Display names aligned with ``classes``.
    feature_names : list of str
        The raw input columns, in order.
    info : dict
        JSON-able facts: dataset, image shape, label column, how the file
        was read, settings; for a multilabel model ``labels``: how the file
        held them (``kind`` ``"columns"`` or ``"separator"``, ``names``,
        ``columns`` or ``column`` and ``separator``).
    encoder : ColumnEncoder or None
        For a user's file: imputation and one-hot encoding, applied before
        the scaling (fitted on the training split only).
    """

    model: object
    preprocessor: Preprocessor
    classes: list
    class_names: list
    feature_names: list
    info: dict = field(default_factory=dict)
    encoder: ColumnEncoder | None = None

    @property
    def labels(self) -> dict | None:
        """How a multilabel model's training file held its labels, or None
        (one label per row; every model file written before multilabel)."""
        return self.info.get("labels")

    @property
    def multilabel(self) -> bool:
        return self.labels is not None

    @property
    def feature_kinds(self) -> list:
        """``'numeric'`` or ``'categorical'`` per input column."""
        return list(self.encoder.kinds) if self.encoder else ["numeric"] * len(self.feature_names)

    @property
    def input_stats(self) -> dict | None:
        """The training split's inputs per column (range, mean, standard
        deviation, share missing, categories); None in model files written
        before they were recorded. See :mod:`softmaxlab.runs.inputs`."""
        return self.info.get("inputs")

    def check_inputs(self, X, *, by_position: bool | None = None):
        """Whether raw rows look like the training data, column by column.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_columns) or pandas.DataFrame
            Raw rows, as for :meth:`predict`; a DataFrame is matched by name.
        by_position : bool, optional
            Whether the columns were taken by position (default: True for an
            array), so that a flagged column may be one out of order.

        Returns
        -------
        report : softmaxlab.runs.inputs.InputReport
            ``report.ok``, ``report.flagged`` (the columns where more than
            10 % of the rows lie more than one training standard deviation
            outside the training range, or hold unseen categories),
            ``report.message()``; ``report.checked`` is False for a model
            file without training statistics. Predictions are not affected.
        """
        from softmaxlab.runs.inputs import check_inputs

        if by_position is None:
            by_position = not hasattr(X, "columns")
        return check_inputs(self.input_stats, X, list(self.feature_names),
                            by_position=by_position)

    def transform(self, X, what: str = "the input") -> np.ndarray:
        """Encoded and scaled features in the model's dtype.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_columns) or pandas.DataFrame
            Raw rows: a DataFrame is matched by column name; text columns
            hold categories, NaN/None mark missing values.
        what : str
            How notes and errors name the rows.

        Returns
        -------
        ndarray of shape (n_samples, n_features) in ``model.dtype``
        """
        if self.encoder is not None:
            X = self.encoder.transform(X, what)
        return self.preprocessor.transform(X, dtype=self.model.dtype)

    def predict_proba(self, X, what: str = "the input") -> np.ndarray:
        """Class probabilities of shape (n_samples, n_classes) for raw ``X``;
        for a multilabel model each label's probability (n_samples, n_labels)."""
        return self.model.predict_proba(self.transform(X, what))

    def predict(self, X, what: str = "the input") -> np.ndarray:
        """Original labels of shape (n_samples,) for raw ``X``; for a
        multilabel model the 0/1 matrix of shape (n_samples, n_labels)
        (``1`` where a label's logit is above 0, i.e. its probability above
        one half), as ``softmaxlab.load(...).predict`` returns it."""
        if self.multilabel:
            return np.asarray(self.model.predict(self.transform(X, what)), dtype=np.int64)
        return decode_labels(self.predict_proba(X, what).argmax(axis=1), self.classes)

    def save(self, path):
        arrays, pre_info = self.preprocessor.to_arrays()
        arrays = {f"pre.{k}": v for k, v in arrays.items()}
        meta = {"kind": _KIND, "classes": list(self.classes),
                "class_names": [str(c) for c in self.class_names],
                "feature_names": list(self.feature_names), "preprocessing": pre_info,
                **self.info}
        if self.encoder is not None:
            enc_arrays, meta["encoding"] = self.encoder.to_arrays()
            arrays.update({f"enc.{k}": v for k, v in enc_arrays.items()})
        return save_model(path, self.model, meta, arrays)


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
        pre, encoder = read_preprocessing(loaded.arrays, meta)
        return Predictor(loaded.model, pre, meta.pop("classes"), meta.pop("class_names"),
                         meta.pop("feature_names"), meta, encoder)
    except (KeyError, ValueError, TypeError) as exc:
        raise ModelFormatError(f"{path}: incomplete model metadata ({exc})") from None


def load_run(path) -> Predictor:
    """The model of a run folder (its ``model.npz``), or a ``model.npz`` itself.

    ``load_run("runs/penguins").check_inputs(frame)`` is the check that
    ``softmaxlab predict`` prints; ``predict``/``predict_proba`` take raw rows.

    Raises
    ------
    FileNotFoundError, ModelFormatError
    """
    from pathlib import Path

    path = Path(path)
    if path.is_dir():
        if not (path / "model.npz").is_file():
            raise FileNotFoundError(f"{path} has no model.npz; give a run folder or a model file")
        path = path / "model.npz"
    return load_predictor(path)


def read_preprocessing(arrays: dict, meta: dict) -> tuple[Preprocessor, ColumnEncoder | None]:
    """The fitted scaling and (for a user's file) encoding stored in a CLI
    model file; ``meta`` loses its ``preprocessing`` and ``encoding`` keys.
    Files from before the encoding existed have none (None)."""
    def part(prefix):
        return {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}

    pre = Preprocessor.from_arrays(part("pre."), meta.pop("preprocessing"))
    enc_info = meta.pop("encoding", None)
    encoder = ColumnEncoder.from_arrays(part("enc."), enc_info) if enc_info else None
    if encoder is not None and encoder.n_features_out_ != pre.n_features_in_:
        raise InputError(f"the encoding gives {encoder.n_features_out_} features but the scaling "
                         f"expects {pre.n_features_in_}")
    return pre, encoder
