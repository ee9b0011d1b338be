"""Checks that run a learner's own function and say what is wrong with it.

Every check takes the learner's function ``fn`` and returns a
``softmaxlab.learn.CheckResult``; none of them raises. The check calls
``fn`` on fresh random inputs (float64 NumPy arrays, a new draw on each call
unless ``seed`` is given, several shapes with ``N``, ``C``, ``D`` and ``H``
all different so that a transposed or wrongly reduced result shows), and
compares the answers with softmaxlab's reference engine (``softmaxlab.nn``,
``softmaxlab.optim``).

Conventions shared by every check
---------------------------------
- Inputs are NumPy float64 arrays (labels ``y``: int64). ``fn`` may return
  NumPy arrays, PyTorch tensors (``requires_grad`` or not) or nested Python
  lists; they are read with ``np.asarray`` after ``.detach().cpu()``.
- Tolerance: an entry agrees when ``|got - expected| <= 1e-5 * |expected| +
  1e-6 * max|expected|``: far tighter than any mistake (the smallest is off by
  a whole factor), loose enough for a computation done in float32.
- "not done yet": ``fn`` raises ``NotImplementedError`` or returns ``None``
  (the unmodified exercise).
- An exception inside ``fn``: failed, with the exception, its message and
  the line of the learner's code that raised it.
- ``fn`` must not modify its arguments: each check keeps copies and compares.
- The expected answers are computed only after every call of ``fn`` and are
  never passed to ``fn``, stored in globals or returned: a failure message
  names at most one offending entry and its expected value.
"""
from __future__ import annotations

from softmaxlab.learn import _checks_layers as _ly
from softmaxlab.learn import _checks_net as _net
from softmaxlab.learn import _checks_softmax as _sm
from softmaxlab.learn._call import run_check
from softmaxlab.learn._result import CheckResult

__all__ = [
    "check_cross_entropy",
    "check_linear_backward",
    "check_linear_forward",
    "check_mlp_gradients",
    "check_relu_backward",
    "check_sgd_step",
    "check_sigmoid_backward",
    "check_softmax",
    "check_softmax_ce_grad",
]


def check_softmax(fn, *, seed=None) -> CheckResult:
    """Check a row-wise softmax.

    Parameters
    ----------
    fn : callable ``fn(Z) -> P``
        ``Z``: float array of shape (N, C), one row of logits per sample.
        ``P``: array of shape (N, C), ``P[i, j] = exp(Z[i, j]) / sum_k exp(Z[i, k])``;
        every row sums to 1.
    seed : int, optional
        Draw the same inputs every time (default: fresh inputs on each call).

    Returns
    -------
    CheckResult

    Notes
    -----
    Besides ordinary logits, ``fn`` gets logits around +-1000, where the
    naive ``exp`` overflows (``exp(1000) = inf`` in float64). Recognised
    mistakes include: softmax over the wrong axis (columns sum to 1), no
    max subtraction (NaN or inf at large logits), subtracting the maximum of
    the whole array or of each column, a missing normalisation or exponential,
    rows that do not sum to 1 (or columns that do), returning log-softmax, a
    flipped sign, a constant factor, a transposed or wrongly shaped result, a
    tuple of results, an integer result, and modifying ``Z`` in place.
    """
    return run_check("check_softmax", _sm.softmax_body, fn, seed)


def check_cross_entropy(fn, *, seed=None) -> CheckResult:
    """Check the mean cross-entropy of predicted probabilities.

    Parameters
    ----------
    fn : callable ``fn(Q, y) -> loss``
        ``Q``: float array of shape (N, C) of probabilities (rows sum to 1;
        some entries are exactly 0). ``y``: int array of shape (N,), the
        true class of each row, in ``[0, C)``. ``loss``: one number,
        ``-(1/N) sum_i log Q[i, y[i]]`` (a Python float, a NumPy or torch
        scalar, or a one-element array).
    seed : int, optional

    Returns
    -------
    CheckResult

    Notes
    -----
    Taking probabilities (not logits) is what makes ``log(0)`` visible:
    some rows have probability exactly 0 in a class that is *not* the true
    one. The loss is then finite, but ``-sum(onehot * log(Q))`` computes
    ``0 * log(0) = 0 * -inf = NaN`` there. The true class's probability is
    never 0 (the loss would really be infinite) and never tiny, so clipping
    with a small epsilon (``log(Q + 1e-12)``) passes. Recognised mistakes
    include: summing instead of averaging (N times too large), averaging over
    all N*C entries, a missing minus sign, the wrong logarithm base, using
    ``Q[:, y]`` instead of ``Q[arange(N), y]``, summing the log of every class,
    returning the N per-sample losses instead of their mean, and modifying
    ``Q`` in place.
    """
    return run_check("check_cross_entropy", _sm.cross_entropy_body, fn, seed)


def check_softmax_ce_grad(fn, *, seed=None) -> CheckResult:
    """Check the gradient of the mean softmax cross-entropy w.r.t. the logits.

    Parameters
    ----------
    fn : callable ``fn(Z, y) -> dZ``
        ``Z``: float array of shape (N, C) of logits. ``y``: int array of
        shape (N,) of true classes. ``dZ``: array of shape (N, C), the
        gradient of ``L = -(1/N) sum_i log softmax(Z)[i, y[i]]`` with
        respect to ``Z``.
    seed : int, optional

    Returns
    -------
    CheckResult

    Notes
    -----
    Recognised mistakes include: a missing ``1/N`` (the gradient of the
    summed loss), an extra ``1/N``, any other constant factor (named: C, 2,
    ...), a flipped sign, returning the probabilities (no one-hot
    subtracted), subtracting 1 in every class or in every row's label
    columns (``P[:, y] -= 1``), subtracting the label number instead of a
    one-hot row, softmax over the wrong axis, log-softmax in place of
    softmax, overflow at logits of 1000, entries wrong only in the true
    class, only in the other classes or only in some columns, rows that do
    not sum to 0, a transposed or wrongly shaped result (a tuple such as
    ``(loss, dZ)``, a single number), and modifying ``Z`` in place.
    """
    return run_check("check_softmax_ce_grad", _sm.softmax_ce_grad_body, fn, seed)


def check_linear_forward(fn, *, seed=None) -> CheckResult:
    """Check an affine layer's forward pass.

    Parameters
    ----------
    fn : callable ``fn(X, W, b) -> out``
        ``X``: (N, D) inputs, one row per sample. ``W``: (D, H) weights.
        ``b``: (H,) bias. ``out``: (N, H), ``X @ W + b`` (the bias is added
        to every row).
    seed : int, optional

    Returns
    -------
    CheckResult

    Notes
    -----
    Recognised mistakes include: a forgotten or subtracted bias, the bias
    added along the wrong axis, a transposed result, ``W`` used transposed,
    any constant factor, a wrongly shaped result, and modifying an input.
    """
    return run_check("check_linear_forward", _ly.linear_forward_body, fn, seed)


def check_linear_backward(fn, *, seed=None) -> CheckResult:
    """Check an affine layer's backward pass.

    Parameters
    ----------
    fn : callable ``fn(dout, X, W) -> (dX, dW, db)``
        Arguments in this order: ``dout``: (N, H), the upstream gradient
        ``dL/dout`` of the layer's output ``out = X @ W + b``; ``X``: (N, D)
        the layer's input; ``W``: (D, H) its weights (``b`` is not needed).
        Returns a tuple ``(dX, dW, db)`` of shapes (N, D), (D, H) and (H,)
        (a dict with keys ``"dX"``, ``"dW"``, ``"db"`` is accepted too).
    seed : int, optional

    Returns
    -------
    CheckResult

    Notes
    -----
    ``dout`` already contains the ``1/N`` of a mean loss, so no gradient here
    divides by N. Recognised mistakes include: a transposed ``dW`` (``dout.T
    @ X``), ``dX`` computed with ``W`` instead of ``W.T``, an extra ``1/N`` or
    any other constant factor, a flipped sign, a forgotten bias gradient
    (missing, None or zeros), ``db`` summed over the wrong axis, averaged, or
    not summed at all, ignoring ``dout`` (returning the local derivative
    only), results in the wrong order, wrongly shaped results (naming the
    expected shape), and modifying an input.
    """
    return run_check("check_linear_backward", _ly.linear_backward_body, fn, seed)


def check_relu_backward(fn, *, seed=None) -> CheckResult:
    """Check ReLU's backward pass.

    Parameters
    ----------
    fn : callable ``fn(dout, Z) -> dZ``
        ``dout``: (N, H) upstream gradient ``dL/dA`` of the output
        ``A = max(Z, 0)``. ``Z``: (N, H) the *pre-activation* (ReLU's input).
        ``dZ``: (N, H), ``dout`` where ``Z > 0`` and 0 where ``Z < 0``.
    seed : int, optional

    Returns
    -------
    CheckResult

    Notes
    -----
    Some entries of ``Z`` are exactly 0, where ReLU has no derivative: any
    value from 0 to ``dout`` (a subgradient: 0, ``dout``, ``dout / 2``) is
    accepted there. Recognised mistakes include: the gradient
    passed on the wrong side of zero, ignoring ``dout`` (returning the 0/1
    mask), multiplying by ``max(Z, 0)`` or by ``Z``, applying ReLU to ``dout``,
    returning the forward pass, the two arguments swapped, a flipped sign or
    constant factor, an integer result, and modifying ``dout`` or ``Z`` in place (``dx = dout;
    dx[Z <= 0] = 0`` writes into ``dout``).
    """
    return run_check("check_relu_backward", _ly.relu_backward_body, fn, seed)


def check_sigmoid_backward(fn, *, seed=None) -> CheckResult:
    """Check the sigmoid's backward pass.

    Parameters
    ----------
    fn : callable ``fn(dout, Z) -> dZ``
        ``dout``: (N, H) upstream gradient ``dL/dA`` of ``A = sigmoid(Z)``.
        ``Z``: (N, H) the *pre-activation* (the sigmoid's input, not its
        output). ``dZ``: (N, H), ``dout * s * (1 - s)`` with ``s = sigmoid(Z)``.
    seed : int, optional

    Returns
    -------
    CheckResult

    Notes
    -----
    Recognised mistakes include: the derivative written as ``s`` instead of
    ``s (1 - s)``, or as ``1 - s`` or ``s**2``; ``Z (1 - Z)`` (the formula
    applied to the pre-activation instead of to ``sigmoid(Z)``); ignoring
    ``dout``; the two arguments swapped; a flipped sign or constant factor; a
    wrongly shaped result; and modifying an input.
    """
    return run_check("check_sigmoid_backward", _ly.sigmoid_backward_body, fn, seed)


def check_sgd_step(fn, *, seed=None) -> CheckResult:
    """Check one plain gradient-descent update.

    Parameters
    ----------
    fn : callable ``fn(params, grads, lr) -> new_params``
        ``params``: dict name -> float array (here ``"W1"`` (D, H), ``"b1"``
        (H,), ``"W2"`` (H, C), ``"b2"`` (C,)). ``grads``: dict with the same
        keys and shapes. ``lr``: float > 0. Returns the updated parameters,
        ``params[k] - lr * grads[k]`` for every key, as a dict with the same
        keys. Updating the arrays of ``params`` in place is accepted too
        (then return ``params``, or None); ``grads`` must not change. A
        function written for single arrays (``params - lr * grads``), which
        raises TypeError on dicts, is checked on single arrays (D, H) instead.
    seed : int, optional

    Returns
    -------
    CheckResult

    Notes
    -----
    Recognised mistakes include: adding the gradient instead of subtracting
    it, a forgotten learning rate (or ``lr**2``, or dividing by it), a
    parameter left unchanged (e.g. the biases), a step of any other size
    (named as a multiple of ``lr * grad``), returning the step or the
    gradient instead of the new parameters, a list instead of a dict, a
    missing key, wrongly shaped results, and modifying ``grads``.
    """
    return run_check("check_sgd_step", _net.sgd_step_body, fn, seed)


def check_mlp_gradients(fn, *, seed=None) -> CheckResult:
    """Check the loss and gradients of a whole two-layer network.

    Parameters
    ----------
    fn : callable ``fn(X, y, W1, b1, W2, b2) -> (loss, grads)``
        The network is ``Z1 = X @ W1 + b1``, ``A1 = max(Z1, 0)``,
        ``Z2 = A1 @ W2 + b2``, ``loss = mean_i -log softmax(Z2)[i, y[i]]``.
        ``X``: (N, D); ``y``: (N,) int classes in ``[0, C)``; ``W1``: (D, H);
        ``b1``: (H,); ``W2``: (H, C); ``b2``: (C,). Returns the mean loss
        (one number) and the gradients of that loss, either as a dict with
        keys ``"W1"``, ``"b1"``, ``"W2"``, ``"b2"`` or as a tuple
        ``(dW1, db1, dW2, db2)``; each gradient has its parameter's shape.
    seed : int, optional

    Returns
    -------
    CheckResult

    Notes
    -----
    Recognised mistakes include those of the loss (summed instead of
    averaged, sign; a forward pass without the ReLU, with a sigmoid or tanh,
    without a bias, without the softmax and log), of each gradient (constant factors such as a missing
    1/N in all four, transposed, sign, forgotten bias gradients), of the
    backward pass through the hidden layer (the ReLU mask forgotten or on the
    wrong side of zero, ``dW2`` computed from ``Z1`` instead of ``A1``),
    wrong keys or order, and modifying an input. When a gradient is wrong in
    no recognised way, the message compares its worst entry with a finite
    difference of your own loss.
    """
    return run_check("check_mlp_gradients", _net.mlp_gradients_body, fn, seed)
