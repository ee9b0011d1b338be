# %% [markdown]
# # Lesson 3: the spiral, where a line is not enough
#
# Three classes of points wind around each other in the plane. A linear
# model draws straight boundaries and fails; a network with one hidden layer
# of ReLU units bends them and succeeds. You will write:
#
# 1. `relu_backward`, the gradient through a ReLU;
# 2. `mlp_loss_and_grads`, the forward **and** backward pass of a whole
#    two-layer network;
#
# then train it with full-batch gradient descent, draw the decision
# boundaries and read per-class precision, recall and F1.
#
# The same data, live in your browser: run `softmaxlab lab` in a terminal
# (after `pip install "softmaxlab[lab]"`), pick "spiral", and watch the
# boundary, each hidden unit and one point's gradients while it trains.

# %%
import json

import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import classification_report

import softmaxlab as sl
from softmaxlab.data import Preprocessor, load_dataset, split_dataset
from softmaxlab.learn import check_mlp_gradients, check_relu_backward
from softmaxlab.learn.lesson_tools import plot_boundary, use_if_passed

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## The data
#
# 1 500 points, 500 per arm, with text labels `c1`, `c2`, `c3`. The split is
# stratified 70/15/15 (each split keeps the class proportions), the labels
# become indices 0, 1, 2, and the features are standardised with the mean and
# standard deviation of the **training** split only, so that nothing about
# the test points leaks into training.

# %%
ds = load_dataset("spiral", seed=0)
splits = split_dataset(ds, val_fraction=0.15, test_fraction=0.15, seed=0)
scaler = Preprocessor("standard").fit(splits.X_train)
X_train, X_val, X_test = (scaler.transform(a).astype(np.float64)
                          for a in (splits.X_train, splits.X_val, splits.X_test))
y_train, y_val, y_test = splits.y_train, splits.y_val, splits.y_test
print("classes", splits.classes, "| train", X_train.shape, "val", X_val.shape,
      "test", X_test.shape)
plt.figure(figsize=(4, 4))
plt.scatter(X_train[:, 0], X_train[:, 1], c=y_train, s=8, cmap="viridis")
plt.title("training points")
plt.show()

# %% [markdown]
# ## A linear model first
#
# Softmax regression (lesson 1) on the two coordinates, trained with
# softmaxlab's engine. Whatever the weights, each class wins on a region cut
# out by straight lines: a wedge of the plane, not an arm of a spiral.

# %%
rng = np.random.default_rng(0)
linear = sl.softmax_regression(2, 3, rng=rng, dtype=np.float64)
trainer = sl.Trainer(linear, sl.SGD(linear.parameters(), lr=0.5), batch_size=len(X_train),
                     rng=rng)
trainer.fit(X_train, y_train, epochs=300)
linear_acc = float((linear.predict(X_test) == y_test).mean())
print(f"linear model: test accuracy {linear_acc:.3f} (chance: 0.333)")

# %% [markdown]
# ## A hidden layer
#
# The network:
#
# $$Z_1 = X W_1 + b_1,\quad A_1 = \max(Z_1, 0),\quad Z_2 = A_1 W_2 + b_2,\quad
# L = \frac{1}{N}\sum_i -\log \text{softmax}(Z_2)_{i, y_i}$$
#
# with `X` (N, D), `W1` (D, H), `b1` (H,), `W2` (H, C), `b2` (C,).
# Backpropagation runs the chain rule from the loss back to every parameter,
# reusing what the forward pass computed:
#
# - $\partial L/\partial Z_2 = (\text{softmax}(Z_2) - \text{onehot}(y)) / N$ (lesson 1);
# - $\partial L/\partial W_2 = A_1^\top\, \partial L/\partial Z_2$ and
#   $\partial L/\partial b_2$ = its column sums (lesson 2's linear backward);
# - $\partial L/\partial A_1 = \partial L/\partial Z_2\, W_2^\top$;
# - through the ReLU: $\partial L/\partial Z_1 = \partial L/\partial A_1$ where
#   $Z_1 > 0$, and 0 elsewhere;
# - $\partial L/\partial W_1 = X^\top\, \partial L/\partial Z_1$, $\partial L/\partial b_1$ = its column sums.
#
# ### Exercise 1: `relu_backward(dout, Z)`
#
# Given `dout` = ∂L/∂A (N, H) and the **pre-activation** `Z` (N, H) (so that
# `A = max(Z, 0)`), return ∂L/∂Z (N, H). Which side of zero lets the
# gradient through? (At exactly 0, pass nothing.)

# %%
def relu_backward(dout, Z):
    """dL/dZ for A = max(Z, 0), given dout = dL/dA; all of shape (N, H)."""
    # BEGIN SOLUTION
    return dout * (Z > 0)
    # END SOLUTION


# %%
relu_result = check_relu_backward(relu_backward)
relu_result

# %% [markdown]
# ### Exercise 2: the whole network
#
# Write `mlp_loss_and_grads(X, y, W1, b1, W2, b2)` that returns the mean loss
# (a float) and a dict of gradients with keys `"W1"`, `"b1"`, `"W2"`, `"b2"`,
# each the shape of its parameter. Use a stable softmax, and your
# `relu_backward`. Do not modify any argument.

# %%
def mlp_loss_and_grads(X, y, W1, b1, W2, b2):
    """Mean cross-entropy of the ReLU network and its gradients (dict of W1, b1, W2, b2)."""
    # BEGIN SOLUTION
    n = len(y)
    Z1 = X @ W1 + b1
    A1 = np.maximum(Z1, 0)
    Z2 = A1 @ W2 + b2
    shifted = Z2 - Z2.max(axis=1, keepdims=True)
    log_q = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = float(-log_q[np.arange(n), y].mean())
    dZ2 = np.exp(log_q)
    dZ2[np.arange(n), y] -= 1.0
    dZ2 /= n
    dZ1 = relu_backward(dZ2 @ W2.T, Z1)
    grads = {"W1": X.T @ dZ1, "b1": dZ1.sum(axis=0), "W2": A1.T @ dZ2, "b2": dZ2.sum(axis=0)}
    return loss, grads
    # END SOLUTION


# %%
mlp_result = check_mlp_gradients(mlp_loss_and_grads)
mlp_result

# %% [markdown]
# ## Training
#
# Full-batch gradient descent: 100 hidden units, learning rate 1.0, 1 000
# steps, small random weights (N(0, 0.01²)) and zero biases. Every 100 steps
# we print the loss and the training and validation accuracy.

# %%
def library_mlp(X, y, W1, b1, W2, b2):
    model = sl.from_weights([(W1, b1), (W2, b2)], activation="relu", dtype=np.float64)
    loss, dZ2 = sl.SoftmaxCrossEntropy().forward(model.forward(X, True), y)
    model.backward(dZ2)
    first, second = model.linear_layers
    return loss, {"W1": first.grads["W"], "b1": first.grads["b"],
                  "W2": second.grads["W"], "b2": second.grads["b"]}


my_mlp = use_if_passed(mlp_result, mlp_loss_and_grads, library_mlp, "MLP gradients")


def loss_and_grads(X, y, p):
    loss, grads = my_mlp(X, y, p["W1"], p["b1"], p["W2"], p["b2"])
    if not isinstance(grads, dict):  # the check accepts a tuple (dW1, db1, dW2, db2) too
        grads = dict(zip(("W1", "b1", "W2", "b2"), grads, strict=True))
    return float(loss), grads


def predict(params, X):
    hidden = np.maximum(X @ params["W1"] + params["b1"], 0)
    return (hidden @ params["W2"] + params["b2"]).argmax(axis=1)


rng = np.random.default_rng(0)
params = {"W1": 0.01 * rng.standard_normal((2, 100)), "b1": np.zeros(100),
          "W2": 0.01 * rng.standard_normal((100, 3)), "b2": np.zeros(3)}
losses = []
for step in range(1, 1001):
    loss, grads = loss_and_grads(X_train, y_train, params)
    params = {k: params[k] - 1.0 * grads[k] for k in params}
    losses.append(loss)
    if step % 100 == 0:
        print(f"step {step:4d}  loss {loss:.4f}  train acc "
              f"{(predict(params, X_train) == y_train).mean():.3f}  val acc "
              f"{(predict(params, X_val) == y_val).mean():.3f}")
mlp_acc = float((predict(params, X_test) == y_test).mean())
print(f"spiral MLP: test accuracy {mlp_acc:.3f}")

# %% [markdown]
# ## Decision boundaries
#
# Each colour is the class the model picks at that point of the plane.

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 4))
plot_boundary(linear.predict, X_test, y_test, ax=axes[0],
              title=f"linear: test accuracy {linear_acc:.2f}")
plot_boundary(lambda P: predict(params, P), X_test, y_test, ax=axes[1],
              title=f"MLP: test accuracy {mlp_acc:.2f}")
plt.show()

# %% [markdown]
# ## Per-class precision, recall and F1
#
# Accuracy is one number for all classes. Per class:
#
# - **precision**: of the points predicted as this class, the share that
#   are;
# - **recall**: of the points of this class, the share found;
# - **F1**: their harmonic mean, low when either is low.

# %%
names = [str(c) for c in splits.classes]
for title, pred in (("linear", linear.predict(X_test)), ("MLP", predict(params, X_test))):
    report = classification_report(y_test, pred, target_names=names, output_dict=True,
                                   zero_division=0)
    per_class = {c: {k: round(report[c][k], 3) for k in ("precision", "recall", "f1-score")}
                 for c in names}
    print(title, json.dumps(per_class, indent=1))

# %% [markdown]
# ## Activations
#
# Why ReLU? Sigmoid and tanh flatten out for large inputs, so their
# gradients vanish there; ReLU's gradient is 1 for every positive input.
# Lesson 4 uses the sigmoid, and shows its derivative $\sigma(1 - \sigma)$.

# %%
z = np.linspace(-5, 5, 201)
sig = 1 / (1 + np.exp(-z))
fig, axes = plt.subplots(1, 3, figsize=(10, 2.6))
for ax, (name, f, df) in zip(axes, [("sigmoid", sig, sig * (1 - sig)),
                                    ("tanh", np.tanh(z), 1 - np.tanh(z) ** 2),
                                    ("ReLU", np.maximum(z, 0), (z > 0) * 1.0)], strict=True):
    ax.plot(z, f, label=name)
    ax.plot(z, df, "--", label="derivative")
    ax.set_title(name)
    ax.legend()
plt.show()

# %% [markdown]
# Next: lesson 4 trains on the 8x8 digits one example at a time, with a
# sigmoid hidden layer, and asks whether the model over- or underfits.
