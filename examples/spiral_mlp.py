"""Why a linear model fails on a spiral and an MLP does not, with softmaxlab.

The whole pipeline of a small classification project, with softmaxlab:

- the 3-class spiral with string labels ``c1``, ``c2``, ``c3``
  (``load_dataset('spiral')``);
- a stratified 70/15/15 train/validation/test split, label encoding, class
  weights ``1 / count`` and standardisation fitted on the training split;
- a "linear model" of two Linear layers with no activation between them
  (Adam, lr 0.01, 10 full-batch epochs), which is one
  linear map in disguise, and an MLP with 100 ReLU units trained by plain
  full-batch gradient descent (lr 1.0, 1000 epochs);
- per-class precision, recall and F1 as JSON, decision-boundary plots of both
  models, and plots of sigmoid, tanh, ReLU and leaky ReLU with the
  derivatives their ``backward`` uses.

Run: ``python examples/spiral_mlp.py [--fast] [--out DIR]``.
"""
from __future__ import annotations

import json

import numpy as np

try:  # run as a script (examples/ on sys.path) or imported by the tests
    from _common import output_dir, parse_args, save
except ImportError:  # pragma: no cover
    from examples._common import output_dir, parse_args, save

import softmaxlab as sl
from softmaxlab.data import Preprocessor, load_dataset, split_dataset
from softmaxlab.gradcheck import check_model

NAME = "spiral_mlp"
HIDDEN = 100


def per_class_metrics(y_true, y_pred, classes) -> dict:
    """Weighted-average and per-class precision/recall/F1 (JSON-able)."""
    from sklearn.metrics import precision_recall_fscore_support

    p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, average="weighted",
                                                 zero_division=0)
    report = {"overall": {"precision": p, "recall": r, "f1": f,
                          "accuracy": float(np.mean(y_true == y_pred)),
                          "num_samples": len(y_true)},
              "class": {}}
    p, r, f, n = precision_recall_fscore_support(y_true, y_pred, average=None,
                                                 labels=range(len(classes)), zero_division=0)
    for i, name in enumerate(classes):
        report["class"][str(name)] = {"precision": p[i], "recall": r[i], "f1": f[i],
                                      "num_samples": int(n[i])}
    return json.loads(json.dumps(report, default=float))  # numpy scalars -> floats


def train(model, opt, loss, splits, epochs, rng, label):
    trainer = sl.Trainer(model, opt, loss, batch_size="full", rng=rng)
    every = max(1, epochs // 10)

    class Print(sl.Callback):
        def on_epoch_end(self, trainer, epoch, row):
            if epoch == 1 or epoch % every == 0 or epoch == epochs:
                print(f"  [{label}] epoch {epoch:4d}  loss {row['train_loss']:.3f}  "
                      f"train acc {row['train_acc']:.3f}  val acc {row['val_acc']:.3f}")

    trainer.callbacks.append(Print())
    trainer.fit(splits.X_train, splits.y_train, epochs=epochs,
                X_val=splits.X_val, y_val=splits.y_val)
    return trainer


def plot_boundaries(model, splits, classes, title, path):
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    colours = ["tab:red", "gold", "tab:blue"]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6))
    X_all = np.vstack([splits.X_train, splits.X_test])
    lo, hi = X_all.min(0) - 0.1, X_all.max(0) + 0.1
    g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], 151), np.linspace(lo[1], hi[1], 151))
    grid = np.column_stack([g0.ravel(), g1.ravel()]).astype(np.float32)
    region = model.predict(grid).reshape(g0.shape)
    for ax, (part, X, y) in zip(axes, [("train", splits.X_train, splits.y_train),
                                       ("test", splits.X_test, splits.y_test)], strict=True):
        ax.contourf(g0, g1, region, levels=np.arange(len(classes) + 1) - 0.5,
                    cmap=ListedColormap(colours), alpha=0.3)
        for k, name in enumerate(classes):
            m = y == k
            ax.scatter(X[m, 0], X[m, 1], s=14, c=colours[k], edgecolors="k", linewidths=0.4,
                       label=name)
        acc = float(np.mean(model.predict(X) == y))
        ax.set(title=f"{title}: {part} (accuracy {acc:.3f})", xlabel="x1 (standardised)",
               ylabel="x2 (standardised)")
        ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    return save(fig, path)


def plot_activations(path):
    """Each activation layer's forward, and the derivative its backward applies."""
    import matplotlib.pyplot as plt

    x = np.linspace(-5, 5, 401)[:, None]
    layers = [("Sigmoid", sl.Sigmoid()), ("Tanh", sl.Tanh()), ("ReLU", sl.ReLU()),
              ("Leaky ReLU (slope 0.1)", sl.LeakyReLU(0.1))]
    fig, axes = plt.subplots(1, 4, figsize=(14, 3))
    for ax, (name, layer) in zip(axes, layers, strict=True):
        y = layer.forward(x, training=True)
        dy = layer.backward(np.ones_like(x))   # d(activation)/dx, element-wise
        ax.plot(x[:, 0], y[:, 0], label="f(x)")
        ax.plot(x[:, 0], dy[:, 0], ls="--", label="f'(x) (backward)")
        ax.axhline(0, color="k", lw=0.5)
        ax.axvline(0, color="k", lw=0.5)
        ax.set(title=name, xlabel="x")
        ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return save(fig, path)


def main(fast: bool = False, out_dir=None, seed: int = 1024) -> dict:
    """Run the spiral example; return the key figures.

    Parameters
    ----------
    fast : bool
        Train the MLP for 300 epochs instead of 1000.
    out_dir : path-like, optional
        Folder for plots and JSON (default ``examples/out/spiral_mlp``).
    seed : int
        Seed of the one Generator used for data, split and initialisation.
    """
    out = output_dir(NAME, out_dir)
    rng = np.random.default_rng(seed)
    mlp_epochs = 300 if fast else 1000

    print("== Data ==")
    ds = load_dataset("spiral", seed=rng)
    print(f"  X {ds.X.shape}, labels {sorted(set(ds.y.tolist()))} (strings), e.g. "
          f"{ds.X[-1].round(3).tolist()} -> {str(ds.y[-1])!r}")
    splits = split_dataset(ds, val_fraction=0.15, test_fraction=0.15, seed=rng, stratify=True)
    classes = splits.classes
    print(f"  train {splits.X_train.shape}, val {splits.X_val.shape}, test {splits.X_test.shape}")
    print(f"  label encoding {dict(enumerate(classes))}; y_train[:5] = {splits.y_train[:5].tolist()}")
    counts = np.bincount(splits.y_train, minlength=len(classes))
    class_weight = 1.0 / counts
    print(f"  counts {counts.tolist()}, class weights {np.round(class_weight, 5).tolist()}")
    scaler = Preprocessor("standard").fit(splits.X_train)
    splits.X_train, splits.X_val, splits.X_test = (
        scaler.transform(splits.X_train), scaler.transform(splits.X_val),
        scaler.transform(splits.X_test))
    mean, std = (np.round(v.astype(float), 2).tolist()
                 for v in (splits.X_test.mean(0), splits.X_test.std(0)))
    print(f"  standardised test set: mean {mean}, std {std} (scaled with training statistics)")
    loss = sl.SoftmaxCrossEntropy(class_weight=class_weight)
    result = {"classes": classes, "class_weight": class_weight, "counts": counts,
              "n_train": len(splits.y_train), "n_val": len(splits.y_val),
              "n_test": len(splits.y_test)}

    print("\n== Linear model: Linear(2, 100) -> Linear(100, 3), no activation ==")
    linear = sl.mlp(2, [HIDDEN], len(classes), activation="identity", rng=rng)
    train(linear, sl.Adam(linear.parameters(), lr=1e-2), loss, splits, 10, rng, "linear")
    # Two stacked linear maps are one linear map: logits = X (W1 W2) + (b1 W2 + b2).
    (l1, l2) = linear.linear_layers
    W_eff = l1.params["W"] @ l2.params["W"]
    b_eff = l1.params["b"] @ l2.params["W"] + l2.params["b"]
    collapsed = sl.from_weights([(W_eff, b_eff)])
    gap = float(np.abs(collapsed.predict_logits(splits.X_test)
                       - linear.predict_logits(splits.X_test)).max())
    print(f"  the two layers equal one Linear(2, 3) with W = W1 W2 (shape {W_eff.shape}):"
          f" max logit difference {gap:.1e}")
    lin_metrics = per_class_metrics(splits.y_test, linear.predict(splits.X_test), classes)
    print("  test metrics:\n" + json.dumps(lin_metrics, indent=2))
    (out / "metrics_linear.json").write_text(json.dumps(lin_metrics, indent=2))
    # Not a matter of training time: 500 more epochs barely move it.
    longer = linear.copy()
    t = sl.Trainer(longer, sl.Adam(longer.parameters(), lr=1e-2), loss, batch_size="full", rng=rng)
    t.fit(splits.X_train, splits.y_train, epochs=500)
    longer_acc = float(np.mean(longer.predict(splits.X_test) == splits.y_test))
    print(f"  after 500 more epochs the linear model's test accuracy is {longer_acc:.3f}")
    result.update(linear_test_acc=lin_metrics["overall"]["accuracy"],
                  linear_longer_test_acc=longer_acc, linear_metrics=lin_metrics,
                  linear_collapse_gap=gap)

    print(f"\n== MLP: Linear(2, 100) -> ReLU -> Linear(100, 3), GD lr 1.0, {mlp_epochs} epochs ==")
    net = sl.mlp(2, [HIDDEN], len(classes), activation="relu", rng=rng)
    fd = check_model(net, splits.X_train[:8], splits.y_train[:8], loss=loss)
    print("  finite-difference check of the hand-written backward (relative errors): "
          + ", ".join(f"{k} {v:.0e}" for k, v in fd.items()))
    trainer = train(net, sl.SGD(net.parameters(), lr=1.0), loss, splits, mlp_epochs, rng, "mlp")
    mlp_metrics = per_class_metrics(splits.y_test, net.predict(splits.X_test), classes)
    print("  test metrics:\n" + json.dumps(mlp_metrics, indent=2))
    (out / "metrics_mlp.json").write_text(json.dumps(mlp_metrics, indent=2))
    proba = net.predict_proba(splits.X_test[:1])[0]
    print(f"  sample probability {proba.round(3).tolist()} -> class "
          f"{classes[int(proba.argmax())]!r} (true {classes[int(splits.y_test[0])]!r})")
    result.update(mlp_test_acc=mlp_metrics["overall"]["accuracy"], mlp_metrics=mlp_metrics,
                  mlp_history=trainer.history.to_dict(), gradcheck=fd)

    print("\n== Plots ==")
    result["files"] = [
        plot_boundaries(linear, splits, classes, "Linear model", out / "boundary_linear.png"),
        plot_boundaries(net, splits, classes, "MLP (ReLU)", out / "boundary_mlp.png"),
        plot_activations(out / "activations.png"),
    ]
    result["json_files"] = [out / "metrics_linear.json", out / "metrics_mlp.json"]
    print(f"\nlinear test accuracy {result['linear_test_acc']:.3f}  vs  "
          f"MLP test accuracy {result['mlp_test_acc']:.3f}")
    return result


if __name__ == "__main__":
    args = parse_args(NAME, __doc__.splitlines()[0])
    main(fast=args.fast, out_dir=args.out)
