# %% [markdown]
# # Lesson 5: the same network with softmaxlab and with PyTorch
#
# You have written every piece of a network by hand. Libraries compute the
# same numbers; this lesson proves it, number for number. One network (the
# 8x8 digits, one hidden layer of 32 ReLU units, plain SGD with learning
# rate 0.1, minibatches of 32 in a fixed order, 10 epochs) is trained four
# times from the **same initial weights**:
#
# 1. with your `mlp_loss_and_grads` and a loop you can read line by line;
# 2. with softmaxlab's engine: `Sequential`, `SoftmaxCrossEntropy`, `SGD`,
#    `Trainer`;
# 3. with softmaxlab's scikit-learn estimator, `MLPClassifier`;
# 4. with PyTorch, if it is installed.
#
# Everything runs in float64, so the four must agree to about 1e-12.

# %%
import importlib.util

import numpy as np

import softmaxlab as sl
from softmaxlab.data import Preprocessor, load_dataset, split_dataset
from softmaxlab.learn import check_mlp_gradients
from softmaxlab.learn.lesson_tools import use_if_passed

EPOCHS, BATCH, LR, HIDDEN = 10, 32, 0.1, 32

# %%
ds = load_dataset("digits")
splits = split_dataset(ds, val_fraction=0.0, test_fraction=0.15, seed=37)
scaler = Preprocessor("standard").fit(splits.X_train)
X_train = scaler.transform(splits.X_train).astype(np.float64)
X_test = scaler.transform(splits.X_test).astype(np.float64)
y_train, y_test = splits.y_train, splits.y_test
print("train", X_train.shape, "test", X_test.shape)

# %% [markdown]
# ## Exercise: the network's loss and gradients
#
# The network of lesson 3, again: `Z1 = X @ W1 + b1`, `A1 = max(Z1, 0)`,
# `Z2 = A1 @ W2 + b2`, and the mean cross-entropy of `softmax(Z2)`. Return
# the loss and a dict of the gradients `"W1"`, `"b1"`, `"W2"`, `"b2"`. (If you
# did lesson 3, paste your function.)

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
    dZ2 = np.exp(log_q)
    dZ2[np.arange(n), y] -= 1.0
    dZ2 /= n
    dZ1 = (dZ2 @ W2.T) * (Z1 > 0)
    grads = {"W1": X.T @ dZ1, "b1": dZ1.sum(axis=0), "W2": A1.T @ dZ2, "b2": dZ2.sum(axis=0)}
    return float(-log_q[np.arange(n), y].mean()), grads
    # END SOLUTION


# %%
mlp_result = check_mlp_gradients(mlp_loss_and_grads)
mlp_result

# %% [markdown]
# ## One starting point for all four
#
# softmaxlab draws the initial weights (He initialisation for the hidden
# layer, N(0, 0.01²) for the output layer) from one seeded generator; every
# version below starts from copies of these four arrays.

# %%
start = sl.mlp(64, [HIDDEN], 10, activation="relu", rng=np.random.default_rng(0),
               dtype=np.float64)
W1, b1 = (start.linear_layers[0].params[k].copy() for k in ("W", "b"))
W2, b2 = (start.linear_layers[1].params[k].copy() for k in ("W", "b"))
print("W1", W1.shape, "b1", b1.shape, "W2", W2.shape, "b2", b2.shape)

# %% [markdown]
# ## 1. Yours
#
# The batches are taken in order (the split has already shuffled the rows),
# so that every version sees exactly the same batches. The loss of an epoch
# is the mean over its samples of the loss before each update.

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

mine = {"W1": W1.copy(), "b1": b1.copy(), "W2": W2.copy(), "b2": b2.copy()}
my_losses = []
for _ in range(EPOCHS):
    total = 0.0
    for s in range(0, len(X_train), BATCH):
        loss, grads = loss_and_grads(X_train[s:s + BATCH], y_train[s:s + BATCH], mine)
        mine = {k: mine[k] - LR * grads[k] for k in mine}
        total += loss * len(y_train[s:s + BATCH])
    my_losses.append(total / len(X_train))


def mine_proba(p, X):
    return sl.nn.softmax(np.maximum(X @ p["W1"] + p["b1"], 0) @ p["W2"] + p["b2"])


print(f"yours: final training loss {my_losses[-1]:.10f}, test accuracy "
      f"{(mine_proba(mine, X_test).argmax(axis=1) == y_test).mean():.4f}")

# %% [markdown]
# ## 2. softmaxlab's engine
#
# `from_weights` builds the `Sequential` from the same arrays, and the
# `Trainer` runs the loop: forward, fused loss, backward, `SGD.step`.
# `shuffle=False` keeps the batch order. (On NumPy arrays the trainer takes a
# private fast path, tested to compute the same numbers; `engine="reference"`
# would run the readable layers in `softmaxlab/nn/`.)

# %%
net = sl.from_weights([(W1.copy(), b1.copy()), (W2.copy(), b2.copy())], activation="relu",
                      dtype=np.float64)
trainer = sl.Trainer(net, sl.SGD(net.parameters(), lr=LR), batch_size=BATCH, shuffle=False,
                     rng=np.random.default_rng(0))
history = trainer.fit(X_train, y_train, epochs=EPOCHS)
print(f"engine: final training loss {history.train_loss[-1]:.10f}, test accuracy "
      f"{(net.predict(X_test) == y_test).mean():.4f}")

# %% [markdown]
# ## 3. `MLPClassifier`
#
# The estimator takes scikit-learn's parameters. `attach_network` gives it
# our starting network instead of its own random one, and each
# `partial_fit` is one epoch.

# %%
clf = sl.MLPClassifier(hidden_layer_sizes=(HIDDEN,), activation="relu", solver="sgd",
                       learning_rate_init=LR, momentum=0.0, nesterovs_momentum=False,
                       batch_size=BATCH, shuffle=False, alpha=0.0, dtype=np.float64,
                       random_state=0)
clf.attach_network(sl.from_weights([(W1.copy(), b1.copy()), (W2.copy(), b2.copy())],
                                   activation="relu", dtype=np.float64), classes=np.arange(10))
for _ in range(EPOCHS):
    clf.partial_fit(X_train, y_train)
print(f"MLPClassifier: final training loss {clf.loss_curve_[-1]:.10f}, test accuracy "
      f"{clf.score(X_test, y_test):.4f}")

# %% [markdown]
# ## 4. PyTorch
#
# PyTorch's `nn.Linear` stores its weight as (out, in), the transpose of ours,
# and `CrossEntropyLoss` takes the scores (it applies the log-softmax itself).

# %%
torch_proba = None
if importlib.util.find_spec("torch") is None:
    print('PyTorch is not installed (pip install "softmaxlab[torch]"); skipping it')
else:
    import torch

    tnet = torch.nn.Sequential(torch.nn.Linear(64, HIDDEN), torch.nn.ReLU(),
                               torch.nn.Linear(HIDDEN, 10)).double()
    with torch.no_grad():
        for layer, (W, b) in zip((tnet[0], tnet[2]), ((W1, b1), (W2, b2)), strict=True):
            layer.weight.copy_(torch.from_numpy(W.T))
            layer.bias.copy_(torch.from_numpy(b))
    optimizer = torch.optim.SGD(tnet.parameters(), lr=LR)
    criterion = torch.nn.CrossEntropyLoss()
    Xt, yt = torch.from_numpy(X_train), torch.from_numpy(y_train)
    torch_losses = []
    for _ in range(EPOCHS):
        total = 0.0
        for s in range(0, len(Xt), BATCH):
            optimizer.zero_grad()
            loss = criterion(tnet(Xt[s:s + BATCH]), yt[s:s + BATCH])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(yt[s:s + BATCH])
        torch_losses.append(total / len(Xt))
    with torch.no_grad():
        torch_proba = torch.softmax(tnet(torch.from_numpy(X_test)), dim=1).numpy()
    print(f"PyTorch: final training loss {torch_losses[-1]:.10f}, test accuracy "
          f"{(torch_proba.argmax(axis=1) == y_test).mean():.4f}")

# %% [markdown]
# ## Number for number
#
# The largest difference between your test-set probabilities and each
# library's, and between the training losses of every epoch.

# %%
mine_p = mine_proba(mine, X_test)
rows = [("engine", net.predict_proba(X_test), history.train_loss),
        ("MLPClassifier", clf.predict_proba(X_test), clf.loss_curve_)]
if torch_proba is not None:
    rows.append(("PyTorch", torch_proba, torch_losses))
print(f"{'':15s}{'max |proba diff|':>18s}{'max |loss diff|':>18s}")
for name, proba, losses in rows:
    print(f"{name:15s}{np.abs(proba - mine_p).max():18.1e}"
          f"{np.abs(np.asarray(losses) - np.asarray(my_losses)).max():18.1e}")
worst = max(float(np.abs(proba - mine_p).max()) for _, proba, _ in rows)
print(f"all versions agree with yours to {worst:.1e}")

# %% [markdown]
# Where the numbers would differ, and why they do not here:
#
# - **float32**, softmaxlab's default for speed: differences of about 1e-6.
# - **shuffling**: each library shuffles with its own generator; with
#   `shuffle=False` (or the same order) the batches are the same.
# - **initialisation**: each library draws its own starting weights; here
#   all start from the same arrays.
# - **regularisation**: scikit-learn's `MLPClassifier` adds an L2 penalty
#   (`alpha=0.0001`) by default; here `alpha=0`.
#
# From here: `softmaxlab train --model mlp` runs the same kind of training
# from the command line and writes a report; `softmaxlab lab` shows a
# network like this one learning a 2-D data set in your browser
# (`pip install "softmaxlab[lab]"`).
