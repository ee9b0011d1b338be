"""Raw table columns -> one float64 matrix: impute, then one-hot encode.

Order of the CLI's preprocessing, fitted on the training split only:

1. impute (scikit-learn's ``SimpleImputer``): numeric columns with the
   chosen statistic, categorical columns with their most frequent value;
2. one-hot encode categorical columns (``OneHotEncoder(handle_unknown=
   "ignore")``): a category never seen in training becomes all zeros, with
   a :class:`DataNote`;
3. scale (``Preprocessor``): numeric columns only; the 0/1 indicator
   columns pass through, so an unseen category adds nothing to the logits.

The fitted state is plain arrays and JSON (:meth:`ColumnEncoder.to_arrays`),
never pickle, and rebuilds the same scikit-learn objects on load.
"""
from __future__ import annotations

import warnings

import numpy as np

from .columns import CATEGORICAL, NUMERIC, missing_rows
from .names import plural
from .encoding_blocks import column_blocks, nan_for_none, note_unseen
from .notes import DataNote
from softmaxlab.errors import InputError

__all__ = ["IMPUTE_STRATEGIES", "ORDER", "ColumnEncoder"]

IMPUTE_STRATEGIES = ("none", "mean", "median", "most_frequent")
ORDER = "impute -> one-hot -> scale"
_FORMAT, _VERSION = "softmaxlab.ColumnEncoder", 1


class ColumnEncoder:
    """Impute missing values and one-hot encode categorical columns.

    Parameters
    ----------
    columns : list of str
        Input column names, in order.
    kinds : list of {'numeric', 'categorical'}
        One per column.
    impute : {'none', 'mean', 'median', 'most_frequent'}, default 'none'
        Statistic for missing numeric values ('none' refuses missing values);
        missing categories take the most frequent category.

    Attributes
    ----------
    imputer_ : sklearn.impute.SimpleImputer or None
        Fitted on the numeric columns (shape (n, n_numeric)).
    category_imputer_ : sklearn.impute.SimpleImputer or None
        ``most_frequent`` on the categorical columns.
    onehot_ : sklearn.preprocessing.OneHotEncoder or None
        On the categorical columns; ``onehot_.categories_`` lists each one's
        categories (str).
    feature_names_out_ : list of str
        ``name`` for a numeric column, ``name=category`` for an indicator,
        in the order of ``columns``.
    onehot_columns_ : ndarray of int
        Positions of the indicator columns in the output.
    n_features_out_ : int
    """

    def __init__(self, columns, kinds, impute: str = "none"):
        columns, kinds = list(columns), list(kinds)
        if len(columns) != len(kinds) or not set(kinds) <= {NUMERIC, CATEGORICAL}:
            raise InputError(f"expected one kind ('numeric' or 'categorical') per column, got "
                             f"{len(kinds)} kinds for {len(columns)} columns")
        if impute not in IMPUTE_STRATEGIES:
            raise InputError(f"impute must be one of {', '.join(IMPUTE_STRATEGIES)}; got {impute!r}")
        self.columns, self.kinds, self.impute = columns, kinds, impute
        self._num = [c for c, k in zip(columns, kinds, strict=True) if k == NUMERIC]
        self._cat = [c for c, k in zip(columns, kinds, strict=True) if k == CATEGORICAL]

    def __repr__(self) -> str:
        return (f"ColumnEncoder({len(self._num)} numeric, {len(self._cat)} categorical, "
                f"impute={self.impute!r})")

    @property
    def is_fitted(self) -> bool:
        return hasattr(self, "n_features_out_")

    @property
    def is_identity(self) -> bool:
        """All columns numeric and nothing to impute: the output is the input."""
        return not self._cat and self.impute == "none"

    # ---- input ---------------------------------------------------------------------
    def _split(self, X) -> tuple[np.ndarray, np.ndarray]:
        """(numeric block, categorical block) of X; see :func:`column_blocks`."""
        return column_blocks(X, self.columns, self._num, self._cat)

    # ---- fit / transform ---------------------------------------------------------------
    def fit(self, X) -> ColumnEncoder:
        """Learn the fill values and the categories from the training rows.

        Parameters
        ----------
        X : pandas.DataFrame or ndarray of shape (n_samples, n_columns)
            The training split only.

        Returns
        -------
        self
        """
        from sklearn.impute import SimpleImputer
        from sklearn.preprocessing import OneHotEncoder

        num, cat = self._split(X)
        if len(num) == 0:
            raise InputError("cannot fit a ColumnEncoder on 0 rows; pass the training split")
        self._check_complete(num, cat, "the training rows", fitting=True)
        self.imputer_ = self.category_imputer_ = self.onehot_ = None
        if self.impute != "none":
            empty = [c for j, c in enumerate(self._num) if np.isnan(num[:, j]).all()]
            empty += [c for j, c in enumerate(self._cat) if all(v is None for v in cat[:, j])]
            if empty:
                raise InputError(f"column {empty[0]!r} has no values in the training split, so "
                                 "there is nothing to impute it from; drop the column")
            if self._num:
                self.imputer_ = SimpleImputer(strategy=self.impute).fit(num)
            if self._cat:
                self.category_imputer_ = SimpleImputer(strategy="most_frequent").fit(
                    nan_for_none(cat))
                cat = self.category_imputer_.transform(nan_for_none(cat))
        if self._cat:
            self.onehot_ = OneHotEncoder(handle_unknown="ignore", sparse_output=False,
                                         dtype=np.float64).fit(cat)
            for c, cats in zip(self._cat, self.onehot_.categories_, strict=True):
                if len(cats) > 20 and len(cats) > 0.5 * len(cat):
                    warnings.warn(f"column {c!r} has {len(cats)} categories for {len(cat)} "
                                  "training rows (an identifier or free text?); each becomes "
                                  "one input of the model: leave it out with --drop-columns "
                                  f"{c if ',' not in c else repr(c)}", DataNote, stacklevel=2)
        self._layout()
        return self

    def _layout(self) -> None:
        names, onehot = [], []
        cats = dict(zip(self._cat, self.onehot_.categories_, strict=True)) if self._cat else {}
        self._num_out, self._cat_out = [], []
        for c, k in zip(self.columns, self.kinds, strict=True):
            if k == NUMERIC:
                self._num_out.append(len(names))
                names.append(c)
            else:
                for v in cats[c]:
                    self._cat_out.append(len(names))
                    onehot.append(len(names))
                    names.append(f"{c}={v}")
        self.feature_names_out_ = names
        self.onehot_columns_ = np.asarray(onehot, dtype=np.int64)
        self.n_features_out_ = len(names)

    def _check_complete(self, num, cat, what, fitting=False) -> None:
        if self.impute != "none":
            return
        miss = missing_rows({**{c: num[:, j] for j, c in enumerate(self._num)},
                             **{c: cat[:, j] for j, c in enumerate(self._cat)}})
        if miss.any():
            n = int(miss.sum())
            why = ("" if fitting else ", and the model was trained without imputation "
                   "(--impute none)")
            raise InputError(
                f"{what}: {plural(n, 'row')} {'has' if n == 1 else 'have'} missing values, "
                f"first at row {int(miss.nonzero()[0][0]) + 1}{why}; fill them, or "
                f"{'impute them' if fitting else 'train'} with --impute mean, median or "
                "most_frequent")

    def transform(self, X, what: str = "the input") -> np.ndarray:
        """Encode rows with the fitted state.

        Parameters
        ----------
        X : pandas.DataFrame or ndarray of shape (n_samples, n_columns)
        what : str
            How messages name the rows (e.g. a file name).

        Returns
        -------
        X_encoded : ndarray of shape (n_samples, n_features_out_), float64
        """
        if not self.is_fitted:
            raise InputError("this ColumnEncoder is not fitted yet; call fit(X_train) first")
        num, cat = self._split(X)
        self._check_complete(num, cat, what)
        out = np.empty((len(num), self.n_features_out_), dtype=np.float64)
        if self.imputer_ is not None:
            num = self.imputer_.transform(num) if len(num) else num
        out[:, self._num_out] = num
        if self._cat:
            if self.category_imputer_ is not None:
                cat = self.category_imputer_.transform(nan_for_none(cat))
            note_unseen(cat, self._cat, self.onehot_.categories_, what)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # said in our words above
                out[:, self._cat_out] = self.onehot_.transform(cat)
        return out

    def fit_transform(self, X) -> np.ndarray:
        return self.fit(X).transform(X, "the training rows")

    # ---- description and persistence ----------------------------------------------------
    def describe(self) -> dict:
        """JSON-able summary: order, imputation, fill values and categories by column."""
        fills = {}
        if self.imputer_ is not None:
            fills.update({c: float(v) for c, v in zip(self._num, self.imputer_.statistics_,
                                                       strict=True)})
        if self.category_imputer_ is not None:
            fills.update({c: str(v) for c, v in zip(self._cat,
                                                     self.category_imputer_.statistics_,
                                                     strict=True)})
        cats = ({c: [str(v) for v in k] for c, k in zip(self._cat, self.onehot_.categories_,
                                                          strict=True)} if self._cat else {})
        return {"order": ORDER, "impute": self.impute, "numeric": list(self._num),
                "categorical": cats, "fill": fills}

    def to_arrays(self) -> tuple[dict, dict]:
        """Export the fitted state without pickle.

        Returns
        -------
        arrays : dict
            ``{'fill': (n_numeric,) float64}`` when imputing numeric columns.
        info : dict
            JSON-able: format, version, columns, kinds, impute, categorical
            fill values and categories.
        """
        if not self.is_fitted:
            raise InputError("this ColumnEncoder is not fitted yet; call fit(X_train) first")
        arrays = {} if self.imputer_ is None else {"fill": self.imputer_.statistics_.copy()}
        d = self.describe()
        info = {"format": _FORMAT, "version": _VERSION, "columns": self.columns,
                "kinds": self.kinds, "impute": self.impute, "order": ORDER,
                "categories": [d["categorical"][c] for c in self._cat],
                "category_fill": ([str(v) for v in self.category_imputer_.statistics_]
                                  if self.category_imputer_ is not None else None)}
        return arrays, info

    @classmethod
    def from_arrays(cls, arrays: dict, info: dict) -> ColumnEncoder:
        """Rebuild a fitted encoder from :meth:`to_arrays` output.

        Raises
        ------
        ValueError
            If the format, version or shapes do not match.
        """
        from sklearn.impute import SimpleImputer
        from sklearn.preprocessing import OneHotEncoder

        if info.get("format") != _FORMAT or info.get("version") != _VERSION:
            raise InputError(f"expected encoder info with format {_FORMAT!r} version {_VERSION}, "
                             f"got format {info.get('format')!r} version {info.get('version')!r}")
        enc = cls(info["columns"], info["kinds"], info["impute"])
        enc.imputer_ = enc.category_imputer_ = enc.onehot_ = None
        if enc.impute != "none" and enc._num:
            fill = np.asarray(arrays["fill"], dtype=np.float64)
            if fill.shape != (len(enc._num),) or not np.all(np.isfinite(fill)):
                raise InputError(f"encoder fill values have shape {fill.shape}, expected "
                                 f"({len(enc._num)},) finite numbers")
            # Fitted on one row equal to the statistics: mean, median and mode
            # of a single value are that value, so statistics_ comes back exact.
            enc.imputer_ = SimpleImputer(strategy=enc.impute).fit(fill[None, :])
        if enc._cat:
            cats = [list(map(str, c)) for c in info["categories"]]
            if len(cats) != len(enc._cat) or not all(cats):
                raise InputError(f"encoder lists categories for {len(cats)} columns, expected "
                                 f"{len(enc._cat)}")
            if info.get("category_fill") is not None:
                row = np.asarray([info["category_fill"]], dtype=object)
                enc.category_imputer_ = SimpleImputer(strategy="most_frequent").fit(row)
            enc.onehot_ = OneHotEncoder(categories=[np.asarray(c, dtype=object) for c in cats],
                                        handle_unknown="ignore", sparse_output=False,
                                        dtype=np.float64)
            enc.onehot_.fit(np.asarray([[c[0] for c in cats]], dtype=object))
        enc._layout()
        return enc
