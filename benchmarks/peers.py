"""The peers of the benchmark, and the worker that runs ONE peer on ONE workload.

``run.py`` starts this file as a subprocess per (peer, workload, repeat), with
the thread-count variables set before Python starts, so every peer gets the
same threads, imports only its own library, and its peak memory is its own.

    python benchmarks/peers.py '{"peer": "torch", "model": "mlp", ...}'

prints one JSON line: per-epoch seconds, test accuracy, peak memory.

Timing rule, the same for every peer: the clock starts right before the
peer's training call and every epoch end is stamped by a callback; data
loading, model construction and (except in time-to-accuracy runs) evaluation
are outside the clock. In time-to-accuracy runs the test-set evaluation after
each epoch is inside the clock, for every peer.
"""
from __future__ import annotations

import json
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import load_fashion, reset_peak_rss, rss_mb  # noqa: E402

PEERS = ("softmaxlab", "softmaxlab-estimator", "softmaxlab-reference", "softmaxlab-torch",
         "softmaxlab-cli", "torch", "torch-dataloader", "sklearn-mlp", "sklearn-sgd",
         "sklearn-logreg")


def _initial_weights(spec):
    """The initial parameters every peer that lets us set them starts from:
    softmaxlab's own initialisation (N(0, 0.01^2) for softmax regression; He
    normal hidden, Glorot uniform output for the MLP), drawn from the seed."""
    import softmaxlab as sl  # noqa: F401
    from softmaxlab.nn import mlp, softmax_regression

    rng = np.random.default_rng(spec["seed"])
    if spec["model"] == "softmax":
        model = softmax_regression(784, 10, init="normal", rng=rng)
    else:
        model = mlp(784, [spec.get("hidden", 256)], 10, rng=rng)
    return model


def torch_copy(model):
    """A ``torch.nn.Sequential`` (Linear, ReLU between) with the weights of the
    softmaxlab ReLU network ``model``: the same starting point for PyTorch."""
    import torch
    from torch import nn

    layers = []
    for i, lin in enumerate(model.linear_layers):
        if i:
            layers.append(nn.ReLU())
        m = nn.Linear(lin.n_in, lin.n_out)
        with torch.no_grad():
            m.weight.copy_(torch.from_numpy(lin.params["W"].T.copy()))
            m.bias.copy_(torch.from_numpy(lin.params["b"]))
        layers.append(m)
    return nn.Sequential(*layers)


# ---------------------------------------------------------------- softmaxlab
class SoftmaxlabPeer:
    """The library API: model builder + optimizer + Trainer.fit, one call
    (``Trainer(engine="auto")``: the NumPy fast path)."""

    engine = "auto"

    def __init__(self, spec, X, y):
        from softmaxlab.optim import SGD, Adam
        from softmaxlab.train import Callback, Trainer

        self.spec, self.X, self.y = spec, X, y
        self.model = _initial_weights(spec)
        self._to_backend()
        params = self.model.parameters()
        opt = (SGD(params, lr=spec["lr"], momentum=spec.get("momentum", 0.0))
               if spec["opt"] == "sgd" else Adam(params, lr=spec["lr"]))
        peer = self

        class Hook(Callback):
            def on_epoch_end(self, trainer, epoch, row):
                if peer.on_epoch(epoch):
                    trainer.stop_training = True

        kw = {} if self.engine == "auto" else {"engine": self.engine}  # older engines: no option
        self.trainer = Trainer(self.model, opt, batch_size=spec["batch"],
                               rng=np.random.default_rng(spec["seed"] + 1), callbacks=[Hook()], **kw)

    def _to_backend(self):
        pass

    def train(self, epochs, on_epoch):
        self.on_epoch = on_epoch
        self.trainer.fit(self.X, self.y, epochs=epochs)

    def accuracy(self, Xt, yt):
        return float(np.mean(self.model.predict(Xt) == yt))


class SoftmaxlabReferencePeer(SoftmaxlabPeer):
    """The same, on the readable reference engine (``engine="reference"``), NumPy arrays."""

    engine = "reference"


class SoftmaxlabTorchPeer(SoftmaxlabPeer):
    """The reference engine on PyTorch CPU tensors (the model moved with
    ``model.to``; data preloaded as tensors, like the torch peer)."""

    engine = "reference"

    def _to_backend(self):
        import array_api_compat
        import torch

        torch.set_num_threads(self.spec["threads"])
        xp = array_api_compat.array_namespace(torch.zeros(1))
        self.model.to(xp, torch.device("cpu"))
        self.X, self.y = torch.from_numpy(self.X), torch.from_numpy(self.y)
        self.torch = torch

    def accuracy(self, Xt, yt):
        return float(np.mean(self.model.predict(self.torch.from_numpy(Xt)).numpy() == yt))


class SoftmaxlabEstimatorPeer:
    """The scikit-learn API: ``softmaxlab.MLPClassifier`` / ``SoftmaxRegression``
    with the workload's solver, rate and batch, ``alpha=0``, momentum 0, one
    ``fit`` of ``epochs`` iterations (``tol=0``: no early stop). Its own
    scikit-learn-style initialisation. Epoch times are the estimator's
    ``history_.seconds`` (each epoch's pass, stamped inside ``fit``)."""

    def __init__(self, spec, X, y):
        import softmaxlab as sl

        kw = dict(batch_size=spec["batch"], learning_rate_init=spec["lr"], alpha=0.0, shuffle=True,
                  random_state=spec["seed"], tol=0.0, n_iter_no_change=10**6)
        if spec["opt"] == "sgd":
            kw.update(solver="sgd", momentum=spec.get("momentum", 0.0), nesterovs_momentum=False,
                      learning_rate="constant")
        else:
            kw.update(solver="adam")
        if spec["model"] == "softmax":
            self.clf = sl.SoftmaxRegression(**kw)
        else:
            self.clf = sl.MLPClassifier(hidden_layer_sizes=(spec.get("hidden", 256),), **kw)
        self.X, self.y = X, y

    def train(self, epochs, on_epoch):
        self.clf.set_params(max_iter=epochs)
        self.clf.fit(self.X, self.y)
        return list(self.clf.history_.seconds)

    def accuracy(self, Xt, yt):
        return float(np.mean(self.clf.predict(Xt) == yt))


# ---------------------------------------------------------------- PyTorch
class TorchPeer:
    """PyTorch 2.x CPU, tensors preloaded in memory (no DataLoader): one
    ``randperm`` per epoch and per-batch index gathers, as a hand-written
    training loop does; ``torch.optim.SGD``/``Adam`` and ``nn.CrossEntropyLoss``."""

    dataloader = False

    def __init__(self, spec, X, y):
        import torch
        from torch import nn

        torch.set_num_threads(spec["threads"])
        torch.manual_seed(spec["seed"])
        self.torch = torch
        self.net = torch_copy(_initial_weights(spec))
        self.X = torch.from_numpy(X)
        self.y = torch.from_numpy(y)
        self.loss = nn.CrossEntropyLoss()
        p = self.net.parameters()
        self.opt = (torch.optim.SGD(p, lr=spec["lr"], momentum=spec.get("momentum", 0.0))
                    if spec["opt"] == "sgd" else torch.optim.Adam(p, lr=spec["lr"]))
        self.bs = spec["batch"]
        self.gen = torch.Generator().manual_seed(spec["seed"] + 1)
        if self.dataloader:
            from torch.utils.data import DataLoader, TensorDataset

            self.loader = DataLoader(TensorDataset(self.X, self.y), batch_size=self.bs,
                                     shuffle=True, generator=self.gen)

    def _batches(self):
        if self.dataloader:
            yield from self.loader
            return
        n = self.X.shape[0]
        perm = self.torch.randperm(n, generator=self.gen)
        for s in range(0, n, self.bs):
            idx = perm[s:s + self.bs]
            yield self.X[idx], self.y[idx]

    def train(self, epochs, on_epoch):
        net, opt, lossf = self.net, self.opt, self.loss
        net.train()
        for e in range(1, epochs + 1):
            total = 0.0
            for xb, yb in self._batches():
                opt.zero_grad()
                loss = lossf(net(xb), yb)
                loss.backward()
                opt.step()
                total += loss.item() * len(yb)
            if on_epoch(e):
                break

    def accuracy(self, Xt, yt):
        with self.torch.no_grad():
            pred = self.net(self.torch.from_numpy(Xt)).argmax(dim=1).numpy()
        return float(np.mean(pred == yt))


class TorchDataLoaderPeer(TorchPeer):
    """PyTorch as most users write it: ``TensorDataset`` + ``DataLoader(shuffle=True)``
    (default collation, ``num_workers=0``)."""

    dataloader = True


# ---------------------------------------------------------------- scikit-learn
class SklearnMLPPeer:
    """``sklearn.neural_network.MLPClassifier``, one ``partial_fit`` per epoch
    (same lr, batch, momentum 0, ``alpha=0``; its own Glorot-uniform init,
    which it does not let us replace; keeps float32)."""

    def __init__(self, spec, X, y):
        from sklearn.neural_network import MLPClassifier

        hidden = () if spec["model"] == "softmax" else (spec.get("hidden", 256),)
        kw = dict(hidden_layer_sizes=hidden, batch_size=spec["batch"], learning_rate_init=spec["lr"],
                  alpha=0.0, shuffle=True, random_state=spec["seed"])
        if spec["opt"] == "sgd":
            kw.update(solver="sgd", momentum=spec.get("momentum", 0.0), nesterovs_momentum=False,
                      learning_rate="constant")
        else:
            kw.update(solver="adam")
        self.clf = MLPClassifier(**kw)
        self.X, self.y = X, y

    def train(self, epochs, on_epoch):
        classes = np.arange(10)
        for e in range(1, epochs + 1):
            self.clf.partial_fit(self.X, self.y, classes=classes)
            if on_epoch(e):
                break

    def accuracy(self, Xt, yt):
        return float(np.mean(self.clf.predict(Xt) == yt))


class SklearnSGDPeer(SklearnMLPPeer):
    """``SGDClassifier(loss='log_loss')``: one-vs-rest logistic regressions,
    per-sample SGD (no minibatches), constant lr, float64 internally; one
    ``partial_fit`` per epoch, ``n_jobs`` = thread count. Not the same
    algorithm as (a): shown because it is what scikit-learn offers for it."""

    def __init__(self, spec, X, y):
        from sklearn.linear_model import SGDClassifier

        self.clf = SGDClassifier(loss="log_loss", learning_rate="constant",
                                 eta0=spec.get("sgd_eta0", 0.01), alpha=0.0, shuffle=True,
                                 random_state=spec["seed"], n_jobs=spec["threads"])
        self.X, self.y = X, y


class SklearnLogRegPeer:
    """``LogisticRegression`` (multinomial, lbfgs, ``C=inf``-like weak L2),
    full-batch: one 'epoch' here is ``iters_per_call`` more lbfgs iterations
    with ``warm_start``. Only meaningful for time to accuracy."""

    def __init__(self, spec, X, y):
        from sklearn.linear_model import LogisticRegression

        self.clf = LogisticRegression(max_iter=spec.get("lbfgs_iters", 10), warm_start=True,
                                      C=1.0)
        self.X, self.y = X, y

    def train(self, epochs, on_epoch):
        from sklearn.exceptions import ConvergenceWarning

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            for e in range(1, epochs + 1):
                self.clf.fit(self.X, self.y)
                if on_epoch(e):
                    break

    accuracy = SklearnMLPPeer.accuracy


PEER_CLASSES = {
    "softmaxlab": SoftmaxlabPeer,
    "softmaxlab-estimator": SoftmaxlabEstimatorPeer,
    "softmaxlab-reference": SoftmaxlabReferencePeer,
    "softmaxlab-torch": SoftmaxlabTorchPeer,
    "torch": TorchPeer,
    "torch-dataloader": TorchDataLoaderPeer,
    "sklearn-mlp": SklearnMLPPeer,
    "sklearn-sgd": SklearnSGDPeer,
    "sklearn-logreg": SklearnLogRegPeer,
}


def _blas_kernels() -> list[str]:
    """The BLAS libraries this process loaded and the kernel family each picked
    (threadpoolctl's "architecture": Haswell, SkylakeX, ...)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return [f"{d.get('internal_api')} {d.get('architecture') or d.get('version')}"
            for d in threadpool_info() if d.get("user_api") == "blas"]


def run_one(spec: dict) -> dict:
    """Train one peer on one workload; see the module docstring for the clock."""
    if spec["peer"] == "softmaxlab-cli":
        from cli_peer import run_cli

        return run_cli(spec)
    X, y, Xt, yt = load_fashion(spec.get("rows"))
    cls = PEER_CLASSES[spec["peer"]]
    peer = cls(spec, X, y)
    target = spec.get("target")  # time-to-accuracy mode
    stamps: list[float] = []
    accs: list[float] = []

    def on_epoch(e):
        if target is None:
            stamps.append(time.perf_counter())
            return False
        acc = peer.accuracy(Xt, yt)
        accs.append(acc)
        stamps.append(time.perf_counter())
        return acc >= target or stamps[-1] - t0 > spec.get("max_seconds", float("inf"))

    import gc

    gc.collect()
    base_rss, _ = rss_mb()
    reset_peak_rss()
    t0 = time.perf_counter()
    inner = peer.train(spec["epochs"], on_epoch)
    wall = time.perf_counter() - t0
    _, peak = rss_mb()
    ends = [t0, *stamps]
    # A peer that cannot call back per epoch (the estimator) returns its own epoch times.
    epoch_s = inner if inner is not None else [b - a for a, b in zip(ends[:-1], ends[1:], strict=True)]
    out = {
        "epoch_seconds": epoch_s,
        "wall": wall,
        "rows": int(X.shape[0]),
        "data_mb": (X.nbytes + y.nbytes) / 2**20,
        "rss_start_mb": base_rss,
        "peak_rss_mb": peak,
        "train_extra_mb": peak - base_rss,
        "blas_kernels": _blas_kernels(),
    }
    if target is None:
        out["test_acc"] = peer.accuracy(Xt, yt)
    else:
        out["accs"] = accs
        hit = next((i for i, a in enumerate(accs) if a >= target), None)
        out["time_to_target"] = None if hit is None else stamps[hit] - t0
        out["epochs_to_target"] = None if hit is None else hit + 1
        out["test_acc"] = accs[-1] if accs else None
    return out


if __name__ == "__main__":
    spec = json.loads(sys.argv[1])
    warnings.simplefilter("ignore")
    res = run_one(spec)
    print("RESULT " + json.dumps(res))
