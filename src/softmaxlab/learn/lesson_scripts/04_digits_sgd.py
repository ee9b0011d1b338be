# %% [markdown]
# # Lesson 4: digits, one example at a time
#
# scikit-learn ships 1 797 handwritten digits of 8x8 pixels. Here you train
# on them with **per-sample** SGD (one update per image), first a logistic
# regression, then a network with one hidden layer of 10 **sigmoid** units,
# whose gradients you compute by hand. Then you read the loss and accuracy
# curves, look at the worst predictions and decide whether the model over-
# or underfits. You will write:
#
# 1. `softmax_ce_grad`, the gradient of the loss with respect to the scores;
# 2. `sigmoid_backward`, the gradient through a sigmoid;
# 3. `sgd_step`, the update.
#
# Each check cell says whether your function is right and, if not, what is
# wrong. Until it passes, the lesson uses softmaxlab's version.

# %%
import matplotlib.pyplot as plt
import numpy as np

import softmaxlab as sl
from softmaxlab.data import Preprocessor, load_dataset, split_dataset
from softmaxlab.learn import check_sgd_step, check_sigmoid_backward, check_softmax_ce_grad
from softmaxlab.learn.lesson_tools import show_images, use_if_passed
from softmaxlab.nn.layers import Parameter

np.set_printoptions(precision=3, suppress=True)

# %% [markdown]
# ## The data
#
# 15 % of the images are kept for testing (stratified), and each pixel is
# standardised with the mean and standard deviation of the training images.

# %%
ds = load_dataset("digits")
splits = split_dataset(ds, val_fraction=0.0, test_fraction=0.15, seed=37)
scaler = Preprocessor("standard").fit(splits.X_train)
X_train = scaler.transform(splits.X_train).astype(np.float64)
X_test = scaler.transform(splits.X_test).astype(np.float64)
y_train, y_test = splits.y_train, splits.y_test
names = [str(c) for c in splits.classes]
print("train", X_train.shape, "test", X_test.shape)
show_images(splits.X_train[:8], (8, 8), [f"label {names[k]}" for k in y_train[:8]])
plt.show()

# %% [markdown]
# ## Exercise 1: the gradient of the loss with respect to the scores
#
# As in lesson 1: for scores `Z` (n, C) and labels `y` (n,), return the
# gradient of the **mean** cross-entropy, $(\text{softmax}(Z) - \text{onehot}(y))/n$.
# With one example at a time, n = 1 and the mean is that example's loss.

# %%
def softmax_ce_grad(Z, y):
    """d(mean cross-entropy)/dZ for scores Z (n, C) and labels y (n,): shape (n, C)."""
    # BEGIN SOLUTION
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    G = E / E.sum(axis=1, keepdims=True)
    G[np.arange(len(y)), y] -= 1.0
    return G / len(y)
    # END SOLUTION


# %%
grad_result = check_softmax_ce_grad(softmax_ce_grad)
grad_result

# %% [markdown]
# ## Exercise 2: `sgd_step(params, grads, lr)`
#
# Return the new parameters `params[k] - lr * grads[k]` for every key, as a
# dict (in place is fine too; changing `grads` is not).

# %%
def sgd_step(params, grads, lr):
    """New parameters params[k] - lr * grads[k] for every key k, as a dict."""
    # BEGIN SOLUTION
    return {k: params[k] - lr * grads[k] for k in params}
    # END SOLUTION


# %%
sgd_result = check_sgd_step(sgd_step)
sgd_result

# %% [markdown]
# ## Logistic regression with per-sample SGD
#
# Learning rate 0.01, one pass over the training images in a random order.
# Every 100 updates: the mean loss on the training set and the test accuracy.

# %%
def library_sgd_step(params, grads, lr):
    new = {k: v.copy() for k, v in params.items()}
    sl.SGD([Parameter(k, new[k], grads[k], False) for k in new], lr=lr).step()
    return new


my_grad = use_if_passed(grad_result, softmax_ce_grad,
                        lambda Z, y: sl.SoftmaxCrossEntropy().forward(Z, y)[1], "gradient")
my_sgd = use_if_passed(sgd_result, sgd_step, library_sgd_step, "SGD step")
loss_fn = sl.SoftmaxCrossEntropy()


def step(params, grads, lr):
    new = my_sgd(params, grads, lr)
    return params if new is None else new      # an in-place step may return None


def logreg_proba(params, X):
    return sl.nn.softmax(X @ params["W"] + params["b"])


rng = np.random.default_rng(0)
logreg = {"W": rng.uniform(-0.1, 0.1, (64, 10)), "b": np.zeros(10)}
print(f"start: train loss {loss_fn.forward(X_train @ logreg['W'] + logreg['b'], y_train)[0]:.3f}")
for i, row in enumerate(rng.permutation(len(X_train)), 1):
    x, t = X_train[row:row + 1], y_train[row:row + 1]
    dZ = my_grad(x @ logreg["W"] + logreg["b"], t)
    logreg = step(logreg, {"W": x.T @ dZ, "b": dZ.sum(axis=0)}, 0.01)
    if i % 100 == 0 or i == len(X_train):
        loss = loss_fn.forward(X_train @ logreg["W"] + logreg["b"], y_train)[0]
        acc = (logreg_proba(logreg, X_test).argmax(axis=1) == y_test).mean()
        print(f"update {i:4d}  train loss {loss:.3f}  test acc {acc:.3f}")

# %% [markdown]
# One test image beside the probabilities the model gives it:

# %%
k = 5
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(7, 2.5))
ax1.imshow(splits.X_test[k].reshape(8, 8), cmap="gray_r")
ax1.set_title(f"true label {names[y_test[k]]}")
ax1.axis("off")
ax2.bar(names, logreg_proba(logreg, X_test[k:k + 1])[0])
ax2.set(title="predicted probabilities", ylim=(0, 1))
plt.show()

# %% [markdown]
# ## A hidden layer of sigmoid units
#
# $$Z_1 = xW_1 + b_1,\quad H = \sigma(Z_1) = \frac{1}{1 + e^{-Z_1}},\quad Z_2 = HW_2 + b_2$$
#
# The derivative of the sigmoid is $\sigma'(z) = \sigma(z)(1 - \sigma(z))$:
# with $s = \sigma(z) = (1 + e^{-z})^{-1}$,
# $s' = e^{-z}/(1 + e^{-z})^2 = s \cdot (1 - s)$.
#
# ### Exercise 3: `sigmoid_backward(dout, Z)`
#
# Given `dout` = ∂L/∂H (N, H) and the **pre-activation** `Z` (N, H),
# return ∂L/∂Z (N, H). Careful: σ(Z) itself is not the derivative.

# %%
def sigmoid_backward(dout, Z):
    """dL/dZ for H = sigmoid(Z), given dout = dL/dH; all of shape (N, H)."""
    # BEGIN SOLUTION
    s = 1.0 / (1.0 + np.exp(-Z))
    return dout * s * (1.0 - s)
    # END SOLUTION


# %%
sigmoid_result = check_sigmoid_backward(sigmoid_backward)
sigmoid_result

# %% [markdown]
# ## The network's gradients, by hand
#
# The backward pass, written out with your pieces: the gradient with respect
# to the scores, then each layer's `dW = input.T @ d`, `db = column sums of d`,
# and `d_input = d @ W.T`, through the sigmoid in between. The cell then
# compares all four gradients with softmaxlab's engine on one example.

# %%
def library_sigmoid_backward(dout, Z):
    layer = sl.Sigmoid()
    layer.forward(Z, True)
    return layer.backward(dout)


my_sigmoid_backward = use_if_passed(sigmoid_result, sigmoid_backward, library_sigmoid_backward,
                                    "sigmoid backward")


def mlp_forward(p, X):
    Z1 = X @ p["W1"] + p["b1"]
    H = sl.nn.sigmoid(Z1)
    return Z1, H, H @ p["W2"] + p["b2"]


def mlp_grads(p, X, y):
    Z1, H, Z2 = mlp_forward(p, X)
    d2 = my_grad(Z2, y)                          # dL/dZ2, (n, C)
    d1 = my_sigmoid_backward(d2 @ p["W2"].T, Z1)  # dL/dZ1, (n, hidden)
    return {"W1": X.T @ d1, "b1": d1.sum(axis=0), "W2": H.T @ d2, "b2": d2.sum(axis=0)}


rng = np.random.default_rng(1)
mlp = {"W1": rng.uniform(-0.1, 0.1, (64, 10)), "b1": np.zeros(10),
       "W2": rng.uniform(-0.1, 0.1, (10, 10)), "b2": np.zeros(10)}
engine = sl.from_weights([(mlp["W1"], mlp["b1"]), (mlp["W2"], mlp["b2"])], activation="sigmoid",
                         dtype=np.float64)
engine.backward(loss_fn.forward(engine.forward(X_train[:1], True), y_train[:1])[1])
first, second = engine.linear_layers
engine_grads = {"W1": first.grads["W"], "b1": first.grads["b"], "W2": second.grads["W"],
                "b2": second.grads["b"]}
mine = mlp_grads(mlp, X_train[:1], y_train[:1])
worst = max(float(np.abs(mine[k] - engine_grads[k]).max()) for k in mine)
print(f"hand-written MLP gradients vs the engine: largest difference {worst:.1e}")

# %% [markdown]
# ## Training the MLP
#
# Learning rate 0.1, 15 epochs of per-sample SGD. After every epoch (and
# before the first, "epoch 0") we record the mean loss (the negative
# log-likelihood, NLL) and the accuracy on the training and the test images.

# %%
def evaluate(p, X, y):
    Z2 = mlp_forward(p, X)[2]
    return float(loss_fn.forward(Z2, y)[0]), float((Z2.argmax(axis=1) == y).mean())


epochs = 15
curves = {"train loss": [], "test loss": [], "train acc": [], "test acc": []}


def record(p):
    (trl, tra), (tel, tea) = evaluate(p, X_train, y_train), evaluate(p, X_test, y_test)
    for key, value in zip(curves, (trl, tel, tra, tea), strict=True):
        curves[key].append(value)


record(mlp)
for epoch in range(1, epochs + 1):
    for row in rng.permutation(len(X_train)):
        mlp = step(mlp, mlp_grads(mlp, X_train[row:row + 1], y_train[row:row + 1]), 0.1)
    record(mlp)
    print(f"epoch {epoch:2d}  train loss {curves['train loss'][-1]:.4f}  test loss "
          f"{curves['test loss'][-1]:.4f}  train acc {curves['train acc'][-1]:.3f}  "
          f"test acc {curves['test acc'][-1]:.3f}")

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3))
for key in ("train loss", "test loss"):
    ax1.plot(curves[key], label=key)
for key in ("train acc", "test acc"):
    ax2.plot(curves[key], label=key)
ax1.set(xlabel="epoch", title="NLL")
ax2.set(xlabel="epoch", title="accuracy")
ax1.legend()
ax2.legend()
plt.show()

# %% [markdown]
# ## The worst predictions
#
# The test images whose true class gets the lowest probability. Often the
# "mistake" is an image a person would hesitate over too.

# %%
proba = sl.nn.softmax(mlp_forward(mlp, X_test)[2])
p_true = proba[np.arange(len(y_test)), y_test]
worst_rows = np.argsort(p_true)[:6]
titles = [f"true {names[y_test[r]]}, p={p_true[r]:.2f}\npredicted {names[proba[r].argmax()]}"
          for r in worst_rows]
show_images(splits.X_test[worst_rows], (8, 8), titles, n_cols=6, size=1.9)
plt.show()

# %% [markdown]
# ## Over- or underfitting?
#
# - **Underfitting**: the model has not learnt what it could; the training
#   loss is still high or still falling fast. More epochs, more hidden
#   units or a larger learning rate help.
# - **Overfitting**: the model learns the training images by heart; the
#   training loss keeps falling while the test loss stops falling or rises,
#   and the gap between them grows. More data, fewer parameters, weight
#   decay or stopping earlier help.

# %%
train_loss, test_loss = curves["train loss"], curves["test loss"]
still_falling = (train_loss[-2] - train_loss[-1]) / train_loss[-2] > 0.05
best_epoch = int(np.argmin(test_loss))
ratio = test_loss[-1] / train_loss[-1]
print(f"final NLL: train {train_loss[-1]:.4f}, test {test_loss[-1]:.4f} (ratio {ratio:.1f}); "
      f"test NLL lowest at epoch {best_epoch}")
if len(test_loss) - 1 - best_epoch >= 2 and ratio > 2:
    print(f"diagnosis: overfitting (the test loss has not improved for "
          f"{len(test_loss) - 1 - best_epoch} epochs while the training loss goes on down)")
elif still_falling:
    print("diagnosis: underfitting (the training loss still falls by more than 5 % an epoch)")
else:
    print("diagnosis: neither clearly; both losses are still close")

# %% [markdown]
# Try it: 2 hidden units instead of 10 (underfitting), or 100 epochs
# (overfitting), and watch the curves. Lesson 5 trains this same network
# with softmaxlab's engine, its `MLPClassifier` and PyTorch, and compares the
# numbers with yours.
