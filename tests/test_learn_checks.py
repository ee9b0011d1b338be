"""Each mistake a learner makes, planted in an otherwise right NumPy function:
the check fails, and its message (or hint) names that mistake."""
from __future__ import annotations

import math

import numpy as np
import pytest

from softmaxlab import learn

R = np.arange


def softmax(Z, axis=1):
    e = np.exp(Z - Z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def ce_grad(Z, y):
    G = softmax(Z)
    G[R(len(y)), y] -= 1
    return G / len(y)


def sig(Z):
    return 1 / (1 + np.exp(-Z))


def _inplace_softmax(Z):
    Z -= Z.max(axis=1, keepdims=True)
    return softmax(Z)


def _inplace_relu(dout, Z):
    dx = dout
    dx[Z <= 0] = 0
    return dx


def _grads_inplace(params, grads, lr):
    for k in grads:
        grads[k] *= lr
    return {k: params[k] - grads[k] for k in params}


def _one_column_off(Z, y):
    G = ce_grad(Z, y)
    G[:, 0] *= 3
    return G


def mlp(X, y, W1, b1, W2, b2, mistake=""):
    n = len(X)
    Z1 = X @ W1 + b1
    A1 = np.maximum(Z1, 0)
    P = softmax(A1 @ W2 + b2)
    loss = -np.mean(np.log(P[R(n), y])) * (n if mistake == "sum loss" else 1)
    G = P.copy()
    G[R(n), y] -= 1
    G = G if mistake == "no 1/N" else G / n
    dA1 = G @ W2.T
    mask = {"no mask": 1.0, "wrong side": Z1 < 0}.get(mistake, Z1 > 0)
    dZ1 = dA1 * mask
    grads = {"W1": X.T @ dZ1, "b1": dZ1.sum(0), "W2": (Z1 if mistake == "Z1" else A1).T @ G,
             "b2": G.sum(0)}
    if mistake == "no db1":
        grads["b1"] = np.zeros_like(b1)
    if mistake == "dW1.T":
        grads["W1"] = grads["W1"].T
    if mistake == "odd entry":
        grads["W1"][0, 0] += 0.3
    if mistake == "no b2 key":
        del grads["b2"]
    if mistake == "sign":
        grads = {k: -v for k, v in grads.items()}
    if mistake == "in place":
        W1 *= 1.0001
    return loss, grads


MISTAKES = {
    # name: (check, planted mistake, words the message or hint must contain)
    "softmax over the wrong axis": ("softmax", lambda Z: softmax(Z, axis=0), ["wrong axis"]),
    "softmax overflows": ("softmax", lambda Z: np.exp(Z) / np.exp(Z).sum(1, keepdims=True),
                          ["overflow", "1000", "subtract each row's largest logit"]),
    "max of the whole array": ("softmax", lambda Z: (lambda e: e / e.sum(1, keepdims=True))(
        np.exp(Z - Z.max())), ["each row's own maximum"]),
    "max of each column": ("softmax", lambda Z: (lambda e: e / e.sum(1, keepdims=True))(
        np.exp(Z - Z.max(0))), ["each column"]),
    "log-softmax for softmax": ("softmax", lambda Z: np.log(softmax(Z)), ["log-probabilities"]),
    "no normalisation": ("softmax", lambda Z: np.exp(Z - Z.max(1, keepdims=True)),
                         ["without the division"]),
    "softmax transposed": ("softmax", lambda Z: softmax(Z).T, ["transpose", "(n, c)"]),
    "softmax in place": ("softmax", _inplace_softmax, ["in place", "input z"]),
    "softmax as integers": ("softmax", lambda Z: softmax(Z).astype(int), ["integer"]),
    "softmax returns a tuple": ("softmax", lambda Z: (softmax(Z), Z), ["tuple", "(n, c)"]),
    "softmax doubled": ("softmax", lambda Z: 2 * softmax(Z), ["2 times too large"]),
    "softmax columns normalised": ("softmax", lambda Z: (lambda e: e / e.sum(0, keepdims=True))(
        np.exp(Z - Z.max(1, keepdims=True))), ["columns", "wrong axis"]),
    "softmax rows off": ("softmax", lambda Z: (lambda e: e / (e.sum(1, keepdims=True) + 1))(
        np.exp(Z - Z.max(1, keepdims=True))), ["rows", "do not sum to 1"]),
    "grad rows off": ("softmax_ce_grad", lambda Z, y: softmax(Z) * (1 - softmax(Z)) / len(y),
                      ["rows", "do not sum to 0"]),
    "sgd half a step": ("sgd_step", lambda p, g, lr: {k: p[k] - lr * g[k] / 2 for k in p},
                        ["0.5 times lr * grad"]),
    "mlp sigmoid hidden layer": ("mlp_gradients", lambda *a: (
        -np.mean(np.log(softmax(sig(a[0] @ a[2] + a[3]) @ a[4] + a[5])[R(len(a[1])), a[1]])),
        mlp(*a)[1]), ["loss", "sigmoid"]),
    "mlp loss without b1": ("mlp_gradients", lambda *a: (
        -np.mean(np.log(softmax(np.maximum(a[0] @ a[2], 0) @ a[4] + a[5])[R(len(a[1])), a[1]])),
        mlp(*a)[1]), ["loss", "b1"]),
    "softmax in loops overflows": ("softmax", lambda Z: [[math.exp(v) / sum(math.exp(u) for u in r)
                                                          for v in r] for r in Z],
                                   ["overflowerror", "1000", "largest logit"]),
    "cross-entropy float labels": ("cross_entropy", lambda Q, y: -np.mean(
        np.log(Q[R(len(y)), y.astype(float)])), ["indexerror", "integer"]),
    "grad predicted class for y": ("softmax_ce_grad", lambda Z, y: (softmax(Z) - np.eye(
        Z.shape[1])[Z.argmax(1)]) / len(y), ["predicted class"]),
    "softmax negated logits": ("softmax", lambda Z: softmax(-Z), ["sign"]),
    "cross-entropy takes log(0)": ("cross_entropy", lambda Q, y: -np.sum(
        np.eye(Q.shape[1])[y] * np.log(Q)) / len(y), ["log(0)"]),
    "cross-entropy summed": ("cross_entropy", lambda Q, y: -np.sum(np.log(Q[R(len(y)), y])),
                             ["sum", "mean", "n ="]),
    "cross-entropy over N*C": ("cross_entropy", lambda Q, y: -np.mean(
        np.eye(Q.shape[1])[y] * np.log(np.clip(Q, 1e-300, 1))), ["c =", "n*c"]),
    "cross-entropy extra 1/N": ("cross_entropy", lambda Q, y: -np.mean(
        np.log(Q[R(len(y)), y])) / len(y), ["too small", "twice"]),
    "cross-entropy sign": ("cross_entropy", lambda Q, y: np.mean(np.log(Q[R(len(y)), y])),
                           ["minus sign"]),
    "cross-entropy Q[:, y]": ("cross_entropy", lambda Q, y: -np.mean(np.log(Q[:, y])),
                              ["q[:, y]"]),
    "cross-entropy per sample": ("cross_entropy", lambda Q, y: -np.log(Q[R(len(y)), y]),
                                 ["per-sample", "mean"]),
    "cross-entropy log2": ("cross_entropy", lambda Q, y: -np.mean(np.log2(Q[R(len(y)), y])),
                           ["base-2"]),
    "grad missing 1/N": ("softmax_ce_grad", lambda Z, y: ce_grad(Z, y) * len(y),
                         ["1/n is missing", "sum"]),
    "grad extra 1/N": ("softmax_ce_grad", lambda Z, y: ce_grad(Z, y) / len(y),
                       ["too small", "twice"]),
    "grad divided by C": ("softmax_ce_grad", lambda Z, y: ce_grad(Z, y) * len(y) / Z.shape[1],
                          ["divided by c"]),
    "grad by 2": ("softmax_ce_grad", lambda Z, y: ce_grad(Z, y) * 2, ["2 times too large"]),
    "grad sign": ("softmax_ce_grad", lambda Z, y: -ce_grad(Z, y), ["opposite sign"]),
    "grad is probabilities": ("softmax_ce_grad", lambda Z, y: softmax(Z) / len(y),
                              ["probabilities", "not subtracted"]),
    "grad P[:, y] -= 1": ("softmax_ce_grad", lambda Z, y: (softmax(Z) - np.isin(
        R(Z.shape[1]), y)) / len(y), ["label columns of every row"]),
    "grad 1 in every class": ("softmax_ce_grad", lambda Z, y: (softmax(Z) - 1) / len(y),
                              ["every class"]),
    "grad y not one-hot": ("softmax_ce_grad", lambda Z, y: (softmax(Z) - y[:, None]) / len(y),
                           ["label number", "one-hot"]),
    "grad softmax wrong axis": ("softmax_ce_grad", lambda Z, y: (softmax(Z, 0) - np.eye(
        Z.shape[1])[y]) / len(y), ["wrong axis"]),
    "grad overflows": ("softmax_ce_grad", lambda Z, y: (np.exp(Z) / np.exp(Z).sum(
        1, keepdims=True) - np.eye(Z.shape[1])[y]) / len(y), ["nan or inf", "overflows"]),
    "grad log-softmax": ("softmax_ce_grad", lambda Z, y: (np.log(softmax(Z)) - np.eye(
        Z.shape[1])[y]) / len(y), ["log-softmax"]),
    "grad true class only": ("softmax_ce_grad", lambda Z, y: ce_grad(Z, y) - np.eye(
        Z.shape[1])[y] / len(y), ["only the true-class entries"]),
    "grad other classes only": ("softmax_ce_grad", lambda Z, y: ce_grad(Z, y) * np.eye(
        Z.shape[1])[y], ["not the true one"]),
    "grad one column": ("softmax_ce_grad", _one_column_off, ["only some columns", "column 0"]),
    "grad transposed": ("softmax_ce_grad", lambda Z, y: ce_grad(Z, y).T, ["transpose", "(n, c)"]),
    "grad returns (loss, grad)": ("softmax_ce_grad", lambda Z, y: (1.0, ce_grad(Z, y)),
                                  ["tuple", "(n, c)"]),
    "grad a list of rows per class": ("softmax_ce_grad", lambda Z, y: [list(c) for c in ce_grad(
        Z, y).T], ["transpose"]),
    "forward without bias": ("linear_forward", lambda X, W, b: X @ W, ["without the bias"]),
    "forward bias on the wrong axis": ("linear_forward", lambda X, W, b: X @ W + b[:, None],
                                       ["valueerror", "broadcast", "b lines up with the last"]),
    "forward transposed": ("linear_forward", lambda X, W, b: (X @ W + b).T, ["transpose"]),
    "forward W transposed": ("linear_forward", lambda X, W, b: X @ W.T + b,
                             ["valueerror", "transpose"]),
    "forward subtracts bias": ("linear_forward", lambda X, W, b: X @ W - b, ["subtracts the bias"]),
    "forward in place": ("linear_forward", lambda X, W, b: X.__imul__(1) @ W + b.__iadd__(1) - 1,
                         ["in place", "b"]),
    "dW transposed": ("linear_backward", lambda d, X, W: (d @ W.T, d.T @ X, d.sum(0)),
                      ["transpose", "(d, h)"]),
    "dW extra 1/N": ("linear_backward", lambda d, X, W: (d @ W.T, X.T @ d / len(X), d.sum(0)),
                     ["too small", "1/n"]),
    "dX extra 1/N": ("linear_backward", lambda d, X, W: (d @ W.T / len(X), X.T @ d, d.sum(0)),
                     ["dx", "too small"]),
    "dX with W not W.T": ("linear_backward", lambda d, X, W: (d @ W, X.T @ d, d.sum(0)),
                          ["transpose", "line"]),
    "forgotten db": ("linear_backward", lambda d, X, W: (d @ W.T, X.T @ d),
                     ["forgotten bias gradient"]),
    "db zeros": ("linear_backward", lambda d, X, W: (d @ W.T, X.T @ d, np.zeros(W.shape[1])),
                 ["forgotten bias gradient"]),
    "db None": ("linear_backward", lambda d, X, W: (d @ W.T, X.T @ d, None),
                ["forgotten bias gradient"]),
    "db wrong axis": ("linear_backward", lambda d, X, W: (d @ W.T, X.T @ d, d.sum(1)),
                      ["wrong axis"]),
    "db averaged": ("linear_backward", lambda d, X, W: (d @ W.T, X.T @ d, d.mean(0)),
                    ["db", "too small"]),
    "db keepdims": ("linear_backward", lambda d, X, W: (d @ W.T, X.T @ d, d.sum(0, keepdims=True)),
                    ["(1, h)", "(h,)"]),
    "linear ignores dout": ("linear_backward", lambda d, X, W: (
        np.ones_like(d) @ W.T, X.T @ np.ones_like(d), d.sum(0)), ["ignores dout"]),
    "linear wrong order": ("linear_backward", lambda d, X, W: (X.T @ d, d @ W.T, d.sum(0)),
                           ["wrong order"]),
    "linear sign": ("linear_backward", lambda d, X, W: (d @ W.T, -(X.T @ d), d.sum(0)),
                    ["dw", "sign"]),
    "linear one array": ("linear_backward", lambda d, X, W: X.T @ d, ["three"]),
    "linear in place": ("linear_backward", lambda d, X, W: (d @ W.T, X.T @ d, d.sum(0, out=d[0])),
                        ["in place", "dout"]),
    "relu wrong side": ("relu_backward", lambda d, Z: d * (Z < 0), ["wrong side of zero"]),
    "relu wrong side, <=": ("relu_backward", lambda d, Z: d * (Z <= 0), ["wrong side of zero"]),
    "relu ignores dout": ("relu_backward", lambda d, Z: (Z > 0) * 1.0, ["ignores dout"]),
    "relu in place": ("relu_backward", _inplace_relu, ["in place", "dout"]),
    "relu times output": ("relu_backward", lambda d, Z: d * np.maximum(Z, 0), ["max(z, 0)"]),
    "relu forward": ("relu_backward", lambda d, Z: np.maximum(Z, 0), ["forward pass"]),
    "relu integer": ("relu_backward", lambda d, Z: np.zeros(Z.shape, dtype=int), ["integer"]),
    "relu mask from dout": ("relu_backward", lambda d, Z: np.maximum(d, 0), ["sign of z"]),
    "relu arguments swapped": ("relu_backward", lambda Z, d: d * (Z > 0), ["swaps"]),
    "sigmoid arguments swapped": ("sigmoid_backward", lambda Z, d: d * sig(Z) * (1 - sig(Z)),
                                  ["swaps"]),
    "sigmoid derivative as s": ("sigmoid_backward", lambda d, Z: d * sig(Z),
                                ["sigmoid s itself", "not s"]),
    "sigmoid on Z": ("sigmoid_backward", lambda d, Z: d * Z * (1 - Z), ["pre-activation"]),
    "sigmoid ignores dout": ("sigmoid_backward", lambda d, Z: sig(Z) * (1 - sig(Z)),
                             ["ignores dout"]),
    "sigmoid sign": ("sigmoid_backward", lambda d, Z: -d * sig(Z) * (1 - sig(Z)), ["sign"]),
    "sigmoid in place": ("sigmoid_backward", lambda d, Z: d * sig(Z) * (1 - sig(Z)) + Z.fill(0),
                         ["in place", "z"]),
    "sgd adds": ("sgd_step", lambda p, g, lr: {k: p[k] + lr * g[k] for k in p},
                 ["adds the gradient"]),
    "sgd forgets lr": ("sgd_step", lambda p, g, lr: {k: p[k] - g[k] for k in p},
                       ["learning rate"]),
    "sgd skips biases": ("sgd_step", lambda p, g, lr: {k: p[k] - lr * g[k] * (k[0] == "W")
                                                       for k in p}, ["b1", "not updated"]),
    "sgd changes grads": ("sgd_step", _grads_inplace, ["in place", "grads"]),
    "sgd returns grads": ("sgd_step", lambda p, g, lr: g, ["is the gradient"]),
    "sgd returns a list": ("sgd_step", lambda p, g, lr: [p[k] - lr * g[k] for k in p],
                           ["list", "dict"]),
    "sgd drops a key": ("sgd_step", lambda p, g, lr: {k: p[k] - lr * g[k] for k in ("W1", "W2")},
                        ["no entry", "b1"]),
    "mlp no 1/N": ("mlp_gradients", lambda *a: mlp(*a, mistake="no 1/N"), ["1/n is missing"]),
    "mlp summed loss": ("mlp_gradients", lambda *a: mlp(*a, mistake="sum loss"),
                        ["loss", "sum", "mean"]),
    "mlp Z1 for A1": ("mlp_gradients", lambda *a: mlp(*a, mistake="Z1"), ["dw2", "z1", "a1"]),
    "mlp no ReLU mask": ("mlp_gradients", lambda *a: mlp(*a, mistake="no mask"),
                         ["dw1", "relu", "missing"]),
    "mlp mask wrong side": ("mlp_gradients", lambda *a: mlp(*a, mistake="wrong side"),
                            ["wrong side of zero"]),
    "mlp forgotten db1": ("mlp_gradients", lambda *a: mlp(*a, mistake="no db1"),
                          ["db1", "forgotten bias gradient"]),
    "mlp dW1 transposed": ("mlp_gradients", lambda *a: mlp(*a, mistake="dW1.T"),
                           ["transpose", "(d, h)"]),
    "mlp one odd entry": ("mlp_gradients", lambda *a: mlp(*a, mistake="odd entry"),
                          ["dw1[0, 0]", "finite-difference"]),
    "mlp no b2": ("mlp_gradients", lambda *a: mlp(*a, mistake="no b2 key"), ["no entry", "b2"]),
    "mlp sign": ("mlp_gradients", lambda *a: mlp(*a, mistake="sign"), ["sign"]),
    "mlp in place": ("mlp_gradients", lambda *a: mlp(*a, mistake="in place"), ["in place", "w1"]),
    "mlp grads out of order": ("mlp_gradients", lambda *a: (lambda loss, g: (loss, (
        g["W1"], g["W2"], g["b1"], g["b2"])))(*mlp(*a)), ["wrong order"]),
    "db summed over everything": ("linear_backward", lambda d, X, W: (d @ W.T, X.T @ d, d.sum()),
                                  ["one number", "per output unit"]),
    "grad returns the loss": ("softmax_ce_grad", lambda Z, y: 1.0, ["single number", "(n, c)"]),
    "grad labels as rows": ("softmax_ce_grad", lambda Z, y: (softmax(Z) - y) / len(y),
                            ["one-hot", "broadcast"]),
}


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_a_planted_mistake_fails_and_is_named(mistake):
    name, fn, words = MISTAKES[mistake]
    result = getattr(learn, f"check_{name}")(fn, seed=11)
    assert result.status == "failed" and not result.passed, str(result)
    said = (result.message + " " + result.hint).lower()
    missing = [w for w in words if w not in said]
    assert not missing, f"{mistake}: {missing} not in {result}"
    assert result.hint


def test_relu_accepts_any_subgradient_at_zero_but_not_beyond():
    for fn in (lambda d, Z: d * (Z > 0), lambda d, Z: d * (Z >= 0),
               lambda d, Z: d * np.heaviside(Z, 0.5)):
        assert learn.check_relu_backward(fn, seed=12).passed
    assert not learn.check_relu_backward(lambda d, Z: d * np.heaviside(Z, 2.0), seed=12).passed


def test_results_by_name_are_accepted():
    by_name = lambda d, X, W: {"dX": d @ W.T, "dW": X.T @ d, "db": d.sum(0)}  # noqa: E731
    assert learn.check_linear_backward(by_name, seed=15).passed
    dw_keys = lambda *a: (lambda loss, g: (loss, {"d" + k: v for k, v in g.items()}))(*mlp(*a))  # noqa: E731
    assert learn.check_mlp_gradients(dw_keys, seed=15).passed
    five = lambda *a: (lambda loss, g: (loss, g["W1"], g["b1"], g["W2"], g["b2"]))(*mlp(*a))  # noqa: E731
    assert learn.check_mlp_gradients(five, seed=15).passed


def test_float32_results_pass_and_clipped_logs_pass():
    assert learn.check_softmax(lambda Z: softmax(Z).astype(np.float32), seed=13).passed
    clipped = lambda Q, y: -np.sum(np.eye(Q.shape[1])[y] * np.log(np.clip(Q, 1e-12, 1))) / len(y)  # noqa: E731
    assert learn.check_cross_entropy(clipped, seed=13).passed


def test_an_sgd_step_in_place_is_accepted():
    def in_place(params, grads, lr):
        for k in params:
            params[k] -= lr * grads[k]

    assert learn.check_sgd_step(in_place, seed=14).passed


def test_an_sgd_step_for_single_arrays_is_checked_on_arrays():
    assert learn.check_sgd_step(lambda p, g, lr: p - lr * g, seed=17).passed
    result = learn.check_sgd_step(lambda p, g, lr: p + lr * g, seed=17)
    assert not result.passed and "adds the gradient" in result.message


def test_the_documented_example_prints_what_the_page_shows():
    import contextlib
    import io
    import re
    from pathlib import Path

    page = (Path(__file__).resolve().parents[1] / "docs" / "learn.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", page, re.S).group(1)
    shown = re.search(r"```text\n(.*?)```", page, re.S).group(1)
    code = code.replace("check_softmax(softmax)", "print(check_softmax(softmax))")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "docs/learn.md", "exec"), {})
    assert out.getvalue().split() == shown.split()


@pytest.mark.parametrize("factor, words", [
    (lambda n, c: n, ["n =", "too large"]),
    (lambda n, c: 1 / n, ["n =", "too small"]),
    (lambda n, c: c, ["c =", "too large"]),
    (lambda n, c: 1 / c, ["c =", "too small"]),
    (lambda n, c: 2.0, ["2 times too large"]),
    (lambda n, c: 0.5, ["2 times too small"]),
    (lambda n, c: -1.0, ["sign"]),
    (lambda n, c: -n, ["wrong sign", "n ="]),
    (lambda n, c: 0.37, ["factor of 0.37"]),
])
def test_a_constant_factor_is_named_from_the_sizes(factor, words):
    def scaled(Z, y):
        return ce_grad(Z, y) * factor(*Z.shape)

    result = learn.check_softmax_ce_grad(scaled, seed=16)
    said = (result.message + " " + result.hint).lower()
    assert result.status == "failed" and all(w in said for w in words), str(result)
