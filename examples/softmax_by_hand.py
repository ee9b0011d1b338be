"""Softmax regression worked by hand on 4-bit numbers, with softmaxlab.

This script works through softmax regression on the 16 four-bit numbers
with softmaxlab's public API and prints every intermediate quantity, so the
library's explicit maths can be compared with the formulas written out here:

1. the forward pass ``c = Wx + b``, ``d = exp(c)``, ``q = d / sum(d)`` of a
   2 -> 3 model with a small fixed W, b and x;
2. a hand-set model that labels the 16 four-bit numbers by ``i mod 4``
   (16/16), and a hand-made guess for ``i mod 3`` that beats chance;
3. one gradient step on one example: loss before and after, and the engine's
   ``grads`` next to the formulas ``grad_b = q - onehot(y)``,
   ``grad_W = grad_b x^T``;
4. vectorised full-batch gradient descent (lr 0.5) on ``i mod 3``, printing
   the accuracy after every step and plotting the loss curve;
5. why no linear model gets more than 14/16 on ``i mod 3``: training to
   convergence stops at 14/16, and a linear-programming feasibility check
   proves that no (W, b) labels 15 of the 16 numbers correctly.

Layout note: the formulas write ``W @ x`` with W of shape (n_classes, n_inputs).
softmaxlab's ``Linear`` stores W as (n_inputs, n_classes) and computes
``X @ W`` for a whole batch of row vectors, so every (out, in) matrix below
is passed to :func:`softmaxlab.nn.from_weights` transposed, and gradients
read back from ``layer.grads["W"]`` are transposed again to compare.

Run: ``python examples/softmax_by_hand.py [--fast] [--out DIR]``.
"""
from __future__ import annotations

import numpy as np

try:  # run as a script (examples/ on sys.path) or imported by the tests
    from _common import output_dir, parse_args, save
except ImportError:  # pragma: no cover
    from examples._common import output_dir, parse_args, save

import softmaxlab as sl
from softmaxlab.data import load_dataset
from softmaxlab.gradcheck import check_model
from softmaxlab.nn import one_hot, softmax

NAME = "softmax_by_hand"
LR = 0.5
SHOWN_STEPS = 50  # every step's accuracy is printed for the first 50 full-batch steps


def bits_of(i: int) -> np.ndarray:
    """Bit vector of i (least significant bit first), as the data set encodes it."""
    return np.array([(i >> b) & 1 for b in range(4)], dtype=np.float64)


def out_in_model(W_out_in, b):
    """A softmax-regression model from a W written as in the formulas, shape (n_out, n_in)."""
    return sl.from_weights([(np.asarray(W_out_in, dtype=np.float64).T, b)], dtype=np.float64)


def fmt(v) -> str:
    return np.array2string(np.asarray(v, dtype=np.float64), precision=3, suppress_small=True,
                           floatmode="fixed")


# ---------------------------------------------------------------------------
def forward_pass() -> dict:
    print("== 1. Forward pass of a 2 -> 3 model (fixed W, b, x) ==")
    W = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])  # (out, in), as in c = Wx + b
    b = np.array([1.0, 0.0, -1.0])
    x = np.array([2.0, -1.0])
    model = out_in_model(W, b)
    print(f"  softmaxlab stores W as (in, out) = {model.linear_layers[0].params['W'].shape}:"
          " we pass W.T")
    c = model.forward(x[None, :])[0]          # the logits c = Wx + b
    d = np.exp(c)                             # element-wise exponential
    q = d / d.sum()                           # normalise to probabilities
    print(f"  c = Wx + b      = {fmt(c)}")
    print(f"  d = exp(c)      = {fmt(d)}")
    print(f"  q = d / sum(d)  = {fmt(q)}   (sum {q.sum():.3f})")
    # The library's own softmax subtracts max(c) first, which cancels in the
    # ratio but keeps exp() from overflowing; the numbers agree.
    q_lib = model.predict_proba(x[None, :])[0]
    print(f"  model.predict_proba(x) = {fmt(q_lib)}   (max |diff| {np.abs(q - q_lib).max():.1e})")
    return {"c": c, "d": d, "q": q}


def hand_set_models() -> dict:
    print("\n== 2. Hand-set models for the 16 four-bit numbers ==")
    mod4 = load_dataset("binary-mod", bits=4, k=4)
    # i mod 4 is the two low bits. Give class k the score +1 for every low bit
    # that agrees with k's bits and -1 for every one that disagrees: the true
    # class scores 2 and every other class at most 0.
    W4 = np.array([[1.0 if (k >> j) & 1 else -1.0 for j in range(2)] + [0.0, 0.0]
                   for k in range(4)])
    m4 = out_in_model(W4, np.zeros(4))
    pred4 = m4.predict(mod4.X)
    ok4 = int((pred4 == mod4.y).sum())
    print("  i mod 4, W (out x in):")
    print("   " + fmt(W4).replace("\n", "\n   "))
    print(f"  predictions {pred4.tolist()}")
    print(f"  truth       {mod4.y.tolist()}")
    print(f"  i mod 4: {ok4}/16 correct")

    mod3 = load_dataset("binary-mod", bits=4, k=3)
    # A guess from arithmetic: 2^j mod 3 is 1, 2, 1, 2 and 2 = -1 (mod 3), so
    # i = s (mod 3) with the alternating bit sum s = b0 - b1 + b2 - b3 in
    # -2..2. Score class 1 by s and class 2 by -s, each minus 0.5, and class 0
    # by 0: s = 0 -> 0, s = 1 -> 1, s = -1 -> 2 are right; s = +-2 (i = 5, 10)
    # are wrong, because 2 = -1 and -2 = 1 (mod 3) wrap around.
    alt = np.array([1.0, -1.0, 1.0, -1.0])
    W3 = np.stack([np.zeros(4), alt, -alt])
    b3 = np.array([0.0, -0.5, -0.5])
    m3 = out_in_model(W3, b3)
    pred3 = m3.predict(mod3.X)
    ok3 = int((pred3 == mod3.y).sum())
    majority = int(np.bincount(mod3.y).max())
    print("  i mod 3 guess, W (out x in):")
    print("   " + fmt(W3).replace("\n", "\n   ") + f"   b = {fmt(b3)}")
    print(f"  predictions {pred3.tolist()}")
    print(f"  truth       {mod3.y.tolist()}")
    print(f"  i mod 3 guess: {ok3}/16 correct (chance 16/3 = 5.3, always-class-0 {majority}/16)")
    wrong = np.flatnonzero(pred3 != mod3.y).tolist()
    print(f"  wrong on i = {wrong}")
    return {"mod4_correct": ok4, "mod3_guess_correct": ok3, "mod3_guess_wrong": wrong,
            "mod3_majority": majority}


def one_step(rng) -> dict:
    print("\n== 3. One gradient step on one example (i = 14, y = 14 mod 3 = 2) ==")
    W0 = rng.standard_normal((3, 4))          # (out, in), N(0, 1) entries
    b0 = rng.standard_normal(3)
    i = 14
    x, y = bits_of(i), i % 3
    # -- the formulas, written out in NumPy ---------------------------------
    c = W0 @ x + b0
    q = np.exp(c) / np.exp(c).sum()
    loss_hand = -np.log(q[y])
    grad_b_hand = q - np.eye(3)[y]            # dL/db = q - onehot(y)
    grad_W_hand = np.outer(grad_b_hand, x)    # dL/dW = grad_b x^T, shape (out, in)
    # -- the same with the engine --------------------------------------------
    model = out_in_model(W0, b0)
    loss_fn = sl.SoftmaxCrossEntropy()
    logits = model.forward(x[None, :], training=True)
    loss_before, dlogits = loss_fn(logits, np.array([y]))
    model.backward(dlogits)                   # fills layer.grads
    layer = model.linear_layers[0]
    grad_b, grad_W = layer.grads["b"].copy(), layer.grads["W"].T.copy()
    print(f"  q = {fmt(q)}, loss = -log q[y] = {loss_hand:.3f}; engine loss {loss_before:.3f}")
    print(f"  dL/dlogits from SoftmaxCrossEntropy = {fmt(dlogits[0])}  (= q - onehot(y))")
    print(f"  grad_b  formula q - onehot(y)      = {fmt(grad_b_hand)}")
    print(f"          engine layer.grads['b']   = {fmt(grad_b)}")
    print("  grad_W  formula outer(grad_b, x), (out, in):")
    print("   " + fmt(grad_W_hand).replace("\n", "\n   "))
    print("          engine layer.grads['W'].T:")
    print("   " + fmt(grad_W).replace("\n", "\n   "))
    max_diff = max(np.abs(grad_b - grad_b_hand).max(), np.abs(grad_W - grad_W_hand).max())
    print(f"  max |engine - formula| = {max_diff:.1e}")
    # Independent check of the backward pass by central finite differences.
    fd = check_model(model, x[None, :], np.array([y]))
    print("  finite-difference check, relative errors: "
          + ", ".join(f"{k} {v:.1e}" for k, v in fd.items()))
    sl.SGD(model.parameters(), lr=LR).step()  # W -= 0.5 grad_W, b -= 0.5 grad_b
    q_after = model.predict_proba(x[None, :])[0]
    loss_after = loss_fn.value(model.predict_logits(x[None, :]), np.array([y]))
    print(f"  after W -= {LR}*grad_W, b -= {LR}*grad_b:")
    print(f"  q: {fmt(q)} -> {fmt(q_after)}")
    print(f"  loss: {loss_before:.3f} -> {loss_after:.3f}")
    return {"W0": W0, "b0": b0, "loss_before": loss_before, "loss_after": loss_after,
            "grad_b": grad_b, "grad_W": grad_W, "grad_b_formula": grad_b_hand,
            "grad_W_formula": grad_W_hand, "gradcheck": fd}


def full_batch(rng, converge_steps: int) -> dict:
    print("\n== 4. Vectorised full-batch gradient descent on i mod 3 (lr 0.5) ==")
    data = load_dataset("binary-mod", bits=4, k=3)
    X, y = data.X, data.y
    W0 = rng.standard_normal((3, 4))
    b0 = rng.standard_normal(3)
    model = out_in_model(W0, b0)
    loss_fn = sl.SoftmaxCrossEntropy()
    # The batch gradient is the mean of the per-example gradients of section 3:
    # Q - onehot(Y) row by row, averaged, and X^T (Q - onehot(Y)) / 16 for W.
    logits = model.forward(X, training=True)
    loss0, dlogits = loss_fn(logits, y)
    model.backward(dlogits)
    Q = softmax(X @ W0.T + b0)
    per_b = Q - one_hot(y, 3, dtype=np.float64)              # (16, 3)
    per_W = per_b[:, :, None] * X[:, None, :]                # (16, 3, 4), (out, in)
    layer = model.linear_layers[0]
    diff = max(np.abs(layer.grads["b"] - per_b.mean(0)).max(),
               np.abs(layer.grads["W"].T - per_W.mean(0)).max())
    print(f"  batch grads == mean of per-example grads: max |diff| {diff:.1e}")

    opt = sl.SGD(model.parameters(), lr=LR)
    losses, correct = [loss0], []
    total = max(SHOWN_STEPS, converge_steps)
    for step in range(total):
        logits = model.forward(X, training=True)   # (16, 3) logits, all 16 at once
        loss, dlogits = loss_fn(logits, y)          # mean loss, dL/dlogits incl. 1/16
        model.backward(dlogits)                     # layer.grads = X^T dlogits, sum(dlogits)
        opt.step()                                  # W -= lr grad_W, b -= lr grad_b
        logits = model.predict_logits(X)
        losses.append(loss_fn.value(logits, y))
        correct.append(int((logits.argmax(1) == y).sum()))
        if step < SHOWN_STEPS:
            print(f"  step {step:2d}  loss {losses[-1]:.4f}  accuracy {correct[-1] / 16:.4f}"
                  f" ({correct[-1]}/16)")
    pred = model.predict(X)
    wrong = np.flatnonzero(pred != y).tolist()
    first_best = int(np.argmax(np.array(correct) == max(correct))) + 1
    print(f"  after {SHOWN_STEPS} steps: {correct[SHOWN_STEPS - 1]}/16;"
          f" after {total} steps: {correct[-1]}/16, loss {losses[-1]:.4f}"
          f" (best seen {max(correct)}/16, first at step {first_best})")
    print(f"  predictions {pred.tolist()}")
    print(f"  truth       {y.tolist()}")
    print(f"  wrong on i = {wrong}")
    return {"losses": np.array(losses), "correct": np.array(correct),
            "correct_at_50": correct[SHOWN_STEPS - 1], "final_correct": correct[-1],
            "final_loss": losses[-1], "final_wrong": wrong, "steps": total,
            "first_step_at_best": first_best}


def linear_bound() -> dict:
    """Prove with linear programming that no linear model gets 15/16 on i mod 3.

    A linear model with ``numpy.argmax`` (ties go to the lowest index) labels
    point i correctly iff ``f_y(x_i) > f_k(x_i)`` for k < y and
    ``f_y(x_i) >= f_k(x_i)`` for k > y, with ``f = W x + b``. These constraints
    are homogeneous in (W, b), so "> 0" can be scaled to ">= 1" without loss of
    generality, and the question "can these points all be right?" becomes a
    linear feasibility problem. If it is infeasible for each of the 16 ways of
    leaving one point out, then at most 14 points can be right at once.
    """
    from scipy.optimize import linprog

    print("\n== 5. Is 14/16 the best a linear model can do on i mod 3? ==")
    data = load_dataset("binary-mod", bits=4, k=3)
    X, y, C = data.X, data.y, 3
    n_in = X.shape[1]
    n_var = n_in * C + C                       # W (n_in, C) row-major, then b

    def feasible(rows) -> bool:
        A, rhs = [], []
        for i in rows:
            for k in range(C):
                if k == y[i]:
                    continue
                a = np.zeros(n_var)               # a . v = f_y(x) - f_k(x)
                a[np.arange(n_in) * C + y[i]] += X[i]
                a[np.arange(n_in) * C + k] -= X[i]
                a[n_in * C + y[i]] += 1
                a[n_in * C + k] -= 1
                A.append(-a)                      # linprog wants A_ub v <= b_ub
                rhs.append(-1.0 if k < y[i] else 0.0)
        res = linprog(np.zeros(n_var), A_ub=np.array(A), b_ub=np.array(rhs),
                      bounds=[(None, None)] * n_var, method="highs")
        if res.status not in (0, 2):              # 0 feasible, 2 infeasible
            raise RuntimeError(f"linprog could not decide: {res.message}")
        return res.status == 0

    all16 = feasible(range(16))
    leave_one_out = [feasible([j for j in range(16) if j != i]) for i in range(16)]
    # And 14 is reachable: drop the two points the hand-made guess got wrong.
    fourteen = feasible([j for j in range(16) if j not in (5, 10)])
    print(f"  all 16 points correct: {'feasible' if all16 else 'infeasible'}")
    print(f"  any 15 of the 16 correct: "
          f"{sum(leave_one_out)} of the 16 leave-one-out problems are feasible")
    print(f"  all but i = 5 and 10 correct: {'feasible' if fourteen else 'infeasible'}")
    best = 14 if (not any(leave_one_out) and fourteen) else None
    if best == 14:
        print("  => no linear model labels more than 14/16 of the numbers by i mod 3;"
              " gradient descent's 14/16 is optimal.")
    return {"lp_all16_feasible": all16, "lp_any15_feasible": any(leave_one_out),
            "lp_14_feasible": fourteen, "max_linear_correct": best}


# ---------------------------------------------------------------------------
def plot_training(result: dict, out):
    import matplotlib.pyplot as plt

    losses, correct = result["losses"], result["correct"]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    ax = axes[0]
    ax.plot(np.arange(SHOWN_STEPS + 1), losses[:SHOWN_STEPS + 1], marker=".")
    ax.set(title=f"Loss, first {SHOWN_STEPS} full-batch steps (lr {LR})", xlabel="step",
           ylabel="mean cross-entropy")
    ax = axes[1]
    ax.plot(np.arange(1, len(correct) + 1), correct, drawstyle="steps-post")
    ax.axhline(14, color="k", ls="--", lw=0.8, label="linear optimum 14/16")
    ax.set(title="Correct out of 16 (i mod 3)", xlabel="step", ylabel="correct",
           xscale="log", ylim=(0, 16.5))
    ax.legend(loc="lower right")
    fig.tight_layout()
    p1 = save(fig, out / "loss_curve.png")

    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot(np.arange(len(losses)), losses)
    ax.set(title=f"Loss to convergence ({result['steps']} steps)", xlabel="step",
           ylabel="mean cross-entropy", xscale="symlog")
    fig.tight_layout()
    p2 = save(fig, out / "loss_to_convergence.png")
    return [p1, p2]


def main(fast: bool = False, out_dir=None, seed: int = 0) -> dict:
    """Run every section; return the key figures.

    Parameters
    ----------
    fast : bool
        Fewer steps when training to convergence (everything else is instant).
    out_dir : path-like, optional
        Folder for the plots (default ``examples/out/softmax_by_hand``).
    seed : int
        Seed of the one Generator that draws the random starts.
    """
    out = output_dir(NAME, out_dir)
    rng = np.random.default_rng(seed)
    result = {}
    result.update(forward_pass())
    result.update(hand_set_models())
    result["one_step"] = one_step(rng)
    train = full_batch(rng, converge_steps=1000 if fast else 5000)
    result["train"] = train
    result.update(linear_bound())
    print("\n== Plots ==")
    result["files"] = plot_training(train, out)
    return result


if __name__ == "__main__":
    args = parse_args(NAME, __doc__.splitlines()[0])
    main(fast=args.fast, out_dir=args.out)
