"""ONNX export of pipelines whose ColumnTransformer reads a pandas DataFrame
(numbers imputed and scaled, text one-hot encoded): one graph input per
column or grouped inputs, ``onnx_inputs`` building the feed, and the steps
that are refused by name."""
from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest

onnx = pytest.importorskip("onnx", reason="needs the onnx extra: pip install softmaxlab[onnx]")
ort = pytest.importorskip("onnxruntime", reason="needs the onnx extra")
skl2onnx = pytest.importorskip("skl2onnx", reason="needs the onnx extra")
pd = pytest.importorskip("pandas")

from sklearn.base import BaseEstimator, TransformerMixin  # noqa: E402
from sklearn.compose import ColumnTransformer, make_column_selector  # noqa: E402
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler  # noqa: E402

import softmaxlab as sl  # noqa: E402
from softmaxlab.export import (  # noqa: E402
    ExportError,
    OpsetError,
    describe_inputs,
    initial_types,
    onnx_inputs,
    summary,
    to_onnx,
)

ATOL = 1e-6
NUMERIC = ["bill_length_mm", "flipper_length_mm", "year"]
TEXT = ["island", "sex"]


def penguins(n, seed, text_dtype=object, missing=True, missing_text=True):
    """A penguins-like table: three numeric columns (one integer), two text
    columns, a few missing cells in each kind; and its species."""
    rng = np.random.default_rng(seed)
    species = rng.choice(["Adelie", "Chinstrap", "Gentoo"], n)
    shift = np.select([species == "Gentoo", species == "Chinstrap"], [1.0, 2.0], 0.0)
    df = pd.DataFrame({
        "bill_length_mm": rng.normal(39 + 5 * shift, 2.5),
        "island": np.where(shift == 1, "Biscoe", rng.choice(["Dream", "Torgersen"], n)),
        "flipper_length_mm": rng.normal(190 + 12 * shift, 6),
        "sex": rng.choice(["male", "female"], n),
        "year": rng.choice([2007, 2008, 2009], n),
    })
    if missing:
        df.loc[rng.choice(n, 4, replace=False), "bill_length_mm"] = np.nan
    if missing and missing_text:
        df.loc[rng.choice(n, 3, replace=False), "sex"] = np.nan
    return df.astype({c: text_dtype for c in TEXT}), species


def session(onx):
    return ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])


def fit(pipe, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning of a few iterations
        return pipe.fit(X, y)


def mixed_pipe(text=None, clf=None, numeric=NUMERIC, **ct):
    text = text or OneHotEncoder(handle_unknown="ignore")
    pre = ColumnTransformer([("num", make_pipeline(SimpleImputer(strategy="median"),
                                                   StandardScaler()), numeric),
                             ("cat", text, TEXT)], **ct)
    return make_pipeline(pre, clf or sl.MLPClassifier((8,), max_iter=30, random_state=0))


def assert_same(onx, pipe, X):
    """onnxruntime on onnx_inputs(X) gives pipe's predict_proba (1e-6) and predict (exactly)."""
    label, proba = session(onx).run(None, onnx_inputs(X, onx))
    np.testing.assert_allclose(proba, pipe.predict_proba(X), rtol=0, atol=ATOL)
    np.testing.assert_array_equal(label, pipe.predict(X))


def new_rows(text_dtype=object, missing_text=True):
    """Rows unlike training: unseen categories, missing cells of both kinds,
    columns in another order."""
    df, _ = penguins(6, 99, missing=False)
    df.loc[0, "island"] = "Anvers"        # never seen at fit
    df.loc[1, "sex"] = "."                # never seen at fit
    df.loc[2, "bill_length_mm"] = np.nan  # imputed with the median
    if missing_text:
        df.loc[3, "sex"] = np.nan         # seen at fit as a category of its own
    return df[df.columns[::-1]].astype({c: text_dtype for c in TEXT})


@pytest.fixture(scope="module")
def trained():
    X, y = penguins(90, 0)
    return X, fit(mixed_pipe(), X, y)


# pandas 3 reads text as "str" (NaN missing), "string" has pd.NA (which scikit-learn's
# OneHotEncoder refuses, so no missing text there), "category" its codes.
@pytest.mark.parametrize("text_dtype", [object, "str", "string", "category"])
def test_one_input_per_column_matches_the_pipeline(text_dtype):
    missing_text = text_dtype != "string"
    X, y = penguins(90, 1, text_dtype, missing_text=missing_text)
    pipe = fit(mixed_pipe(), X, y)
    onx = to_onnx(pipe, X=X.head())
    inputs = {v.name: v.type.tensor_type for v in onx.graph.input}
    assert list(inputs) == list(X.columns)
    assert [inputs[c].elem_type for c in X.columns] == [
        onnx.TensorProto.STRING if c in TEXT else onnx.TensorProto.FLOAT for c in X.columns]
    assert all(t.shape.dim[1].dim_value == 1 for t in inputs.values())
    assert_same(onx, pipe, X)
    assert_same(onx, pipe, new_rows(text_dtype, missing_text))


def test_grouped_inputs(trained):
    X, pipe = trained
    onx = to_onnx(pipe, X=X.head(), inputs="grouped")
    meta = {p.key: p.value for p in onx.metadata_props}
    assert [v.name for v in onx.graph.input] == ["X", "X_categorical"]
    assert '"columns": ["bill_length_mm", "flipper_length_mm", "year"], "missing": "NaN"' in \
        meta["inputs"]
    feed = onnx_inputs(X, onx)
    assert feed["X"].shape == (90, 3) and feed["X_categorical"].shape == (90, 2)
    assert_same(onx, pipe, X)
    assert_same(onx, pipe, new_rows())


def test_text_imputed_and_softmax_regression():
    X, y = penguins(80, 2, "str")
    text = make_pipeline(SimpleImputer(strategy="most_frequent"),
                         OneHotEncoder(handle_unknown="ignore"))
    pipe = fit(mixed_pipe(text, sl.SoftmaxRegression(max_iter=30, random_state=0)), X, y)
    onx = to_onnx(pipe, X=X)
    assert_same(onx, pipe, X)
    assert_same(onx, pipe, new_rows("str"))
    # The user's pipeline is not changed by the export (its imputer still reads NaN).
    assert np.isnan(pipe[0].named_transformers_["cat"][0].missing_values)


def test_column_selector_and_unused_columns():
    X, y = penguins(60, 3, missing=False)
    X["id"] = np.arange(60)  # selected by no transformer (remainder="drop")
    pre = ColumnTransformer([("num", StandardScaler(), make_column_selector("_mm$")),
                             ("cat", OneHotEncoder(handle_unknown="ignore", dtype=np.float32),
                              make_column_selector(dtype_include=object))])
    pipe = fit(make_pipeline(pre, sl.MLPClassifier((6,), max_iter=20, random_state=0)), X, y)
    onx = to_onnx(pipe, X=X.head(2))
    assert_same(onx, pipe, X)


@pytest.mark.parametrize("year_dtype", ["int64", "category"])
def test_numeric_passthrough_and_integer_categories(year_dtype):
    X, y = penguins(60, 4, missing=False)
    X = X.astype({"year": year_dtype})  # categories 2007-2009: a float32 input, one-hot encoded
    pre = ColumnTransformer([("year", OneHotEncoder(handle_unknown="ignore"), ["year"]),
                             ("cat", OneHotEncoder(handle_unknown="ignore"), TEXT)],
                            remainder="passthrough")
    pipe = fit(make_pipeline(pre, StandardScaler(),
                             sl.MLPClassifier((6,), max_iter=20, random_state=0)), X, y)
    onx = to_onnx(pipe, X=X.head())
    assert onnx_inputs(X, onx)["year"].dtype == np.float32
    assert_same(onx, pipe, X)
    unseen = X.head(3).astype({"year": "int64"}).assign(year=[2007, 2010, 2009])
    assert_same(onx, pipe, unseen.astype({"year": year_dtype}))


def test_no_sample_names_the_argument(trained):
    X, pipe = trained
    with pytest.raises(ExportError, match=r"'columntransformer' is a ColumnTransformer fitted on a "
                                          r"DataFrame .*Pass X="):
        to_onnx(pipe)
    with pytest.raises(TypeError, match="pass a sample DataFrame as X="):
        to_onnx(pipe, X.head())
    with pytest.raises(ExportError, match=r"X lacks the columns \['sex'\]"):
        to_onnx(pipe, X=X.drop(columns="sex"))
    with pytest.raises(ValueError, match="inputs='rows'"):
        to_onnx(pipe, X=X, inputs="rows")


class Doubler(TransformerMixin, BaseEstimator):
    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return 2 * np.asarray(X, dtype=float)


@pytest.mark.parametrize("num,remainder,message", [
    (make_pipeline(SimpleImputer(), FunctionTransformer(np.log1p)), "drop",
     r"'columntransformer.num.functiontransformer' is a FunctionTransformer of 'log1p'"),
    (make_pipeline(SimpleImputer(), Doubler()), "drop",
     r"'columntransformer.num.doubler' \(Doubler\) has no ONNX converter"),
    ("drop", "passthrough", r"step 'columntransformer.remainder' passes text columns through"),
], ids=["function", "custom", "text-passthrough"])
def test_unexportable_steps_are_named(num, remainder, message):
    X, y = penguins(40, 5)
    # remainder passthrough of text: the classifier would refuse text, so stop before it.
    pre = ColumnTransformer([("num", num, NUMERIC)], remainder=remainder)
    pre.fit(X, y)
    # The classifier is never reached: fitted on zeros, so the text-passthrough case fits.
    clf = fit(sl.MLPClassifier((4,), max_iter=2), np.zeros((40, 3)), y)
    pipe = make_pipeline(pre, clf)
    with pytest.raises(ExportError, match=message):
        to_onnx(pipe, X=X)


def test_onnx_inputs_refuses_what_the_model_cannot_take():
    X, y = penguins(40, 6, missing=False)
    pre = ColumnTransformer([("num", StandardScaler(), NUMERIC),
                             ("cat", OneHotEncoder(handle_unknown="ignore"), TEXT)])
    pipe = fit(make_pipeline(pre, sl.SoftmaxRegression(max_iter=5)), X, y)
    onx = to_onnx(pipe, X=X)
    missing = X.copy()
    missing.loc[7, "flipper_length_mm"] = np.nan
    with pytest.raises(ValueError, match=r"'flipper_length_mm' has 1 missing values \(the first "
                                         r"at index 7\), which the model does not fill in"):
        onnx_inputs(missing, onx)
    with pytest.raises(ValueError, match=r"X lacks the columns \['year'\]"):
        onnx_inputs(X.drop(columns="year"), onx)
    with pytest.raises(ValueError, match=r"columns \['year'\] hold text"):
        onnx_inputs(X.astype({"year": str}), onx)
    # An unimputed text cell that is missing is an unseen category, as in the pipeline.
    missing_text = X.copy()
    missing_text.loc[0, "island"] = None
    assert_same(onx, pipe, missing_text)


def test_sample_for_models_with_one_input(rng):
    X, y = penguins(40, 7, missing=False)
    numbers = fit(make_pipeline(StandardScaler(), sl.SoftmaxRegression(max_iter=5)), X[NUMERIC], y)
    assert [v.name for v in to_onnx(numbers, X=X).graph.input] == ["X"]
    with pytest.raises(ExportError, match="inputs='columns' is for a pipeline whose first step"):
        to_onnx(numbers, inputs="columns")
    with pytest.raises(TypeError, match="X= and inputs= are for an estimator or Pipeline"):
        to_onnx(numbers[-1].network_, X=X)


def test_skl2onnx_with_our_initial_types():
    """skl2onnx.to_onnx converts the same pipeline given initial_types(X)
    (its own guess from the DataFrame gives float64 inputs, whose Imputer
    onnxruntime does not implement). Without ``year``: skl2onnx scales it in
    float32, 2e-6 off (to_onnx scales in float64)."""
    X, y = penguins(60, 8, "string", missing=False)
    X = X.drop(columns="year")
    pipe = fit(mixed_pipe(numeric=NUMERIC[:2]), X, y)
    onx = skl2onnx.to_onnx(pipe, initial_types=initial_types(X),
                           options={id(pipe[-1]): {"zipmap": False}})
    label, proba = session(onx).run(None, onnx_inputs(X, onx))
    np.testing.assert_allclose(proba, pipe.predict_proba(X), rtol=0, atol=ATOL)
    np.testing.assert_array_equal(label, pipe.predict(X))


def test_text_fitted_without_column_names_is_refused():
    X, y = penguins(40, 9, missing=False)
    pre = ColumnTransformer([("num", StandardScaler(), [0, 2, 4]),
                             ("cat", OneHotEncoder(handle_unknown="ignore"), [1, 3])])
    pipe = fit(make_pipeline(pre, sl.SoftmaxRegression(max_iter=5)), X.to_numpy(), y)
    with pytest.raises(ExportError, match=r"step 'columntransformer.cat' encodes text \(e.g. "
                                          r"'Biscoe'\), but the pipeline was fitted on an array"):
        to_onnx(pipe)


def test_onnx_inputs_for_skl2onnx_own_guess():
    """skl2onnx.to_onnx(pipe, df) types columns as float64, int64 and string
    (no metadata): onnx_inputs follows the graph's input types, from the
    model or from a session."""
    X, y = penguins(50, 10, missing=False)
    pre = ColumnTransformer([("num", StandardScaler(), NUMERIC),
                             ("cat", OneHotEncoder(handle_unknown="ignore"), TEXT)])
    pipe = fit(make_pipeline(pre, sl.MLPClassifier((6,), max_iter=20, random_state=0)), X, y)
    onx = skl2onnx.to_onnx(pipe, X.head(), options={id(pipe[-1]): {"zipmap": False}})
    sess = session(onx)
    feed = onnx_inputs(X, sess)
    assert {k: v.dtype for k, v in feed.items()} == {
        "bill_length_mm": np.float64, "island": object, "flipper_length_mm": np.float64,
        "sex": object, "year": np.int64}
    assert {k: v.dtype for k, v in onnx_inputs(X, onx).items()} == \
        {k: v.dtype for k, v in feed.items()}
    label, proba = sess.run(None, feed)
    np.testing.assert_allclose(proba, pipe.predict_proba(X), rtol=0, atol=ATOL)
    np.testing.assert_array_equal(label, pipe.predict(X))


def test_summary_and_inputs_described(trained, tmp_path):
    X, pipe = trained
    onx = to_onnx(pipe, X=X.head())
    assert summary(onx) == ("opset 17, inputs one per column (3 float32, 2 string), [N, 1] each, "
                            "outputs label string [N], probabilities float32 [N, 3]")
    assert describe_inputs(onx) == [
        "numbers, one input each, float32 [N, 1]: bill_length_mm, flipper_length_mm, year; NaN "
        "where a value is missing",
        'text, one input each, string [N, 1]: island, sex; "" where a value is missing in sex; '
        "an unseen category counts as none"]
    grouped = to_onnx(pipe, X=X.head(), inputs="grouped")
    assert summary(grouped).startswith("opset 17, inputs X float32 [N, 3], X_categorical string "
                                       "[N, 2], outputs")
    # onnx_inputs reads a saved file too.
    path = tmp_path / "penguins.onnx"
    path.write_bytes(grouped.SerializeToString())
    assert list(onnx_inputs(X, str(path))) == ["X", "X_categorical"]


def test_steps_after_the_column_transformer_scale_in_float64():
    """``year`` (2007-2009) passed through and scaled after the
    ColumnTransformer: scaled in float32, its mean's rounding alone moved
    these probabilities by 1.3e-6; the graph scales in float64 (1.8e-7)."""
    X, y = penguins(90, 12, missing=False)
    pre = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), TEXT)],
                            remainder="passthrough")
    pipe = fit(make_pipeline(pre, StandardScaler(),
                             sl.MLPClassifier((16,), max_iter=60, random_state=0)), X, y)
    assert_same(to_onnx(pipe, X=X.head()), pipe, X)


def test_nullable_numbers():
    """pandas' nullable Int64 and boolean columns (pd.NA where missing) are
    float32 inputs; skl2onnx's own guess refuses them (IntegerArray)."""
    X, y = penguins(60, 13)
    X = X.astype({"year": "Int64"})
    X.loc[[4, 9], "year"] = pd.NA
    X["tagged"] = pd.array(np.arange(60) % 3 == 0, dtype="boolean")
    pipe = fit(mixed_pipe(numeric=[*NUMERIC, "tagged"]), X, y)
    onx = to_onnx(pipe, X=X.head())
    assert onnx_inputs(X, onx)["year"].dtype == np.float32
    assert_same(onx, pipe, X)
    with pytest.raises(NotImplementedError, match="IntegerArray"):
        skl2onnx.to_onnx(pipe, X.head())


def test_column_names_that_are_not_identifiers():
    """skl2onnx renames inputs that are not identifiers or clash with an
    output; the metadata, and so onnx_inputs, follow the graph's names."""
    X, y = penguins(50, 14, missing=False)
    X = X.rename(columns={"bill_length_mm": "bill length (mm)", "island": "label"})
    pre = ColumnTransformer([("num", StandardScaler(), ["bill length (mm)", "year"]),
                             ("cat", OneHotEncoder(handle_unknown="ignore"), ["label", "sex"])])
    pipe = fit(make_pipeline(pre, sl.MLPClassifier((6,), max_iter=20, random_state=0)), X, y)
    onx = to_onnx(pipe, X=X.head())
    assert [v.name for v in onx.graph.input] == ["bill_length__mm_", "label1",
                                                 "flipper_length_mm", "sex", "year"]
    assert list(onnx_inputs(X, onx)) == [v.name for v in onx.graph.input]
    assert_same(onx, pipe, X)


def test_unresolved_column_callable_is_named(trained):
    X, pipe = trained
    pre = copy.copy(pipe[0])  # a fitted selection left as a callable, which fit never does
    name, encoder, _ = pre.transformers_[1]
    pre.transformers_ = [pre.transformers_[0], (name, encoder, lambda frame: TEXT)]
    odd = make_pipeline(pre, pipe[-1])
    with pytest.raises(ExportError, match=r"'columntransformer.cat' selects its columns with a "
                                          "callable that was never resolved"):
        to_onnx(odd, X=X)


def test_opsets(trained):
    """The oldest and newest opsets run; a text imputer needs Where (opset 9)."""
    X, pipe = trained
    for opset in (7, 22):
        assert_same(to_onnx(pipe, opset, X=X.head()), pipe, X)
    text = make_pipeline(SimpleImputer(strategy="most_frequent"),
                         OneHotEncoder(handle_unknown="ignore"))
    imputing = fit(mixed_pipe(text), X, pipe.classes_[np.arange(len(X)) % 3])
    with pytest.raises(OpsetError, match=r"target_opset=8 is too old .*Where \(opset 9 or later\)"):
        to_onnx(imputing, 8, X=X.head())
    assert_same(to_onnx(imputing, 9, X=X.head()), imputing, X)
