"""The network inside an estimator: the one way it is attached (by ``fit``,
by ``softmaxlab.load`` and by the CLI-model loader), and what trains it (the
optimizer, the schedule, and their saved state).

Part of ``BaseSoftmaxEstimator``: the estimator's private state (``_model``,
``_opt``, ``_schedule``, ``_rng`` ...) is read and written only
by the mixins that make up that class.
"""
from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state

from softmaxlab.estimators import _targets
from softmaxlab.estimators._persist import FITTED_ATTRIBUTES, TrainingState
from softmaxlab.backend import to_numpy
from softmaxlab.optim import make_optimizer, make_schedule
from softmaxlab.train import History
from softmaxlab.errors import InputError

__all__ = ["NetworkMixin"]

_BIT_GENERATORS = ("MT19937", "PCG64", "PCG64DXSM", "Philox", "SFC64")


class NetworkMixin:
    """Attaching, building and training the engine network."""

    # ---- what subclasses define ------------------------------------------
    def _build_model(self, n_features, n_units, rng, dtype, output):
        raise NotImplementedError

    # ---- the one way in -----------------------------------------------------
    def attach_network(self, network, classes, *, feature_names_in=None, fitted=None,
                       training_state=None):
        """Make this estimator a fitted one around an engine network.

        ``fit`` calls it with the network it builds, ``softmaxlab.load`` with
        the network of a file; call it to wrap a network you trained with
        ``softmaxlab.Trainer``.

        Parameters
        ----------
        network : softmaxlab.nn.Sequential
            Used as is (not copied): ``coefs_`` and ``intercepts_`` are its
            weight arrays. Its output and width decide the kind of target:
            softmax with C units (C classes), sigmoid with one unit (2
            classes) or with L units (L labels of a multilabel target).
        classes : array-like of shape (n_classes,)
            The labels; class index ``i`` of the network means ``classes[i]``.
            For a multilabel network, ``range(L)``.
        feature_names_in : array-like of str, optional
        fitted : dict, optional
            Fitted attributes to restore (``n_iter_``, ``t_``, ``loss_``,
            ``loss_curve_``, ``best_loss_``, ``validation_scores_``,
            ``best_validation_score_``, ``validation_loss_curve_``,
            ``history_``), as a saved file holds them.
        training_state : TrainingState, optional
            Optimizer buffers, schedule, RNG position and early-stopping
            counter, so that ``partial_fit`` continues exactly.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            When the network's output and width do not fit ``classes``, or
            ``fitted`` names an unknown attribute.
        """
        classes = np.asarray(classes)
        kind = _targets.kind_of_network(network.output, network.n_classes, len(classes))
        self.classes_ = classes
        self._target_kind = kind
        self._model = network
        self._rng = self._make_rng()
        network.set_rng(self._rng)
        lin = network.linear_layers
        # The very arrays the optimizer updates in place: always current.
        self.coefs_ = [layer.params["W"] for layer in lin]
        self.intercepts_ = [layer.params["b"] for layer in lin]
        self.n_layers_ = len(lin) + 1
        self.n_outputs_ = network.n_classes
        self.out_activation_ = "softmax" if network.output == "softmax" else "logistic"
        self.n_features_in_ = network.n_features
        if feature_names_in is not None:
            self.feature_names_in_ = np.asarray(feature_names_in, dtype=object)
        self._reset_training()
        for name, value in (fitted or {}).items():
            if name not in FITTED_ATTRIBUTES:
                raise InputError(f"attach_network: unknown fitted attribute {name!r}; known: "
                                 f"{sorted(FITTED_ATTRIBUTES)}.")
            setattr(self, name, value)
        if getattr(self, "loss_", 0) is None:
            del self.loss_
        if training_state is not None:
            self._load_training_state(training_state)
        return self

    @classmethod
    def from_network(cls, network, classes, *, feature_names_in=None, **params):
        """A fitted estimator around ``network``: ``cls(**params).attach_network(...)``."""
        return cls(**params).attach_network(network, classes, feature_names_in=feature_names_in)

    @property
    def network_(self):
        """The fitted engine network (``softmaxlab.nn.Sequential``)."""
        try:
            return self._model
        except AttributeError:
            raise AttributeError(f"This {type(self).__name__} instance is not fitted yet: it has no "
                                 "network_.") from None

    def _new_network(self, n_features, classes, kind, dtype, weights=None, where=None):
        """Build a network for ``kind`` and attach it: freshly initialised, or
        from ``weights``, a list of (W, b) pairs (the ``coefs_`` and
        ``intercepts_`` a user set before the first fit, as scikit-learn
        allows). ``where``, optional ``(namespace, device)``: the parameters,
        drawn from the NumPy Generator as always (same seed, same model),
        move there before anything trains."""
        output, units = _targets.network_output(kind, len(classes))
        rng = self._make_rng()
        network = self._build_model(n_features, units, rng, dtype, output)
        if weights is not None:
            lin = network.linear_layers
            shapes = [(layer.n_in, layer.n_out) for layer in lin]
            given = [(np.shape(W), np.shape(b)) for W, b in weights]
            if given != [(s, (s[1],)) for s in shapes]:
                raise InputError(f"coefs_ and intercepts_ set before fitting have shapes {given}, "
                                 f"but this network needs {[(s, (s[1],)) for s in shapes]}.")
            for layer, (W, b) in zip(lin, weights, strict=True):
                layer.params["W"][...] = to_numpy(W)
                layer.params["b"][...] = to_numpy(b)
        if where is not None:
            network.to(*where)
        self.attach_network(network, classes)
        # Initialisation drew from the run's Generator; training goes on from it.
        self._rng = rng
        network.set_rng(rng)

    def _reset_training(self):
        """The training record of a network that has not been trained here."""
        self.n_iter_ = 0
        self.t_ = 0
        self.loss_curve_ = []
        self.validation_loss_curve_ = [] if self.early_stopping else None
        self.history_ = History()
        self._no_improvement_count = 0
        if self.early_stopping:
            self.validation_scores_ = []
            self.best_validation_score_ = -np.inf
            self.best_loss_ = None
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None
            self.best_loss_ = np.inf
        self._opt = None
        self._schedule = None

    def _make_rng(self):
        """The run's one Generator. An int ``random_state`` seeds it as
        scikit-learn seeds its ``RandomState`` (the Mersenne Twister with the
        legacy seeding), so the initial weights come out bit for bit as
        scikit-learn's MLP draws them; a ``RandomState`` gives a seed drawn
        from it; None, fresh entropy."""
        rs = self.random_state
        if rs is None:
            return np.random.default_rng()
        if not isinstance(rs, (int, np.integer)):
            rs = int(check_random_state(rs).randint(np.iinfo(np.int32).max))
        bit_generator = np.random.MT19937()
        bit_generator.state = np.random.RandomState(rs).get_state(legacy=False)
        return np.random.Generator(bit_generator)

    # ---- what trains it ---------------------------------------------------------
    def _initial_lr(self) -> float:
        """The optimizer's starting rate (``learning_rate_init``)."""
        return self.learning_rate_init

    def _make_optimizer(self):
        params = self._model.parameters()
        if self.solver == "sgd":
            kw = {"momentum": self.momentum,
                  "nesterov": bool(self.nesterovs_momentum and self.momentum > 0)}
        else:
            kw = {"betas": (self.beta_1, self.beta_2), "eps": self.epsilon}
        self._opt = make_optimizer(self.solver, params, lr=self._initial_lr(), **kw)
        self._schedule = None
        spec = self.lr_schedule
        if spec is not None:
            opts = dict(spec) if isinstance(spec, dict) else {"name": spec}
            name = opts.pop("name")
            if name == "cosine":
                opts.setdefault("total_epochs", self.max_iter)
            self._schedule = make_schedule(name, self._opt, **opts)
        elif self.solver == "sgd" and self.learning_rate == "invscaling":
            self._schedule = make_schedule("invscaling", self._opt, power_t=self.power_t, unit="sample")

    def _l2_denominator(self, loss, T, sw):
        """None: scikit-learn's MLP penalty, per minibatch (see ``L2Penalty``)."""
        return None

    def __getstate__(self):
        # Old pickles' trainer held a shuffled copy of the training set: never
        # pickle such a thing. (A copy: object.__getstate__ hands back the
        # instance's own __dict__.)
        state = dict(super().__getstate__())
        state.pop("_trainer", None)
        state.pop("_l2", None)
        return state

    # ---- saved training state ------------------------------------------------------
    def _training_state(self) -> TrainingState | None:
        """What partial_fit needs to continue exactly where it stopped; None
        before any epoch (and for lbfgs, which keeps no optimizer)."""
        if getattr(self, "_opt", None) is None:
            return None
        return TrainingState(optimizer=self._opt.state_dict(),
                             schedule=None if self._schedule is None else self._schedule.state_dict(),
                             rng=self._rng.bit_generator.state,
                             no_improvement_count=int(self._no_improvement_count),
                             # The best weights live in the Trainer during a fit only.
                             best_weights=None)

    def _load_training_state(self, state: TrainingState):
        self._make_optimizer()
        self._opt.load_state_dict(state.optimizer)
        if self._schedule is not None and state.schedule is not None:
            self._schedule.load_state_dict(state.schedule)
        # The saved bit generator's kind (files from before int seeds meant
        # scikit-learn's Mersenne Twister hold a PCG64 state).
        name = state.rng.get("bit_generator") if isinstance(state.rng, dict) else None
        if name not in _BIT_GENERATORS:
            raise InputError(f"unknown random generator state {name!r}")
        bit_generator = getattr(np.random, name)()
        bit_generator.state = state.rng
        self._rng = np.random.Generator(bit_generator)
        self._model.set_rng(self._rng)
        self._no_improvement_count = int(state.no_improvement_count)
