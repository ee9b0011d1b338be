"""The affine layer (forward, backward) and the ReLU and sigmoid backward passes.

As everywhere in ``softmaxlab.learn``: every call of the learner's function
comes first, the reference answers (the engine's layers) after.
"""
from __future__ import annotations

from functools import partial

import numpy as np

from softmaxlab.learn._call import call, changed_inputs, fail, shape_of, shape_text, to_array
from softmaxlab.learn._compare import Trial, judge
from softmaxlab.learn._inputs import N_RANDOM, sizes
from softmaxlab.nn.functional import sigmoid
from softmaxlab.nn.layers import Linear, ReLU, Sigmoid

__all__ = ["linear_backward_body", "linear_forward_body", "relu_backward_body", "result_order",
           "sigmoid_backward_body"]

_NO_MEAN = {
    "1/N": ("{what} is N = {N} times too small: dout already carries the 1/N of the mean loss, so "
            "this layer must not divide by N again.",
            "Only the loss averages over the samples; a layer passes gradients on as they come."),
    "N": ("{what} is N = {N} times too large.", "Look for a sum over the samples done twice or a "
          "multiplication by N."),
}


def _linear_sets(rng):
    sets = []
    for _ in range(N_RANDOM):
        dims = sizes(rng, "NDH")
        n, d, h = dims["N"], dims["D"], dims["H"]
        sets.append((dims, rng.normal(size=(n, d)), rng.normal(size=(d, h)),
                     rng.normal(size=h), rng.normal(size=(n, h))))
    return sets


def _engine(W, b) -> Linear:
    return Linear.from_weights(W, b, dtype=np.float64)


def linear_forward_body(fn, rng) -> str:
    sets = _linear_sets(rng)
    args = [{"X": X, "W": W, "b": b} for _, X, W, b, _ in sets]
    runs = [call(fn, a, about="X @ W has shape (N, H) and b has shape (H,): b lines up with the "
                 "last axis and is added to every row as it is.") for a in args]
    trials = []
    for (dims, X, W, b, _), (out, _) in zip(sets, runs, strict=True):
        got = to_array(out, "your output", shape_text((dims["N"], dims["H"]), dims))
        xw = X @ W
        mistakes = [
            (xw, "{what} is X @ W without the bias.", "Add b to every row of X @ W."),
            (xw - b, "{what} subtracts the bias.", "The layer adds b."),
            (xw + 2 * b, "{what} adds the bias twice.", "Add b once."),
            (xw * b, "{what} multiplies by the bias instead of adding it.", "The layer adds b."),
            (xw + b.sum(), "{what} adds the sum of all biases to every entry; column j gets "
             "only b[j].", "Let broadcasting add the vector b (shape (H,)) to each row."),
        ]
        trials.append(Trial(got, _engine(W, b).apply(X), dims, mistakes))
    judge("your output", trials)
    for a, (_, copies) in zip(args, runs, strict=True):
        changed_inputs(a, copies)
    return f"X @ W + b agrees with softmaxlab's Linear layer on {N_RANDOM} random inputs."


def _three(out, dims) -> list:
    """The (dX, dW, db) the learner returned, as three objects (None when missing)."""
    if isinstance(out, dict):  # keys dX, dW, db (or X, W, b), any case
        keys = {str(k).lower().lstrip("d"): k for k in out}
        return [out.get(keys.get(k)) for k in ("x", "w", "b")]
    if not isinstance(out, (tuple, list)):
        raise fail(f"Your function returned one {type(out).__name__}; expected three results "
                   "(dX, dW, db).", "End with return dX, dW, db.")
    if len(out) == 2:
        raise fail("Your function returned 2 results; expected 3 (dX, dW, db): the bias "
                   "gradient db is missing (a forgotten bias gradient).",
                   "The bias gets a gradient too: how does each b[j] reach the loss?")
    if len(out) != 3:
        raise fail(f"Your function returned {len(out)} results; expected 3: (dX, dW, db).",
                   "End with return dX, dW, db.")
    return list(out)


def result_order(items, shapes, dims, names: str = "dX, dW, db") -> None:
    """Stop when the learner's results have the right shapes in the wrong order."""
    got = [None if x is None else shape_of(x) for x in items]
    if got != shapes and sorted(map(str, got)) == sorted(map(str, shapes)):
        said = ", ".join(shape_text(s, dims) for s in got)
        raise fail(f"Your results have the shapes {said}: they are in the wrong order; expected "
                   f"({names}) of shapes " + ", ".join(shape_text(s, dims) for s in shapes) + ".",
                   f"Return them in the order {names}.")


def _backward_trials(dims, dout, X, W, items):
    n, d, h = dims["N"], dims["D"], dims["H"]
    layer = _engine(W, np.zeros(h))
    layer.forward(X)
    dX = layer.backward(dout)
    ones = np.ones_like(dout)
    ignore = ("{what} ignores dout (the upstream gradient): it is the local derivative only.",
              "Chain rule: multiply the local derivative by dout.")
    db = None if items[2] is None else to_array(items[2], "your db", shape_text((h,), dims))
    if db is None or (db.size == h and not np.any(db)):
        raise fail("Your db is " + ("missing" if items[2] is None else "all zeros") + ": a forgotten "
                   "bias gradient.", "b[j] is added to column j of every row, so every row's "
                   "upstream gradient in column j reaches it.")
    specs = [
        ("dX", (n, d), dX, [(ones @ W.T, *ignore), (X, "{what} is X itself, not its gradient.",
                                                    "dX is built from dout and W.")]),
        ("dW", (d, h), layer.grads["W"], [(X.T @ ones, *ignore)]),
        ("db", (h,), layer.grads["b"], [
            (dout.sum(axis=1), "{what} is summed over the wrong axis (over the outputs, one "
             "number per sample); db has one entry per output unit.",
             "Sum over the samples (axis 0)."),
            (dout, "{what} is dout itself, not summed over the samples.",
             "Each b[j] is used by every sample: add up their contributions."),
            (np.asarray(dout.sum()), "{what} is the sum of all of dout, one number; db has one "
             "entry per output unit.", "Sum over the samples (axis 0) only."),
            (dout.sum(axis=0, keepdims=True), "{what} has shape (1, H), the shape of a row; "
             "expected (H,), the shape of b.", "Drop keepdims=True (or reshape to (H,))."),
            (np.full(h, float(n)), *ignore)]),
    ]
    out = []
    for (name, shape, ref, mistakes), item in zip(specs, items, strict=True):
        got = to_array(item, "your " + name, shape_text(shape, dims))
        out.append((name, Trial(got, ref, dims, mistakes)))
    return out


def linear_backward_body(fn, rng) -> str:
    sets = _linear_sets(rng)
    args = [{"dout": dout, "X": X, "W": W} for _, X, W, _, dout in sets]
    runs = [call(fn, a, about="dout is (N, H), X is (N, D), W is (D, H), so W.T is (H, D) and "
                 "X.T is (D, N).") for a in args]
    per_name: dict[str, list] = {"dX": [], "dW": [], "db": []}
    for (dims, X, W, _, dout), (out, _) in zip(sets, runs, strict=True):
        items = _three(out, dims)
        result_order(items, [(dims["N"], dims["D"]), (dims["D"], dims["H"]), (dims["H"],)], dims)
        for name, trial in _backward_trials(dims, dout, X, W, items):
            per_name[name].append(trial)
    for name, trials in per_name.items():
        judge("your " + name, trials, _NO_MEAN)
    for a, (_, copies) in zip(args, runs, strict=True):
        changed_inputs(a, copies)
    return (f"dX, dW and db agree with softmaxlab's Linear.backward on {N_RANDOM} random "
            "inputs.")


def _activation_sets(rng):
    sets = []
    for _ in range(N_RANDOM):
        dims = sizes(rng, "NH")
        shape = (dims["N"], dims["H"])
        Z = rng.normal(0.0, 2.0, shape)
        Z[rng.random(shape) < 0.15] = 0.0        # ReLU's kink: either side is accepted there
        sets.append((dims, rng.normal(size=shape), Z))
    return sets


def _at_kink(a, got, kink):
    """``a`` with the learner's own values where Z == 0 (any side is right there)."""
    return np.where(kink, got, a) if got.shape == a.shape else a


def relu_backward_body(fn, rng) -> str:
    sets = _activation_sets(rng)
    args = [{"dout": dout, "Z": Z} for _, dout, Z in sets]
    runs = [call(fn, a) for a in args]
    trials = []
    for (dims, dout, Z), (out, _) in zip(sets, runs, strict=True):
        got = to_array(out, "your dZ", shape_text(Z.shape, dims))
        layer = ReLU()
        layer.forward(Z)
        ref = layer.backward(dout)
        kink = Z == 0
        lenient = partial(_at_kink, got=got, kink=kink)
        if got.shape == ref.shape:  # at Z == 0 any t * dout with 0 <= t <= 1 is right
            with np.errstate(all="ignore"):
                t = np.where(dout != 0, got / dout, 0.0)
            ref = np.where(kink & (t >= -1e-9) & (t <= 1 + 1e-9), got, ref)
        mistakes = [
            (lenient(dout * (Z < 0)), "{what} passes the gradient on the wrong side of zero: "
             "where Z < 0 instead of where Z > 0.", "ReLU lets its input through where it "
             "is positive; its gradient flows back through the same units."),
            (lenient((Z > 0).astype(float)), "{what} is only the 0/1 mask: it ignores dout (the "
             "upstream gradient).", "Chain rule: multiply the local derivative by dout."),
            (lenient(dout * np.maximum(Z, 0)), "{what} multiplies dout by ReLU's output "
             "max(Z, 0) instead of by its derivative.", "The derivative of max(z, 0) is 0 or "
             "1, not z."),
            (lenient(dout * Z), "{what} multiplies dout by Z instead of by ReLU's derivative.",
             "The derivative of max(z, 0) is 0 or 1, not z."),
            (lenient(np.maximum(dout, 0)), "{what} applies ReLU to dout; which entries pass "
             "depends on the sign of Z, not of dout.", "Mask dout by where Z is positive."),
            (lenient(np.maximum(Z, 0)), "{what} is ReLU's forward pass max(Z, 0), not its "
             "gradient.", "The backward pass starts from dout."),
            (lenient(dout), "{what} is dout unchanged: the units that were off (Z < 0) must "
             "block the gradient.", "Where Z < 0, ReLU's output does not depend on Z."),
            (lenient(Z * (dout > 0)), "{what} swaps the two arguments: the first is dout, the "
             "second Z.", "The function is called as fn(dout, Z)."),
        ]
        masks = [(Z < 0, "{what} is wrong only where Z < 0, where ReLU is off.",
                  "There ReLU's output is constant."),
                 (Z > 0, "{what} is wrong only where Z > 0, where ReLU is on.",
                  "There ReLU's output is its input.")]
        trials.append(Trial(got, ref, dims, mistakes, masks))
    judge("your dZ", trials)
    for a, (_, copies) in zip(args, runs, strict=True):
        changed_inputs(a, copies)
    return (f"dZ agrees with softmaxlab's ReLU.backward on {N_RANDOM} random inputs (at Z = 0 "
            "anything from 0 to dout is accepted).")


def sigmoid_backward_body(fn, rng) -> str:
    sets = _activation_sets(rng)
    args = [{"dout": dout, "Z": Z} for _, dout, Z in sets]
    runs = [call(fn, a) for a in args]
    trials = []
    for (dims, dout, Z), (out, _) in zip(sets, runs, strict=True):
        layer = Sigmoid()
        layer.forward(Z)
        s = sigmoid(Z)
        local = "{what} ignores dout (the upstream gradient): it is the local derivative only."
        mistakes = [
            (dout * s, "{what} uses the sigmoid s itself as its derivative; the derivative "
             "of the sigmoid is not s.", "Differentiate 1 / (1 + exp(-z)) and write the result "
             "in terms of s."),
            (dout * Z * (1 - Z), "{what} applies the derivative's formula to Z itself; Z is the "
             "pre-activation, the formula needs the sigmoid's output s = sigmoid(Z).",
             "Compute s from Z first."),
            (s * (1 - s), local, "Chain rule: multiply the local derivative by dout."),
            (dout * (1 - s), "{what} uses 1 - s as the derivative; that is only one factor of it.",
             "Differentiate 1 / (1 + exp(-z)) and write the result in terms of s."),
            (dout * s * s, "{what} uses s**2 as the derivative.",
             "Differentiate 1 / (1 + exp(-z)) and write the result in terms of s."),
            (s, "{what} is the sigmoid's forward pass, not its gradient.",
             "The backward pass starts from dout."),
            (Z * sigmoid(dout) * (1 - sigmoid(dout)), "{what} swaps the two arguments: the "
             "first is dout, the second Z.", "The function is called as fn(dout, Z)."),
        ]
        trials.append(Trial(to_array(out, "your dZ", shape_text(Z.shape, dims)),
                            layer.backward(dout), dims, mistakes))
    judge("your dZ", trials)
    for a, (_, copies) in zip(args, runs, strict=True):
        changed_inputs(a, copies)
    return f"dZ agrees with softmaxlab's Sigmoid.backward on {N_RANDOM} random inputs."
