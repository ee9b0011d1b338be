"""Behaviour of the scikit-learn estimators beyond scikit-learn's own checks."""
import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits, make_blobs, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import recall_score
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.neural_network import MLPClassifier as SkMLP
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import softmaxlab
from softmaxlab import MLPClassifier, SoftmaxRegression

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    sc = StandardScaler().fit(Xtr)
    return sc.transform(Xtr), sc.transform(Xte), ytr, yte


def _blobs(n=120, centers=3, seed=0):
    X, y = make_blobs(n_samples=n, centers=centers, random_state=seed)
    return StandardScaler().fit_transform(X), y


def test_accepts_every_sklearn_parameter_with_its_default():
    ours = MLPClassifier().get_params()
    theirs = SkMLP().get_params()
    for name, default in theirs.items():
        assert name in ours, name
        assert ours[name] == default, name
    assert {"class_weight", "dropout", "dtype", "lr_schedule"} <= set(ours)
    assert set(SoftmaxRegression().get_params()) == set(ours) - {"hidden_layer_sizes", "activation",
                                                                 "dropout"}


def _digits_targets(kind, y):
    if kind == "multiclass":
        return y, np.arange(10)
    if kind == "binary":
        return y % 2, np.arange(2)
    Y = np.stack([y % 2, y > 4, y % 3 == 0], axis=1).astype(int)
    return Y, np.arange(3)


@pytest.mark.parametrize("kind", ["multiclass", "binary", "multilabel"])
def test_one_sgd_epoch_matches_sklearn_exactly(kind):
    """Same initial weights, one full pass in 3 batches of SGD with Nesterov
    momentum and alpha: identical weights and loss_ (penalty included), for
    a softmax output, one logistic unit (binary) and one per label."""
    X, y = load_digits(return_X_y=True)
    X, y = X[:150] / 16, y[:150]
    y, classes = _digits_targets(kind, y)
    kw = dict(hidden_layer_sizes=(8,), solver="sgd", learning_rate_init=0.01, alpha=0.1,
              batch_size=50, shuffle=False, random_state=0)
    sk = SkMLP(**kw).partial_fit(X[:20], y[:20], classes=classes)
    # Start ours from scikit-learn's weights, with a fresh optimizer on both.
    net = softmaxlab.from_weights(list(zip(sk.coefs_, sk.intercepts_, strict=True)),
                                  dtype=np.float64)
    net = softmaxlab.Sequential(net.layers, output="softmax" if kind == "multiclass" else "sigmoid")
    ours = MLPClassifier.from_network(net, classes, **kw)
    assert ours.coefs_[-1].shape == sk.coefs_[-1].shape
    assert (ours.n_outputs_, ours.out_activation_) == (sk.n_outputs_, sk.out_activation_)
    del sk._optimizer
    for _ in range(3):
        sk.partial_fit(X, y)
        ours.partial_fit(X, y)
        assert ours.loss_ == pytest.approx(sk.loss_, rel=1e-12)
        for a, b in zip(sk.coefs_ + sk.intercepts_, ours.coefs_ + ours.intercepts_, strict=True):
            np.testing.assert_allclose(b, a, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours.predict_proba(X), sk.predict_proba(X), rtol=1e-10)
    np.testing.assert_array_equal(ours.predict(X), sk.predict(X))


def test_loss_includes_the_l2_penalty():
    X, y = _blobs()
    est = SoftmaxRegression(solver="sgd", learning_rate_init=1e-12, alpha=3.0, batch_size=len(X),
                            shuffle=False, random_state=0)
    est.partial_fit(X, y, classes=[0, 1, 2])
    # With a vanishing step the weights are still the initial ones.
    p = est.predict_proba(X)
    data = -np.mean(np.log(p[np.arange(len(y)), y]))
    penalty = 0.5 * 3.0 * np.sum(est.coefs_[0] ** 2) / len(X)
    assert est.loss_ == pytest.approx(data + penalty, rel=1e-9)


@pytest.mark.parametrize("solver,kw", [("sgd", dict(learning_rate_init=0.05, momentum=0.9)),
                                       ("adam", dict(learning_rate_init=0.003))])
def test_digits_accuracy_within_one_point_of_sklearn(digits, solver, kw):
    Xtr, Xte, ytr, yte = digits
    seeds = range(5)  # single runs vary by ~0.5 point; compare means over seeds
    acc = {}
    for cls in (SkMLP, MLPClassifier):
        acc[cls] = np.mean([cls(hidden_layer_sizes=(32,), solver=solver, max_iter=40, random_state=s,
                                **kw).fit(Xtr, ytr).score(Xte, yte) for s in seeds])
    assert abs(acc[MLPClassifier] - acc[SkMLP]) <= 0.01, acc


@pytest.mark.parametrize("make", [
    lambda: MLPClassifier(hidden_layer_sizes=(10,), dropout=0.2, random_state=3, max_iter=4),
    lambda: SoftmaxRegression(solver="sgd", learning_rate_init=0.1, random_state=3, max_iter=4,
                              lr_schedule="cosine"),
])
def test_fit_k_epochs_equals_k_partial_fits(make):
    X, y = _blobs(n=90)
    a = make().fit(X, y)
    b = make()
    for _ in range(4):
        b.partial_fit(X, y, classes=np.unique(y))
    assert a.n_iter_ == b.n_iter_ == 4
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert a.loss_curve_ == b.loss_curve_


def test_pipeline_gridsearch_cross_val_and_clone():
    X, y = make_blobs(n_samples=150, centers=3, random_state=1)
    pipe = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(8,), max_iter=100,
                                                         learning_rate_init=0.01,
                                                         random_state=0))
    assert cross_val_score(pipe, X, y, cv=3).mean() > 0.9
    grid = GridSearchCV(pipe, {"mlpclassifier__alpha": [1e-4, 1e-2]}, cv=3).fit(X, y)
    assert grid.best_score_ > 0.9
    c = clone(grid.best_estimator_)
    assert c.get_params()["mlpclassifier__alpha"] == grid.best_params_["mlpclassifier__alpha"]
    assert not hasattr(c[-1], "classes_")


def test_class_weight_balanced_raises_minority_recall():
    X, y = make_classification(n_samples=1200, n_features=8, weights=[0.92, 0.08], class_sep=0.5,
                               random_state=0)
    Xtr, Xte, ytr, yte = train_test_split(X, y, stratify=y, random_state=0)
    kw = dict(hidden_layer_sizes=(16,), max_iter=60, random_state=0)
    plain = MLPClassifier(**kw).fit(Xtr, ytr)
    balanced = MLPClassifier(class_weight="balanced", **kw).fit(Xtr, ytr)
    r_plain = recall_score(yte, plain.predict(Xte), pos_label=1)
    r_bal = recall_score(yte, balanced.predict(Xte), pos_label=1)
    assert r_bal >= r_plain + 0.15, (r_plain, r_bal)


def test_string_pandas_labels_dataframes_and_float32():
    pd = pytest.importorskip("pandas")
    X, y = _blobs()
    names = np.array(["cat", "dog", "emu"])[y]
    df = pd.DataFrame(X.astype(np.float32), columns=["a", "b"])
    est = MLPClassifier(hidden_layer_sizes=(8,), max_iter=30, learning_rate_init=0.02,
                        random_state=0).fit(df, pd.Series(names))
    assert list(est.classes_) == ["cat", "dog", "emu"]
    assert list(est.feature_names_in_) == ["a", "b"]
    assert est.coefs_[0].dtype == np.float32 and est.predict_proba(df).dtype == np.float32
    assert set(est.predict(df)) <= set(est.classes_)
    assert est.score(df, names) > 0.9
    est64 = MLPClassifier(hidden_layer_sizes=(8,), max_iter=2, dtype="float32").fit(X, y)
    assert est64.coefs_[0].dtype == np.float32


def test_binary_and_sparse_input():
    sp = pytest.importorskip("scipy.sparse")
    X, y = _blobs(centers=2)
    est = SoftmaxRegression(max_iter=50, random_state=0).fit(sp.csr_matrix(X), y)
    np.testing.assert_array_equal(est.predict(sp.csr_matrix(X)), est.predict(X))
    assert est.predict_proba(X).shape == (len(X), 2) and est.score(X, y) > 0.9


def test_predict_log_proba_is_finite_for_extreme_inputs():
    X, y = _blobs()
    est = SoftmaxRegression(max_iter=20, random_state=0).fit(X, y)
    lp = est.predict_log_proba(X * 1e6)
    assert np.all(np.isfinite(lp)) and np.all(np.isfinite(np.log(est.predict_proba(X * 1e6))))
    np.testing.assert_allclose(np.exp(est.predict_log_proba(X)).sum(axis=1), 1.0)


def test_convergence_warning_and_partial_fit_needs_classes():
    X, y = _blobs()
    with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
        with warnings.catch_warnings():
            warnings.simplefilter("always", ConvergenceWarning)
            MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="classes"):
        SoftmaxRegression(solver="adam").partial_fit(X, y)
    with pytest.raises(AttributeError, match="partial_fit"):
        MLPClassifier(solver="lbfgs").partial_fit  # noqa: B018


def test_lbfgs_solver_fits():
    X, y = _blobs()
    est = MLPClassifier(hidden_layer_sizes=(8,), solver="lbfgs", random_state=0).fit(X, y)
    assert est.score(X, y) > 0.95 and est.n_iter_ >= 1 and np.isfinite(est.loss_)


def test_early_stopping_validation_curves_and_history():
    X, y = _blobs(n=300)
    est = MLPClassifier(hidden_layer_sizes=(8,), early_stopping=True, max_iter=300,
                        random_state=0).fit(X, y)
    n = est.n_iter_
    assert len(est.validation_scores_) == len(est.validation_loss_curve_) == len(est.loss_curve_) == n
    assert est.best_validation_score_ == max(est.validation_scores_)
    assert est.best_loss_ is None and len(est.history_) == n
    assert est.history_.val_loss == est.validation_loss_curve_


def test_adaptive_and_schedules_change_the_learning_rate():
    X, y = _blobs()
    est = SoftmaxRegression(solver="sgd", learning_rate="adaptive", learning_rate_init=0.1,
                            n_iter_no_change=1, tol=10.0, max_iter=6, random_state=0).fit(X, y)
    # Epoch 1 sets best_loss_; epochs 2 and 3 fail to beat it by tol, so the
    # count (2) exceeds n_iter_no_change (1) after epoch 3: epoch 4 runs at 0.1/5.
    assert est.history_.lr[:5] == pytest.approx([0.1, 0.1, 0.1, 0.02, 0.02])
    est = SoftmaxRegression(solver="sgd", learning_rate_init=0.1, max_iter=4, tol=0,
                            lr_schedule={"name": "step", "step_size": 2, "gamma": 0.5},
                            random_state=0).fit(X, y)
    assert est.history_.lr == pytest.approx([0.1, 0.1, 0.05, 0.05])
    with pytest.raises(ValueError, match="lr_schedule"):
        SoftmaxRegression(lr_schedule="cosine", learning_rate="adaptive").fit(X, y)


def test_pickle_and_save_load_round_trip(tmp_path):
    pd = pytest.importorskip("pandas")
    X, y = _blobs()
    df = pd.DataFrame(X, columns=["u", "v"])
    for est in (MLPClassifier(hidden_layer_sizes=(6, 5), activation="tanh", max_iter=20, random_state=0),
                SoftmaxRegression(solver="adam", max_iter=20, random_state=0)):
        est.fit(df, np.array(["x", "y", "z"])[y])
        again = pickle.loads(pickle.dumps(est))
        np.testing.assert_array_equal(again.predict_proba(df), est.predict_proba(df))
        path = est.save(tmp_path / f"{type(est).__name__}.npz")
        loaded = softmaxlab.load(path)
        assert type(loaded) is type(est) and loaded.get_params() == est.get_params()
        np.testing.assert_array_equal(loaded.predict_proba(df), est.predict_proba(df))
        np.testing.assert_array_equal(loaded.classes_, est.classes_)
        assert list(loaded.feature_names_in_) == ["u", "v"]
        assert loaded.loss_curve_ == est.loss_curve_ and loaded.n_iter_ == est.n_iter_
        loaded.partial_fit(df, np.array(["x", "y", "z"])[y])  # continues training
    raw = pickle.dumps(est)
    assert b"_trainer" not in raw  # no copy of the training set inside


def test_integer_labels_survive_save(tmp_path):
    X, y = _blobs()
    est = SoftmaxRegression(max_iter=5, random_state=0).fit(X, y + 10)
    loaded = softmaxlab.load(est.save(tmp_path / "m.npz"))
    assert loaded.classes_.dtype == est.classes_.dtype
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))


def test_load_reads_a_cli_model_as_a_pipeline(tmp_path):
    predictor = pytest.importorskip("softmaxlab.runs.predictor")
    from softmaxlab.data import Preprocessor
    X = np.random.default_rng(0).normal(size=(50, 4)) * 10 + 3
    pre = Preprocessor("standard").fit(X)
    net = softmaxlab.mlp(4, [5], 2, rng=np.random.default_rng(0))
    p = predictor.Predictor(net, pre, ["no", "yes"], ["no", "yes"], ["a", "b", "c", "d"])
    p.save(tmp_path / "model.npz")
    pipe = softmaxlab.load(tmp_path / "model.npz")
    np.testing.assert_array_equal(pipe.predict(X), p.predict(X))
    np.testing.assert_allclose(pipe.predict_proba(X), p.predict_proba(X), rtol=1e-6)


def test_zero_weight_minibatches_contribute_nothing():
    # With batch_size=1, every row of weight 0 is an all-zero-weight batch:
    # loss 0, no gradient, no error (the core loss handles it).
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 3))
    y = (X[:, 0] > 0).astype(int)
    sw = np.where(np.arange(40) % 2 == 0, 0.0, 1.0)
    from softmaxlab import SoftmaxRegression
    est = SoftmaxRegression(solver="sgd", learning_rate_init=0.1, batch_size=1, max_iter=5,
                            random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y, sample_weight=sw)
    assert np.all(np.isfinite(est.loss_curve_))
    assert est.score(X, y) > 0.8


@pytest.mark.parametrize("make", [
    lambda: MLPClassifier(hidden_layer_sizes=(16,), solver="adam", max_iter=3, random_state=0),
    lambda: MLPClassifier(hidden_layer_sizes=(16,), solver="sgd", momentum=0.9,
                          learning_rate="invscaling", max_iter=3, random_state=0),
    lambda: MLPClassifier(hidden_layer_sizes=(16,), solver="sgd", lr_schedule="cosine",
                          max_iter=3, random_state=0),
    lambda: SoftmaxRegression(solver="adam", max_iter=3, random_state=0),
])
def test_partial_fit_after_load_continues_bit_for_bit(make, tmp_path):
    """save() keeps the optimizer's moments, the schedule and the RNG
    position: training on after load gives the same bits as never saving."""
    import softmaxlab
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = make().fit(X, y)
        loaded = softmaxlab.load(est.save(tmp_path / "m.npz"))
        for _ in range(2):
            est.partial_fit(X, y)
            loaded.partial_fit(X, y)
    for a, b in zip(est.coefs_ + est.intercepts_, loaded.coefs_ + loaded.intercepts_, strict=True):
        np.testing.assert_array_equal(a, b)
    assert loaded.t_ == est.t_ and loaded.n_iter_ == est.n_iter_


@pytest.mark.parametrize("corrupt", ["optimizer_type", "moment_shape", "rng"])
def test_load_rejects_inconsistent_training_state(corrupt, tmp_path):
    import softmaxlab
    from softmaxlab.io import ModelFormatError, load_model, save_model
    X, y = make_blobs(n_samples=60, centers=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0).fit(X, y)
    loaded = load_model(est.save(tmp_path / "m.npz"))
    meta, arrays = loaded.meta, dict(loaded.arrays)
    if corrupt == "optimizer_type":
        meta["training_state"]["optimizer"]["type"] = "SGD"
    elif corrupt == "moment_shape":
        arrays["optimizer.m.0"] = np.zeros((3, 3))
    else:
        meta["training_state"]["rng"] = {"bit_generator": "nonsense"}
    bad = save_model(tmp_path / "bad.npz", loaded.model, meta, arrays=arrays)
    with pytest.raises(ModelFormatError, match="inconsistent estimator metadata"):
        softmaxlab.load(bad)


def test_one_row_fast_path_gives_the_validated_answer_and_keeps_every_check():
    """A float64 C row of the right width skips scikit-learn's validation;
    anything else takes it, so the answers and the errors are the same."""
    from sklearn.exceptions import NotFittedError
    X, y = _blobs()
    est = MLPClassifier(hidden_layer_sizes=(5,), max_iter=5, random_state=0).fit(X, y)
    row = np.ascontiguousarray(X[:1])
    np.testing.assert_array_equal(est.predict_proba(row), est.predict_proba(row.tolist()))
    np.testing.assert_array_equal(est.predict_proba(X[:, ::-1][:, ::-1]), est.predict_proba(X))
    np.testing.assert_allclose(est.predict_proba(row.astype(np.float32)), est.predict_proba(row),
                               rtol=1e-6)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        est.predict_proba(np.array([[np.nan, 0.0]]))
    with pytest.raises(ValueError, match="Input X contains infinity"):
        est.predict(np.array([[np.inf, 0.0]]))
    with pytest.raises(ValueError, match="X has 3 features, but MLPClassifier is expecting 2"):
        est.predict_proba(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="0 sample"):
        est.predict_proba(np.zeros((0, 2)))
    with pytest.raises(NotFittedError):
        MLPClassifier().predict_proba(row)
    # Fitted with feature names: an array without them still gets the warning.
    pd = pytest.importorskip("pandas")
    named = MLPClassifier(hidden_layer_sizes=(5,), max_iter=5, random_state=0).fit(
        pd.DataFrame(X, columns=["a", "b"]), y)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        named.predict_proba(row)


def test_softmax_regression_defaults_match_logistic_regression(digits):
    """The defaults (lbfgs, alpha = 1/C = 1) fit standardised digits without a
    warning and land on LogisticRegression()'s test accuracy."""
    from sklearn.linear_model import LogisticRegression
    Xtr, Xte, ytr, yte = digits
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = SoftmaxRegression().fit(Xtr, ytr)
    lr = LogisticRegression().fit(Xtr, ytr)
    assert ours.solver == "lbfgs" and ours.alpha == 1.0
    assert abs(ours.score(Xte, yte) - lr.score(Xte, yte)) <= 0.01
