"""Digits with softmaxlab: per-sample SGD, a sigmoid MLP and its diagnosis.

On scikit-learn's 8x8 digits (15 % held out for testing, standardised),
this script works through a classic exercise with softmaxlab's engine:

1. one-hot, softmax of a vector and of a batch, negative log-likelihood;
2. logistic (softmax) regression trained by per-sample SGD (batch size 1,
   lr 0.01, one epoch), printing the training loss and the train/test
   accuracy every 100 updates, and a test image beside its predicted class
   probabilities before and after training;
3. an MLP with one hidden layer of 10 sigmoid units (per-sample SGD, lr 0.1,
   15 epochs) with loss and train/test accuracy curves;
4. the test images the MLP gets most wrong;
5. the average negative log-likelihood on the test and the training set,
   checked against ``sklearn.metrics.log_loss``;
6. a short diagnosis of over- or under-fitting read off the curves.

Run: ``python examples/digits_sgd.py [--fast] [--out DIR]``.
"""
from __future__ import annotations

import numpy as np

try:  # run as a script (examples/ on sys.path) or imported by the tests
    from _common import output_dir, parse_args, save
except ImportError:  # pragma: no cover
    from examples._common import output_dir, parse_args, save

import softmaxlab as sl
from softmaxlab.data import Preprocessor, load_dataset, split_dataset
from softmaxlab.nn import one_hot, softmax

NAME = "digits_sgd"
LOGREG_LR, MLP_LR, MLP_HIDDEN, MLP_EPOCHS = 0.01, 0.1, 10, 15


def uniform_init(low=-0.1, high=0.1):
    """A U(-0.1, 0.1) start, in softmaxlab's initialiser signature."""
    def init(fan_in, fan_out, rng, dtype=np.float32):
        return rng.uniform(low, high, size=(fan_in, fan_out)).astype(dtype)
    return init


def nll(Y_true, P) -> float:
    """Mean negative log-likelihood of one-hot targets under probabilities P."""
    Y_true, P = np.atleast_2d(Y_true), np.atleast_2d(P)
    return float(-np.mean(np.sum(Y_true * np.log(np.clip(P, 1e-12, 1.0)), axis=1)))


def basics() -> dict:
    print("== 1. One-hot, softmax, negative log-likelihood ==")
    print(f"  one_hot([0, 4, 9, 1], 10) ->\n{one_hot(np.array([0, 4, 9, 1]), 10).astype(int)}")
    v = softmax(np.array([10.0, 2.0, -3.0]))
    batch = softmax(np.array([[10.0, 2.0, -3.0], [-1.0, 5.0, -20.0]]))
    print(f"  softmax([10, 2, -3]) = {v.round(5).tolist()}, sum {v.sum():.6f}")
    print(f"  softmax of a batch of 2: row sums {batch.sum(axis=1).round(6).tolist()}")
    good = nll([1, 0, 0], [0.99, 0.01, 0.0])
    bad = nll([1, 0, 0], [0.01, 0.01, 0.98])
    print(f"  NLL of a confident right prediction {good:.4f}, of a confident wrong one {bad:.4f}")
    return {"nll_good": good, "nll_bad": bad}


def plot_prediction(model, X_img, x, y, title, path):
    """An image next to the model's class probabilities and the one-hot truth."""
    import matplotlib.pyplot as plt

    p = model.predict_proba(x[None, :])[0]
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(9, 3.4))
    ax0.imshow(X_img.reshape(8, 8), cmap="gray_r", interpolation="nearest")
    ax0.set_title(f"true label: {y}")
    ax0.axis("off")
    ax1.bar(range(10), one_hot(np.array([y]), 10)[0], color="tab:blue", alpha=0.35, label="true")
    ax1.bar(range(10), p, color="tab:red", width=0.5, label="predicted")
    ax1.set(xticks=range(10), xlabel="digit class", ylim=(0, 1.05),
            title=f"{title} (prediction: {int(p.argmax())})")
    ax1.legend()
    fig.tight_layout()
    return save(fig, path), p


def logistic_regression(data, rng, out) -> dict:
    X_train, y_train, X_test, y_test, images_test = data
    print("\n== 2. Logistic regression, per-sample SGD (lr 0.01, one epoch) ==")
    model = sl.softmax_regression(64, 10, init=uniform_init(), rng=rng)
    model.linear_layers[0].params["b"][...] = rng.uniform(-0.1, 0.1, 10)
    trainer = sl.Trainer(model, sl.SGD(model.parameters(), lr=LOGREG_LR), batch_size=1,
                         shuffle=False, rng=rng)
    loss0, acc0 = trainer.evaluate(X_train, y_train)
    print(f"  untrained: train loss {loss0:.4f}, train acc {acc0:.3f}, "
          f"test acc {trainer.evaluate(X_test, y_test)[1]:.3f}")
    before_png, p_before = plot_prediction(model, images_test[0], X_test[0], int(y_test[0]),
                                           "before training", out / "logreg_before.png")
    progress = []

    class EveryHundred(sl.Callback):
        # With batch size 1 every batch is one update, so batch index == update number.
        def on_batch_end(self, trainer, batch, logs):
            if batch % 100 == 0:
                tr_loss, tr_acc = trainer.evaluate(X_train, y_train)
                te_acc = trainer.evaluate(X_test, y_test)[1]
                progress.append((batch, tr_loss, tr_acc, te_acc))
                print(f"  update #{batch:4d}, train loss {tr_loss:.4f}, train acc {tr_acc:.3f}, "
                      f"test acc {te_acc:.3f}")

    trainer.callbacks.append(EveryHundred())
    trainer.fit(X_train, y_train, epochs=1)
    loss1, acc1 = trainer.evaluate(X_train, y_train)
    test_acc = trainer.evaluate(X_test, y_test)[1]
    print(f"  after one epoch ({len(y_train)} updates): train loss {loss1:.4f}, "
          f"train acc {acc1:.3f}, test acc {test_acc:.3f}")
    after_png, p_after = plot_prediction(model, images_test[0], X_test[0], int(y_test[0]),
                                         "after one epoch", out / "logreg_after.png")
    return {"logreg_progress": progress, "logreg_test_acc": test_acc, "logreg_loss0": loss0,
            "logreg_loss1": loss1, "p_before": p_before, "p_after": p_after,
            "files": [before_png, after_png]}


def curves(history, path):
    import matplotlib.pyplot as plt

    ep = np.arange(len(history["train_loss"]))
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 3.6))
    ax0.plot(ep, history["train_loss"], marker=".", label="train")
    ax0.plot(ep, history["test_loss"], marker=".", label="test")
    ax0.set(title="MLP loss (mean NLL)", xlabel="epoch (0 = random init)", ylabel="loss")
    ax0.legend()
    ax1.plot(ep, history["train_acc"], marker=".", label="train")
    ax1.plot(ep, history["test_acc"], marker=".", label="test")
    ax1.set(title="MLP accuracy", xlabel="epoch (0 = random init)", ylabel="accuracy",
            ylim=(0, 1.05))
    ax1.legend(loc="lower right")
    fig.tight_layout()
    return save(fig, path)


def worst_predictions(model, X_test, y_test, images_test, path, k=5):
    """The k test images whose true class gets the lowest probability."""
    import matplotlib.pyplot as plt

    P = model.predict_proba(X_test)
    p_true = P[np.arange(len(y_test)), y_test]
    worst = np.argsort(p_true)[:k]
    fig, axes = plt.subplots(1, k, figsize=(2.1 * k, 2.6))
    for ax, i in zip(axes, worst, strict=True):
        ax.imshow(images_test[i].reshape(8, 8), cmap="gray_r", interpolation="nearest")
        ax.set_title(f"true {y_test[i]} (p={p_true[i]:.2f})\npred {P[i].argmax()} "
                     f"(p={P[i].max():.2f})", fontsize=8)
        ax.axis("off")
    fig.tight_layout()
    rows = [(int(i), int(y_test[i]), int(P[i].argmax()), float(p_true[i])) for i in worst]
    for i, t, p, pt in rows:
        print(f"  test #{i:3d}: true {t}, predicted {p}, p(true) = {pt:.3f}")
    return save(fig, path), rows


def diagnose(h) -> str:
    """Read over-/under-fitting off the curves (final values and trends)."""
    tr_acc, te_acc = h["train_acc"][-1], h["test_acc"][-1]
    tr_loss, te_loss = h["train_loss"][-1], h["test_loss"][-1]
    best = int(np.argmin(h["test_loss"]))
    print(f"  final train acc {tr_acc:.3f} vs test acc {te_acc:.3f} (gap {tr_acc - te_acc:+.3f}); "
          f"train NLL {tr_loss:.4f} vs test NLL {te_loss:.4f} ({te_loss / tr_loss:.1f}x)")
    over, under = [], []
    if tr_acc - te_acc > 0.03:
        over.append("the train accuracy is more than 3 points above the test accuracy")
    if te_loss > 3 * tr_loss:
        over.append("the test NLL is more than 3x the training NLL")
    if best < len(h["test_loss"]) - 1 and te_loss > 1.05 * h["test_loss"][best]:
        over.append(f"the test NLL was lowest at epoch {best} ({h['test_loss'][best]:.4f}) "
                    "and has risen since")
    if (h["train_loss"][-2] - tr_loss) / h["train_loss"][-2] > 0.05:
        under.append("the training loss still fell by more than 5% in the last epoch")
    if tr_acc < 0.95:
        under.append("the training accuracy is below 0.95")
    if over and not under:
        verdict = "overfitting"
    elif under and not over:
        verdict = "underfitting"
    elif over and under:
        verdict = "overfitting, not yet converged"
    else:
        verdict = "good fit"
    print(f"  diagnosis: {verdict}")
    for reason in over + under:
        print(f"   - {reason}")
    if verdict.startswith("overfitting"):
        print("  the model fits the training set much better than it generalises; more epochs "
              "would widen the gap. Early stopping, an L2 penalty or more data would help.")
    elif verdict == "underfitting":
        print("  train longer (50+ epochs) or use a wider hidden layer before judging.")
    return verdict


def main(fast: bool = False, out_dir=None, seed: int = 37) -> dict:
    """Run the digits lab; return the key figures.

    Parameters
    ----------
    fast : bool
        Train the MLP for 5 epochs instead of 15.
    out_dir : path-like, optional
        Folder for the plots (default ``examples/out/digits_sgd``).
    seed : int
        Seed of the one Generator (split, initialisation).
    """
    out = output_dir(NAME, out_dir)
    rng = np.random.default_rng(seed)
    mlp_epochs = 5 if fast else MLP_EPOCHS
    result = basics()

    ds = load_dataset("digits")
    splits = split_dataset(ds, val_fraction=0.0, test_fraction=0.15, seed=rng)
    scaler = Preprocessor("standard").fit(splits.X_train)
    X_train, X_test = scaler.transform(splits.X_train), scaler.transform(splits.X_test)
    y_train, y_test = splits.y_train, splits.y_test
    images_test = splits.X_test                        # unscaled pixels, for pictures
    print(f"\n  digits: train {X_train.shape}, test {X_test.shape} ({X_train.dtype})")
    data = (X_train, y_train, X_test, y_test, images_test)

    lr_res = logistic_regression(data, rng, out)
    files = lr_res.pop("files")
    result.update(lr_res)

    print(f"\n== 3. MLP: 64 -> {MLP_HIDDEN} sigmoid -> 10, per-sample SGD lr {MLP_LR}, "
          f"{mlp_epochs} epochs ==")
    net = sl.mlp(64, [MLP_HIDDEN], 10, activation="sigmoid", rng=rng)
    trainer = sl.Trainer(net, sl.SGD(net.parameters(), lr=MLP_LR), batch_size=1, rng=rng)
    h = {"train_loss": [], "train_acc": [], "test_loss": [], "test_acc": []}

    def record(label):
        for part, X, y in (("train", X_train, y_train), ("test", X_test, y_test)):
            loss, acc = trainer.evaluate(X, y)
            h[f"{part}_loss"].append(loss)
            h[f"{part}_acc"].append(acc)
        print(f"  {label}: train loss {h['train_loss'][-1]:.5f}, train acc "
              f"{h['train_acc'][-1]:.3f}, test acc {h['test_acc'][-1]:.3f}")

    record("random init")
    for epoch in range(1, mlp_epochs + 1):
        trainer.fit(X_train, y_train, epochs=1)
        record(f"epoch {epoch:2d}")
    files.append(curves(h, out / "mlp_curves.png"))
    files.append(plot_prediction(net, images_test[4], X_test[4], int(y_test[4]),
                                 "MLP after training", out / "mlp_prediction.png")[0])

    print("\n== 4. Worst test predictions ==")
    worst_png, worst = worst_predictions(net, X_test, y_test, images_test,
                                         out / "worst_predictions.png")
    files.append(worst_png)

    print("\n== 5. Negative log-likelihood ==")
    from sklearn.metrics import log_loss

    P_test, P_train = net.predict_proba(X_test), net.predict_proba(X_train)
    nll_42 = float(-np.log(P_test[42, y_test[42]]))
    nll_test = nll(one_hot(y_test, 10, dtype=np.float64), P_test)
    nll_train = nll(one_hot(y_train, 10, dtype=np.float64), P_train)
    ref_test = log_loss(y_test, P_test, labels=range(10))
    ref_train = log_loss(y_train, P_train, labels=range(10))
    print(f"  test sample 42 (true {y_test[42]}): NLL {nll_42:.4f}")
    print(f"  mean NLL on the test set {nll_test:.4f} (sklearn log_loss {ref_test:.4f})")
    print(f"  mean NLL on the training set {nll_train:.4f} (sklearn log_loss {ref_train:.4f}; "
          f"trainer.evaluate {h['train_loss'][-1]:.4f})")

    print("\n== 6. Over- or under-fitting? ==")
    verdict = diagnose(h)
    result.update(mlp_history=h, mlp_epochs=mlp_epochs, worst=worst, nll_42=nll_42,
                  nll_test=nll_test, nll_train=nll_train, sklearn_nll_test=ref_test,
                  sklearn_nll_train=ref_train, verdict=verdict, files=files,
                  n_train=len(y_train), n_test=len(y_test))
    return result


if __name__ == "__main__":
    args = parse_args(NAME, __doc__.splitlines()[0])
    main(fast=args.fast, out_dir=args.out)
