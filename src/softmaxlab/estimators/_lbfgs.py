"""``solver="lbfgs"``: scipy's L-BFGS-B on the engine's full-batch loss.

The objective is scikit-learn's: the (weighted) mean loss of the whole
training set plus ``0.5 * alpha * ||W||^2 / sum(w)``, where ``sum(w)`` is the
loss's own normaliser (the sample weights, times the class weights for the
softmax loss). Multiplied by ``sum(w)`` it is ``sum_i w_i l_i + 0.5 * alpha *
||W||^2``: ``LogisticRegression``'s objective with ``C = 1 / alpha``. Its
value and gradient come from the engine (``forward``, the fused loss,
``backward``); this module only flattens parameters for scipy.
"""
from __future__ import annotations

import warnings

import numpy as np
from scipy.optimize import minimize
from sklearn.exceptions import ConvergenceWarning

from softmaxlab.backend import to_numpy
from softmaxlab.estimators._training import loss_weight_sum

__all__ = ["LbfgsMixin", "fit_lbfgs"]


def fit_lbfgs(model, X, T, sw, loss, *, alpha, max_iter, max_fun, tol, options=None,
              on_iteration=None, stacklevel=2):
    """Minimise the full-batch objective from the model's current weights.

    Parameters
    ----------
    model : Sequential
        Its weights end at the minimiser.
    X : ndarray of shape (n_samples, n_features), the model's dtype
    T : ndarray, the engine's targets: (n_samples,) class indices or
        (n_samples, n_units) 0/1
    sw : ndarray of shape (n_samples,) or None
    loss : the model's fused loss (with its class weights)
    alpha : float
        L2 strength on the weights (biases are not penalised).
    max_iter, max_fun : int
    tol : float
        scipy's ``gtol``.
    options : dict, optional
        More L-BFGS-B options (``maxls``, ``ftol``).
    on_iteration : callable(weights), optional
        Called after every iteration with the parameter arrays at that point.
    stacklevel : int
        Of the ``ConvergenceWarning``, so that it points at the user's call.

    Returns
    -------
    scipy.optimize.OptimizeResult
        ``nit`` iterations, ``fun`` the objective; a ``ConvergenceWarning`` was
        issued when it stopped short of convergence.
    """
    params = model.parameters()
    shapes = [p.value.shape for p in params]
    sizes = [int(np.prod(s)) for s in shapes]
    # The same normaliser as the data term, so that duplicating a sample and
    # doubling its weight give the same objective.
    w_sum = loss_weight_sum(loss, T, sw)
    alpha = float(alpha)

    def unpack(theta):
        out, start = [], 0
        for s, k in zip(shapes, sizes, strict=True):
            out.append(theta[start:start + k].reshape(s))
            start += k
        return out

    def objective(theta):
        model.set_weights(unpack(theta))
        logits = model.forward(X, training=False)
        value, dlogits = loss(logits, T, sw)
        model.backward(dlogits)
        grads = []
        for p in params:
            # scipy works on the host in float64: parameters on another
            # device are copied over once per evaluation.
            g = to_numpy(p.grad).astype(np.float64).ravel()
            if p.decay and alpha:
                v = to_numpy(p.value).astype(np.float64).ravel()
                value += 0.5 * alpha * float(v @ v) / w_sum
                g = g + (alpha / w_sum) * v
            grads.append(g)
        return value, np.concatenate(grads)

    theta0 = np.concatenate([to_numpy(p.value).astype(np.float64).ravel() for p in params])
    callback = None if on_iteration is None else (lambda theta: on_iteration(unpack(theta)))
    res = minimize(objective, theta0, method="L-BFGS-B", jac=True, callback=callback,
                   options={"maxfun": max_fun, "maxiter": max_iter, "gtol": tol, **(options or {})})
    model.set_weights(unpack(res.x))
    if res.status != 0:
        warnings.warn(f"lbfgs failed to converge after {res.nit} iteration(s) (status={res.status}): "
                      f"{res.message}. Increase the number of iterations (max_iter) or scale the data.",
                      ConvergenceWarning, stacklevel=stacklevel)
    return res


class LbfgsMixin:
    """``fit`` with ``solver="lbfgs"``, calling the scikit-learn callbacks once
    per L-BFGS iteration as ``LogisticRegression`` does. Part of
    ``BaseSoftmaxEstimator`` (see ``_network.py``)."""

    def _lbfgs_options(self) -> dict:
        """Extra L-BFGS-B options (none: scikit-learn's MLP uses scipy's defaults)."""
        return {}

    def _fit_lbfgs(self, X, T, sw, ctx, raw):
        X_raw, y_raw, meta = raw
        hooks = {"estimator": self, "X": X_raw, "y": y_raw, "metadata": meta}
        listening = bool(getattr(self, "_skl_callbacks", None))
        current = [ctx.subcontext(task_name="lbfgs-iter")] if listening else []
        if listening:
            current[0].call_on_fit_task_begin(**hooks)

        def on_iteration(weights):
            # scikit-learn's bridge: end the iteration scipy just finished,
            # begin the next one (the last begun one never runs; it is closed
            # empty below).
            def attrs():
                state = self._snapshot()
                state["_model"].set_weights(weights)
                return state
            current[0].call_on_fit_task_end(**hooks, reconstruction_attributes=attrs)
            current[0] = ctx.subcontext(task_name="lbfgs-iter")
            current[0].call_on_fit_task_begin(**hooks)

        res = fit_lbfgs(self._model, X, T, sw, self._loss(T), alpha=self.alpha,
                        max_iter=self.max_iter, max_fun=self.max_fun, tol=self.tol,
                        options=self._lbfgs_options(),
                        on_iteration=on_iteration if listening else None, stacklevel=5)
        if listening:
            current[0].call_on_fit_task_end(estimator=self)
        self.n_iter_ = int(min(res.nit, self.max_iter))
        self.loss_ = float(res.fun)
        self.t_ += X.shape[0] * self.n_iter_
