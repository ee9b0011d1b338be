"""``solver="lbfgs"``: scipy's L-BFGS-B on the engine's full-batch loss.

The objective is scikit-learn's: the (weighted) mean cross-entropy of the
whole training set plus ``0.5 * alpha * ||W||^2 / sum(w)``. Its value and
gradient come from the engine (``forward``, the fused loss, ``backward``);
this module only flattens parameters for scipy.
"""
from __future__ import annotations

import warnings

import numpy as np
from scipy.optimize import minimize
from sklearn.exceptions import ConvergenceWarning

from softmaxlab.nn import SoftmaxCrossEntropy

__all__ = ["fit_lbfgs"]


def fit_lbfgs(est, X, y_idx, sw):
    """Minimise the full-batch objective from the model's current weights.

    Parameters
    ----------
    est : BaseSoftmaxEstimator with ``_model`` built
    X : ndarray of shape (n_samples, n_features), the model's dtype
    y_idx : ndarray of shape (n_samples,), class indices
    sw : ndarray of shape (n_samples,) or None
    """
    model = est._model
    params = model.parameters()
    shapes = [p.value.shape for p in params]
    sizes = [int(np.prod(s)) for s in shapes]
    cw = est._class_weight_vector(y_idx)
    loss_fn = SoftmaxCrossEntropy(cw)
    w = np.ones(X.shape[0]) if sw is None else sw.astype(np.float64)
    if cw is not None:
        w = w * cw[y_idx]
    # The same normaliser as the data term, so that duplicating a sample and
    # doubling its weight give the same objective.
    w_sum = float(w.sum())
    alpha = float(est.alpha)

    def unpack(theta):
        out, start = [], 0
        for s, k in zip(shapes, sizes, strict=True):
            out.append(theta[start:start + k].reshape(s))
            start += k
        return out

    def objective(theta):
        model.set_weights(unpack(theta))
        logits = model.forward(X, training=False)
        loss, dlogits = loss_fn(logits, y_idx, sw)
        model.backward(dlogits)
        grads = []
        for p in params:
            g = p.grad.astype(np.float64).ravel()
            if p.decay and alpha:
                v = p.value.astype(np.float64).ravel()
                loss += 0.5 * alpha * float(v @ v) / w_sum
                g = g + (alpha / w_sum) * v
            grads.append(g)
        return loss, np.concatenate(grads)

    theta0 = np.concatenate([p.value.astype(np.float64).ravel() for p in params])
    res = minimize(objective, theta0, method="L-BFGS-B", jac=True,
                   options={"maxfun": est.max_fun, "maxiter": est.max_iter, "gtol": est.tol})
    model.set_weights(unpack(res.x))
    if res.status != 0:
        warnings.warn(f"lbfgs failed to converge after {res.nit} iteration(s) (status={res.status}): "
                      f"{res.message}. Increase the number of iterations (max_iter) or scale the data.",
                      ConvergenceWarning, stacklevel=3)
    est.n_iter_ = int(min(res.nit, est.max_iter))
    est.loss_ = float(res.fun)
    est.t_ += X.shape[0] * est.n_iter_
    return est
