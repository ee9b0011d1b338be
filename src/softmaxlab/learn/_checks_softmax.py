"""The softmax, the cross-entropy and its gradient: inputs, references, mistakes.

Each ``*_body(fn, rng)`` first calls the learner's function on every input
set, and only then computes the reference answers (softmaxlab.nn), so that
no expected array exists anywhere while the learner's code runs.
"""
from __future__ import annotations

import numpy as np

from softmaxlab.learn._call import call, changed_inputs, shape_text, to_array
from softmaxlab.learn._compare import Trial, judge
from softmaxlab.learn._inputs import N_RANDOM, labels, one_hot, sizes
from softmaxlab.nn.functional import log_softmax, softmax
from softmaxlab.nn.losses import SoftmaxCrossEntropy

__all__ = ["cross_entropy_body", "loss_value", "softmax_body", "softmax_ce_grad_body"]

_OVERFLOW = ("{what} has NaN or inf for logits around 1000: exp(1000) overflows to inf in float64 "
             "(anything above about 709 does), and inf / inf is NaN.",
             "Softmax does not change when the same number is subtracted from every logit of a "
             "row: subtract each row's largest logit before exp.")
_FAR_ROWS = ("{what} has NaN or inf when some rows have logits around +1000 and others around "
             "-1000: a row far below the largest logit of the whole array becomes exp(-2000) = 0 "
             "everywhere, and 0 / 0 is NaN.",
             "Subtract each row's own maximum (axis=1, keepdims=True), not one maximum of the "
             "whole array.")


def _logit_sets(rng) -> list[tuple[dict, np.ndarray, str, tuple | None]]:
    """(dims, Z, note, message when not finite): random logits, then large ones."""
    sets = []
    for _ in range(N_RANDOM):
        dims = sizes(rng, "NC")
        sets.append((dims, rng.normal(0.0, 2.0, (dims["N"], dims["C"])), "", None))
    dims = sizes(rng, "NC")
    big = 1000.0 + rng.normal(0.0, 2.0, (dims["N"], dims["C"]))
    sets.append((dims, big, " for logits around 1000", _OVERFLOW))
    dims = sizes(rng, "NC")
    levels = np.where(np.arange(dims["N"]) % 2 == 0, 1000.0, -1000.0)[:, None]
    far = levels + rng.normal(0.0, 2.0, (dims["N"], dims["C"]))
    sets.append((dims, far, " for rows of logits around +1000 and -1000", _FAR_ROWS))
    return sets


def _softmax_mistakes(Z: np.ndarray) -> list:
    with np.errstate(all="ignore"):
        e = np.exp(Z)
        col_shift = np.exp(Z - Z.max(axis=0, keepdims=True))
        return [
            (softmax(Z, axis=0), "The columns of {what} sum to 1, not its rows: the softmax runs "
             "over the wrong axis (over the samples instead of the classes).",
             "Each row is one sample: normalise over the classes, axis=1."),
            (e, "{what} is exp(Z) without the division: its rows do not sum to 1.",
             "Divide each row by its own sum."),
            (np.exp(Z - Z.max(axis=1, keepdims=True)), "{what} is exp(Z - max) without the "
             "division: its rows do not sum to 1.", "Divide each row by its own sum."),
            (e / e.sum(), "{what} is normalised by the sum over the whole array: the array sums "
             "to 1, not each row.", "Each row (one sample) must sum to 1 on its own: sum over "
             "axis=1 with keepdims=True."),
            (log_softmax(Z), "{what} holds log-probabilities (a log-softmax): its entries are "
             "negative and its rows do not sum to 1.",
             "Softmax returns probabilities: exp(z) normalised, with no log at the end."),
            (softmax(-Z), "{what} gives the largest logit the smallest probability: the sign of "
             "the logits is flipped (exp(-z)).", "A larger logit must mean a more likely class."),
            (col_shift / col_shift.sum(axis=1, keepdims=True), "{what} subtracts the maximum of "
             "each column; shifting the logits of one row by different amounts changes its "
             "softmax.", "Subtract the maximum of each row (axis=1, keepdims=True)."),
            (Z / Z.sum(axis=1, keepdims=True), "{what} is Z divided by its row sums: the "
             "exponential is missing.", "Softmax exponentiates each logit before normalising."),
        ]


def _sums(got: np.ndarray):
    """What the row, column and total sums of a would-be softmax say."""
    with np.errstate(all="ignore"):
        rows, cols = got.sum(axis=1), got.sum(axis=0)
    if np.allclose(cols, 1.0, atol=1e-6) and not np.allclose(rows, 1.0, atol=1e-6):
        return ("The columns of {what} sum to 1, not its rows: it is normalised over the wrong "
                "axis (over the samples instead of the classes).",
                "Each row is one sample: normalise over the classes, axis=1.")
    if np.isclose(got.sum(), 1.0, atol=1e-6):
        return ("{what} sums to 1 over the whole array, not row by row.",
                "Each row (one sample) must sum to 1 on its own: sum over axis=1.")
    if not np.allclose(rows, 1.0, atol=1e-4):
        i = int(np.argmax(np.abs(rows - 1.0)))
        return (f"The rows of {{what}} do not sum to 1 (row {i} sums to {rows[i]:.6g}).",
                "Divide each row by the sum of its own entries.")
    if np.any(got < 0):
        return ("{what} has negative entries; probabilities are >= 0.",
                "exp of anything is positive.")
    return None


def softmax_body(fn, rng) -> str:
    sets = _logit_sets(rng)
    runs = [call(fn, {"Z": Z}, note=note) for _, Z, note, _ in sets]          # every learner call first
    trials = []
    for (dims, Z, note, nonfinite), (out, _) in zip(sets, runs, strict=True):
        want = shape_text(Z.shape, dims)
        trials.append(Trial(to_array(out, "your softmax", want), softmax(Z), dims,
                            _softmax_mistakes(Z) if not note else [], note=note,
                            nonfinite=nonfinite, random=not note, loose=bool(note),
                            properties=[_sums]))
    judge("your softmax", trials)
    for (_, Z, _, _), (_, copies) in zip(sets, runs, strict=True):
        changed_inputs({"Z": Z}, copies)
    return (f"Rows sum to 1 and agree with softmaxlab's softmax on {N_RANDOM} random inputs, and "
            "logits of +-1000 give finite probabilities.")


def _probability_sets(rng):
    """(dims, Q, y, note): random probabilities, then rows with exact zeros."""
    sets = []
    for _ in range(N_RANDOM):
        dims = sizes(rng, "NC")
        n, c = dims["N"], dims["C"]
        y = labels(rng, dims)
        Q = rng.dirichlet(np.ones(c), size=n)
        # The true class gets at least about 0.1, so log(Q + eps) and
        # clip(Q, eps, 1) with eps up to 1e-7 agree to 1e-6 with the exact loss.
        Q[np.arange(n), y] += 0.1
        sets.append((dims, Q / Q.sum(axis=1, keepdims=True), y, ""))
    dims = sizes(rng, "NC")
    n, c = dims["N"], dims["C"]
    y = labels(rng, dims)
    Q = rng.dirichlet(np.ones(c), size=n) * (rng.random((n, c)) < 0.5)
    Q[np.arange(n), y] = 0.05 + rng.random(n)          # the true class: never 0, never tiny
    Q[0] = 0.0
    Q[0, y[0]] = 1.0                                    # a certain, right prediction: loss 0
    Q /= Q.sum(axis=1, keepdims=True)
    sets.append((dims, Q, y, " where some probabilities are exactly 0"))
    return sets


_LABELS = ("y holds N integer class labels, not one-hot rows: a one-hot table of shape (N, C) "
           "has to be built from it, or an array indexed with it.")

_LOG0 = ("{what} is NaN or inf when some probabilities are exactly 0 in classes that are not the "
         "true class: your loss takes log(0) = -inf there (and 0 * log(0) is NaN, not 0). The "
         "right loss is finite: it only needs the true class's probability.",
         "Take the log of Q[i, y[i]] only (index the rows with np.arange(N) and the columns "
         "with y) instead of the log of every entry times a one-hot.")

_CE_FACTORS = {
    "N": ("{what} is N = {N} times too large: it is the sum of the per-sample losses, not their "
          "mean.", "The loss is the mean over the N samples: divide the sum by N."),
    "1/N": ("{what} is N = {N} times too small: it is divided by N twice.",
            "Average over the samples once."),
    "1/C": ("{what} is C = {C} times too small: it is averaged over all N*C entries of the "
            "one-hot table instead of over the N samples.",
            "Add up over the classes first (one term per sample), then take the mean over samples."),
    "-1": ("{what} is negative: the minus sign is missing (the log of a probability is <= 0, "
           "so the loss -log q is >= 0).", "Cross-entropy is minus the mean log-probability "
           "of the true class."),
}


def _ce_mistakes(Q, y):
    n = len(y)
    with np.errstate(all="ignore"):
        logq = np.log(Q[np.arange(n), y])
        Y = one_hot(y, Q.shape[1])
        return [
            (-logq, "{what} holds the N per-sample losses; return their mean (one number).",
             "Average the per-sample losses."),
            (-np.mean(np.log(Q[:, y])), "{what} uses Q[:, y], which takes the label columns of "
             "every row (an N x N table); the loss needs row i's entry in column y[i] only.",
             "Pair each row with its own label: rows np.arange(N), columns y."),
            (-logq.mean() / np.log(2), "{what} uses the base-2 logarithm.",
             "Cross-entropy here uses the natural logarithm (np.log)."),
            (-logq.mean() / np.log(10), "{what} uses the base-10 logarithm.",
             "Cross-entropy here uses the natural logarithm (np.log)."),
            (-np.mean(np.sum(np.log(Q), axis=1)), "{what} adds the log-probabilities of every "
             "class; only the true class counts.", "Pick Q[i, y[i]] for each row i."),
            (-np.mean(np.log(Q)), "{what} averages the log of every entry of Q; only the true "
             "class counts.", "Pick Q[i, y[i]] for each row i."),
            (-np.mean(Q[np.arange(n), y]), "{what} has no logarithm: it is minus the mean "
             "probability of the true class.", "Cross-entropy is -log of that probability."),
            (-np.mean(np.log(1 - Q[np.arange(n), y])), "{what} takes log(1 - q) of the true "
             "class; the loss is -log q.", "The loss must be small when q is close to 1."),
            (-np.mean(np.sum(Y * np.log(Q) + (1 - Y) * np.log(1 - Q), axis=1)), "{what} is the "
             "binary cross-entropy of every class; the softmax loss has one term per sample.",
             "Use only the true class's probability, -log Q[i, y[i]]."),
        ]


def loss_value(out, what: str) -> np.ndarray:
    """The learner's loss as a 0-d array (a one-element array counts as one number)."""
    a = to_array(out, what, "() (one number)")
    return a.reshape(()) if a.size == 1 else a


def cross_entropy_body(fn, rng) -> str:
    sets = _probability_sets(rng)
    runs = [call(fn, {"Q": Q, "y": y}, about=_LABELS, note=note) for _, Q, y, note in sets]
    trials = []
    for (dims, Q, y, note), (out, _) in zip(sets, runs, strict=True):
        with np.errstate(divide="ignore"):  # log(0) = -inf logits: probability 0, as meant
            ref = SoftmaxCrossEntropy().value(np.log(Q), y)   # softmax(log Q) = Q
        trials.append(Trial(loss_value(out, "your loss"), np.asarray(ref), dims,
                            _ce_mistakes(Q, y) if not note else [], note=note,
                            nonfinite=_LOG0 if note else None, random=not note))
    judge("your loss", trials, _CE_FACTORS)
    for (_, Q, y, _), (_, copies) in zip(sets, runs, strict=True):
        changed_inputs({"Q": Q, "y": y}, copies)
    return (f"The mean cross-entropy agrees with the reference on {N_RANDOM} random inputs, and "
            "probabilities of exactly 0 outside the true class give a finite loss.")


_GRAD_FACTORS = {
    "N": ("{what} is N = {N} times too large: it is the gradient of the sum of the per-sample "
          "losses, but the loss is their mean, so a 1/N is missing.",
          "The mean divides by N = Z.shape[0] (the samples); so does its gradient."),
    "1/N": ("{what} is N = {N} times too small: the 1/N of the mean is applied twice.",
            "Divide by N once."),
    "N/C": ("{what} is N/C = {N}/{C} times too large: it is divided by C (the number of classes) "
            "where the mean divides by N (the number of samples).",
            "N is Z.shape[0], C is Z.shape[1]."),
    "-1": ("{what} has the right size but the opposite sign everywhere (a flipped sign).",
           "The loss falls when the true class's logit grows, so that entry of the gradient "
           "must be negative."),
}


def _grad_mistakes(Z, y):
    n, c = Z.shape
    P, Y = softmax(Z), one_hot(y, c)
    label_cols = np.zeros_like(P)
    label_cols[:, y] = 1.0                              # what P[:, y] -= 1 subtracts
    out = []
    for scale in (1.0 / n, 1.0):
        out += [
            (P * scale, "{what} is the softmax probabilities: the one-hot of the true class is "
             "not subtracted.", "Each row of the gradient is the probabilities minus the "
             "one-hot row of that sample's label (then the mean's 1/N)."),
            ((P - 1) * scale, "{what} subtracts 1 in every class; the 1 belongs only to the "
             "true class of each row.", "Subtract a one-hot row: 1 in column y[i], 0 elsewhere."),
            ((P - label_cols) * scale, "{what} subtracts 1 in the label columns of every row "
             "(what P[:, y] -= 1 does): row i must lose 1 only in its own column y[i].",
             "Index pairs: rows np.arange(N) together with columns y."),
            ((P - y[:, None]) * scale, "{what} subtracts the label number y[i] from every entry "
             "of row i; the label must become a one-hot row first.",
             "One-hot: a row of C zeros with a 1 in column y[i] (np.eye(C)[y])."),
            ((softmax(Z, axis=0) - Y) * scale, "{what} uses a softmax over the wrong axis (its "
             "columns sum to 1, not its rows).", "Normalise over the classes, axis=1."),
            ((log_softmax(Z) - Y) * scale, "{what} uses log-softmax where the softmax "
             "probabilities belong.", "The gradient needs the probabilities themselves, no log."),
            ((P - one_hot(np.argmax(Z, axis=1), c)) * scale, "{what} subtracts the one-hot of "
             "the predicted class (the largest logit) where the true class y belongs.",
             "The loss is about the true labels y."),
        ]
    return out


def _row_sums(got: np.ndarray):
    """The rows of the right gradient sum to 0; say so when the learner's do not."""
    rows = got.sum(axis=1)
    scale = float(np.max(np.abs(got))) or 1.0
    if np.all(np.isfinite(rows)) and not np.allclose(rows, 0.0, atol=1e-4 * scale):
        i = int(np.argmax(np.abs(rows)))
        return (f"The rows of {{what}} do not sum to 0 (row {i} sums to {rows[i]:.6g}); the "
                "gradient of each row does.", "Each row of the softmax sums to 1, and so "
                "does each one-hot row.")
    return None


def _true_class_masks(Y: np.ndarray) -> list:
    return [(Y > 0, "Only the true-class entries of {what} (row i, column y[i]) are wrong; the "
             "other entries are right.", "Look at how you subtract the one-hot row."),
            (Y == 0, "Only the entries of the classes that are not the true one are wrong; the "
             "true-class entries of {what} are right.",
             "Every class, not only the true one, gets its softmax probability in the gradient.")]


def softmax_ce_grad_body(fn, rng) -> str:
    sets = [(dims, Z, labels(rng, dims, last_missing=i == 0), note, nonfinite)
            for i, (dims, Z, note, nonfinite) in enumerate(_logit_sets(rng))]
    runs = [call(fn, {"Z": Z, "y": y}, about=_LABELS, note=note) for _, Z, y, note, _ in sets]
    trials = []
    for (dims, Z, y, note, nonfinite), (out, _) in zip(sets, runs, strict=True):
        ref = SoftmaxCrossEntropy().forward(Z, y)[1]
        trials.append(Trial(to_array(out, "your dZ", shape_text(Z.shape, dims)), ref, dims,
                            _grad_mistakes(Z, y) if not note else [],
                            _true_class_masks(one_hot(y, Z.shape[1])), note, nonfinite,
                            random=not note, loose=bool(note), properties=[_row_sums]))
    judge("your dZ", trials, _GRAD_FACTORS)
    for (_, Z, y, _, _), (_, copies) in zip(sets, runs, strict=True):
        changed_inputs({"Z": Z, "y": y}, copies)
    return (f"dZ agrees with the reference gradient of the mean loss on {N_RANDOM} random inputs, "
            "and stays finite for logits of +-1000.")
