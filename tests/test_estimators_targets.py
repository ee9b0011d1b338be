"""Binary targets (one logistic unit, as scikit-learn), multilabel targets
(one logistic unit per label), and estimator files from before binary
problems got one unit."""
import pathlib
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, make_multilabel_classification
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

import softmaxlab
from softmaxlab import MLPClassifier, SoftmaxRegression

pytestmark = [pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
              pytest.mark.filterwarnings("ignore::softmaxlab.train.hints.NotLearningWarning")]

DATA = pathlib.Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), np.array(["benign", "malignant"])[1 - y]


@pytest.fixture(scope="module")
def multilabel():
    X, Y = make_multilabel_classification(n_samples=120, n_features=10, n_classes=4,
                                          random_state=0)
    return StandardScaler().fit_transform(X), Y


# ---- binary ----------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda: MLPClassifier(hidden_layer_sizes=(7,), learning_rate_init=0.01, max_iter=30,
                          random_state=0),
    lambda: MLPClassifier(hidden_layer_sizes=(7,), solver="lbfgs", random_state=0),
    lambda: SoftmaxRegression(),
])
def test_binary_has_one_logistic_unit(cancer, make):
    X, y = cancer
    est = make().fit(X, y)
    h = est.coefs_[-1].shape[0]
    assert est.coefs_[-1].shape == (h, 1) and est.intercepts_[-1].shape == (1,)
    assert (est.n_outputs_, est.out_activation_) == (1, "logistic")
    assert est.network_.output == "sigmoid"
    P = est.predict_proba(X)
    assert P.shape == (len(X), 2)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(est.predict_log_proba(X), np.log(P))
    assert set(est.predict(X)) <= {"benign", "malignant"}
    np.testing.assert_array_equal(est.predict(X), est.classes_[P.argmax(axis=1)])
    assert est.score(X, y) > 0.95


def test_binary_probabilities_keep_both_tails():
    """Both columns come from the logit (never 1 - p), so a tiny one is kept;
    where even that underflows, predict_proba says the smallest normal number
    (and never exactly 1), so predict_log_proba = log(predict_proba) is finite."""
    X = np.array([[-1.0], [1.0]])
    est = SoftmaxRegression(alpha=1e-6).fit(X, [0, 1])
    est.coefs_[0][...] = 50.0
    est.intercepts_[0][...] = 0.0
    P, lp = est.predict_proba(X), est.predict_log_proba(X)
    assert P[0, 1] == pytest.approx(np.exp(-50.0), rel=1e-12)
    np.testing.assert_array_equal(lp, np.log(P))
    est.coefs_[0][...] = 1000.0
    P, lp = est.predict_proba(X), est.predict_log_proba(X)
    assert P[0, 1] == P[1, 0] == np.finfo(np.float64).tiny
    assert 0 < 1 - P[0, 0] < 1e-15 and np.all(np.isfinite(lp))
    np.testing.assert_array_equal(lp, np.log(P))


def test_softmax_regression_binary_is_logistic_regression(cancer):
    """Same objective (C = 1/alpha), same solver: the same coefficients (both
    solved to a tight tolerance, so what is compared is the objective)."""
    X, y = cancer
    ours = SoftmaxRegression(alpha=1 / 0.5, tol=1e-10).fit(X, y)
    lr = LogisticRegression(C=0.5, tol=1e-10, max_iter=1000).fit(X, y)
    np.testing.assert_allclose(ours.coefs_[0][:, 0], lr.coef_[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.intercepts_[0], lr.intercept_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.predict_proba(X), lr.predict_proba(X), atol=1e-6)


def test_softmax_regression_multiclass_matches_logistic_regression():
    from sklearn.datasets import load_wine
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    ours = SoftmaxRegression(tol=1e-10).fit(X, y)
    lr = LogisticRegression(tol=1e-10, max_iter=1000).fit(X, y)
    # Weights are identifiable under the L2 penalty (softmax intercepts only
    # up to a constant, so compare what they predict).
    np.testing.assert_allclose(ours.coefs_[0], lr.coef_.T, atol=1e-5)
    np.testing.assert_allclose(ours.predict_proba(X), lr.predict_proba(X), atol=1e-6)


@pytest.mark.parametrize("y_kind", ["binary", "multiclass"])
def test_class_weight_equals_the_same_sample_weight(y_kind):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((90, 4))
    y = (X[:, 0] + 0.5 * rng.standard_normal(90) > 0).astype(int)
    if y_kind == "multiclass":
        y = y + (X[:, 1] > 0.5)
    weights = {0: 1.0, 1: 3.0, 2: 0.5}
    a = SoftmaxRegression(class_weight={k: weights[k] for k in np.unique(y)}, tol=1e-10).fit(X, y)
    b = SoftmaxRegression(tol=1e-10).fit(X, y, sample_weight=np.vectorize(weights.get)(y))
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), rtol=1e-5, atol=1e-7)


def test_balanced_class_weight_on_one_logistic_unit():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((400, 3))
    y = (X[:, 0] + rng.standard_normal(400) > 1.6).astype(int)  # about 1 in 10 positive
    plain = SoftmaxRegression().fit(X, y)
    balanced = SoftmaxRegression(class_weight="balanced").fit(X, y)
    assert balanced.predict(X).mean() > plain.predict(X).mean() + 0.1


# ---- files written before binary problems got one unit -------------------------------

@pytest.mark.parametrize("name", ["mlp", "softmax"])
def test_old_two_unit_binary_files_load_and_predict_as_before(name, tmp_path):
    expected = np.load(DATA / "legacy_binary_expected.npz")
    est = softmaxlab.load(DATA / f"legacy_binary_{name}.npz")
    assert (est.out_activation_, est.n_outputs_, est.coefs_[-1].shape[1]) == ("softmax", 2, 2)
    np.testing.assert_array_equal(est.predict_proba(expected["X_new"]), expected[f"{name}_proba"])
    np.testing.assert_array_equal(est.predict(expected["X_new"]), expected[f"{name}_pred"])
    # Training goes on with the network it has, and it saves as it loaded.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.partial_fit(expected["X"], expected["y"])
    assert est.coefs_[-1].shape[1] == 2 and est.score(expected["X"], expected["y"]) > 0.5
    again = softmaxlab.load(est.save(tmp_path / "again.npz"))
    assert again.out_activation_ == "softmax"
    np.testing.assert_array_equal(again.predict_proba(expected["X"]), est.predict_proba(expected["X"]))


# ---- multilabel --------------------------------------------------------------------

@pytest.mark.parametrize("make, min_score", [
    (lambda: MLPClassifier(hidden_layer_sizes=(30,), solver="lbfgs", random_state=0), 0.95),
    (lambda: MLPClassifier(hidden_layer_sizes=(30,), learning_rate_init=0.01, max_iter=200,
                           random_state=0), 0.6),
    # Linear per-label boundaries get every label of a row right less often.
    (lambda: SoftmaxRegression(), 0.35),
])
def test_multilabel_fit_and_outputs(multilabel, make, min_score):
    X, Y = multilabel
    est = make().fit(X, Y)
    assert (est.n_outputs_, est.out_activation_) == (4, "logistic")
    np.testing.assert_array_equal(est.classes_, np.arange(4))
    pred = est.predict(X)
    assert pred.shape == Y.shape and pred.dtype.kind == "i" and set(np.unique(pred)) <= {0, 1}
    P = est.predict_proba(X)
    assert P.shape == Y.shape and np.ptp(P.sum(axis=1)) > 0.1  # not a distribution
    np.testing.assert_array_equal(pred, (P > 0.5).astype(int))
    np.testing.assert_array_equal(est.predict_log_proba(X), np.log(P))
    assert np.all((0 < P) & (P < 1))
    # score is subset accuracy, as scikit-learn's.
    assert est.score(X, Y) == pytest.approx(np.mean(np.all(pred == Y, axis=1)))
    assert est.score(X, Y) > min_score


def test_multilabel_partial_fit_streams_and_checks_its_labels(multilabel):
    X, Y = multilabel
    est = MLPClassifier(hidden_layer_sizes=(16,), solver="sgd", learning_rate_init=0.1,
                        random_state=0)
    for _ in range(30):
        est.partial_fit(X, Y, classes=[0, 1, 2, 3])
    assert est.score(X, Y) > 0.5 and est.n_iter_ == 30
    with pytest.raises(ValueError, match="classes not in"):
        MLPClassifier(solver="sgd").partial_fit(X, Y, classes=[0, 1])
    with pytest.raises(ValueError, match="multilabel targets and needs a 0/1 indicator matrix"):
        est.partial_fit(X, Y[:, 0])
    with pytest.raises(ValueError, match="classes not in"):
        est.partial_fit(X, Y[:, :3])


def test_multilabel_early_stopping_is_not_stratified(multilabel):
    X, Y = multilabel
    est = MLPClassifier(hidden_layer_sizes=(16,), early_stopping=True, max_iter=40,
                        learning_rate_init=0.01, random_state=0).fit(X, Y)
    assert len(est.validation_scores_) == est.n_iter_
    assert est.best_validation_score_ == max(est.validation_scores_)
    assert all(0 <= s <= 1 for s in est.validation_scores_)


def test_multilabel_class_weights(multilabel):
    X, Y = multilabel
    rare = np.zeros_like(Y)
    rare[:12, 0] = 1  # label 0 is positive for 1 sample in 10
    rare[:, 1:] = Y[:, 1:]
    plain = SoftmaxRegression().fit(X, rare)
    balanced = SoftmaxRegression(class_weight="balanced").fit(X, rare)
    listed = SoftmaxRegression(class_weight=[{1: 9.0}, {}, {}, {}]).fit(X, rare)
    assert balanced.predict(X)[:, 0].sum() > plain.predict(X)[:, 0].sum()
    assert listed.predict(X)[:, 0].sum() > plain.predict(X)[:, 0].sum()
    with pytest.raises(ValueError, match="list of 4 dicts"):
        SoftmaxRegression(class_weight={0: 2.0}).fit(X, rare)


def test_multilabel_save_load_and_continue(multilabel, tmp_path):
    X, Y = multilabel
    est = MLPClassifier(hidden_layer_sizes=(8,), solver="adam", max_iter=5, random_state=0).fit(X, Y)
    loaded = softmaxlab.load(est.save(tmp_path / "m.npz"))
    assert loaded.network_.output == "sigmoid" and loaded.n_outputs_ == 4
    np.testing.assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))
    est.partial_fit(X, Y)
    loaded.partial_fit(X, Y)
    for a, b in zip(est.coefs_ + est.intercepts_, loaded.coefs_ + loaded.intercepts_, strict=True):
        np.testing.assert_array_equal(a, b)


def test_attach_network_refuses_what_does_not_fit():
    net = softmaxlab.mlp(3, [4], 1, rng=np.random.default_rng(0), output="sigmoid")
    with pytest.raises(ValueError, match="cannot serve 3 class labels"):
        MLPClassifier().attach_network(net, ["a", "b", "c"])
    est = MLPClassifier.from_network(net, ["no", "yes"], hidden_layer_sizes=(4,))
    assert est.predict(np.zeros((2, 3))).tolist() == [est.classes_[int(est.predict_proba(
        np.zeros((1, 3)))[0, 1] > 0.5)]] * 2
    with pytest.raises(AttributeError, match="not fitted yet"):
        MLPClassifier().network_  # noqa: B018


def test_unsupported_targets_are_refused():
    X = np.zeros((6, 2))
    with pytest.raises(ValueError, match="MultiOutputClassifier"):
        MLPClassifier().fit(X, np.array([[0, 2], [1, 1], [2, 0], [0, 1], [1, 2], [2, 2]]))
    with pytest.warns(Warning, match="column"):  # a single column: raveled, with a warning
        SoftmaxRegression().fit(X + np.arange(6)[:, None], np.array([[0], [1]] * 3))
