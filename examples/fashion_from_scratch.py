"""Fashion-MNIST softmax regression from the engine's parts (part one of two).

This script builds softmax regression piece by piece and writes the
training loop out in full, with the classic 5-epoch recipe (plain SGD,
lr 0.1, batch 256); the pieces are softmaxlab's own:

- the model ``softmax_regression(784, 10)``: one Linear layer, W of shape
  (784, 10) drawn from N(0, 0.01^2), b = 0;
- ``softmax`` over the rows of a batch, and why the naive formula overflows;
- the cross-entropy as "minus the log-probability picked at the true class",
  fused with the softmax in ``SoftmaxCrossEntropy``;
- accuracy, and an untrained model's accuracy near 1/10;
- minibatch SGD: batch 256, lr 0.1, 5 epochs, printing the loss, the train
  accuracy and the test accuracy after each epoch;
- a row of test images with their true and predicted label names.

The same model trained through the scikit-learn-style estimator is
``fashion_estimator.py``.

Data: the Debian package ``dataset-fashion-mnist``
(``sudo apt-get install dataset-fashion-mnist``) or ``$SOFTMAXLAB_DATA``.
Without it the script says so and exits with status 3.

Run: ``python examples/fashion_from_scratch.py [--fast] [--out DIR]``.
"""
from __future__ import annotations

import numpy as np

try:  # run as a script (examples/ on sys.path) or imported by the tests
    from _common import EXIT_NO_DATA, output_dir, plot_image_row, run_cli
except ImportError:  # pragma: no cover
    from examples._common import EXIT_NO_DATA, output_dir, plot_image_row, run_cli

import softmaxlab as sl
from softmaxlab.data import Preprocessor, load_dataset
from softmaxlab.train import iterate_minibatches
from softmaxlab.nn import softmax

NAME = "fashion_from_scratch"
__all__ = ["EXIT_NO_DATA", "NAME", "main"]
BATCH_SIZE, LR, EPOCHS = 256, 0.1, 5


def naive_softmax(Z):
    """exp / row sum, exactly as written on paper: overflows for large logits."""
    E = np.exp(Z)
    return E / E.sum(axis=1, keepdims=True)


def softmax_and_loss_tour(rng) -> dict:
    print("== The pieces ==")
    Z = rng.standard_normal((2, 5))
    P = softmax(Z)
    print(f"  softmax of a random (2, 5) batch: row sums {P.sum(axis=1).round(6).tolist()}")
    big = np.array([[1000.0, 0.0, -1000.0]])
    with np.errstate(over="ignore", invalid="ignore"):
        naive = naive_softmax(big)
    print(f"  logits {big[0].tolist()}: naive exp/sum gives {naive[0].tolist()},"
          f" softmaxlab's softmax gives {softmax(big)[0].tolist()}")
    print("  (softmax(z) = softmax(z - max z): subtracting the row maximum keeps exp() finite)")
    # Cross-entropy picks the predicted probability of the true class.
    probs = np.array([[0.2, 0.7, 0.1], [0.5, 0.1, 0.4]])
    y = np.array([1, 2])
    picked = probs[np.arange(2), y]
    print(f"  probabilities {probs.tolist()}, labels {y.tolist()}: picked {picked.tolist()},"
          f" cross-entropy {(-np.log(picked)).round(4).tolist()}")
    logits = np.log(probs)  # any logits whose softmax is `probs`
    fused = sl.SoftmaxCrossEntropy().value(logits, y)
    print(f"  mean {-np.log(picked).mean():.4f} == SoftmaxCrossEntropy on the logits {fused:.4f}")
    acc = float(np.mean(probs.argmax(axis=1) == y))
    print(f"  accuracy of these two predictions: {acc}")
    return {"naive_overflow_nan": bool(np.isnan(naive).any()), "toy_accuracy": acc,
            "toy_loss": fused}


def main(fast: bool = False, out_dir=None, seed: int = 0) -> dict:
    """Train softmax regression on Fashion-MNIST with a hand-written loop.

    Parameters
    ----------
    fast : bool
        12 000 training images, 2 epochs (for tests); otherwise all 60 000, 5 epochs.
    out_dir : path-like, optional
        Folder for the figure (default ``examples/out/fashion_from_scratch``).
    seed : int
        Seed of the one Generator (initialisation and shuffling).

    Raises
    ------
    softmaxlab.data.DatasetNotFoundError
        If the Fashion-MNIST files are not installed.
    """
    ds = load_dataset("fashion-mnist")    # raises DatasetNotFoundError with a how-to
    out = output_dir(NAME, out_dir)
    rng = np.random.default_rng(seed)
    epochs = 2 if fast else EPOCHS
    X_train, y_train, X_test, y_test = ds.X, ds.y, ds.X_test, ds.y_test
    if fast:
        X_train, y_train = X_train[:12000], y_train[:12000]
    print(f"Fashion-MNIST from {ds.meta['source']}: train {X_train.shape}, test {X_test.shape}")
    scaler = Preprocessor("pixel", pixel_max=255).fit(X_train)   # pixels to [0, 1]
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

    result = softmax_and_loss_tour(rng)

    model = sl.softmax_regression(784, 10, init="normal", rng=rng)
    W, b = model.linear_layers[0].params["W"], model.linear_layers[0].params["b"]
    print(f"  W {W.shape} ~ N(0, 0.01^2) (std {W.std():.4f}), b {b.shape} = 0")
    loss_fn = sl.SoftmaxCrossEntropy()
    opt = sl.SGD(model.parameters(), lr=LR)
    untrained = float(np.mean(model.predict(X_test) == y_test))
    print(f"  untrained test accuracy {untrained:.4f} (chance is 0.1)")

    print(f"\n== Training: minibatch SGD, batch {BATCH_SIZE}, lr {LR}, {epochs} epochs ==")
    history = {"loss": [], "train_acc": [], "test_acc": []}
    n = len(y_train)
    for epoch in range(1, epochs + 1):
        loss_sum, correct = 0.0, 0
        for idx in iterate_minibatches(n, BATCH_SIZE, rng):
            xb, yb = X_train[idx], y_train[idx]
            logits = model.forward(xb, training=True)      # xb @ W + b, shape (batch, 10)
            loss, dlogits = loss_fn(logits, yb)            # mean loss; (softmax - onehot) / batch
            model.backward(dlogits)                        # grads: W <- xb^T dlogits, b <- sum
            opt.step()                                     # W -= lr grad_W, b -= lr grad_b
            loss_sum += loss * len(yb)
            correct += int((logits.argmax(axis=1) == yb).sum())
        # The train accuracy is counted while the weights still move during the
        # epoch, the test accuracy with the end-of-epoch weights: that is why
        # the test figure beats the train figure in the first epoch.
        test_acc = float(np.mean(model.predict(X_test) == y_test))
        history["loss"].append(loss_sum / n)
        history["train_acc"].append(correct / n)
        history["test_acc"].append(test_acc)
        print(f"epoch {epoch}, loss {loss_sum / n:.4f}, train acc {correct / n:.3f}, "
              f"test acc {test_acc:.3f}")

    print("\n== Predictions ==")
    k = 10
    pred = model.predict(X_test[:k])
    true_names = [ds.class_names[i] for i in y_test[:k]]
    pred_names = [ds.class_names[i] for i in pred]
    print("  true:", true_names)
    print("  pred:", pred_names)
    fig = plot_image_row(ds.X_test[:k], true_names, pred_names, out / "predictions.png")
    result.update(history=history, untrained_test_acc=untrained, epochs=epochs,
                  n_train=n, true_names=true_names, pred_names=pred_names, files=[fig])
    return result


if __name__ == "__main__":
    run_cli(NAME, main, __doc__.splitlines()[0])
