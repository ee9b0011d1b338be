"""The work behind ``evaluate``, ``predict`` and ``gradcheck``: load, compute,
return plain data. ``cli.py`` parses arguments and prints."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from softmaxlab.config import load_config
from softmaxlab.data import encode_labels, load_dataset, split_dataset
from softmaxlab.metrics import classification_metrics
from softmaxlab.predictor import Predictor, load_predictor
from softmaxlab.rundir import CONFIG, MODEL

__all__ = ["evaluate", "gradcheck", "predict_csv", "resolve_model"]


def resolve_model(path) -> tuple[Predictor, Path | None]:
    """A run folder or a ``model.npz`` -> (predictor, run folder or None)."""
    path = Path(path)
    if path.is_dir():
        if not (path / MODEL).is_file():
            raise FileNotFoundError(f"{path} has no {MODEL}; give a run folder or a model file")
        return load_predictor(path / MODEL), path
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such run folder or model file")
    return load_predictor(path), None


def evaluate(model_path, data=None, data_dir=None, label_column=None) -> tuple[dict, str]:
    """Metrics of a saved model; returns (metrics, description of the data used).

    Without ``data``, a run folder is evaluated on its own test split
    (re-created from ``config.toml``: same seed, same split).
    """
    pred, run_dir = resolve_model(model_path)
    if data is None:
        if run_dir is None or not (run_dir / CONFIG).is_file():
            raise ValueError("give --data: the model is not inside a run folder with "
                             f"{CONFIG}, so its test split is unknown")
        cfg, _ = load_config(run_dir / CONFIG)
        ds = load_dataset(cfg.data, data_dir=data_dir or cfg.data_dir,
                          label_column=cfg.label_column)
        # The split is the first draw from the run's Generator, as in training.
        s = split_dataset(ds, cfg.val_fraction, cfg.test_fraction,
                          seed=np.random.default_rng(cfg.seed))
        X, y_raw, what = s.X_test, np.asarray(ds.classes)[s.y_test], f"test split of {cfg.data}"
    else:
        ds = load_dataset(data, data_dir=data_dir, label_column=label_column)
        if ds.has_test_split:
            X, y_raw, what = ds.X_test, ds.y_test, f"test split of {data}"
        else:
            X, y_raw, what = ds.X, ds.y, f"all {ds.n_samples} rows of {data}"
    if X.shape[1] != pred.preprocessor.n_features_in_:
        raise ValueError(f"{what} has {X.shape[1]} features but the model expects "
                         f"{pred.preprocessor.n_features_in_}")
    y, _ = encode_labels(np.asarray(y_raw), pred.classes)
    return classification_metrics(y, pred.predict_proba(X), pred.class_names), what


def _read_features(pred: Predictor, path) -> np.ndarray:
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such input file")
    try:
        frame = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path}: the file is empty; expected a header row and data") from None
    except pd.errors.ParserError as exc:
        raise ValueError(f"{path}: could not parse as CSV ({exc})") from None
    label = pred.info.get("label_column")
    if label is not None and label in frame.columns:
        frame = frame.drop(columns=[label])
    names = list(pred.feature_names)
    if all(n in frame.columns for n in names):
        frame = frame[names]
    elif frame.shape[1] != len(names):
        raise ValueError(f"{path}: expected the {len(names)} feature columns the model was "
                         f"trained on ({', '.join(names[:6])}{'...' if len(names) > 6 else ''}), "
                         f"found {frame.shape[1]} columns")
    if len(frame) == 0:
        raise ValueError(f"{path}: no data rows after the header")
    bad = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if bad:
        raise ValueError(f"{path}: column {bad[0]!r} is not numeric; features must be numbers")
    X = frame.to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(X)):
        row = int(np.flatnonzero(~np.isfinite(X).all(axis=1))[0])
        raise ValueError(f"{path}: data row {row + 1} has a missing or infinite value")
    return X


def predict_csv(model_path, input_csv, proba: bool = False):
    """Predictions for the rows of a CSV file as a pandas DataFrame: a
    ``prediction`` column of original labels, or one probability column per class."""
    import pandas as pd

    pred, _ = resolve_model(model_path)
    X = _read_features(pred, input_csv)
    if proba:
        return pd.DataFrame(pred.predict_proba(X).astype(np.float64),
                            columns=[str(c) for c in pred.class_names])
    return pd.DataFrame({"prediction": pred.predict(X)})


def gradcheck(model="mlp", hidden=(8, 8), activation="tanh", n_samples=6, n_features=5,
              n_classes=4, seed=0) -> dict[str, float]:
    """Relative error of every parameter's gradient on a small random float64 model."""
    from softmaxlab.gradcheck import check_model
    from softmaxlab.nn import mlp, softmax_regression

    rng = np.random.default_rng(seed)
    if model == "softmax":
        net = softmax_regression(n_features, n_classes, rng=rng, dtype=np.float64)
    else:
        net = mlp(n_features, list(hidden), n_classes, activation=activation, rng=rng,
                  dtype=np.float64)
    X = rng.standard_normal((n_samples, n_features))
    y = rng.integers(0, n_classes, n_samples)
    return check_model(net, X, y)
