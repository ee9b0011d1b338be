"""Every check passes a right implementation, written in NumPy, in PyTorch or as
plain Python loops; says "not done yet" for the untouched exercise; and cannot
be satisfied by a function that hunts the check's own arrays."""
from __future__ import annotations

import math
import sys

import numpy as np
import pytest

from softmaxlab import learn


# ---- NumPy -------------------------------------------------------------------------------
def np_softmax(Z):
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def np_cross_entropy(Q, y):
    return -np.mean(np.log(Q[np.arange(len(y)), y]))


def np_softmax_ce_grad(Z, y):
    G = np_softmax(Z)
    G[np.arange(len(y)), y] -= 1
    return G / len(y)


def np_linear_forward(X, W, b):
    return X @ W + b


def np_linear_backward(dout, X, W):
    return dout @ W.T, X.T @ dout, dout.sum(axis=0)


def np_relu_backward(dout, Z):
    return dout * (Z > 0)


def np_sigmoid_backward(dout, Z):
    s = 1 / (1 + np.exp(-Z))
    return dout * s * (1 - s)


def np_sgd_step(params, grads, lr):
    return {k: params[k] - lr * grads[k] for k in params}


def np_mlp_gradients(X, y, W1, b1, W2, b2):
    n = len(X)
    Z1 = X @ W1 + b1
    A1 = np.maximum(Z1, 0)
    P = np_softmax(A1 @ W2 + b2)
    loss = -np.mean(np.log(P[np.arange(n), y]))
    dZ2 = P.copy()
    dZ2[np.arange(n), y] -= 1
    dZ2 /= n
    dZ1 = (dZ2 @ W2.T) * (Z1 > 0)
    return loss, {"W1": X.T @ dZ1, "b1": dZ1.sum(0), "W2": A1.T @ dZ2, "b2": dZ2.sum(0)}


# ---- plain Python loops (lists in, lists out) -----------------------------------------------
def loop_softmax(Z):
    out = []
    for row in Z:
        m = max(row)
        e = [math.exp(z - m) for z in row]
        out.append([v / sum(e) for v in e])
    return out


def loop_cross_entropy(Q, y):
    return -sum(math.log(Q[i][y[i]]) for i in range(len(y))) / len(y)


def loop_softmax_ce_grad(Z, y):
    P = loop_softmax(Z)
    return [[(P[i][j] - (1.0 if j == y[i] else 0.0)) / len(y) for j in range(len(P[i]))]
            for i in range(len(P))]


def _matmul(A, B):
    return [[sum(A[i][k] * B[k][j] for k in range(len(B))) for j in range(len(B[0]))]
            for i in range(len(A))]


def _T(A):
    return [list(col) for col in zip(*A, strict=True)]


def loop_linear_forward(X, W, b):
    return [[v + b[j] for j, v in enumerate(row)] for row in _matmul(X, W)]


def loop_linear_backward(dout, X, W):
    db = [sum(dout[i][j] for i in range(len(dout))) for j in range(len(dout[0]))]
    return _matmul(dout, _T(W)), _matmul(_T(X), dout), db


def loop_relu_backward(dout, Z):
    return [[dout[i][j] if Z[i][j] > 0 else 0.0 for j in range(len(Z[0]))] for i in range(len(Z))]


def loop_sigmoid_backward(dout, Z):
    out = []
    for drow, zrow in zip(dout, Z, strict=True):
        s = [1 / (1 + math.exp(-z)) for z in zrow]
        out.append([d * v * (1 - v) for d, v in zip(drow, s, strict=True)])
    return out


def loop_sgd_step(params, grads, lr):
    new = {}
    for k, p in params.items():
        g = grads[k]
        if p.ndim == 1:
            new[k] = [p[i] - lr * g[i] for i in range(len(p))]
        else:
            new[k] = [[p[i][j] - lr * g[i][j] for j in range(len(p[0]))] for i in range(len(p))]
    return new


def loop_mlp_gradients(X, y, W1, b1, W2, b2):
    n = len(X)
    Z1 = loop_linear_forward(X, W1, b1)
    A1 = [[max(v, 0.0) for v in row] for row in Z1]
    P = loop_softmax(loop_linear_forward(A1, W2, b2))
    loss = -sum(math.log(P[i][y[i]]) for i in range(n)) / n
    dZ2 = [[(P[i][j] - (j == y[i])) / n for j in range(len(P[0]))] for i in range(n)]
    dA1, dW2, db2 = loop_linear_backward(dZ2, A1, W2)
    dZ1 = loop_relu_backward(dA1, Z1)
    _, dW1, db1 = loop_linear_backward(dZ1, X, W1)
    return loss, (dW1, db1, dW2, db2)


# ---- PyTorch (NumPy in, tensors out; some in float32) ---------------------------------------
def torch_impls():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    t = torch.from_numpy

    def softmax(Z):
        return torch.softmax(torch.tensor(Z, dtype=torch.float32), dim=1)

    def cross_entropy(Q, y):
        return F.nll_loss(torch.log(t(Q)), t(y))

    def ce_grad(Z, y):
        Z = torch.tensor(Z, requires_grad=True)
        F.cross_entropy(Z, t(y)).backward()
        return Z.grad

    def linear_backward(dout, X, W):
        X, W = (torch.tensor(a, requires_grad=True) for a in (X, W))
        b = torch.zeros(W.shape[1], dtype=torch.float64, requires_grad=True)
        (X @ W + b).backward(t(dout))
        return X.grad, W.grad, b.grad

    def activation_backward(f):
        def backward(dout, Z):
            Z = torch.tensor(Z, requires_grad=True)
            f(Z).backward(t(dout))
            return Z.grad
        return backward

    def mlp(X, y, W1, b1, W2, b2):
        params = [torch.tensor(a, requires_grad=True) for a in (W1, b1, W2, b2)]
        logits = torch.relu(t(X) @ params[0] + params[1]) @ params[2] + params[3]
        loss = F.cross_entropy(logits, t(y))
        loss.backward()
        return loss, dict(zip(("W1", "b1", "W2", "b2"), (p.grad for p in params), strict=True))

    return {
        "check_softmax": softmax,
        "check_cross_entropy": cross_entropy,
        "check_softmax_ce_grad": ce_grad,
        "check_linear_forward": lambda X, W, b: t(X) @ t(W) + t(b),
        "check_linear_backward": linear_backward,
        "check_relu_backward": activation_backward(torch.relu),
        "check_sigmoid_backward": activation_backward(torch.sigmoid),
        "check_sgd_step": lambda p, g, lr: {k: t(p[k]) - lr * t(g[k]) for k in p},
        "check_mlp_gradients": mlp,
    }


CHECKS = ["softmax", "cross_entropy", "softmax_ce_grad", "linear_forward", "linear_backward",
          "relu_backward", "sigmoid_backward", "sgd_step", "mlp_gradients"]


@pytest.mark.parametrize("style", ["np", "loop"])
@pytest.mark.parametrize("name", CHECKS)
def test_a_right_numpy_or_loops_implementation_passes(name, style):
    fn = globals()[f"{style}_{name}"]
    for seed in (0, 1):
        result = getattr(learn, f"check_{name}")(fn, seed=seed)
        assert result.passed, str(result)
        assert result.status == "passed" and result.hint == "" and bool(result)


@pytest.mark.parametrize("name", CHECKS)
def test_a_right_pytorch_implementation_passes(name):
    fn = torch_impls()[f"check_{name}"]
    result = getattr(learn, f"check_{name}")(fn, seed=2)
    assert result.passed, str(result)


def test_fresh_inputs_on_each_call_unless_seeded():
    seen = []
    learn.check_softmax(lambda Z: seen.append(Z.copy()) or np_softmax(Z))
    learn.check_softmax(lambda Z: seen.append(Z.copy()) or np_softmax(Z))
    half = len(seen) // 2
    assert not np.array_equal(seen[0], seen[half])
    seeded = []
    for _ in range(2):
        learn.check_softmax(lambda Z: seeded.append(Z.copy()) or np_softmax(Z), seed=3)
    assert np.array_equal(seeded[0], seeded[half])


def test_sizes_differ_so_transposes_show():
    shapes = []
    learn.check_linear_backward(lambda d, X, W: shapes.append((d.shape, X.shape, W.shape))
                                or np_linear_backward(d, X, W), seed=4)
    for (n, h), (_, d), _ in shapes:
        assert len({n, h, d}) == 3 and 2 not in {n, h, d}


def _raising(*args):
    raise NotImplementedError("write this")


STUBS = {"raise": _raising, "none": lambda *args: None, "nones": lambda *args: (None, None),
         "NotImplemented": lambda *args: NotImplemented}


@pytest.mark.parametrize("name", CHECKS)
@pytest.mark.parametrize("stub", list(STUBS))
def test_the_untouched_exercise_is_not_done_yet(name, stub):
    result = getattr(learn, f"check_{name}")(STUBS[stub])
    assert result.status == "not done yet" and not result.passed and not result
    assert "not done yet" in str(result)


def _hunt(shape_of_result):
    """A cheat: walk up the caller's frames (and module globals) and return the
    first float array of the right shape that is not equal to one of its inputs."""
    def fn(*args):
        frame = sys._getframe(1)
        inputs = [a for a in args if isinstance(a, np.ndarray)]
        while frame is not None:
            spaces = list(frame.f_locals.values()) + list(frame.f_globals.values())
            for value in spaces:
                found = [v for v in (value if isinstance(value, (list, tuple)) else [value])
                         if isinstance(v, np.ndarray)
                         and not any(v.shape == a.shape and np.array_equal(v, a) for a in inputs)]
                for v in found:
                    if v.shape == shape_of_result(*args) and v.dtype.kind == "f":
                        return v.copy()
            frame = frame.f_back
        return np.zeros(shape_of_result(*args))
    return fn


@pytest.mark.parametrize("check, shape", [
    (learn.check_softmax, lambda Z: Z.shape),
    (learn.check_softmax_ce_grad, lambda Z, y: Z.shape),
    (learn.check_linear_forward, lambda X, W, b: (X.shape[0], W.shape[1])),
    (learn.check_relu_backward, lambda dout, Z: Z.shape),
    (learn.check_sigmoid_backward, lambda dout, Z: Z.shape),
])
def test_the_answer_cannot_be_fetched_from_the_check(check, shape):
    result = check(_hunt(shape))
    assert result.status == "failed", str(result)


def test_the_hunt_would_find_an_answer_left_where_it_looks():
    # Proves the cheat above is able: a leaky "check" that keeps its expected
    # array in a local variable while calling fn is beaten by it.
    def leaky_check(fn):
        Z = np.random.default_rng(0).normal(size=(4, 3))
        expected = np_softmax(Z)
        return np.array_equal(np.asarray(fn(Z.copy())), expected)

    assert leaky_check(_hunt(lambda Z: Z.shape))


def test_a_check_hands_out_at_most_one_expected_entry():
    result = learn.check_softmax_ce_grad(lambda Z, y: np.zeros_like(Z) + 0.123, seed=5)
    assert not result.passed
    assert result.message.count("should be") <= 1
    assert {k for k in vars(result)} == {"name", "status", "message", "hint"}
    assert not [v for v in vars(learn.checks).values() if isinstance(v, np.ndarray)]


def test_text_and_html_forms_escape_the_learners_words():
    def fn(Z):
        raise ValueError("<script>alert('x')</script> & more")

    result = learn.check_softmax(fn)
    html = result._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp; more" in html
    assert "ValueError" in str(result) and "ValueError" in repr(result)
    assert "failed" in html and "Hint" in html


def test_an_exception_names_the_learners_line():
    def my_softmax(Z):
        e = np.exp(Z)
        return e / e.sum(axis=1)      # (N, C) / (N,): does not broadcast

    result = learn.check_softmax(my_softmax, seed=6)
    assert result.status == "failed"
    assert "ValueError" in result.message and "my_softmax" in result.message
    assert "e / e.sum(axis=1)" in result.message and "keepdims" in result.hint


def test_a_non_function_is_refused_without_raising():
    result = learn.check_softmax(np_softmax(np.zeros((2, 3))))
    assert result.status == "failed" and "function" in result.message


def test_a_tensor_only_function_is_told_to_convert_the_arrays():
    torch = pytest.importorskip("torch")
    result = learn.check_softmax(lambda Z: torch.softmax(Z, dim=1))
    assert result.status == "failed" and "TypeError" in result.message
    assert "torch.from_numpy" in result.hint
