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
from softmaxlab.train.history import COLUMNS

__all__ = ["CallbackMixin", "EpochCallback"]


class EpochCallback:
    """A softmaxlab ``Callback`` carried among an estimator's scikit-learn
    callbacks, so that ``clone`` passes it on as scikit-learn passes its own
    (by reference). Its scikit-learn hooks do nothing: the estimator calls
    the wrapped callback's ``on_train_begin``, ``on_epoch_begin``,
    ``on_batch_end``, ``on_epoch_end`` and ``on_train_end`` itself, with the
    engine's ``Trainer`` and each epoch's ``History`` row."""

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
                "loss_curve_": list(self.loss_curve_), "_trainer": None, "_opt": None}

    def _run_epoch(self, trainer, data, val, callbacks, ctx, raw) -> bool:
        """One epoch with every hook around it; True when training should stop
        (scikit-learn's tol rule, a scikit-learn callback, or a softmaxlab
        callback setting ``trainer.stop_training``)."""
        X_raw, y_raw, meta = raw
        epoch = len(self.history_) + 1
        sub = None
        if ctx is not None and getattr(self, "_skl_callbacks", None):
            sub = ctx.subcontext(task_name="epoch")
            sub.call_on_fit_task_begin(estimator=self, X=X_raw, y=y_raw, metadata=meta)
        for cb in callbacks:
            cb.on_epoch_begin(trainer, epoch)
        stop = self._epoch(trainer, data, val)
        row = {c: getattr(self.history_, c)[-1] for c in COLUMNS}
        for cb in callbacks:
            cb.on_epoch_end(trainer, epoch, row)
        if sub is not None:
            stop |= sub.call_on_fit_task_end(estimator=self, X=X_raw, y=y_raw, metadata=meta,
                                             reconstruction_attributes=self._snapshot)
        return stop or trainer.stop_training
