# %% [markdown]
# # Lesson 1: softmax regression by hand
#
# A classifier that reads a 4-bit number and says which class it belongs to.
# You will write, in NumPy:
#
# 1. `softmax`, which turns scores into probabilities;
# 2. `cross_entropy`, which says how wrong the probabilities are;
# 3. `softmax_ce_grad`, its gradient with respect to the scores;
# 4. `sgd_step`, one step of gradient descent;
#
# and then train on the 16 numbers 0..15 with two labellings: `i mod 4`,
# which a linear model gets exactly right, and `i mod 3`, which it cannot.
#
# **How the exercises work.** Each exercise is a function with
# `raise NotImplementedError("your code here")` in its body. Replace that line
# with your code and run the cell, then the cell below it: a check from
# `softmaxlab.learn` runs your function on inputs it made up, compares it with
# softmaxlab's own maths, and says *what* is wrong if something is. Until you
# have written a function, its check says "not done yet", and the lesson uses
# the library's version so that the rest of the notebook still runs.

# %%
import numpy as np

import softmaxlab as sl
from softmaxlab.learn import (check_cross_entropy, check_softmax, check_softmax_ce_grad,
                              check_sgd_step)
from softmaxlab.learn.lesson_tools import use_if_passed

np.set_printoptions(precision=3, suppress=True)

# %% [markdown]
# ## The data: 16 numbers as bit vectors
#
# The number `i` becomes the row of its four bits, least significant first:
# 13 = 1 + 4 + 8 is `[1, 0, 1, 1]`. All 16 rows form `X` of shape (16, 4).
# The labels are class indices 0..C-1. A label is also written as a
# **one-hot** row: class 2 of 4 is `[0, 0, 1, 0]`. Why not use the number 2
# itself as the target? Because "class 2" is not "twice class 1": the
# classes have no order, and one-hot rows are all equally far apart.

# %%
X = np.array([[(i >> bit) & 1 for bit in range(4)] for i in range(16)], dtype=np.float64)
y4 = np.arange(16) % 4
y3 = np.arange(16) % 3
print("X[13] =", X[13], " y4[13] =", y4[13], " y3[13] =", y3[13])
print("one-hot of y4[:5]:\n", np.eye(4)[y4[:5]])

# %% [markdown]
# ## The model
#
# Softmax regression scores each class with a linear function and turns the
# scores into probabilities. For a batch of rows `X` (n, d), weights `W`
# (d, C) and bias `b` (C,):
#
# $$Z = XW + b, \qquad q_{ik} = \frac{e^{Z_{ik}}}{\sum_j e^{Z_{ij}}}$$
#
# (Textbooks often write $Wx + b$ for one column vector $x$ with $W$ of shape
# (C, d); the batch form with one example per row is the same thing
# transposed, and it is how softmaxlab stores `W`.)
#
# Why the exponential? It makes every score positive, keeps the order of the
# scores, and its logarithm undoes it, which makes the loss and its gradient
# simple, as you will see.
#
# ### Exercise 1: softmax
#
# Write `softmax(Z)` for `Z` of shape (n, C): each **row** becomes
# probabilities that sum to 1. A hint for later: `exp(1000)` is `inf` in
# floating point. Since $e^{z - m} / \sum_j e^{z_j - m}$ is the same number
# for any constant $m$, what could you subtract from each row first?

# %%
def softmax(Z):
    """Row-wise softmax.

    Z : ndarray of shape (n, C). Returns ndarray of shape (n, C), rows summing to 1.
    """
    # BEGIN SOLUTION
    Z = np.asarray(Z, dtype=np.float64)
    E = np.exp(Z - Z.max(axis=1, keepdims=True))   # the largest score becomes exp(0) = 1
    return E / E.sum(axis=1, keepdims=True)
    # END SOLUTION


# %%
softmax_result = check_softmax(softmax)
softmax_result

# %% [markdown]
# ## How wrong is a prediction? Cross-entropy
#
# If the true class of row $i$ is $y_i$, the model should give it a high
# probability. The loss of that row is $-\log q_{i,y_i}$: 0 when $q_{i,y_i} = 1$,
# large when it is near 0. Over a batch we take the **mean**:
#
# $$L = -\frac{1}{n} \sum_i \log q_{i, y_i}$$
#
# ### Exercise 2: cross-entropy
#
# Write `cross_entropy(Q, y)` that takes the *probabilities* `Q` (n, C),
# rows summing to 1, and the integer labels `y` (n,), and returns the mean
# loss as one number. Pick the true class's probability in each row; do not
# take the log of every entry: a wrong class may have probability exactly 0,
# and `0 * log(0)` is `nan`, not 0.

# %%
def cross_entropy(Q, y):
    """Mean of -log Q[i, y[i]] over the rows.

    Q : ndarray of shape (n, C), probabilities; y : int ndarray of shape (n,). Returns a float.
    """
    # BEGIN SOLUTION
    Q = np.asarray(Q, dtype=np.float64)
    return float(-np.mean(np.log(Q[np.arange(len(y)), y])))
    # END SOLUTION


# %%
ce_result = check_cross_entropy(cross_entropy)
ce_result

# %% [markdown]
# ## A linear model for `i mod 4`, set by hand
#
# `i mod 4` is just the two lowest bits of `i`. So a score for class `k`
# that rewards agreeing with `k`'s two low bits and punishes disagreeing
# picks the right class every time.
#
# ### Exercise 3: weights that solve `i mod 4` exactly
#
# Return `W` of shape (4, 4) (bits x classes) and `b` of shape (4,) so that
# `argmax(X @ W + b)` equals `i mod 4` for all 16 numbers. Hint: give
# class `k` the weight +1 on bit `j` if bit `j` of `k` is 1, and -1 if it is 0.
# Which bits should get weight 0?

# %%
def mod4_weights():
    """Hand-set (W, b) with W of shape (4, 4) and b of shape (4,) that label i mod 4."""
    # BEGIN SOLUTION
    W = np.zeros((4, 4))
    for k in range(4):
        for bit in range(2):                       # only the two low bits matter
            W[bit, k] = 1.0 if (k >> bit) & 1 else -1.0
    return W, np.zeros(4)
    # END SOLUTION


# %%
try:
    W4, b4 = mod4_weights()
    hand4 = int(((X @ W4 + b4).argmax(axis=1) == y4).sum())
    print(f"i mod 4, hand-set weights: {hand4}/16 correct")
except NotImplementedError:
    print("mod4_weights: not done yet")

# %% [markdown]
# Try the same for `i mod 3` on paper: you will get more than chance (5 or
# 6 of 16), but not 16. Below, training shows that no linear model gets all
# of them.
#
# ## The gradient: $q - \text{onehot}(y)$
#
# To improve `W` and `b` we need the gradient of the loss. For one row,
# $\ell = -Z_y + \log\sum_j e^{Z_j}$, and the derivative of
# $\log\sum_j e^{Z_j}$ with respect to $Z_k$ is $e^{Z_k}/\sum_j e^{Z_j} = q_k$. So
#
# $$\frac{\partial \ell}{\partial Z_k} = q_k - [k = y], \qquad
# \frac{\partial L}{\partial Z} = \frac{1}{n}\,(Q - \text{onehot}(y))$$
#
# for the mean loss $L$ over $n$ rows. The chain rule through $Z = XW + b$
# then gives $\partial L/\partial W = X^\top\, \partial L/\partial Z$ (shape (d, C),
# like `W`) and $\partial L/\partial b$ = the column sums of
# $\partial L/\partial Z$ (shape (C,)).
#
# ### Exercise 4: the gradient with respect to the scores
#
# Write `softmax_ce_grad(Z, y)`: the gradient of the **mean** cross-entropy
# with respect to `Z`, shape (n, C). Do not change `Z` itself.

# %%
def softmax_ce_grad(Z, y):
    """d(mean cross-entropy)/dZ for Z of shape (n, C), y of shape (n,): shape (n, C)."""
    # BEGIN SOLUTION
    Q = softmax(Z)                      # a new array: Z itself stays as it was
    Q[np.arange(len(y)), y] -= 1.0      # q - onehot(y)
    return Q / len(y)                   # the loss is a mean over the n rows
    # END SOLUTION


# %%
grad_result = check_softmax_ce_grad(softmax_ce_grad)
grad_result

# %% [markdown]
# ### Exercise 5: one step of gradient descent
#
# Write `sgd_step(params, grads, lr)`: for every name in the dict `params`
# (such as `"W"` and `"b"`), move the array by `-lr` times the gradient of
# the same name in `grads`, and return the new parameters as a dict with the
# same names. (Updating the arrays in place and returning `params` is fine
# too; changing `grads` is not.)

# %%
def sgd_step(params, grads, lr):
    """New parameters params[k] - lr * grads[k] for every key k, as a dict."""
    # BEGIN SOLUTION
    return {name: params[name] - lr * grads[name] for name in params}
    # END SOLUTION


# %%
sgd_result = check_sgd_step(sgd_step)
sgd_result

# %% [markdown]
# ## One step on one example
#
# From here on the lesson uses your functions if their checks passed, and
# softmaxlab's otherwise (it says which). Take `i = 14`, labelled
# `14 mod 3 = 2`, random `W` and `b`, and one step with learning rate 0.5:
# the loss on that example must fall.

# %%
from softmaxlab.nn.layers import Parameter


def library_cross_entropy(Q, y):
    # The engine's loss takes scores; log Q are scores whose softmax is Q again.
    with np.errstate(divide="ignore"):
        scores = np.maximum(np.log(Q), -1e4)
    return sl.SoftmaxCrossEntropy().forward(scores, y)[0]


def library_sgd_step(params, grads, lr):
    new = {k: v.copy() for k, v in params.items()}
    sl.SGD([Parameter(k, new[k], grads[k], False) for k in new], lr=lr).step()
    return new


my_softmax = use_if_passed(softmax_result, softmax, sl.nn.softmax, "softmax")
my_ce = use_if_passed(ce_result, cross_entropy, library_cross_entropy, "cross-entropy")
my_grad = use_if_passed(grad_result, softmax_ce_grad,
                        lambda Z, y: sl.SoftmaxCrossEntropy().forward(Z, y)[1], "gradient")
my_sgd = use_if_passed(sgd_result, sgd_step, library_sgd_step, "SGD step")


def my_loss(Z, y):
    return float(my_ce(my_softmax(Z), y))


def my_step(params, grads, lr):
    new = my_sgd(params, grads, lr)
    return params if new is None else new      # an in-place step may return None

rng = np.random.default_rng(0)
params = {"W": rng.normal(0.0, 1.0, (4, 3)), "b": np.zeros(3)}
x14, t14 = X[14:15], y3[14:15]
Z = x14 @ params["W"] + params["b"]
before = my_loss(Z, t14)
dZ = my_grad(Z, t14)
grads = {"W": x14.T @ dZ, "b": dZ.sum(axis=0)}
print("q before       =", my_softmax(Z)[0])
print("dL/db = q - onehot(2) =", grads["b"])
params = my_step(params, grads, 0.5)
after = my_loss(x14 @ params["W"] + params["b"], t14)
print(f"loss on i = 14: {before:.3f} -> {after:.3f} after one step")

# %% [markdown]
# ## Full-batch training on all 16 numbers
#
# The same step, on all 16 rows at once: the gradient of the mean loss is
# the mean of the 16 per-row gradients, which is where the $1/n$ in
# exercise 4 comes from.

# %%
def train(y, n_classes, steps, lr=0.5, seed=0):
    """Full-batch gradient descent; returns (params, losses, correct after each step)."""
    rng = np.random.default_rng(seed)
    params = {"W": rng.normal(0.0, 0.1, (4, n_classes)), "b": np.zeros(n_classes)}
    losses, correct = [], []
    for _ in range(steps):
        Z = X @ params["W"] + params["b"]
        losses.append(my_loss(Z, y))
        dZ = my_grad(Z, y)
        params = my_step(params, {"W": X.T @ dZ, "b": dZ.sum(axis=0)}, lr)
        correct.append(int(((X @ params["W"] + params["b"]).argmax(axis=1) == y).sum()))
    return params, losses, correct


params4, losses4, correct4 = train(y4, 4, steps=300)
print(f"i mod 4: {correct4[-1]}/16 correct after 300 steps "
      f"(first 16/16 at step {correct4.index(16) + 1}), loss {losses4[-1]:.4f}")
params3, losses3, correct3 = train(y3, 3, steps=2000)
print(f"i mod 3: {correct3[49]}/16 correct after 50 steps, {correct3[-1]}/16 after 2000 "
      f"steps, loss {losses3[-1]:.4f}")

# %%
import matplotlib.pyplot as plt

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3))
ax1.plot(losses4, label="i mod 4")
ax1.plot(losses3[:300], label="i mod 3")
ax1.set(xlabel="step", ylabel="mean cross-entropy", title="loss")
ax1.legend()
ax2.plot(correct4, label="i mod 4")
ax2.plot(correct3[:300], label="i mod 3")
ax2.set(xlabel="step", ylabel="correct of 16", title="accuracy")
ax2.legend()
plt.show()

# %% [markdown]
# **Why does `i mod 3` stop at 14 of 16?** The bits of `i` say nothing
# linear about `i mod 3`: since $2^j \bmod 3$ alternates 1, 2, 1, 2, the
# remainder depends on the alternating bit sum $b_0 - b_1 + b_2 - b_3$ *modulo 3*,
# and the wrap-around (5 and 10 have alternating sums +2 and -2, which are
# -1 and +1 modulo 3) cannot be drawn by a linear score. No choice of `W` and `b`
# gets all 16. The loss keeps falling only by making the 14 right answers
# more confident. A hidden layer (lesson 3) removes that limit.
#
# Next: lesson 2 makes softmax safe for large scores and trains on 60 000
# images of clothes.
