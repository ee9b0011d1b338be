"""One gradient-descent step, and the loss and gradients of a two-layer network.

As everywhere in ``softmaxlab.learn``: every call of the learner's function
comes first, the reference answers (softmaxlab.optim.SGD, a
softmaxlab.nn model and its loss) after.
"""
from __future__ import annotations

from functools import partial

import numpy as np

from softmaxlab.learn._call import NOT_DONE, Stop, call, changed_inputs, fail, shape_text, to_array
from softmaxlab.learn._checks_layers import result_order
from softmaxlab.learn._checks_softmax import loss_value
from softmaxlab.learn._compare import Trial, agree, judge
from softmaxlab.learn._inputs import N_RANDOM, labels, sizes
from softmaxlab.nn.functional import sigmoid
from softmaxlab.nn.layers import Parameter
from softmaxlab.nn.losses import SoftmaxCrossEntropy
from softmaxlab.nn.builders import from_weights
from softmaxlab.optim import SGD

__all__ = ["mlp_gradients_body", "sgd_step_body"]

_NAMES = ("W1", "b1", "W2", "b2")


def _params(rng, dims, std: float = 0.5) -> dict:
    d, h, c = dims["D"], dims["H"], dims["C"]
    shapes = {"W1": (d, h), "b1": (h,), "W2": (h, c), "b2": (c,)}
    return {k: rng.normal(0.0, std, s) for k, s in shapes.items()}


def _new_params(out, copies) -> dict:
    """The learner's updated parameters: the returned dict, or the arrays
    updated in place when the function returned None."""
    if out is None:
        if all(np.array_equal(copies["params"][k], v) for k, v in copies["original"].items()):
            raise Stop(NOT_DONE, "Your function returns None and changes nothing: write it, "
                       "then run this check again.")
        return copies["params"]
    if not isinstance(out, dict):
        raise fail(f"Your function returned a {type(out).__name__}; expected a dict with the "
                   f"keys {', '.join(copies['original'])} (one updated array per parameter).",
                   "Build the result as {name: new array for name in params}, or update params "
                   "in place and return params.")
    return out


def _step_mistakes(p, g, lr) -> list:
    with np.errstate(all="ignore"):
        return [
            (p + lr * g, "{what} adds the gradient: the step goes uphill, increasing the loss.",
             "The gradient points where the loss grows fastest; a descent step goes the other "
             "way."),
            (p - g, "{what} ignores the learning rate.", "The step is scaled by lr."),
            (p - lr * lr * g, "{what} multiplies by the learning rate twice.",
             "The step is scaled by lr once."),
            (p - g / lr, "{what} divides by the learning rate instead of multiplying.",
             "The step is scaled by lr."),
            (p, "{what} is unchanged: this parameter was not updated.",
             "Every parameter takes a step, the biases too."),
            (g, "{what} is the gradient, not the new parameter.", "Return the updated parameter."),
            (-lr * g, "{what} is the step alone, not the new parameter.",
             "Return the parameter after the step."),
            (lr * g, "{what} is the step alone, not the new parameter.",
             "Return the parameter after the step."),
        ]


def _step_size(got, p, step):
    """The learner's step as a multiple of lr * grad, when it is one."""
    taken = (p - got).ravel()
    alpha = float(taken @ step.ravel()) / float(step.ravel() @ step.ravel())
    if agree(taken, alpha * step.ravel()).all():
        return (f"{{what}} moves by {alpha:.6g} times lr * grad; the step is lr times the "
                "gradient, no more, no less.", "Look for an extra factor in the step.")
    return None


def sgd_step_body(fn, rng) -> str:
    try:
        return _sgd_run(fn, rng, _NAMES)
    except Stop as stop:
        # A function written for one array (params - lr * grads) meets a dict:
        # check it on single arrays instead, as documented.
        if not ("TypeError" in stop.message and "'dict'" in stop.message):
            raise
    return _sgd_run(_on_one_array(fn), rng, ("W",))


def _on_one_array(fn):
    """``fn(W, dW, lr)`` seen as a function of dicts with the one key "W"."""
    def on_dicts(params, grads, lr):
        out = fn(params["W"], grads["W"], lr)
        return None if out is None else {"W": out}
    return on_dicts


def _sgd_run(fn, rng, names) -> str:
    sets = []
    for _ in range(N_RANDOM):
        dims = sizes(rng, "CDH")
        params, grads = (_params(rng, dims) if len(names) > 1 else
                         {"W": rng.normal(0.0, 0.5, (dims["D"], dims["H"]))} for _ in range(2))
        sets.append((dims, params, grads, float(rng.uniform(0.05, 0.4))))
    runs = []
    for _, params, grads, lr in sets:                      # every learner call first
        out, copies = call(fn, {"params": params, "grads": grads, "lr": lr}, none_ok=True)
        copies["original"] = params
        runs.append((out, copies))
    per_name: dict[str, list] = {k: [] for k in names}
    for (dims, params, grads, lr), (out, copies) in zip(sets, runs, strict=True):
        new = _new_params(out, copies)
        ref = [Parameter(k, params[k].copy(), grads[k].copy(), k.startswith("W")) for k in names]
        SGD(ref, lr=lr).step()
        for p in ref:
            if p.name not in new:
                raise fail(f"Your result has no entry {p.name!r}; expected one for each of "
                           f"{', '.join(names)}.", "Update every parameter, the biases too.")
            got = to_array(new[p.name], f"your new {p.name}", shape_text(p.value.shape, dims))
            per_name[p.name].append(Trial(
                got, p.value, dims, _step_mistakes(params[p.name], grads[p.name], lr),
                properties=[partial(_step_size, p=params[p.name], step=lr * grads[p.name])]))
    for name, trials in per_name.items():
        judge(f"your new {name}", trials)
    for (_, _, grads, _), (_, copies) in zip(sets, runs, strict=True):
        changed_inputs({"grads": grads}, {"grads": copies["grads"]})
    return (f"Every parameter moved by -lr * grad, as softmaxlab.optim.SGD does, on {N_RANDOM} "
            "random inputs.")


_GRAD_FACTORS = {
    "N": ("{what} is N = {N} times too large: it is the gradient of the sum of the per-sample "
          "losses, but the loss is their mean, so a 1/N is missing.",
          "The gradient of the loss with respect to the logits carries the mean's 1/N."),
    "1/N": ("{what} is N = {N} times too small: the 1/N of the mean is applied twice.",
            "Divide by N once, in the gradient of the loss; the layers do not average again."),
}
_LOSS_FACTORS = {
    "N": ("{what} is N = {N} times too large: it is the sum of the per-sample losses, not their "
          "mean.", "Divide the sum by N."),
    "1/C": ("{what} is C = {C} times too small: it is averaged over all N*C entries instead of "
            "over the N samples.", "Add up over the classes first, then average over samples."),
    "-1": ("{what} is negative: the minus sign of the cross-entropy is missing.",
           "Cross-entropy is minus the mean log-probability of the true class."),
}


def _grads_of(out) -> tuple[object, list]:
    """(loss, [dW1, db1, dW2, db2]) from what the learner returned."""
    if not isinstance(out, (tuple, list)) or len(out) not in (2, 5):
        raise fail(f"Your function returned {type(out).__name__}"
                   + (f" of {len(out)} items" if isinstance(out, (tuple, list)) else "")
                   + "; expected (loss, grads) with grads a dict with keys W1, b1, W2, b2 or a "
                   "tuple (dW1, db1, dW2, db2).", "End with return loss, grads.")
    loss, grads = (out[0], out[1]) if len(out) == 2 else (out[0], list(out[1:]))
    if isinstance(grads, dict):
        keys = {str(k).lower().lstrip("d"): k for k in grads}
        missing = [k for k in _NAMES if k.lower() not in keys]
        if missing:
            raise fail(f"Your grads have no entry for {', '.join(missing)}"
                       + (" (a forgotten bias gradient)" if any(m[0] == "b" for m in missing)
                          else "") + f"; expected keys {', '.join(_NAMES)}.",
                       "Every parameter needs its gradient, the biases too.")
        return loss, [grads[keys[k.lower()]] for k in _NAMES]
    if not isinstance(grads, (tuple, list)) or len(grads) != 4:
        raise fail("Your grads are neither a dict with keys W1, b1, W2, b2 nor a tuple of four "
                   "(dW1, db1, dW2, db2).", "End with return loss, grads.")
    return loss, list(grads)


def _reference(X, y, W1, b1, W2, b2):
    model = from_weights([(W1, b1), (W2, b2)], activation="relu", dtype=np.float64)
    loss, dlogits = SoftmaxCrossEntropy().forward(model.forward(X, training=True), y)
    model.backward(dlogits)
    first, second = model.layers[0], model.layers[2]
    grads = [first.grads["W"], first.grads["b"], second.grads["W"], second.grads["b"]]
    return loss, [g.copy() for g in grads]


def _loss_mistakes(X, y, W1, b1, W2, b2) -> list:
    """The loss a forward pass with a usual mistake would give."""
    def ce(logits):
        return np.asarray(SoftmaxCrossEntropy().value(logits, y))

    relu, Z1 = (lambda z: np.maximum(z, 0)), X @ W1 + b1
    forward = "Check the forward pass: Z1 = X W1 + b1, A1 = relu(Z1), Z2 = A1 W2 + b2."
    return [
        (ce(Z1 @ W2 + b2), "{what} is the loss of the network without the ReLU.", forward),
        (ce(sigmoid(Z1) @ W2 + b2), "{what} is the loss of a network with a sigmoid hidden "
         "layer, not a ReLU.", forward),
        (ce(np.tanh(Z1) @ W2 + b2), "{what} is the loss of a network with a tanh hidden layer, "
         "not a ReLU.", forward),
        (ce(relu(X @ W1) @ W2 + b2), "{what} leaves out the bias b1.", forward),
        (ce(relu(Z1) @ W2), "{what} leaves out the bias b2.", forward),
        (np.asarray(-np.mean((relu(Z1) @ W2 + b2)[np.arange(len(y)), y])), "{what} is minus "
         "the mean true-class logit: the softmax and the log are missing.",
         "The loss is -log of the softmax probability of the true class."),
    ]


def _mlp_mistakes(X, y, W1, b1, W2, b2) -> dict:
    """What each gradient would be after the usual mistakes of backpropagation."""
    n, c = X.shape[0], W2.shape[1]
    Z1 = X @ W1 + b1
    A1 = np.maximum(Z1, 0)
    Z2 = A1 @ W2 + b2
    P = np.exp(Z2 - Z2.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    G = (P - (y[:, None] == np.arange(c))) / n           # dL/dZ2
    dA1 = G @ W2.T
    no_mask = ("{what} lets the gradient through every hidden unit: the ReLU's derivative (its "
               "0/1 mask from Z1) is missing in the backward pass.",
               "Between dA1 and dZ1 stands the ReLU: units with Z1 < 0 pass no gradient.")
    wrong_side = ("{what} masks the hidden layer on the wrong side of zero (keeps Z1 < 0, "
                  "blocks Z1 > 0).", "ReLU passes its input, and its gradient, where Z1 > 0.")
    times_out = ("{what} multiplies by the ReLU's output A1 instead of its derivative.",
                 "The derivative of max(z, 0) is 0 or 1.")
    zero = ("{what} is all zeros: a forgotten gradient.", "Every parameter reaches the loss.")
    masks = [(dA1, *no_mask), (dA1 * (Z1 < 0), *wrong_side), (dA1 * A1, *times_out)]
    return {
        "W2": [(Z1.T @ G, "{what} uses Z1 (before the ReLU) where the second layer's input A1 "
                "(after the ReLU) belongs.", "dW2 pairs the second layer's input with dZ2."),
               (np.zeros_like(W2), *zero)],
        "b2": [(np.zeros_like(b2), "{what} is all zeros: a forgotten bias gradient.",
                "b2 is added to every row of Z2."),
               (G.sum(axis=1), "{what} is summed over the wrong axis (over the classes).",
                "Sum over the samples (axis 0).")],
        "W1": [(X.T @ d, m, h) for d, m, h in masks] + [(np.zeros_like(W1), *zero)],
        "b1": [(d.sum(axis=0), m, h) for d, m, h in masks]
              + [(np.zeros_like(b1), "{what} is all zeros: a forgotten bias gradient.",
                  "b1 is added to every row of Z1.")],
    }


def _with_difference(stop: Stop, fn, args: list, trials: list, name: str) -> Stop:
    """Add a finite difference of the learner's own loss at the worst entry."""
    if " but should be " not in stop.message:
        return stop
    i = next(j for j, t in enumerate(trials) if not agree(t.got, t.exp, t.tol).all())
    t, eps = trials[i], 1e-6
    idx = np.unravel_index(int(np.argmax(np.abs(t.got - t.exp))), t.exp.shape)
    losses = []
    try:
        for sign in (1.0, -1.0):
            nudged = {k: v.copy() for k, v in args[i].items()}
            nudged[name][idx] += sign * eps
            out, _ = call(fn, nudged)
            losses.append(float(to_array(_grads_of(out)[0], "loss", "()").reshape(())))
    except Stop:
        return stop
    rate = (losses[0] - losses[1]) / (2 * eps)
    where = f"{name}[{', '.join(str(int(j)) for j in idx)}]"
    stop.message += (f" A finite-difference check agrees: nudging {where} by +-{eps:g} changes "
                     f"your own (right) loss at a rate of {rate:.6g}, not {float(t.got[idx]):.6g}.")
    return stop


def mlp_gradients_body(fn, rng) -> str:
    args = []
    for _ in range(N_RANDOM):
        dims = sizes(rng, "NCDH")
        X, y = rng.normal(size=(dims["N"], dims["D"])), labels(rng, dims)
        # Small weights keep every probability well above 1e-3, so a loss that
        # adds a small epsilon inside its log still agrees.
        args.append((dims, {"X": X, "y": y, **_params(rng, dims, std=0.3)}))
    runs = [call(fn, a) for _, a in args]                  # every learner call first
    losses, grads = [], {k: [] for k in _NAMES}
    for (dims, a), (out, _) in zip(args, runs, strict=True):
        loss, items = _grads_of(out)
        ref_loss, ref_grads = _reference(**a)
        result_order(items, [g.shape for g in ref_grads], dims, "dW1, db1, dW2, db2")
        losses.append(Trial(loss_value(loss, "your loss"), np.asarray(ref_loss), dims,
                            _loss_mistakes(**a)))
        mistakes = _mlp_mistakes(**a)
        for k, item, ref in zip(_NAMES, items, ref_grads, strict=True):
            got = to_array(item, f"your d{k}", shape_text(ref.shape, dims))
            grads[k].append(Trial(got, ref, dims, mistakes[k]))
    judge("your loss", losses, _LOSS_FACTORS)
    for k in ("W2", "b2", "W1", "b1"):                     # in the order backpropagation goes
        try:
            judge(f"your d{k}", grads[k], _GRAD_FACTORS)
        except Stop as stop:
            raise _with_difference(stop, fn, [a for _, a in args], grads[k], k) from None
    for (_, a), (_, copies) in zip(args, runs, strict=True):
        changed_inputs(a, copies)
    return (f"The loss and dW1, db1, dW2, db2 agree with softmaxlab's engine (a Linear-ReLU-Linear "
            f"model with SoftmaxCrossEntropy) on {N_RANDOM} random inputs.")
