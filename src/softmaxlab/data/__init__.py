"""Data layer: load, split, encode and scale datasets.

Only numpy is imported here; scikit-learn and pandas are imported inside the
functions that need them, so ``import softmaxlab`` stays fast.
"""

from .digits import load_digits_arrays
from .fashion_mnist import (
    CLASS_NAMES as FASHION_MNIST_CLASSES,
)
from .fashion_mnist import (
    DatasetNotFoundError,
    find_fashion_mnist,
    load_fashion_mnist,
)
from .idx import IDXFormatError, read_idx, read_idx_header, write_idx
from .labels import decode_labels, encode_labels
from .preprocess import PREPROCESS_METHODS, Preprocessor
from .registry import DATASET_NAMES, Dataset, list_datasets, load_dataset
from .split import Splits, split_dataset
from .synthetic import make_binary_mod, make_spiral
from .columns import CATEGORICAL, NUMERIC
from .encoding import IMPUTE_STRATEGIES, ColumnEncoder
from .notes import DataNote
from .npz import load_npz
from .tabular import load_csv, load_parquet, load_table

__all__ = [
    "CATEGORICAL",
    "DATASET_NAMES",
    "FASHION_MNIST_CLASSES",
    "IMPUTE_STRATEGIES",
    "NUMERIC",
    "PREPROCESS_METHODS",
    "ColumnEncoder",
    "DataNote",
    "Dataset",
    "DatasetNotFoundError",
    "IDXFormatError",
    "Preprocessor",
    "Splits",
    "decode_labels",
    "encode_labels",
    "find_fashion_mnist",
    "list_datasets",
    "load_csv",
    "load_dataset",
    "load_digits_arrays",
    "load_fashion_mnist",
    "load_npz",
    "load_parquet",
    "load_table",
    "make_binary_mod",
    "make_spiral",
    "read_idx",
    "read_idx_header",
    "split_dataset",
    "write_idx",
]
