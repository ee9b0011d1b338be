"""One entry point for every dataset: :func:`load_dataset` returns a :class:`Dataset`.

Built-in names: ``digits``, ``fashion-mnist``, ``spiral``, ``binary-mod``.
Anything else that looks like a path to a ``.csv``/``.npz``/``.parquet`` file
is read as the user's own data.
"""

from __future__ import annotations

import inspect
import os
from pathlib import Path

import numpy as np

from . import fashion_mnist as fm
from .dataset import Dataset
from .digits import DIGITS_IMAGE_SHAPE, load_digits_arrays
from .idx import IDXFormatError
from .synthetic import make_binary_mod, make_spiral
from .tabular import TABULAR_SUFFIXES, load_table, tabular_suffix
from softmaxlab.errors import InputError, InputTypeError

__all__ = ["DATASET_NAMES", "Dataset", "list_datasets", "load_dataset"]

DATASET_NAMES = ("digits", "fashion-mnist", "spiral", "binary-mod")


def _sorted_classes(*label_arrays) -> list:
    # np.unique sorts like sklearn's LabelEncoder; .tolist() gives plain
    # Python ints/strs so the list is JSON-able.
    return np.unique(np.concatenate(label_arrays)).tolist()


def _normalise_name(name: str) -> str:
    return name.strip().lower().replace("_", "-")


def _check_kwargs(name: str, kwargs: dict, func) -> None:
    allowed = [p for p in inspect.signature(func).parameters if p != "seed"]
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise InputTypeError(
            f"dataset {name!r} does not take {', '.join(unknown)}; "
            f"its options are: {', '.join(allowed) or 'none'}"
        )


def _load_digits() -> Dataset:
    d = load_digits_arrays()
    return Dataset(
        X=d.X, y=d.y, classes=_sorted_classes(d.y), feature_names=d.feature_names,
        name="digits", image_shape=DIGITS_IMAGE_SHAPE,
        meta={"source": "scikit-learn (sklearn.datasets.load_digits)", "pixel_max": 16},
    )


def _load_fashion(data_dir) -> Dataset:
    d = fm.load_fashion_mnist(data_dir)
    h, w = fm.IMAGE_SHAPE
    return Dataset(
        X=d.X_train, y=d.y_train, X_test=d.X_test, y_test=d.y_test,
        # The class set is fixed by the dataset, so class_names stays aligned
        # with classes even for a subset of the files.
        classes=list(range(len(fm.CLASS_NAMES))),
        class_names=list(fm.CLASS_NAMES),
        feature_names=[f"pixel_{r}_{c}" for r in range(h) for c in range(w)],
        name="fashion-mnist", image_shape=fm.IMAGE_SHAPE,
        meta={"source": str(d.directory), "files": {k: str(v) for k, v in d.files.items()},
              "pixel_max": 255},
    )


def _looks_like_path(name: str) -> bool:
    return tabular_suffix(name) is not None or os.sep in name or "/" in name or (
        Path(name).suffix != "" and Path(name).exists()
    )


def load_dataset(name_or_path: str | os.PathLike, *, data_dir: str | os.PathLike | None = None,
                 label_column=None, seed=0, header: bool = True, delimiter: str | None = None,
                 decimal: str = ".", categorical: str = "onehot", allow_missing: bool = False,
                 label_separator: str | None = None, refuse_label_sets: bool = False,
                 encoding: str | None = None, drop_columns=None, **kwargs) -> Dataset:
    """Load a built-in dataset by name, or the user's file by path.

    Parameters
    ----------
    name_or_path : str or path-like
        ``'digits'``, ``'fashion-mnist'``, ``'spiral'``, ``'binary-mod'``
        (underscores and case are ignored), or a path ending in ``.csv``,
        ``.csv.gz``, ``.npz``, ``.parquet`` or ``.pq``.
    data_dir : str or path-like, optional
        Where to look first for Fashion-MNIST.
    label_column : str or int or list, optional
        Label column of a CSV/TSV/Parquet file (default: its last column);
        a 0-based position with ``header=False``. Several columns (a list,
        or ``"a,b,c"``) are 0/1 indicator columns of a multilabel dataset.
    seed : int or numpy.random.Generator, default 0
        Seed of the generated datasets (spiral).
    header, delimiter, decimal, categorical, allow_missing, label_separator, refuse_label_sets, encoding
        How to read a user's file; see :func:`~softmaxlab.data.load_csv`.
    drop_columns : list of str or int, optional
        Columns of a user's file left out of the features (names, or
        positions with ``header=False``).
    **kwargs
        Options of the generated datasets: ``n_per_class``, ``n_classes``,
        ``noise``, ``turns`` for spiral; ``bits``, ``k`` for binary-mod.

    Returns
    -------
    dataset : Dataset
        ``X`` of shape (n_samples, n_features), ``y`` of shape (n_samples,).

    Raises
    ------
    ValueError
        Unknown name (the message lists the valid ones), or a bad file.
    TypeError
        An option the dataset does not take.
    fashion_mnist.DatasetNotFoundError
        Fashion-MNIST files not found (the message says how to install them).
    FileNotFoundError
        A data file path that does not exist.
    """
    raw = os.fspath(name_or_path)
    key = _normalise_name(raw)
    options = {"label_column": label_column, "header": header, "delimiter": delimiter,
               "decimal": decimal, "categorical": categorical, "allow_missing": allow_missing,
               "label_separator": label_separator, "encoding": encoding,
               "drop_columns": drop_columns}
    if key not in DATASET_NAMES:
        return _load_file(raw, kwargs, refuse_label_sets=refuse_label_sets, **options)
    _refuse_file_options(key, options)
    if kwargs and key not in ("spiral", "binary-mod"):
        raise InputTypeError(f"dataset {key!r} takes no options, got {sorted(kwargs)}")
    return _load_builtin(key, data_dir, seed, kwargs)

# The reading options of load_dataset with their defaults: a built-in dataset
# takes none of them, so any other value is refused.
_FILE_DEFAULTS = {"label_column": None, "header": True, "delimiter": None, "decimal": ".",
                  "categorical": "onehot", "allow_missing": False, "label_separator": None,
                  "encoding": None, "drop_columns": None}


def _refuse_file_options(key: str, options: dict) -> None:
    """Refuse reading options given for the built-in dataset ``key``, naming them."""
    given = [n for n, d in _FILE_DEFAULTS.items() if options[n] != d]
    if given:
        raise InputError(
            f"{', '.join(given)} appl{'ies' if len(given) == 1 else 'y'} only to data files "
            f"(CSV, TSV, Parquet, NPZ), not to the built-in dataset {key!r}; leave "
            f"{'it' if len(given) == 1 else 'them'} unset"
        )


def _load_file(raw: str, kwargs: dict, label_column, **options) -> Dataset:
    """A user's CSV/TSV/Parquet/NPZ file as a Dataset; ``options`` as
    :func:`~softmaxlab.data.load_table` takes them (``kwargs``, options of
    the generated datasets, are refused)."""
    if not _looks_like_path(raw):
        raise InputError(
            f"unknown dataset {raw!r}; valid names are {', '.join(DATASET_NAMES)}, "
            f"or give a path to a file ending in {', '.join(TABULAR_SUFFIXES)}"
        )
    if kwargs:
        raise InputTypeError(f"{raw}: options {sorted(kwargs)} apply only to generated datasets")
    table = load_table(raw, label_column, **options)
    meta = {"source": str(Path(raw).resolve()), "label_column": table.label_column,
            "file": table.info}
    if table.labels is not None:
        meta["labels"] = table.labels
    return Dataset(
        X=table.X, y=table.y,
        classes=(list(table.labels["names"]) if table.labels is not None
                 else _sorted_classes(table.y)),
        feature_names=table.feature_names, name=Path(raw).name, meta=meta,
        feature_kinds=list(table.kinds),
    )


def _load_builtin(key: str, data_dir, seed, kwargs: dict) -> Dataset:
    """The built-in dataset ``key`` (a name of DATASET_NAMES)."""
    if key == "digits":
        return _load_digits()
    if key == "fashion-mnist":
        return _load_fashion(data_dir)
    if key == "spiral":
        _check_kwargs(key, kwargs, make_spiral)
        d = make_spiral(seed=seed, **kwargs)
        return Dataset(
            X=d.X, y=d.y, classes=_sorted_classes(d.y), feature_names=d.feature_names,
            name="spiral", meta={"source": "generated", "seed": _json_seed(seed), **kwargs},
        )
    if key == "binary-mod":
        _check_kwargs(key, kwargs, make_binary_mod)
        d = make_binary_mod(**kwargs)
        return Dataset(
            X=d.X, y=d.y, classes=_sorted_classes(d.y), feature_names=d.feature_names,
            name="binary-mod", meta={"source": "generated", **kwargs},
        )
    raise RuntimeError(f"dataset {key!r} is listed in DATASET_NAMES but has no loader")


def _json_seed(seed):
    return seed if seed is None or isinstance(seed, int) else repr(seed)


def list_datasets(data_dir: str | os.PathLike | None = None) -> list[dict]:
    """Describe every built-in dataset, without loading the large ones.

    Parameters
    ----------
    data_dir : str or path-like, optional
        Where to look first for Fashion-MNIST.

    Returns
    -------
    infos : list of dict
        One per name in :data:`DATASET_NAMES`, with keys ``name``,
        ``available`` (bool), ``shape`` (n_samples, n_features) or None,
        ``test_shape`` or None, ``n_classes``, ``classes`` (display names),
        ``source`` (where it was found, or ``'generated'``), ``install``
        (how to get it, or None), ``options`` (keyword arguments accepted by
        :func:`load_dataset`) and, when unavailable, ``error``. JSON-able.
    """
    return [
        _info(_load_digits(), "scikit-learn (bundled)", []),
        _fashion_info(data_dir),
        _info(load_dataset("spiral"), "generated from seed",
              ["n_per_class", "n_classes", "noise", "turns"]),
        _info(load_dataset("binary-mod"), "generated", ["bits", "k"]),
    ]


def _info(ds: Dataset, source: str, options: list) -> dict:
    return {
        "name": ds.name, "available": True, "shape": list(ds.X.shape), "test_shape": None,
        "n_classes": ds.n_classes, "classes": ds.display_names, "source": source,
        "install": None, "options": options,
    }


def _fashion_info(data_dir) -> dict:
    info = {
        "name": "fashion-mnist", "available": False, "shape": None, "test_shape": None,
        "n_classes": len(fm.CLASS_NAMES), "classes": list(fm.CLASS_NAMES), "source": None,
        "install": f"{fm.INSTALL_COMMAND}  (or --data-dir DIR / {fm.ENV_VAR}=DIR)",
        "options": [],
    }
    try:
        files = fm.find_fashion_mnist(data_dir)
        shapes = fm.fashion_mnist_shapes(files)
    except fm.DatasetNotFoundError as exc:
        info["error"] = str(exc)
        return info
    except (IDXFormatError, OSError) as exc:
        info["error"] = f"found but unreadable: {exc}"
        return info
    n_pixels = int(np.prod(shapes["train_images"][1:]))
    info.update(
        available=True, install=None, source=str(files["train_images"].parent),
        shape=[shapes["train_images"][0], n_pixels],
        test_shape=[shapes["test_images"][0], n_pixels],
    )
    return info
