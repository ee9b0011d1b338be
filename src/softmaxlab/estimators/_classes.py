"""``MLPClassifier`` (a drop-in for scikit-learn's) and ``SoftmaxRegression``."""
from __future__ import annotations

import numbers

import numpy as np

from softmaxlab.nn import mlp, softmax_regression
from softmaxlab.estimators._base import BaseSoftmaxEstimator
from softmaxlab._validation import Interval, ListOf, Options
from softmaxlab.estimators._training import SHARED_CONSTRAINTS, loss_weight_sum

__all__ = ["MLPClassifier", "SoftmaxRegression"]


def _sklearn_init(activation: str):
    """scikit-learn's Glorot-uniform bound: ``sqrt(6 / (fan_in + fan_out))``,
    ``sqrt(2 / ...)`` for logistic units (biases: see ``_build_model``)."""
    factor = 2.0 if activation == "logistic" else 6.0

    def init(fan_in, fan_out, rng, dtype=np.float32):
        a = np.sqrt(factor / (fan_in + fan_out))
        return rng.uniform(-a, a, size=(fan_in, fan_out)).astype(dtype)

    return init


_SHARED_DOC = """
    solver : {"adam", "sgd", "lbfgs"}
        ``lbfgs`` runs ``scipy.optimize.minimize(method="L-BFGS-B")`` on the
        engine's full-batch loss and gradient (no ``partial_fit``).
    batch_size, learning_rate, learning_rate_init, power_t, max_iter, shuffle,
    random_state, tol, verbose, warm_start, momentum, nesterovs_momentum,
    early_stopping, validation_fraction, beta_1, beta_2, epsilon,
    n_iter_no_change, max_fun
        Same names and meanings as ``sklearn.neural_network.MLPClassifier``,
        and its defaults (``SoftmaxRegression``'s ``solver`` and ``max_iter``
        excepted, see its description).
        ``learning_rate="adaptive"`` divides the rate by 5 whenever the training
        loss (validation score with early stopping) fails to improve by ``tol``
        for more than ``n_iter_no_change`` epochs, stopping once it is <= 1e-6.
    class_weight : None, "balanced", dict {label: weight} or list of dicts
        Multiplies each sample's loss; combined with ``sample_weight``.
        "balanced" is ``n_samples / (n_classes * count)`` (fit only). For
        multilabel targets: "balanced" (each label's 0s against its 1s) or
        one dict ``{0: w0, 1: w1}`` per label, as scikit-learn's multi-output
        estimators take it.
    dtype : None, "float32" or "float64"
        None follows the input (float32 stays float32, else float64).
    lr_schedule : None, str or dict
        A schedule scikit-learn lacks: "step", "cosine", "plateau",
        "invscaling" or "constant", or ``{"name": "cosine", "total_epochs": 50}``
        (options of ``softmaxlab.optim.make_schedule``; cosine defaults to
        ``max_iter`` epochs). Stepped after every epoch; needs
        ``learning_rate="constant"``.
"""


class MLPClassifier(BaseSoftmaxEstimator):
    """Multi-layer perceptron classifier with scikit-learn's API, trained by
    softmaxlab's NumPy engine.

    A drop-in for ``sklearn.neural_network.MLPClassifier``: the same
    parameters and defaults, the same output layers (a softmax over 3 or more
    classes, one logistic unit for 2, one per label for a multilabel
    indicator ``y``, and a single class accepted), and with an int
    ``random_state`` the same initial weights, bit for bit. Callbacks:
    ``set_callbacks`` takes scikit-learn's (``ProgressBar``,
    ``ScoringMonitor``) and softmaxlab's (``softmaxlab.LivePlot``).

    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=(100,)
    activation : {"identity", "logistic", "tanh", "relu"}, default="relu"
    dropout : float in [0, 1), default=0
        Inverted dropout after every hidden activation (training only).
    alpha : float, default=1e-4
        L2 strength on the weights (never the biases), as scikit-learn's MLP:
        ``0.5 * alpha * ||W||^2 / n_batch`` is added to each minibatch loss
        for "sgd"/"adam" (applied as the optimizer's weight decay
        ``alpha / n_batch``), ``0.5 * alpha * ||W||^2 / sum(w)`` to the
        full-batch mean loss for "lbfgs"; ``loss_`` includes it.
    """ + _SHARED_DOC + """
    Attributes
    ----------
    classes_, n_features_in_, feature_names_in_, coefs_, intercepts_, loss_,
    loss_curve_, best_loss_, validation_scores_, best_validation_score_,
    n_iter_, t_, n_layers_, n_outputs_, out_activation_
        As scikit-learn's. The output layer is a softmax over the classes for
        3 or more classes, one logistic unit for 2 (``out_activation_ ==
        "logistic"``, ``coefs_[-1]`` of shape (h, 1), ``predict_proba`` still
        (n, 2)), one logistic unit per label for a multilabel indicator ``y``
        (``predict`` returns the indicator matrix, ``classes_ == arange(L)``).
        A file saved before binary problems got one unit keeps its 2-unit
        softmax (``out_activation_ == "softmax"``, ``n_outputs_ == 2``).
    validation_loss_curve_ : list of float or None
        Validation log-loss per epoch (with ``early_stopping``).
    history_ : softmaxlab.train.History
        Per-epoch loss, accuracy, validation metrics, learning rate, seconds.
    network_ : softmaxlab.nn.Sequential
        The engine network; ``coefs_``/``intercepts_`` are its arrays.
    """

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000,
                 class_weight=None, dropout=0.0, dtype=None, lr_schedule=None):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.class_weight = class_weight
        self.dropout = dropout
        self.dtype = dtype
        self.lr_schedule = lr_schedule

    _single_class_ok = True  # as scikit-learn's MLPClassifier
    _constraints = {
        **SHARED_CONSTRAINTS,
        "hidden_layer_sizes": [Interval(int, 1), ListOf(Interval(int, 1))],
        "activation": [Options("identity", "logistic", "tanh", "relu")],
        "dropout": [Interval(float, 0, 1, closed="left")],
    }

    def _hidden(self):
        # Checked by fit against _constraints: an int or a sequence of ints >= 1.
        h = self.hidden_layer_sizes
        h = [h] if isinstance(h, numbers.Integral) else list(np.asarray(h).tolist())
        return [int(v) for v in h]

    def _build_model(self, n_features, n_units, rng, dtype, output):
        model = mlp(n_features, self._hidden(), n_units, activation=self.activation,
                    dropout=self.dropout, init="zeros", rng=rng, dtype=dtype, output=output)
        # scikit-learn's initialisation, in its order (each layer's weights,
        # then its intercepts, from one stream): with the same random_state
        # the initial weights are scikit-learn's, bit for bit. Its intercepts
        # come from the same uniform as the weights; with zero biases, digits
        # test accuracy was ~1 point lower.
        init = _sklearn_init(self.activation)
        factor = 2.0 if self.activation == "logistic" else 6.0
        for layer in model.linear_layers:
            layer.params["W"][...] = init(layer.n_in, layer.n_out, rng, dtype)
            a = np.sqrt(factor / (layer.n_in + layer.n_out))
            layer.params["b"][...] = rng.uniform(-a, a, size=layer.n_out)
        return model


class SoftmaxRegression(BaseSoftmaxEstimator):
    """Multinomial logistic regression (one linear layer and a softmax; one
    logistic unit for two classes, one per label for multilabel), with
    scikit-learn's API.

    A drop-in for ``LogisticRegression()``: by default it minimises the same
    objective with the same solver, so swapping one for the other gives the
    same model (within the solvers' tolerance).

    - ``solver="lbfgs"``: the problem is convex and, for the data sizes this
      estimator meets (up to Fashion-MNIST's 60 000 x 784), full-batch
      L-BFGS-B converges in a few hundred iterations without a learning rate
      to tune; ``LogisticRegression`` uses it by default for the same reason.
    - ``alpha=1.0``: with "lbfgs" the objective is ``LogisticRegression``'s
      with ``C = 1 / alpha`` (for every solver, see ``alpha``), so this is its
      ``C=1.0``. Use ``alpha=1/C`` to carry over a tuned ``C``.
    - ``max_iter=1000``: ``LogisticRegression`` stops at 100 iterations and
      warns on unscaled or high-dimensional data; 1000 lets L-BFGS reach
      ``tol`` on the standard small data sets and on Fashion-MNIST, so the
      defaults fit without a ``ConvergenceWarning`` (see ``docs/estimators.md``
      for the measurements).
    - ``tol=1e-4``, the line-search settings ``maxls=50`` and
      ``ftol=64 * eps``: ``LogisticRegression``'s.
    - ``learning_rate_init=None`` (used by "sgd" and "adam" only): 0.001 for
      "sgd" (with momentum 0.9), 0.01 for "adam", whose steps are about the
      rate itself per parameter (at 0.001 an intercept moves at most 1 in
      1000 steps, too little on unscaled data).

    The minibatch solvers remain: ``solver="sgd"`` or ``"adam"`` (with
    ``partial_fit``) minimise the same objective by stochastic steps; the
    classic 5-epoch Fashion-MNIST recipe is
    ``SoftmaxRegression(solver="sgd", learning_rate_init=0.1, momentum=0.0,
    alpha=0.0, batch_size=256)`` on features scaled to [0, 1].

    Parameters
    ----------
    alpha : float, default=1.0
        L2 strength on the weights (never the biases): every solver minimises
        ``mean loss + 0.5 * alpha * ||W||^2 / sum(w)`` (``sum(w)``: the rows,
        or the sample weights times the class weights, of the data given to
        ``fit`` or to one ``partial_fit`` call; the minibatch solvers apply
        ``alpha / sum(w)`` as the optimizer's weight decay). Times ``sum(w)``
        this is ``sum_i w_i l_i + 0.5 * alpha * ||W||^2``:
        ``LogisticRegression``'s objective with ``C = 1 / alpha``. (Unlike
        ``MLPClassifier``, whose minibatch penalty is divided by the batch
        size, as scikit-learn's MLP does.) ``loss_`` includes it.
    """ + _SHARED_DOC + """
    Attributes
    ----------
    Those of ``MLPClassifier``; ``coefs_`` and ``intercepts_`` have one entry
    of shape (n_features, n_units) and (n_units,), ``n_layers_ == 2``.
    """

    def __init__(self, *, solver="lbfgs", alpha=1.0, batch_size="auto", learning_rate="constant",
                 learning_rate_init=None, power_t=0.5, max_iter=1000, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000,
                 class_weight=None, dtype=None, lr_schedule=None):
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.class_weight = class_weight
        self.dtype = dtype
        self.lr_schedule = lr_schedule

    def _build_model(self, n_features, n_units, rng, dtype, output):
        return softmax_regression(n_features, n_units, init="normal", rng=rng, dtype=dtype,
                                  output=output)

    # None: the solver's own default rate (see _initial_lr).
    _constraints = {**SHARED_CONSTRAINTS,
                    "learning_rate_init": [Options(None), *SHARED_CONSTRAINTS["learning_rate_init"]]}

    def _initial_lr(self):
        if self.learning_rate_init is not None:
            return self.learning_rate_init
        # Adam's steps are about the rate itself per parameter, whatever the
        # gradient's scale: at 0.001 an intercept moves at most 1 in 1000
        # steps. SGD's steps scale with the gradient, and 0.01 with momentum
        # 0.9 already overshoots on unscaled data.
        return 0.01 if self.solver == "adam" else 0.001

    def _l2_denominator(self, loss, T, sw):
        # The full objective's penalty for every solver (see alpha).
        return loss_weight_sum(loss, T, sw)

    def _lbfgs_options(self):
        # LogisticRegression's line search: more steps and a tighter relative
        # decrease test than scipy's defaults, so it stops on tol, not early.
        return {"maxls": 50, "ftol": 64 * np.finfo(float).eps}
