"""The lab's data: a generated 2-D problem, or the user's uploaded CSV file
read by the CLI's own reader, then split into training and validation points."""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

import numpy as np

from softmaxlab.data import Dataset, load_csv, split_dataset
from softmaxlab.data import synthetic as syn
from softmaxlab.lab.errors import LabError
from softmaxlab.lab.params import LabSettings
from softmaxlab.errors import InputError

__all__ = ["MAX_CLASSES", "MAX_ROWS", "MAX_UPLOAD_BYTES", "UploadError", "generate",
           "lab_wording", "read_upload", "split"]

MAX_UPLOAD_BYTES = 1 << 20  # 1 MiB: tens of thousands of rows of two features
MAX_ROWS = 5000  # every frame draws every point
MAX_CLASSES = 8  # the page has eight distinguishable class colours
# The lab's spiral makes one full turn per arm (make_spiral's default 0.65
# turns leaves enough straight arm that a line gets half the points right;
# a whole turn puts softmax regression at chance, as the lesson needs).
SPIRAL_TURNS = 1.0
# The lab's XOR keeps its points this far from the axes before adding the
# noise, as TensorFlow Playground's does: otherwise points near an axis cross
# into the other quadrant, and no model (the right features included) gets
# above 0.89 at the default noise of 0.15; with the margin, sign(x1 * x2)
# itself scores 0.998.
XOR_MARGIN = 0.3


class UploadError(LabError, ValueError):
    """The uploaded file cannot be used; the message says why and what to do."""

    def __init__(self, code: str, message: str, **params):
        super().__init__(code, message, field="upload", **params)


# The CSV reader speaks the command line (its hints name options such as
# --impute); the lab has no options, so those hints become what to do here.
_HINTS = (
    ("not UTF-8", "save the file as UTF-8 text (in Excel: 'CSV UTF-8') and upload it again"),
    ("missing feature values", "fill or drop those rows in the file and upload it again"),
    ("is not numeric", "the lab needs two numeric feature columns: write that text as numbers, "
                       "drop the column, or type its name in the label column box"),
    ("no label column", "type one of them in the label column box"),
)


def lab_wording(message: str) -> str:
    """The reader's ``message`` without command-line options (``--impute``,
    ``--file-encoding``) or NumPy reprs (``np.str_('x')``), with the lab's own hint."""
    text = re.sub(r"np\.(?:str_|int64|int32|float64|bool_)\((.*?)\)", r"\1", message)
    text = re.sub(r"\s*\([^()]*--[a-z][^()]*\)", "", text)
    parts = re.split(r"(?<=[;.])\s+", text)
    kept = [s for s in parts if "--" not in s and "label_column" not in s]
    text = " ".join(kept).rstrip(";. ")
    if len(kept) < len(parts):
        hint = next((h for key, h in _HINTS if key in message), "edit the file and upload it again")
        text = f"{text}; {hint}"
    return text


def _dataset(s, name: str, meta: dict) -> Dataset:
    classes = np.unique(s.y).tolist()
    return Dataset(X=s.X, y=s.y, classes=classes, feature_names=list(s.feature_names),
                   name=name, meta=meta)


def generate(settings: LabSettings, rng: np.random.Generator) -> Dataset:
    """The generated data set that ``settings`` describe, drawn from ``rng``.

    Returns
    -------
    Dataset
        ``X`` of shape (n_points, 2), float64; labels ``'c1'``, ``'c2'``, ...
    """
    n, noise, k = settings.n_points, settings.noise, settings.n_classes
    name = settings.dataset
    if name == "spiral":
        s = syn.make_spiral(max(1, n // k), k, noise, rng, turns=SPIRAL_TURNS)
    elif name == "circles":
        s = syn.make_circles(n, noise, rng)
    elif name == "xor":
        return _xor(n, noise, rng)
    elif name == "moons":
        s = syn.make_moons(n, noise, rng)
    elif name == "blobs":
        s = syn.make_blobs(n, k, noise, rng)
    else:
        raise InputError(f"no generator for data set {name!r}; upload a CSV file for 'csv'")
    return _dataset(s, name, {"source": "generated", "noise": noise})


def _xor(n: int, noise: float, rng: np.random.Generator) -> Dataset:
    """XOR: uniform points in [-1, 1]^2 pushed ``XOR_MARGIN`` away from both
    axes, labelled ``'c1'`` where x1 * x2 > 0, then Gaussian noise of standard
    deviation ``noise`` on each coordinate. X of shape (n, 2)."""
    X = rng.uniform(-1.0, 1.0, size=(n, 2))
    X += np.sign(X) * XOR_MARGIN
    y = np.where(X[:, 0] * X[:, 1] > 0, "c1", "c2")
    X += rng.normal(0.0, noise, size=X.shape)
    return Dataset(X=X, y=y, classes=["c1", "c2"], feature_names=["x1", "x2"], name="xor",
                   meta={"source": "generated", "noise": noise, "margin": XOR_MARGIN})


def _safe_name(filename: str) -> str:
    base = Path(str(filename).replace("\\", "/")).name
    return re.sub(r"[^A-Za-z0-9._-]+", "_", base)[:80] or "upload.csv"


def read_upload(content: bytes, filename: str, label_column: str | None = None) -> Dataset:
    """Parse an uploaded CSV file with :func:`softmaxlab.data.load_csv`.

    Parameters
    ----------
    content : bytes
        The file, at most ``MAX_UPLOAD_BYTES``.
    filename : str
        As the browser names it; only used in messages (and must end in .csv).
    label_column : str, optional
        Default: the last column.

    Returns
    -------
    Dataset
        ``X`` of shape (n_rows, 2), float64, and the labels as found.

    Raises
    ------
    UploadError
        Too large, not a .csv name, unreadable, not exactly two numeric
        feature columns, too many rows or classes, or a class with one point.
    """
    name = _safe_name(filename)
    if len(content) > MAX_UPLOAD_BYTES:
        raise UploadError("upload_too_large", f"{name} is {len(content) / 2**20:.1f} MiB; the "
                          f"lab takes CSV files up to {MAX_UPLOAD_BYTES // 2**20} MiB",
                          status=413, limit_bytes=MAX_UPLOAD_BYTES)
    if not name.lower().endswith(".csv"):
        raise UploadError("upload_not_csv", f"{name}: choose a .csv file (a header row, two "
                          "numeric feature "
                          "columns and a label column)", name=name)
    label_column = (label_column or "").strip() or None
    table = _read_table(content, name, label_column)
    classes = _check_table(table, name)
    return Dataset(X=table.X, y=table.y, classes=classes.tolist(),
                   feature_names=list(table.feature_names), name=name,
                   meta={"source": "upload", "label_column": table.label_column})


def _read_table(content: bytes, name: str, label_column: str | None):
    """The upload read by the CLI's CSV reader, its messages in the lab's words."""
    with tempfile.TemporaryDirectory(prefix="softmaxlab-lab-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(content)
        try:
            # Two numeric features: a text column is refused here, not one-hot encoded.
            return load_csv(path, label_column, categorical="error")
        except (ValueError, OSError) as exc:
            # The reader names the file by its path; the user knows it by its name.
            detail = lab_wording(str(exc).replace(str(path), name))
            raise UploadError("upload_unreadable", detail, name=name, detail=detail) from None


def _check_table(table, name: str) -> np.ndarray:
    """The upload's classes, shape (n_classes,), once the table is one the lab
    can show: two features, at most MAX_ROWS rows and MAX_CLASSES classes, two
    rows of every class at least."""
    d = table.X.shape[1]
    if d != 2:
        raise UploadError(
            "upload_columns", f"{name} has {d} feature column{'s' if d != 1 else ''} "
            f"({', '.join(table.feature_names)}) besides the label {table.label_column!r}; "
            "the lab plots two features: keep exactly two numeric columns and the label, "
            "or name the label column", name=name, n_features=int(d),
            columns=list(table.feature_names), label=str(table.label_column))
    if len(table.y) > MAX_ROWS:
        raise UploadError("upload_rows", f"{name} has {len(table.y)} rows; the lab draws every "
                          f"point, so it takes at most {MAX_ROWS}: keep a sample of the rows",
                          name=name, rows=int(len(table.y)), max_rows=MAX_ROWS)
    classes, counts = np.unique(table.y, return_counts=True)
    if len(classes) < 2:
        raise UploadError("upload_one_class", f"{name}: the label column "
                          f"'{table.label_column}' holds one class ('{classes[0]}'); a "
                          "classifier needs at least two", name=name,
                          label=str(table.label_column), **{"class": str(classes[0])})
    if len(classes) > MAX_CLASSES:
        raise UploadError("upload_classes", f"{name}: the label column "
                          f"'{table.label_column}' holds {len(classes)} classes; the lab shows "
                          f"at most {MAX_CLASSES} (is it the right label column?)", name=name,
                          label=str(table.label_column), n_classes=int(len(classes)),
                          max_classes=MAX_CLASSES)
    if counts.min() < 2:
        c = classes[int(np.argmin(counts))]
        raise UploadError("upload_single_row", f"{name}: class '{c}' has a single row; the "
                          "training/validation split needs at least two rows of every class",
                          name=name, **{"class": str(c)})
    return classes


def split(ds: Dataset, val_fraction: float, rng: np.random.Generator):
    """Stratified training/validation split (no test split: the lab shows the two)."""
    return split_dataset(ds, val_fraction, 0.0, seed=rng)
