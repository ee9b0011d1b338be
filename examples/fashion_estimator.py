"""Fashion-MNIST softmax regression with the estimator (part two of two).

After writing softmax regression by hand (``fashion_from_scratch.py``), the
same model is rebuilt from ready-made parts. softmaxlab's ready-made version
is the scikit-learn-style ``SoftmaxRegression``: the same Linear layer, fused
softmax cross-entropy and plain SGD as ``fashion_from_scratch.py``, behind
``fit`` / ``partial_fit`` / ``predict``.

Settings of the classic 5-epoch recipe: batch 256, lr 0.1, 5 epochs, no
momentum, no L2.
Each ``partial_fit`` call is one epoch, so the loss, train accuracy and test
accuracy can be printed after every epoch. The labels given to the estimator
are the class *names* ("Ankle boot", ...), so ``predict`` returns names.

Data: the Debian package ``dataset-fashion-mnist``
(``sudo apt-get install dataset-fashion-mnist``) or ``$SOFTMAXLAB_DATA``.
Without it the script says so and exits with status 3.

Run: ``python examples/fashion_estimator.py [--fast] [--out DIR]``.
"""
from __future__ import annotations

import numpy as np

try:  # run as a script (examples/ on sys.path) or imported by the tests
    from _common import EXIT_NO_DATA, output_dir, plot_image_row, run_cli
except ImportError:  # pragma: no cover
    from examples._common import EXIT_NO_DATA, output_dir, plot_image_row, run_cli

from softmaxlab import SoftmaxRegression
from softmaxlab.data import Preprocessor, load_dataset

__all__ = ["EXIT_NO_DATA", "NAME", "main"]

NAME = "fashion_estimator"
BATCH_SIZE, LR, EPOCHS = 256, 0.1, 5


def main(fast: bool = False, out_dir=None, seed: int = 0) -> dict:
    """Train ``SoftmaxRegression`` on Fashion-MNIST one epoch at a time.

    Parameters
    ----------
    fast : bool
        12 000 training images, 2 epochs (for tests); otherwise all 60 000, 5 epochs.
    out_dir : path-like, optional
        Folder for the figure (default ``examples/out/fashion_estimator``).
    seed : int
        ``random_state`` of the estimator (initialisation and shuffling).

    Raises
    ------
    softmaxlab.data.DatasetNotFoundError
        If the Fashion-MNIST files are not installed.
    """
    ds = load_dataset("fashion-mnist")    # raises DatasetNotFoundError with a how-to
    out = output_dir(NAME, out_dir)
    epochs = 2 if fast else EPOCHS
    names = np.array(ds.class_names)
    X_train, X_test = ds.X, ds.X_test
    y_train, y_test = names[ds.y], names[ds.y_test]    # string labels
    if fast:
        X_train, y_train = X_train[:12000], y_train[:12000]
    print(f"Fashion-MNIST from {ds.meta['source']}: train {X_train.shape}, test {X_test.shape}")
    scaler = Preprocessor("pixel", pixel_max=255).fit(X_train)   # pixels to [0, 1]
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

    clf = SoftmaxRegression(solver="sgd", batch_size=BATCH_SIZE, learning_rate_init=LR,
                            momentum=0.0, alpha=0.0, random_state=seed)
    print(f"{clf!r}\n\n== Training: one partial_fit call per epoch ==")
    history = {"loss": [], "train_acc": [], "test_acc": []}
    for epoch in range(1, epochs + 1):
        clf.partial_fit(X_train, y_train, classes=names)
        # loss_ is the epoch's mean training loss; history_.train_acc is the
        # accuracy counted batch by batch during the epoch, as the classic
        # recipe reports it.
        test_acc = clf.score(X_test, y_test)
        history["loss"].append(float(clf.loss_))
        history["train_acc"].append(float(clf.history_.train_acc[-1]))
        history["test_acc"].append(float(test_acc))
        print(f"epoch {epoch}, loss {clf.loss_:.4f}, train acc {history['train_acc'][-1]:.3f}, "
              f"test acc {test_acc:.3f}")

    print("\n== Inside the estimator ==")
    W, b = clf.coefs_[0], clf.intercepts_[0]
    print(f"  classes_ {clf.classes_.tolist()}")
    print(f"  coefs_[0] {W.shape} and intercepts_[0] {b.shape}: one Linear layer (X @ W + b)")
    logits = X_test[:3] @ W + b
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    gap = float(np.abs(p - clf.predict_proba(X_test[:3])).max())
    print(f"  softmax(X @ coefs_ + intercepts_) == predict_proba: max |diff| {gap:.1e}")

    print("\n== Predictions ==")
    k = 10
    pred = clf.predict(X_test[:k])
    print("  true:", y_test[:k].tolist())
    print("  pred:", pred.tolist())
    fig = plot_image_row(ds.X_test[:k], y_test[:k].tolist(), pred.tolist(),
                         out / "predictions.png")
    return {"history": history, "epochs": epochs, "n_train": len(y_train),
            "true_names": y_test[:k].tolist(), "pred_names": pred.tolist(),
            "proba_gap": gap, "files": [fig]}


if __name__ == "__main__":
    run_cli(NAME, main, __doc__.splitlines()[0])
