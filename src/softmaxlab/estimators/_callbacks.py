"""Callbacks on the estimators: scikit-learn's callback API
(``set_callbacks(ProgressBar(), ScoringMonitor(...))``, as on
``LogisticRegression``) and softmaxlab's own per-epoch ``Callback`` objects
(``softmaxlab.live.LivePlot``, a user's ``on_epoch_end``), through the one
``set_callbacks``.

The task tree the scikit-learn callbacks see: ``fit`` is the root task with
one ``"epoch"`` subtask per epoch (``"lbfgs-iter"`` per L-BFGS iteration, as
``LogisticRegression`` names them); a ``partial_fit`` call is a single task.
Returning True from ``on_fit_task_end`` of an epoch stops training there.
"""
from __future__ import annotations

from sklearn.callback import CallbackSupportMixin

from softmaxlab.train import Callback

__all__ = ["CallbackMixin", "EpochCallback", "SklearnTasks"]


class EpochCallback:
    """A softmaxlab ``Callback`` carried among an estimator's scikit-learn
    callbacks, so that ``clone`` passes it on as scikit-learn passes its own
    (by reference). Its scikit-learn hooks do nothing: the estimator gives
    the wrapped callback to the ``Trainer`` it runs, which calls its hooks."""

    def __init__(self, callback: Callback):
        self.callback = callback

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context):
        pass

    def __repr__(self):
        return f"EpochCallback({self.callback!r})"


class CallbackMixin(CallbackSupportMixin):
    """``set_callbacks`` for both kinds, and the hooks around the epochs."""

    def set_callbacks(self, *callbacks):
        """Set callbacks for the estimator (replacing earlier ones).

        Parameters
        ----------
        *callbacks : callback instances
            scikit-learn callbacks (``sklearn.callback.ProgressBar``,
            ``ScoringMonitor``, anything following the ``FitCallback``
            protocol) and softmaxlab ``Callback`` instances (per-epoch and
            per-batch hooks that get the engine's ``Trainer``; e.g.
            ``softmaxlab.live.LivePlot``), in any mix.

        Returns
        -------
        self
        """
        wrapped = [EpochCallback(cb) if isinstance(cb, Callback) else cb for cb in callbacks]
        return super().set_callbacks(*wrapped)

    def _epoch_callbacks(self) -> list[Callback]:
        """The softmaxlab callbacks among those set."""
        return [cb.callback for cb in getattr(self, "_skl_callbacks", [])
                if isinstance(cb, EpochCallback)]

    def _snapshot(self):
        """Fitted attributes of a copy that predicts as the model does now
        (scikit-learn's ``fitted_estimator``): its own copy of the network, so
        later epochs do not change it."""
        network = self._model.copy()
        lin = network.linear_layers
        return {"_model": network, "coefs_": [layer.params["W"] for layer in lin],
                "intercepts_": [layer.params["b"] for layer in lin], "n_iter_": self.n_iter_,
                "loss_curve_": list(self.loss_curve_), "_opt": None}


class SklearnTasks(Callback):
    """The scikit-learn callbacks' view of a ``fit``: one ``"epoch"`` subtask
    per epoch of the Trainer; a callback returning True from its
    ``on_fit_task_end`` stops training after that epoch.

    Parameters
    ----------
    estimator : BaseSoftmaxEstimator
    context : the fit's scikit-learn callback context
    raw : (X, y, metadata) as given to ``fit``
    snapshot : callable
        The fitted attributes of a copy that predicts as the model does now
        (scikit-learn's ``reconstruction_attributes``).
    """

    def __init__(self, estimator, context, raw, snapshot):
        self.estimator, self.context, self.raw, self.snapshot = estimator, context, raw, snapshot
        self._sub = None

    def on_epoch_begin(self, trainer, epoch):
        X, y, meta = self.raw
        self._sub = self.context.subcontext(task_name="epoch")
        self._sub.call_on_fit_task_begin(estimator=self.estimator, X=X, y=y, metadata=meta)

    def on_epoch_end(self, trainer, epoch, logs):
        X, y, meta = self.raw
        if self._sub.call_on_fit_task_end(estimator=self.estimator, X=X, y=y, metadata=meta,
                                          reconstruction_attributes=self.snapshot):
            trainer.stop_training = True
            trainer.history.stopped = trainer.history.stopped or "early_stopping"
